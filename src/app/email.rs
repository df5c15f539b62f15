//! Email pings: a message Cloudflare Email Routing hands the Worker, to
//! `<uuid>@<PING_EMAIL_DOMAIN>` or `<ping key>+<slug>@<PING_EMAIL_DOMAIN>`,
//! recorded as a ping of that check (healthchecks' rules, in
//! `crate::domain::mail::inbound`). The adapter rejects what this says to
//! reject, so that the sending server bounces the message.

use super::ping::{Ping, Recorder};
use super::{After, App, Level, Platform};
use crate::domain::mail::inbound::{ping_body, read, recipient, user_agent, Recipient};
use crate::domain::ping::{PingError, UrlSignal};
use crate::store::Store;

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailPing {
    /// Recorded as a ping; the work to do after (delivering what it queued).
    Recorded(Vec<After>),
    /// Not a ping address, or no such check: refuse it for good.
    Rejected(String),
    /// It could not be recorded now (storage): the sender should try again.
    Unavailable(String),
}

/// Records the message `raw` from `from` to `to` as a ping.
pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, from: &str, to: &str, raw: &[u8]) -> EmailPing {
    let Some(domain) = &app.settings.ping_email_domain else {
        return EmailPing::Rejected("this edgebeat takes no email pings (PING_EMAIL_DOMAIN is not set)".into());
    };
    let Some(target) = recipient(to, domain) else {
        return EmailPing::Rejected(format!("{to} is not a check's ping address"));
    };
    let message = read(raw);
    let ping = Ping {
        signal: UrlSignal::Success,
        rid: None,
        method: String::new(),
        scheme: "email".into(),
        ua: user_agent(from),
        remote_addr: None,
        body: ping_body(&message, app.settings.ping_body_limit),
        email: Some(message),
        // Mail is a ping when it arrives.
        event_at: None,
    };
    let (shard, outcome) = match &target {
        Recipient::Check(uuid) => {
            let Some((shard, store)) = app.shards.for_uuid(uuid) else {
                return EmailPing::Rejected(format!("no check {uuid}"));
            };
            (shard, Recorder { app, store, ping: &ping }.by_uuid(uuid).await)
        }
        Recipient::Slug { ping_key, slug } => {
            let Some((shard, store)) = app.shards.for_key(ping_key) else {
                return EmailPing::Rejected(format!("no check {slug}"));
            };
            (shard, Recorder { app, store, ping: &ping }.by_slug(ping_key, slug, None).await)
        }
    };
    match outcome {
        Ok(Ok(recorded)) => {
            EmailPing::Recorded(recorded.notified.then_some(After::Deliver { shard }).into_iter().collect())
        }
        Ok(Err(PingError::AmbiguousSlug)) => EmailPing::Rejected(format!("{to}: more than one check has this slug")),
        Ok(Err(_)) => EmailPing::Rejected(format!("{to}: no such check")),
        Err(failure) => {
            app.platform.log(Level::Error, &format!("email ping to {to}: {failure}"));
            EmailPing::Unavailable(failure.to_string())
        }
    }
}
