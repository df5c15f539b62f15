//! The ping endpoint: `/ping/<uuid>[/signal]` and `/ping/<ping_key>/<slug>[/signal]`.
//!
//! Database round trips per ping: 1 when this isolate knows the check (the
//! ping cache), last saw it up and idle, and the ping announces nothing:
//! one plan, conditional on exactly that, writes the ping into its ring
//! slot and the state. Otherwise 2: read the check, then one plan
//! conditional on the state it read (a plan that announces something also
//! reads the project's maintenance windows first). A plan whose conditions
//! failed (the check changed in between) is decided again from a fresh
//! read (`write::decide_and_apply`). Nothing is read back after a write
//! that applied: the state written is known. A `?create=1` ping that
//! creates its check does so in the plan that records the ping. A ping
//! that notifies anyone leaves the delivery for after the answer. The
//! number never depends on how many checks or pings exist.

use super::ping_cache;
use super::write::{decide_and_apply, WriteError};
use super::{After, App, Body, Handled, Platform, Request};
use crate::domain::check::Tags;
use crate::domain::check::{is_valid_slug, Check, CheckConfig, CheckState};
use crate::domain::decide::{
    create_plan, ping_announces, ping_effect, ping_plan, ping_weighs_windows, Audience, Collisions, NewKeys, Subject,
};
use crate::domain::ids::{key_hash, random_token, IdError, Uuid};
use crate::domain::mail::inbound::{classify as email_kind, Inbound};
use crate::domain::maintenance::{OpenWindows, Window};
use crate::domain::ping::{
    accepted_reply, classify, event_time, exit_status, parse_ping_path, parse_ping_query, rejected_reply, PingError,
    PingRules, PingTarget, UrlSignal,
};
use crate::domain::ping_cache::PingTemplate;
use crate::domain::plan::{Expect, Expected, NewPing, Owner, RoutingGuard, StateWrite};
use crate::domain::reply::Reply;
use crate::domain::routing::Routes;
use crate::domain::shard::{mark_key, shard_of_key, uuid_on};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};

/// User agents are kept to 200 characters, as healthchecks does.
const MAX_UA: usize = 200;
/// The largest ping request read (its body beyond `PING_BODY_LIMIT` is read
/// and dropped); larger ones get 413.
pub const MAX_PING_REQUEST_BYTES: usize = 20_000_000;
/// A `?create=1` that found the project's channels changed under it tries
/// again this many times.
const CREATE_ATTEMPTS: usize = 5;

/// Why a ping could not be recorded although nothing was wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum Unrecorded {
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("no random numbers: {0}")]
    Randomness(#[from] IdError),
    #[error("the check kept changing; gave up after the retry budget")]
    Contended,
}

impl Unrecorded {
    /// 503, so that clients (and `curl --retry`) try again.
    pub fn reply(&self) -> Reply {
        let message = match self {
            Unrecorded::Storage(_) => "storage unavailable",
            Unrecorded::Randomness(_) => "temporarily unavailable",
            Unrecorded::Contended => "busy, try again",
        };
        Reply::text(503, message).with_header("Retry-After", "1")
    }
}

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, rest: &str, req: &Request) -> Handled {
    let url = match parse_ping_path(rest) {
        Ok(url) => url,
        Err(err) => return rejected_reply(&err).into(),
    };
    let query = match parse_ping_query(&req.query) {
        Ok(query) => query,
        Err(err) => return rejected_reply(&err).into(),
    };
    let event_at = match event_time(query.ts, app.platform.now()) {
        Ok(event_at) => event_at,
        Err(err) => return rejected_reply(&err).into(),
    };
    let body = match &req.body {
        // Kept up to PING_BODY_LIMIT, whatever the reader kept.
        Body::Read { kept, .. } => kept[..kept.len().min(app.settings.ping_body_limit)].to_vec(),
        Body::TooLarge => return rejected_reply(&PingError::TooLarge(MAX_PING_REQUEST_BYTES)).into(),
        Body::Truncated => return rejected_reply(&PingError::IncompleteBody).into(),
    };
    let ping = Ping {
        signal: url.signal,
        rid: query.rid,
        event_at,
        method: req.method_name.clone(),
        scheme: req.scheme.clone(),
        ua: req.header("user-agent").unwrap_or_default().chars().take(MAX_UA).collect(),
        remote_addr: req.header("cf-connecting-ip").map(str::to_owned),
        body,
        email: None,
    };
    let (shard, outcome) = match &url.target {
        PingTarget::Check(uuid) => {
            let Some((shard, store)) = app.shards.for_uuid(uuid) else {
                return rejected_reply(&PingError::NotFound).into();
            };
            (shard, Recorder { app, store, ping: &ping }.by_uuid(uuid).await)
        }
        PingTarget::Slug { ping_key, slug } => {
            let Some((shard, store)) = app.shards.for_key(ping_key) else {
                return rejected_reply(&PingError::NotFound).into();
            };
            let create = query.create.then(|| CheckConfig::named_after_slug(slug));
            (shard, Recorder { app, store, ping: &ping }.by_slug(ping_key, slug, create.as_ref()).await)
        }
    };
    match outcome {
        Ok(Ok(recorded)) => {
            let mut reply = accepted_reply(recorded.created, app.settings.ping_body_limit);
            if recorded.already_reported {
                // Answered as healthchecks would; this says nothing was recorded.
                reply = reply.with_header("Edgebeat-Already-Reported", "1");
            }
            Handled { reply, after: recorded.notified.then_some(After::Deliver { shard }).into_iter().collect() }
        }
        Ok(Err(rejection)) => rejected_reply(&rejection).into(),
        Err(failure) => {
            // Contention is not a fault: nothing is broken, a burst is ridden out.
            let level = if matches!(failure, Unrecorded::Contended) { super::Level::Warn } else { super::Level::Error };
            app.platform.log(level, &format!("ping: {failure}"));
            failure.reply().into()
        }
    }
}

