//! What an isolate remembers of the checks it recently pinged, so that the
//! next ping to one of them is classified and written in one D1 round trip.
//! Only what that path needs is kept (no names or descriptions; the project
//! and the tags only to weigh maintenance windows when a ping notifies), and
//! the memory it takes is bounded by an estimate of bytes, not by a count:
//! an isolate has 128 MB, and checks differ a lot in size.
//!
//! Only the configuration is trusted, and only at its version: the write
//! that relies on it is conditional on that version, so a stale entry costs
//! a round trip, never a wrong result.

use crate::check::{Check, CheckState, Monitoring, Schedule};
use crate::ids::Uuid;
use crate::ping::PingRules;
use crate::routing::Routes;
use std::collections::HashMap;
use std::mem::size_of;

/// The default budget: a small share of an isolate's 128 MB.
pub const DEFAULT_BUDGET_BYTES: usize = 8 * 1024 * 1024;

/// What the one-round-trip ping path needs of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct PingTemplate {
    pub id: i64,
    pub uuid: Uuid,
    /// Its project and tags: which maintenance windows select it.
    pub project_id: String,
    pub tags: String,
    pub config_version: i64,
    pub monitoring: Monitoring,
    pub ping_rules: PingRules,
    /// Its channels and what each listens for: who hears of a ping's own event.
    pub routes: Routes,
    /// Whether the check was up and idle when this isolate last read or
    /// wrote it: only then is a write that assumes so worth trying (a check
    /// that runs jobs with `/start` is read first instead).
    pub idle_up: bool,
}

impl PingTemplate {
    pub fn of(check: &Check) -> PingTemplate {
        PingTemplate {
            id: check.id,
            uuid: check.uuid,
            project_id: check.project_id.clone(),
            tags: check.config.tags.as_str().to_owned(),
            config_version: check.config_version,
            monitoring: check.config.monitoring.clone(),
            ping_rules: check.config.ping_rules.clone(),
            routes: check.routes.clone(),
            idle_up: check.state.is_idle_up(),
        }
    }

    /// The template of `check` after a write this isolate made left it in
    /// `state` (the write was conditional on `check`'s configuration).
    pub fn written(check: &Check, state: &CheckState) -> PingTemplate {
        PingTemplate { idle_up: state.is_idle_up(), ..PingTemplate::of(check) }
    }

    /// An upper estimate of the heap and inline bytes this entry holds,
    /// with the map's own overhead.
    pub fn estimated_bytes(&self) -> usize {
        let rules = &self.ping_rules;
        let keywords = rules.start_kw.capacity() + rules.success_kw.capacity() + rules.failure_kw.capacity();
        let texts = keywords + self.project_id.capacity() + self.tags.capacity();
        // A parsed cron schedule keeps sorted value sets per field and up to
        // two schedules: a few KB at most.
        let schedule = match &self.monitoring.schedule {
            Schedule::Simple { .. } => 0,
            Schedule::Cron(expr) => 4096 + expr.source().len(),
            // Each parsed line keeps a few small value lists per field.
            Schedule::OnCalendar(expr) => 2048 * (1 + expr.source().matches('\n').count()) + expr.source().len(),
        };
        // Each route: a channel id and at most six one-byte kinds.
        let routes: usize =
            self.routes.links().iter().map(|l| size_of::<crate::routing::Link>() + l.channel.capacity() + 16).sum();
        size_of::<Uuid>() + size_of::<PingTemplate>() + 64 + routes + texts + schedule
    }
}

/// Ping templates by check, within a byte budget.
#[derive(Debug)]
pub struct PingCache {
    entries: HashMap<Uuid, (PingTemplate, usize)>,
    bytes: usize,
    budget: usize,
}

impl PingCache {
    pub fn new(budget: usize) -> PingCache {
        PingCache { entries: HashMap::new(), bytes: 0, budget }
    }

    pub fn get(&self, uuid: &Uuid) -> Option<&PingTemplate> {
        self.entries.get(uuid).map(|(template, _)| template)
    }

    /// Keeps `template`, evicting other entries while over budget. An entry
    /// larger than the whole budget is not kept.
    pub fn remember(&mut self, template: PingTemplate) {
        self.forget(&template.uuid);
        let size = template.estimated_bytes();
        if size > self.budget {
            return;
        }
        while self.bytes + size > self.budget {
            let Some(victim) = self.entries.keys().next().copied() else { break };
            self.forget(&victim);
        }
        self.bytes += size;
        self.entries.insert(template.uuid, (template, size));
    }

    pub fn forget(&mut self, uuid: &Uuid) {
        if let Some((_, size)) = self.entries.remove(uuid) {
            self.bytes -= size;
        }
    }

    /// The estimated bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckConfig, CheckState, Tags};
    use crate::cron::CronExpr;

    fn big_check(n: u128) -> Check {
        let mut config = CheckConfig {
            name: "n".repeat(100),
            desc: "d".repeat(10_000),
            tags: Tags::parse(&"tag ".repeat(100)),
            ..CheckConfig::default()
        };
        config.monitoring.schedule = Schedule::Cron(CronExpr::parse("*/5 1-20 * * 1-5").unwrap());
        config.ping_rules.success_kw = "k".repeat(200);
        config.ping_rules.failure_kw = "f".repeat(200);
        config.ping_rules.start_kw = "s".repeat(200);
        Check {
            id: n as i64,
            uuid: Uuid::parse(&format!("{:08x}-0000-4000-8000-{:012x}", n >> 48, n & 0xffff_ffff_ffff)).unwrap(),
            project_id: "p".into(),
            config,
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: "b".repeat(32),
            config_version: 0,
            routes: crate::routing::Routes::default(),
            created_at: crate::time::Timestamp::from_secs(0),
            status_changed_at: None,
        }
    }

    #[test]
    fn ten_thousand_full_size_checks_stay_within_the_byte_budget() {
        let budget = 1024 * 1024;
        let mut cache = PingCache::new(budget);
        for n in 0..10_000 {
            cache.remember(PingTemplate::of(&big_check(n)));
            assert!(cache.bytes() <= budget);
        }
        assert!(!cache.is_empty() && cache.len() < 10_000, "older entries were evicted: {}", cache.len());
        let newest = big_check(9_999);
        assert_eq!(cache.get(&newest.uuid), Some(&PingTemplate::of(&newest)), "the newest entry is kept");
    }

    #[test]
    fn a_template_keeps_nothing_the_ping_path_does_not_need() {
        let check = big_check(1);
        let template = PingTemplate::of(&check);
        // The description alone is 10 KB; the template must not carry it.
        assert!(template.estimated_bytes() < 6_000, "{}", template.estimated_bytes());
    }

    #[test]
    fn forgetting_and_replacing_keep_the_count_honest() {
        let mut cache = PingCache::new(DEFAULT_BUDGET_BYTES);
        let template = PingTemplate::of(&big_check(1));
        cache.remember(template.clone());
        cache.remember(template.clone());
        assert_eq!(cache.bytes(), template.estimated_bytes());
        cache.forget(&template.uuid);
        assert_eq!((cache.bytes(), cache.len()), (0, 0));
        let mut tiny = PingCache::new(10);
        tiny.remember(template);
        assert!(tiny.is_empty(), "an entry larger than the budget is not kept");
    }
}
