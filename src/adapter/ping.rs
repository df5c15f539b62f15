//! The ping endpoint: `/ping/<uuid>[/signal]` and `/ping/<ping_key>/<slug>[/signal]`.
//!
//! D1 round trips per ping: 1 when this isolate knows the check (the ping
//! cache) and last saw it up and idle: one batch, conditional on exactly
//! that, writes the ping into its ring slot and the state. Otherwise 2: read
//! the check, then one batch conditional on the state it read. A batch whose
//! condition failed (the check changed in between) is followed, after a
//! short jittered wait, by a fresh read and another write, within a time
//! budget (`domain::contention`; concurrent success pings to an idle check
//! never conflict); past it the answer is 503 "busy, try again" with
//! `Retry-After`. Nothing is read back after a write that
//! applied: the state written is known. A `?create=1` ping that creates its
//! check does so in the batch that records the ping. A ping that flips the
//! check delivers its alerts after answering (`wait_until`). The number
//! never depends on how many checks or pings exist.

use super::context::{jitter, now, read_body, Body, Failure, RequestContext};
use super::deliver::deliver_due;
use super::ping_cache;
use super::store::{CheckKey, Expected, PingRow, PingWrite, RecordedPing, Store};
use crate::domain::body::BodyLimits;
use crate::domain::check::{
    is_valid_slug, Check, CheckConfig, CheckState, EventKind, EventSet, Monitoring, PingEffect, PingKind, Tags,
};
use crate::domain::contention::Retries;
use crate::domain::ids::{key_hash, random_token, Uuid};
use crate::domain::maintenance::OpenWindows;
use crate::domain::ping::{
    accepted_reply, classify, exit_status, parse_ping_path, parse_ping_query, rejected_reply, PingError, PingRules,
    PingTarget, UrlSignal,
};
use crate::domain::ping_cache::PingTemplate;
use crate::domain::reply::Reply;
use crate::domain::time::Timestamp;
use std::time::Duration;
use worker::{console_error, console_warn, Delay, Request};

/// User agents are kept to 200 characters, as healthchecks does.
const MAX_UA: usize = 200;
/// The largest ping request read (its body beyond `PING_BODY_LIMIT` is read
/// and dropped); larger ones get 413.
pub const MAX_PING_REQUEST_BYTES: usize = 20_000_000;

fn failed(err: impl Into<Failure>) -> Reply {
    err.into().reply("ping", true)
}

pub async fn handle(rest: &str, ctx: &RequestContext<'_>, req: &mut Request) -> Reply {
    let url = match parse_ping_path(rest) {
        Ok(url) => url,
        Err(err) => return rejected_reply(&err),
    };
    let query = match parse_ping_query(&ctx.incoming.query) {
        Ok(query) => query,
        Err(err) => return rejected_reply(&err),
    };
    let store = match ctx.store() {
        Ok(store) => store,
        Err(err) => return failed(err),
    };
    let body =
        match read_body(req, BodyLimits { keep: ctx.settings.ping_body_limit, accept: MAX_PING_REQUEST_BYTES }).await {
            Body::Read { kept, .. } => kept,
            Body::TooLarge => return rejected_reply(&PingError::TooLarge(MAX_PING_REQUEST_BYTES)),
            Body::Incomplete => return rejected_reply(&PingError::IncompleteBody),
        };
    let incoming = &ctx.incoming;
    let ua: String = incoming.header("User-Agent").unwrap_or_default().chars().take(MAX_UA).collect();
    let remote_addr = incoming.header("CF-Connecting-IP");
    let ping = Ping {
        signal: url.signal,
        rid: query.rid,
        method: &incoming.method_name,
        body: &body,
        row: PingRow {
            scheme: &incoming.scheme,
            method: &incoming.method_name,
            ua: &ua,
            remote_addr: remote_addr.as_deref(),
            exit_status: exit_status(url.signal),
            rid: query.rid,
            body: &body,
        },
    };
    let recorder = Recorder { ctx, store, ping: &ping };
    let outcome = match &url.target {
        PingTarget::Check(uuid) => recorder.by_uuid(uuid).await,
        PingTarget::Slug { ping_key, slug } => {
            let create = query.create.then(|| CheckConfig::named_after_slug(slug));
            recorder.by_slug(ping_key, slug, create.as_ref()).await
        }
    };
    match outcome {
        Ok(Ok(created)) => accepted_reply(created, ctx.settings.ping_body_limit),
        Ok(Err(rejection)) => rejected_reply(&rejection),
        Err(failure) => failed(failure),
    }
}

/// A ping as received.
pub(super) struct Ping<'a> {
    pub signal: UrlSignal,
    pub rid: Option<Uuid>,
    pub method: &'a str,
    pub body: &'a [u8],
    pub row: PingRow<'a>,
}

impl Ping<'_> {
    fn kind(&self, rules: &PingRules) -> PingKind {
        classify(self.signal, self.method, self.body, rules)
    }
}