/// A ping as received.
#[derive(Clone, Debug)]
pub struct Ping {
    pub signal: UrlSignal,
    pub rid: Option<Uuid>,
    /// When the event happened, as its reporter said (`?ts=`, within its
    /// bounds); `None`: when it arrived.
    pub event_at: Option<Timestamp>,
    pub method: String,
    pub scheme: String,
    pub ua: String,
    pub remote_addr: Option<String>,
    pub body: Vec<u8>,
    /// An email ping's message: its subject and text decide what it means
    /// (by the check's filters), not the URL.
    pub email: Option<Inbound>,
}

/// Whether a check reads an email ping's subject and body (healthchecks'
/// `filter_subject`, `filter_body`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmailFilters {
    pub subject: bool,
    pub body: bool,
}

impl EmailFilters {
    pub fn of(config: &CheckConfig) -> EmailFilters {
        EmailFilters { subject: config.filter_subject, body: config.filter_body }
    }
}

impl Ping {
    /// The ping's record, decided at `now` (an email ping by the check's
    /// filters).
    fn record(&self, rules: &PingRules, filters: EmailFilters, now: Timestamp, history: i64) -> NewPing {
        let kind = match &self.email {
            Some(message) => email_kind(message, filters.subject, filters.body, rules),
            None => classify(self.signal, &self.method, &self.body, rules),
        };
        NewPing {
            kind,
            at: self.event_at.unwrap_or(now),
            arrived: self.event_at.map(|_| now),
            scheme: self.scheme.clone(),
            method: self.method.clone(),
            ua: self.ua.clone(),
            remote_addr: self.remote_addr.clone(),
            exit_status: exit_status(self.signal),
            rid: self.rid,
            body: self.body.clone(),
            history,
        }
    }
}

/// A ping that was recorded, or acknowledged as a run's start or end
/// recorded before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// It created its check.
    pub created: bool,
    /// It queued notifications.
    pub notified: bool,
    /// It reported a run's start or end the check already had: nothing was
    /// recorded.
    pub already_reported: bool,
}

impl Recorded {
    fn written(notified: bool) -> Recorded {
        Recorded { created: false, notified, already_reported: false }
    }

    const ALREADY_REPORTED: Recorded = Recorded { created: false, notified: false, already_reported: true };
}

/// `Ok(Ok(_))`: recorded; `Ok(Err(_))`: refused; `Err(_)`: could not.
pub type Outcome = Result<Result<Recorded, PingError>, Unrecorded>;

/// Records one ping in one database; also the Alertmanager receiver's way
/// of recording its heartbeats.
pub struct Recorder<'a, S: Store, P: Platform> {
    pub app: &'a App<'a, S, P>,
    pub store: &'a S,
    pub ping: &'a Ping,
}

