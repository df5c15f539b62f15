//! The SMTP submission conversation (RFC 5321, with STARTTLS of RFC 3207 and
//! AUTH PLAIN/LOGIN of RFC 4954) as a pure state machine: it reads the
//! server's replies and says what to send next, when to upgrade the
//! connection to TLS, and how the submission ended. The adapter only moves
//! bytes over a Workers TCP socket (`src/adapter/smtp.rs`).
//!
//! Why written here rather than taken from a crate: the well-kept SMTP
//! clients for Rust (lettre, async-smtp, mail-send) each own their I/O
//! (tokio or async-std sockets, rustls or native-tls) and none builds for
//! wasm32-unknown-unknown against Workers' `connect()`, whose TLS is done
//! by the runtime (`secureTransport`, `startTls()`). What is left is the
//! client side of a small, line-based protocol: a few commands and the
//! reply codes that decide between "sent", "try again" and "this address
//! does not exist"; keeping it pure makes every branch testable without a
//! server.

use base64::Engine;

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain TCP, upgraded with STARTTLS before anything is sent (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS at all: only where private destinations are allowed (tests,
    /// a relay on the same network).
    None,
}

impl Tls {
    pub fn parse(word: &str) -> Option<Tls> {
        match word.to_ascii_lowercase().as_str() {
            "starttls" => Some(Tls::StartTls),
            "implicit" | "tls" | "ssl" => Some(Tls::Implicit),
            "none" | "off" => Some(Tls::None),
            _ => None,
        }
    }

    /// The usual port: 587, 465 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            Tls::StartTls => 587,
            Tls::Implicit => 465,
            Tls::None => 25,
        }
    }
}

/// One reply: its code and its lines (without the code and separator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// `250 2.0.0 Ok: queued` (the last line, which carries the outcome).
    pub fn text(&self) -> String {
        format!("{} {}", self.code, self.lines.last().map(String::as_str).unwrap_or_default())
    }

    fn is(&self, class: u16) -> bool {
        self.code / 100 == class
    }
}

/// Gathers bytes from the server into complete replies (a multi-line reply
/// is `250-…` lines ending with a `250 …` line).
#[derive(Debug, Default)]
pub struct ReplyReader {
    buffer: Vec<u8>,
    lines: Vec<String>,
}

/// Replies longer than this are a broken or hostile server.
const MAX_REPLY: usize = 64 * 1024;

impl ReplyReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete reply, if one has arrived.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, String> {
        loop {
            let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") else {
                if self.buffer.len() > MAX_REPLY {
                    return Err("the server's reply is too long".into());
                }
                return Ok(None);
            };
            let line: Vec<u8> = self.buffer.drain(..end + 2).take(end).collect();
            let line = String::from_utf8_lossy(&line).into_owned();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok()).filter(|c| (200..600).contains(c));
            let Some(code) = code else { return Err(format!("not an SMTP reply: {line:?}")) };
            let separator = line.as_bytes().get(3).copied();
            self.lines.push(line.get(4..).unwrap_or_default().to_owned());
            match separator {
                Some(b'-') => {
                    if self.lines.len() > 1000 {
                        return Err("the server's reply has too many lines".into());
                    }
                }
                Some(b' ') | None => return Ok(Some(Reply { code, lines: std::mem::take(&mut self.lines) })),
                Some(_) => return Err(format!("not an SMTP reply: {line:?}")),
            }
        }
    }
}

/// What to submit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message, CRLF line ends.
    pub message: Vec<u8>,
}

/// How the client identifies itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub password: String,
}

/// What the adapter does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Wait for the next reply (nothing to send yet).
    Read,
    Send(Vec<u8>),
    /// Upgrade the connection to TLS, then call `tls_ready`.
    StartTls,
    /// The conversation is over (close the connection).
    Done(Outcome),
}

/// How a submission ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted for every recipient, or for some (the others refused for
    /// good are listed).
    Sent { reply: String, refused: Vec<String> },
    /// Every recipient was refused for good (the mailboxes do not exist):
    /// the channel itself is broken.
    Refused(String),
    /// Worth trying again later: 4xx replies, a server that cannot do what
    /// the deployment's settings ask (no STARTTLS, no AUTH), a login
    /// refused (the operator's settings, fixed there, not the channel's).
    Failed(String),
    /// The message was refused for good (5xx after DATA): no retry helps it.
    Rejected(String),
}