/// Where the maintenance windows that may hold a ping's check are.
enum WindowsOf<'a> {
    Project(&'a str),
    /// The project with this ping key hash (a check the ping creates).
    PingKey(&'a str),
}

/// The check a ping is about, as maintenance windows and listeners see it.
struct Subject<'a> {
    uuid: &'a Uuid,
    tags: &'a Tags,
    /// What its channels listen for; `None` when not known yet (created in
    /// the same batch): anyone may hear.
    listeners: Option<&'a EventSet>,
    windows: WindowsOf<'a>,
}

/// `Ok(Ok(created))`: recorded; `Ok(Err(_))`: refused; `Err(_)`: could not.
pub(super) type Outcome = Result<Result<bool, PingError>, Failure>;

/// Records one ping; also the Alertmanager receiver's way of recording its
/// heartbeats.
pub(super) struct Recorder<'a> {
    pub ctx: &'a RequestContext<'a>,
    pub store: &'a Store,
    pub ping: &'a Ping<'a>,
}

impl Recorder<'_> {
    async fn by_uuid(&self, uuid: &Uuid) -> Outcome {
        if let Some(template) = ping_cache::get(uuid).filter(|t| t.idle_up) {
            if self.as_idle_up(&template).await? {
                return Ok(Ok(false));
            }
        }
        match self.store.check_by_uuid(uuid).await? {
            Some(check) => self.record(check).await.map(|r| r.map(|()| false)),
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
        let mut created = false;
        if let (true, Some(config)) = (found.is_empty(), create) {
            if !is_valid_slug(&config.slug) || config.slug != slug {
                return Ok(Err(PingError::InvalidSlug));
            }
            match self.create(&hash, config).await? {
                Some(recorded) if recorded.applied => return Ok(Ok(true)),
                Some(recorded) => {
                    created = true;
                    found = recorded.created.into_iter().collect();
                }
                // Lost a race with a concurrent create, or at the limit.
                None => found = self.store.checks_by_slug(&hash, slug).await?,
            }
            if found.is_empty() {
                let at_limit = self.store.has_ping_key(&hash).await?;
                return Ok(Err(if at_limit {
                    PingError::CheckLimit(self.ctx.settings.max_checks_per_project)
                } else {
                    PingError::NotFound
                }));
            }
        }
        match found.len() {
            0 => Ok(Err(PingError::NotFound)),
            1 => {
                let check = found.remove(0);
                self.record(check).await.map(|r| r.map(|()| created))
            }
            _ => Ok(Err(PingError::AmbiguousSlug)),
        }
    }

    /// One round trip, assuming the cached configuration and an up, idle
    /// check. Returns whether the ping was recorded; `false` when this kind
    /// of ping needs the stored state, or the check was not as assumed.
    async fn as_idle_up(&self, template: &PingTemplate) -> Result<bool, Failure> {
        let at = now();
        let kind = self.ping.kind(&template.ping_rules);
        let exit = exit_status(self.ping.signal);
        let Some(effect) = template.monitoring.ping_when_idle_up(kind, exit, self.ping.rid, at) else {
            return Ok(false);
        };
        let tags = Tags::parse(&template.tags);
        let subject = Subject {
            uuid: &template.uuid,
            tags: &tags,
            listeners: Some(&template.listeners),
            windows: WindowsOf::Project(&template.project_id),
        };
        let effect = self.held(effect, &template.monitoring, &subject, at).await?;
        let expected = Expected::idle_up(template.config_version, &template.listeners);
        let recorded = self.write(CheckKey::Id(template.id), expected, &effect, at).await?;
        if recorded.applied {
            // The configuration was as cached; the state is the one written.
            if !effect.state.is_idle_up() {
                ping_cache::remember(PingTemplate { idle_up: false, ..template.clone() });
            }
            self.deliver_after(&recorded);
        }
        Ok(recorded.applied)
    }

    /// Reads, decides, writes conditionally; when the check changed in
    /// between, waits a little (with jitter), reads again and recomputes,
    /// within the contention budget; past it, answers busy.
    async fn record(&self, mut check: Check) -> Result<Result<(), PingError>, Failure> {
        let mut retries = Retries::new(now());
        loop {
            let at = now();
            let monitoring = &check.config.monitoring;
            let kind = self.ping.kind(&check.config.ping_rules);
            let effect = monitoring.ping(&check.state, kind, exit_status(self.ping.signal), self.ping.rid, at);
            let subject = Subject {
                uuid: &check.uuid,
                tags: &check.config.tags,
                listeners: Some(&check.listeners),
                windows: WindowsOf::Project(&check.project_id),
            };
            let effect = self.held(effect, monitoring, &subject, at).await?;
            // A start's deadline depends on the last ping; nothing else reads it.
            let expected = Expected::of(&check, kind == PingKind::Start);
            self.ctx.race_point("ping-before-write").await;
            let recorded = self.write(CheckKey::Id(check.id), expected, &effect, at).await?;
            if recorded.applied {
                ping_cache::remember(PingTemplate::written(&check, &effect.state));
                self.deliver_after(&recorded);
                return Ok(Ok(()));
            }
            match retries.after_lost_write(now(), jitter()) {
                Some(wait) => Delay::from(Duration::from_millis(wait)).await,
                None => return Err(Failure::Busy(retries.lost())),
            }
            match self.store.check_by_uuid(&check.uuid).await? {
                Some(current) => check = current,
                // Deleted between the read and the write: nothing was stored.
                None => {
                    ping_cache::forget(&check.uuid);
                    return Ok(Err(PingError::NotFound));
                }
            }
        }
    }

    /// Creates the check a ping names (`config`) together with the ping's
    /// record; `None` when no check was created.
    async fn create(&self, ping_key_hash: &str, config: &CheckConfig) -> Result<Option<RecordedPing>, Failure> {
        let at = now();
        let uuid = Uuid::random()?;
        let effect = self.effect_on_new(&config.monitoring, &config.ping_rules, at);
        // Its channels are linked in the same batch: whoever may hear of it.
        let subject =
            Subject { uuid: &uuid, tags: &config.tags, listeners: None, windows: WindowsOf::PingKey(ping_key_hash) };
        let effect = self.held(effect, &config.monitoring, &subject, at).await?;
        let flip_id = random_token(24)?;
        let event_id = format!("{flip_id}-e");
        let defaults = self.default_channel_ids();
        let write = PingWrite {
            key: CheckKey::Uuid(uuid),
            expected: Expected::new_check(),
            effect: &effect,
            flip_id: &flip_id,
            event_id: &event_id,
            ping: &self.ping.row,
            history: self.ctx.settings.ping_history,
            default_channels: &defaults,
            now: at,
        };
        let max = self.ctx.settings.max_checks_per_project;
        let (created, recorded) = self.store.create_and_record(&uuid, ping_key_hash, config, max, &write).await?;
        if !created {
            return Ok(None);
        }
        if let Some(check) = &recorded.created {
            ping_cache::remember(PingTemplate::of(check));
        }
        self.deliver_after(&recorded);
        Ok(Some(recorded))
    }

    fn effect_on_new(&self, monitoring: &Monitoring, rules: &PingRules, at: Timestamp) -> PingEffect {
        let kind = self.ping.kind(rules);
        monitoring.ping(&CheckState::new_check(), kind, exit_status(self.ping.signal), self.ping.rid, at)
    }

    /// The effect with its notifications held while a maintenance window
    /// open now selects the check. The windows are read only when the ping
    /// would notify someone, so a plain success ping costs nothing more.
    async fn held(
        &self,
        effect: PingEffect,
        monitoring: &Monitoring,
        subject: &Subject<'_>,
        at: Timestamp,
    ) -> Result<PingEffect, Failure> {
        let defaults = if self.default_channel_ids().is_empty() { EventSet::of(&[]) } else { EventSet::default() };
        let listeners = subject.listeners.map_or_else(|| EventSet::of(&EventKind::ALL), |l| l.union(&defaults));
        if effect.state.muted_at(at) || !effect.would_notify(&listeners) {
            return Ok(effect);
        }
        let (windows, problems) = match subject.windows {
            WindowsOf::Project(project) => self.store.windows(project).await?,
            WindowsOf::PingKey(hash) => self.store.windows_by_ping_key(hash).await?,
        };
        for problem in problems {
            console_warn!("ping: skipping {problem}");
        }
        // Only the windows that select this check are evaluated.
        let selecting = windows.into_iter().map(|(_, w)| w).filter(|w| w.selects(subject.uuid, subject.tags));
        let windows = OpenWindows::at(selecting, at);
        Ok(monitoring.hold_ping(effect, windows.hold(subject.uuid, subject.tags, at), at))
    }

    fn default_channel_ids(&self) -> Vec<String> {
        self.ctx.settings.default_channels().into_iter().map(|c| c.id).collect()
    }

    async fn write(
        &self,
        key: CheckKey,
        expected: Expected,
        effect: &PingEffect,
        at: Timestamp,
    ) -> Result<RecordedPing, Failure> {
        let flip_id = random_token(24)?;
        let event_id = format!("{flip_id}-e");
        let defaults = self.default_channel_ids();
        let write = PingWrite {
            key,
            expected,
            effect,
            flip_id: &flip_id,
            event_id: &event_id,
            ping: &self.ping.row,
            history: self.ctx.settings.ping_history,
            default_channels: &defaults,
            now: at,
        };
        Ok(self.store.record_ping(&write).await?)
    }

    /// Sends the alerts of a flip after answering.
    fn deliver_after(&self, recorded: &RecordedPing) {
        if recorded.notified {
            let (env, settings) = (self.ctx.env.clone(), self.ctx.settings.clone());
            self.ctx.worker.wait_until(async move {
                if let Ok(store) = Store::from_env(&env) {
                    let budget = settings.delivery_budget();
                    if let Err(err) = deliver_due(&store, &settings, now(), budget).await {
                        console_error!("delivering after a ping: {err}");
                    }
                }
            });
        }
    }
}