impl<S: Store, P: Platform> Recorder<'_, S, P> {
    pub async fn by_uuid(&self, uuid: &Uuid) -> Outcome {
        // The cached template has no email filters: an email ping reads the check.
        if let Some(template) = ping_cache::get(uuid).filter(|t| t.idle_up && self.ping.email.is_none()) {
            if let Some(recorded) = self.as_idle_up(&template).await? {
                return Ok(Ok(recorded));
            }
        }
        match self.store.check_by_uuid(uuid).await? {
            Some(check) => self.record(check).await,
            None => {
                ping_cache::forget(uuid);
                Ok(Err(PingError::NotFound))
            }
        }
    }

    /// Records the ping for the check with this slug in the project with
    /// this ping key; `create` is the check to create when there is none
    /// (`?create=1`, or the Alertmanager receiver's first sight of an alert).
    pub async fn by_slug(&self, ping_key: &str, slug: &str, create: Option<&CheckConfig>) -> Outcome {
        let hash = key_hash(ping_key);
        let mut found = self.store.checks_by_slug(&hash, slug).await?;
        if let (true, Some(config)) = (found.is_empty(), create) {
            if !is_valid_slug(&config.slug) || config.slug != slug {
                return Ok(Err(PingError::InvalidSlug));
            }
            if let Some(recorded) = self.create(ping_key, &hash, config).await? {
                return Ok(Ok(recorded));
            }
            // Lost a race with a concurrent create, or at the limit.
            found = self.store.checks_by_slug(&hash, slug).await?;
            if found.is_empty() {
                let at_limit = self.store.project_of_ping_key(&hash).await?.is_some();
                return Ok(Err(if at_limit {
                    PingError::CheckLimit(self.app.settings.max_checks_per_project)
                } else {
                    PingError::NotFound
                }));
            }
        }
        match found.len() {
            0 => Ok(Err(PingError::NotFound)),
            1 => self.record(found.remove(0)).await,
            _ => Ok(Err(PingError::AmbiguousSlug)),
        }
    }

    /// One round trip, assuming the cached configuration and an up, idle
    /// check. `None` when this ping needs the stored state (a start, or a
    /// ping that announces something), or the check was not as assumed.
    async fn as_idle_up(&self, template: &PingTemplate) -> Result<Option<Recorded>, Unrecorded> {
        let at = self.app.platform.now();
        let record =
            self.ping.record(&template.ping_rules, EmailFilters::default(), at, self.app.settings.ping_history);
        // A relayed event's effect depends on the check's own times.
        if record.kind == crate::domain::check::PingKind::Start || record.arrived.is_some() {
            return Ok(None);
        }
        let defaults = self.app.default_channels();
        let audience = Audience { routes: &template.routes, defaults: &defaults, windows: None };
        let idle_up = CheckState::idle_up();
        let tags = Tags::parse(&template.tags);
        let subject = Subject {
            id: template.id,
            uuid: &template.uuid,
            tags: &tags,
            monitoring: &template.monitoring,
            state: &idle_up,
            changed_at: None,
        };
        let effect = template.monitoring.ping(&idle_up, record.kind, record.exit_status, record.rid, at);
        if ping_announces(&effect, &audience) {
            return Ok(None);
        }
        let expect = Expect::Row(Expected::idle_up(template.uuid, template.config_version));
        let (plan, effect) = ping_plan(subject, record, expect, &audience, &random_token(24)?);
        let applied = self.store.apply(&plan).await?;
        if applied.already_reported {
            return Ok(Some(Recorded::ALREADY_REPORTED));
        }
        if !applied.applied {
            return Ok(None);
        }
        // The configuration was as cached; the state is the one written.
        if !effect.state.is_idle_up() {
            ping_cache::remember(PingTemplate { idle_up: false, ..template.clone() });
        }
        Ok(Some(Recorded::written(plan.notifies())))
    }

    /// Reads, decides, writes conditionally; decides again when the check
    /// changed in between. The project's maintenance windows are read (once)
    /// only when the ping would announce something, and only those that
    /// select the check are evaluated, at the ping's own time.
    async fn record(&self, check: Check) -> Outcome {
        let app = self.app;
        let defaults = app.default_channels();
        let mut windows: Option<Vec<Window>> = None;
        let written = decide_and_apply(self.store, app.platform, check, "ping-before-write", async |check: &Check| {
            let now = app.platform.now();
            let filters = EmailFilters::of(&check.config);
            let record = self.ping.record(&check.config.ping_rules, filters, now, app.settings.ping_history);
            // A start's deadline depends on the last ping, and so does what
            // a relayed event does; nothing else reads it.
            let reads_last_ping = record.kind == crate::domain::check::PingKind::Start || record.arrived.is_some();
            let expect = Expect::Row(Expected::of(check, reads_last_ping));
            let mut audience = Audience { routes: &check.routes, defaults: &defaults, windows: None };
            let effect = ping_effect(&Subject::of(check), &record);
            // Windows weigh the event at its own time.
            let at = record.at;
            let open;
            if ping_weighs_windows(&effect, &audience, at) {
                if windows.is_none() {
                    windows = Some(self.readable_windows(&check.project_id).await?);
                }
                let all = windows.as_deref().unwrap_or_default();
                open = OpenWindows::at(selecting(all, &check.uuid, &check.config.tags), at);
                audience.windows = Some(&open);
            }
            let (plan, effect) = ping_plan(Subject::of(check), record, expect, &audience, &random_token(24)?);
            Ok::<_, Unrecorded>((plan, effect))
        })
        .await;
        match written {
            Ok(written) if written.applied.already_reported => Ok(Ok(Recorded::ALREADY_REPORTED)),
            Ok(written) => {
                ping_cache::remember(PingTemplate::written(&written.read, &written.decided.state));
                Ok(Ok(Recorded::written(written.plan.notifies())))
            }
            Err(WriteError::Refused(failure)) => Err(failure),
            Err(WriteError::Store(err)) => Err(err.into()),
            Err(WriteError::Gone) => Ok(Err(PingError::NotFound)),
            Err(WriteError::Contended) => Err(Unrecorded::Contended),
        }
    }

    /// Creates the check a ping names (`config`) together with the ping's
    /// record, linked to every channel of the project; `None` when no check
    /// was created (a concurrent create won, or the project is at its limit).
    async fn create(&self, ping_key: &str, hash: &str, config: &CheckConfig) -> Result<Option<Recorded>, Unrecorded> {
        let Some(project_id) = self.store.project_of_ping_key(hash).await? else {
            return Ok(None);
        };
        for _ in 0..CREATE_ATTEMPTS {
            let version = self.store.routing_version(&project_id).await?;
            if let Some(recorded) = self.create_once(ping_key, hash, config, &project_id, version).await? {
                return Ok(Some(recorded));
            }
            // Not created: a concurrent create won, or the project is at its
            // limit; unless its channels changed meanwhile: then decide again.
            if self.store.routing_version(&project_id).await? == version {
                return Ok(None);
            }
        }
        Err(Unrecorded::Contended)
    }

    /// One attempt of `create`, with the project's routing at `version`.
    async fn create_once(
        &self,
        ping_key: &str,
        hash: &str,
        config: &CheckConfig,
        project_id: &str,
        version: i64,
    ) -> Result<Option<Recorded>, Unrecorded> {
        let app = self.app;
        let at = app.platform.now();
        let shard = shard_of_key(ping_key);
        let uuid = uuid_on(shard)?;
        let keys = NewKeys { uuid, badge_key: mark_key(random_token(32)?, shard) };
        // The project's channels: a check made by a ping notifies all of them.
        let routes = Routes::to_channels(&self.store.channels(project_id).await?);
        let mut plan = create_plan(
            keys,
            Owner::PingKey(hash.to_owned()),
            config.clone(),
            routes.clone(),
            at,
            app.settings.max_checks_per_project,
            Collisions { slug: true, unique: Vec::new() },
        );
        let defaults = app.default_channels();
        let new_state = config.monitoring.created(at);
        let subject = Subject {
            id: 0,
            uuid: &uuid,
            tags: &config.tags,
            monitoring: &config.monitoring,
            state: &new_state,
            changed_at: Some(at),
        };
        let record = self.ping.record(&config.ping_rules, EmailFilters::of(config), at, app.settings.ping_history);
        let mut audience = Audience { routes: &routes, defaults: &defaults, windows: None };
        let effect = ping_effect(&subject, &record);
        let event_at = record.at;
        let open;
        if ping_weighs_windows(&effect, &audience, event_at) {
            let windows = self.readable_windows(project_id).await?;
            open = OpenWindows::at(selecting(&windows, &uuid, &config.tags), event_at);
            audience.windows = Some(&open);
        }
        let (ping_part, _) = ping_plan(subject, record, Expect::Nothing, &audience, &random_token(24)?);
        plan.ping = ping_part.ping;
        plan.run_report = ping_part.run_report;
        // The check entered `new` now, whatever its first ping does to it.
        let first_state =
            ping_part.state.map(|write| StateWrite { changed_at: write.changed_at.or(Some(at)), ..write });
        plan.state = first_state.or(plan.state);
        plan.flip = ping_part.flip;
        plan.events = ping_part.events;
        plan.routing = Some(RoutingGuard { project_id: project_id.to_owned(), version });
        let applied = self.store.apply(&plan).await?;
        if !applied.applied {
            return Ok(None);
        }
        if let Some(check) = self.store.check_by_uuid(&uuid).await? {
            ping_cache::remember(PingTemplate::of(&check));
        }
        Ok(Some(Recorded { created: true, notified: plan.notifies(), already_reported: false }))
    }

    /// The project's windows that can be read; a row that cannot is logged
    /// and left out (it holds nothing).
    async fn readable_windows(&self, project_id: &str) -> Result<Vec<Window>, StoreError> {
        let (windows, problems) = self.store.windows(project_id).await?;
        for problem in problems {
            self.app.platform.log(super::Level::Warn, &format!("ping: skipping {problem}"));
        }
        Ok(windows)
    }
}

/// The windows that select the check `uuid` with `tags`: only those are
/// evaluated for its ping.
fn selecting<'a>(windows: &'a [Window], uuid: &'a Uuid, tags: &'a Tags) -> impl Iterator<Item = Window> + 'a {
    windows.iter().filter(move |w| w.selects(uuid, tags)).cloned()
}