impl Outcome {
    /// What the outbox records: delivered, a permanent refusal (the channel
    /// is failing), worth another try, or failed for good.
    pub fn into_result(self) -> crate::outbox::AttemptResult {
        use crate::outbox::AttemptResult;
        match self {
            Outcome::Sent { reply, refused } if refused.is_empty() => AttemptResult::Accepted(reply),
            Outcome::Sent { reply, refused } => {
                AttemptResult::Accepted(format!("{reply} (refused: {})", refused.join("; ")))
            }
            Outcome::Refused(reason) => AttemptResult::Refused { status: None, reason },
            Outcome::Failed(problem) => AttemptResult::NetworkError(problem),
            Outcome::Rejected(problem) => AttemptResult::Undeliverable(problem),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Greeting,
    Ehlo,
    StartTls,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPassword,
    MailFrom,
    RcptTo(usize),
    Data,
    Message,
    Quit,
}

/// One submission's conversation.
#[derive(Debug)]
pub struct Client {
    state: State,
    tls: Tls,
    tls_done: bool,
    hello: String,
    login: Option<Login>,
    submission: Submission,
    accepted: usize,
    refused: Vec<String>,
    /// Set once the outcome is known and QUIT is on its way.
    outcome: Option<Outcome>,
}

/// `MAIL FROM:<a>` and `RCPT TO:<a>` take plain addresses only: nothing
/// that could end the command line.
fn safe_address(address: &str) -> bool {
    !address.is_empty()
        && address.len() <= 254
        && address.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

/// The message as DATA sends it: lines starting with a dot get another
/// (RFC 5321 4.5.2), bare LF become CRLF, and it ends with `CRLF.CRLF`.
pub fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut at_line_start = true;
    let mut previous = 0u8;
    for &byte in message {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        at_line_start = byte == b'\n';
        previous = byte;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

impl Client {
    /// `hello` is the name the client gives in EHLO (the sender's domain).
    pub fn new(tls: Tls, hello: &str, login: Option<Login>, submission: Submission) -> Client {
        Client {
            state: State::Greeting,
            tls,
            tls_done: tls == Tls::Implicit,
            hello: hello.to_owned(),
            login,
            submission,
            accepted: 0,
            refused: Vec::new(),
            outcome: None,
        }
    }

    fn send(&mut self, state: State, line: String) -> Action {
        self.state = state;
        Action::Send(format!("{line}\r\n").into_bytes())
    }

    /// Ends the conversation politely: QUIT, then `Done` on its reply (or
    /// when the server closes the connection: `closed`).
    fn finish(&mut self, outcome: Outcome) -> Action {
        self.outcome = Some(outcome);
        self.send(State::Quit, "QUIT".into())
    }

    /// A reply that is not the one expected: 4xx is worth another try, 5xx
    /// is not (but it is the deployment's or the message's, not the
    /// channel's, unless it refuses a recipient).
    fn unexpected(&mut self, what: &str, reply: &Reply) -> Action {
        let problem = format!("{what}: {}", reply.text());
        if reply.is(4) || self.state != State::Message {
            self.finish(Outcome::Failed(problem))
        } else {
            self.finish(Outcome::Rejected(problem))
        }
    }

    fn mail_from(&mut self) -> Action {
        let from = self.submission.from.clone();
        if !safe_address(&from) || self.submission.to.iter().any(|a| !safe_address(a)) {
            return self.finish(Outcome::Rejected("an address cannot be sent in SMTP".into()));
        }
        self.send(State::MailFrom, format!("MAIL FROM:<{from}>"))
    }

    fn rcpt(&mut self, index: usize) -> Action {
        match self.submission.to.get(index).cloned() {
            Some(to) => self.send(State::RcptTo(index), format!("RCPT TO:<{to}>")),
            None if self.accepted > 0 => self.send(State::Data, "DATA".into()),
            None => {
                let refused = self.refused.join("; ");
                self.finish(Outcome::Refused(format!("every recipient was refused: {refused}")))
            }
        }
    }

    /// What to do with the server's next reply.
    pub fn receive(&mut self, reply: &Reply) -> Action {
        match self.state {
            State::Greeting if reply.code == 220 => {
                let hello = self.hello.clone();
                self.send(State::Ehlo, format!("EHLO {hello}"))
            }
            State::Greeting => self.unexpected("greeting", reply),
            State::Ehlo if reply.code == 250 => self.after_ehlo(reply),
            State::Ehlo => self.unexpected("EHLO", reply),
            State::StartTls if reply.code == 220 => {
                self.state = State::Greeting;
                Action::StartTls
            }
            State::StartTls => self.unexpected("STARTTLS", reply),
            State::AuthPlain | State::AuthLoginPassword if reply.code == 235 => self.mail_from(),
            State::AuthLoginUser if reply.code == 334 => {
                let password = self.login.as_ref().map(|l| l.password.clone()).unwrap_or_default();
                let encoded = base64::engine::general_purpose::STANDARD.encode(password);
                self.send(State::AuthLoginPassword, encoded)
            }
            State::AuthPlain | State::AuthLoginUser | State::AuthLoginPassword => {
                self.unexpected("the login (SMTP_USER, SMTP_PASSWORD) was refused", reply)
            }
            State::MailFrom if reply.is(2) => self.rcpt(0),
            State::MailFrom => self.unexpected("MAIL FROM (EMAIL_FROM)", reply),
            State::RcptTo(index) if reply.is(2) => {
                self.accepted += 1;
                self.rcpt(index + 1)
            }
            // 550 mailbox unavailable, 551 user not local, 553 mailbox name not allowed.
            State::RcptTo(index) if matches!(reply.code, 550 | 551 | 553) => {
                let to = self.submission.to.get(index).cloned().unwrap_or_default();
                self.refused.push(format!("{to}: {}", reply.text()));
                self.rcpt(index + 1)
            }
            State::RcptTo(_) => self.unexpected("RCPT TO", reply),
            State::Data if reply.code == 354 => {
                self.state = State::Message;
                Action::Send(dot_stuffed(&self.submission.message))
            }
            State::Data => self.unexpected("DATA", reply),
            State::Message if reply.is(2) => {
                let refused = std::mem::take(&mut self.refused);
                self.finish(Outcome::Sent { reply: reply.text(), refused })
            }
            State::Message => self.unexpected("the message", reply),
            State::Quit => Action::Done(self.closed()),
        }
    }

    fn after_ehlo(&mut self, reply: &Reply) -> Action {
        let keywords: Vec<String> = reply.lines.iter().map(|l| l.to_ascii_uppercase()).collect();
        if self.tls == Tls::StartTls && !self.tls_done {
            if !keywords.iter().any(|k| k == "STARTTLS") {
                return self.finish(Outcome::Failed("the server does not offer STARTTLS (SMTP_TLS)".into()));
            }
            return self.send(State::StartTls, "STARTTLS".into());
        }
        let Some(login) = self.login.clone() else { return self.mail_from() };
        let mechanisms: Vec<&str> = keywords
            .iter()
            .filter_map(|k| k.strip_prefix("AUTH ").or_else(|| k.strip_prefix("AUTH=")))
            .flat_map(str::split_whitespace)
            .collect();
        let engine = base64::engine::general_purpose::STANDARD;
        if mechanisms.contains(&"PLAIN") {
            let token = engine.encode(format!("\0{}\0{}", login.user, login.password));
            self.send(State::AuthPlain, format!("AUTH PLAIN {token}"))
        } else if mechanisms.contains(&"LOGIN") {
            let user = engine.encode(&login.user);
            self.send(State::AuthLoginUser, format!("AUTH LOGIN {user}"))
        } else {
            self.finish(Outcome::Failed("the server offers no AUTH PLAIN or LOGIN (SMTP_USER is set)".into()))
        }
    }

    /// After the adapter upgraded the connection: the greeting is not sent
    /// again, so EHLO goes out at once.
    pub fn tls_ready(&mut self) -> Action {
        self.tls_done = true;
        let hello = self.hello.clone();
        self.send(State::Ehlo, format!("EHLO {hello}"))
    }

    /// The server closed the connection (or it broke): the outcome if it
    /// was known (QUIT was sent), else a failure worth another try.
    pub fn closed(&mut self) -> Outcome {
        self.outcome.take().unwrap_or_else(|| Outcome::Failed("the server closed the connection".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply { code, lines: lines.iter().map(|l| (*l).to_owned()).collect() }
    }

    fn client(tls: Tls, login: bool, to: &[&str]) -> Client {
        let login = login.then(|| Login { user: "u".into(), password: "p".into() });
        let submission = Submission {
            from: "eb@example.com".into(),
            to: to.iter().map(|t| (*t).to_owned()).collect(),
            message: b"Subject: x\r\n\r\n.hi\r\n".to_vec(),
        };
        Client::new(tls, "example.com", login, submission)
    }

    fn sent(action: Action) -> String {
        match action {
            Action::Send(bytes) => String::from_utf8(bytes).unwrap(),
            other => panic!("expected a line to send, got {other:?}"),
        }
    }

    #[test]
    fn replies_are_read_whole_from_any_chunking() {
        let mut reader = ReplyReader::default();
        reader.push(b"250-smtp.example.com\r\n250-STARTTLS\r");
        assert_eq!(reader.next_reply(), Ok(None));
        reader.push(b"\n250 AUTH PLAIN LOGIN\r\n220 ready\r\n");
        assert_eq!(reader.next_reply(), Ok(Some(reply(250, &["smtp.example.com", "STARTTLS", "AUTH PLAIN LOGIN"]))));
        assert_eq!(reader.next_reply(), Ok(Some(reply(220, &["ready"]))));
        assert_eq!(reader.next_reply(), Ok(None));
        reader.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(reader.next_reply().is_err(), "not an SMTP server");
    }

    #[test]
    fn a_starttls_submission_with_auth_plain_end_to_end() {
        let mut c = client(Tls::StartTls, true, &["ops@example.org"]);
        assert_eq!(sent(c.receive(&reply(220, &["mx ESMTP"]))), "EHLO example.com\r\n");
        assert_eq!(sent(c.receive(&reply(250, &["mx", "STARTTLS", "AUTH LOGIN PLAIN"]))), "STARTTLS\r\n");
        assert_eq!(c.receive(&reply(220, &["go ahead"])), Action::StartTls);
        assert_eq!(sent(c.tls_ready()), "EHLO example.com\r\n");
        assert_eq!(sent(c.receive(&reply(250, &["mx", "AUTH LOGIN PLAIN"]))), "AUTH PLAIN AHUAcA==\r\n");
        assert_eq!(sent(c.receive(&reply(235, &["ok"]))), "MAIL FROM:<eb@example.com>\r\n");
        assert_eq!(sent(c.receive(&reply(250, &["ok"]))), "RCPT TO:<ops@example.org>\r\n");
        assert_eq!(sent(c.receive(&reply(250, &["ok"]))), "DATA\r\n");
        assert_eq!(sent(c.receive(&reply(354, &["go"]))), "Subject: x\r\n\r\n..hi\r\n.\r\n", "dot-stuffed");
        assert_eq!(sent(c.receive(&reply(250, &["2.0.0 queued"]))), "QUIT\r\n");
        let done = Outcome::Sent { reply: "250 2.0.0 queued".into(), refused: vec![] };
        assert_eq!(c.receive(&reply(221, &["bye"])), Action::Done(done));
    }

    #[test]
    fn auth_login_when_plain_is_not_offered_and_no_auth_without_a_user() {
        let mut c = client(Tls::Implicit, true, &["a@example.org"]);
        c.receive(&reply(220, &["mx"]));
        assert_eq!(sent(c.receive(&reply(250, &["mx", "AUTH=LOGIN"]))), "AUTH LOGIN dQ==\r\n");
        assert_eq!(sent(c.receive(&reply(334, &["UGFzc3dvcmQ6"]))), "cA==\r\n");
        assert_eq!(sent(c.receive(&reply(235, &["ok"]))), "MAIL FROM:<eb@example.com>\r\n");
        let mut anonymous = client(Tls::None, false, &["a@example.org"]);
        anonymous.receive(&reply(220, &["mx"]));
        assert_eq!(sent(anonymous.receive(&reply(250, &["mx"]))), "MAIL FROM:<eb@example.com>\r\n");
    }

    #[test]
    fn refused_recipients_make_a_permanent_refusal_only_when_all_are_refused() {
        let mut c = client(Tls::None, false, &["gone@example.org", "ops@example.org"]);
        c.receive(&reply(220, &["mx"]));
        c.receive(&reply(250, &["mx"]));
        c.receive(&reply(250, &["ok"]));
        assert_eq!(sent(c.receive(&reply(550, &["5.1.1 no such user"]))), "RCPT TO:<ops@example.org>\r\n");
        assert_eq!(sent(c.receive(&reply(250, &["ok"]))), "DATA\r\n");
        c.receive(&reply(354, &["go"]));
        c.receive(&reply(250, &["queued"]));
        match c.closed() {
            Outcome::Sent { refused, .. } => assert_eq!(refused.len(), 1),
            other => panic!("{other:?}"),
        }
        let mut all = client(Tls::None, false, &["gone@example.org"]);
        all.receive(&reply(220, &["mx"]));
        all.receive(&reply(250, &["mx"]));
        all.receive(&reply(250, &["ok"]));
        assert_eq!(sent(all.receive(&reply(550, &["5.1.1 no such user"]))), "QUIT\r\n");
        assert!(matches!(all.closed(), Outcome::Refused(r) if r.contains("gone@example.org")));
    }

    #[test]
    fn temporary_and_permanent_failures_are_told_apart() {
        let mut busy = client(Tls::None, false, &["a@example.org"]);
        busy.receive(&reply(220, &["mx"]));
        busy.receive(&reply(250, &["mx"]));
        busy.receive(&reply(250, &["ok"]));
        assert_eq!(sent(busy.receive(&reply(451, &["try later"]))), "QUIT\r\n");
        assert!(matches!(busy.closed(), Outcome::Failed(_)));
        let mut spam = client(Tls::None, false, &["a@example.org"]);
        for r in
            [reply(220, &["mx"]), reply(250, &["mx"]), reply(250, &["ok"]), reply(250, &["ok"]), reply(354, &["go"])]
        {
            spam.receive(&r);
        }
        spam.receive(&reply(554, &["rejected as spam"]));
        assert!(matches!(spam.closed(), Outcome::Rejected(r) if r.contains("554")));
        let mut no_tls = client(Tls::StartTls, false, &["a@example.org"]);
        no_tls.receive(&reply(220, &["mx"]));
        no_tls.receive(&reply(250, &["mx", "AUTH PLAIN"]));
        assert!(matches!(no_tls.closed(), Outcome::Failed(r) if r.contains("STARTTLS")));
        let mut bad_login = client(Tls::None, true, &["a@example.org"]);
        bad_login.receive(&reply(220, &["mx"]));
        bad_login.receive(&reply(250, &["mx", "AUTH PLAIN"]));
        bad_login.receive(&reply(535, &["5.7.8 bad credentials"]));
        assert!(
            matches!(bad_login.closed(), Outcome::Failed(r) if r.contains("login")),
            "the operator's to fix; retried"
        );
        let mut dropped = client(Tls::None, false, &["a@example.org"]);
        dropped.receive(&reply(220, &["mx"]));
        assert!(matches!(dropped.closed(), Outcome::Failed(r) if r.contains("closed")));
    }

    #[test]
    fn addresses_that_could_inject_commands_are_never_sent() {
        let mut c = client(Tls::None, false, &["a@example.org>\r\nRCPT TO:<b@example.org"]);
        c.receive(&reply(220, &["mx"]));
        assert_eq!(sent(c.receive(&reply(250, &["mx"]))), "QUIT\r\n");
        assert!(matches!(c.closed(), Outcome::Rejected(_)));
    }

    #[test]
    fn dot_stuffing_and_line_ends() {
        assert_eq!(dot_stuffed(b"a\n.b\r\n..c"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(dot_stuffed(b".\r\n"), b"..\r\n.\r\n");
    }
}
