//! SMTP submission over a Workers TCP socket (`connect()`): bytes in and
//! out, nothing else. The conversation itself, every decision in it and
//! what its end means, is `crate::domain::mail::smtp`'s.

use crate::domain::channels::EmailOut;
use crate::domain::mail::message::domain_of;
use crate::domain::mail::smtp::{Action, Client, ReplyReader, Submission, Tls};
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::SmtpSettings;
use futures_util::future::{select, Either};
use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use worker::{ConnectionBuilder, Delay, SecureTransport, Socket};

/// Submits one email, giving up after the attempt timeout.
pub async fn submit(settings: &SmtpSettings, email: &EmailOut) -> AttemptResult {
    let conversation = Box::pin(converse(settings, email));
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    match select(conversation, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => AttemptResult::Timeout,
    }
}

async fn converse(settings: &SmtpSettings, email: &EmailOut) -> AttemptResult {
    let transport = match settings.tls {
        Tls::StartTls => SecureTransport::StartTls,
        Tls::Implicit => SecureTransport::On,
        Tls::None => SecureTransport::Off,
    };
    // Every network failure names the server, so that a user sees where alerts were going.
    let failed =
        |what: String| AttemptResult::NetworkError(format!("SMTP {}:{}: {what}", settings.host, settings.port));
    let mut socket =
        match ConnectionBuilder::new().secure_transport(transport).connect(settings.host.clone(), settings.port) {
            Ok(socket) => socket,
            Err(err) => return failed(err.to_string()),
        };
    let submission = Submission { from: email.from.clone(), to: email.to.clone(), message: email.message.clone() };
    let mut client = Client::new(settings.tls, domain_of(&email.from), settings.login.clone(), submission);
    let mut reader = ReplyReader::default();
    let mut buffer = vec![0u8; 4096];
    let mut heard = false;
    loop {
        let read = match read(&mut socket, &mut buffer).await {
            Ok(0) => return client.closed().into_result(),
            Ok(read) => read,
            // The socket connects lazily: a refused connection fails the first read.
            Err(err) if !heard => return failed(format!("no answer (refused, or closed before its greeting): {err}")),
            Err(err) => return failed(err.to_string()),
        };
        heard = true;
        reader.push(&buffer[..read]);
        loop {
            let reply = match reader.next_reply() {
                Ok(Some(reply)) => reply,
                Ok(None) => break,
                Err(problem) => return failed(problem.to_string()),
            };
            let mut action = client.receive(&reply);
            loop {
                match action {
                    Action::Read => break,
                    Action::Send(bytes) => {
                        if let Err(err) = write_all(&mut socket, &bytes).await {
                            return failed(err.to_string());
                        }
                        break;
                    }
                    Action::StartTls => {
                        socket = socket.start_tls();
                        action = client.tls_ready();
                    }
                    Action::Done(outcome) => {
                        let _ = socket.close().await;
                        return outcome.into_result();
                    }
                }
            }
        }
    }
}

async fn read(socket: &mut Socket, buffer: &mut [u8]) -> std::io::Result<usize> {
    poll_fn(|cx| {
        let mut filled = ReadBuf::new(buffer);
        match Pin::new(&mut *socket).poll_read(cx, &mut filled) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(filled.filled().len())),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

async fn write_all(socket: &mut Socket, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let written = poll_fn(|cx| Pin::new(&mut *socket).poll_write(cx, bytes)).await?;
        if written == 0 {
            return Err(std::io::Error::other("the connection closed while writing"));
        }
        bytes = &bytes[written..];
    }
    poll_fn(|cx| Pin::new(&mut *socket).poll_flush(cx)).await
}
