//! The check: edgebeat's central entity. Its configuration (parsed once),
//! its state, and every rule about it live here; the API only translates
//! requests into configurations and checks into answers, and the store only
//! carries out what these rules decide.

mod ascii_fold;
mod config;
mod machine;
mod slug;
mod state;
mod tags;

pub use config::{
    is_valid_slug, AlertPolicy, CheckConfig, ConfigError, Monitoring, Schedule, DEFAULT_GRACE, DEFAULT_TIMEOUT,
    MAX_NAME, MAX_PERIOD, MAX_SLUG, MAX_THRESHOLD, MIN_MAX_RUNTIME, MIN_MIN_RUNTIME, MIN_PERIOD, MIN_REMINDER_INTERVAL,
};
pub use machine::{Flip, HeldStep, NotPaused, PingEffect, SweepStep, SweepVerdict, Transition};
pub use slug::slugify;
pub use state::{CheckState, Event, EventKind, EventSet, FlipReason, PingKind, ShownStatus, Status};
pub use tags::{is_sync_marker, Tags, SYNC_MARKER_PREFIX};

use crate::ids::Uuid;
use crate::routing::Routes;
use crate::time::Timestamp;

/// A stored check.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The internal row id (never shown).
    pub id: i64,
    pub uuid: Uuid,
    pub project_id: String,
    pub config: CheckConfig,
    pub state: CheckState,
    pub n_pings: i64,
    /// The unguessable key of the check's badge URLs.
    pub badge_key: String,
    /// Bumped by every configuration change (never shown): writes that
    /// relied on a configuration are conditional on its version.
    pub config_version: i64,
    /// The channels linked to it and what each listens for.
    pub routes: Routes,
    pub created_at: Timestamp,
    /// When its status last changed (a flip), if it ever did.
    pub status_changed_at: Option<Timestamp>,
}

impl Check {
    pub fn monitoring(&self) -> &Monitoring {
        &self.config.monitoring
    }

    /// The status shown at `now`.
    pub fn status_at(&self, now: Timestamp) -> ShownStatus {
        self.config.monitoring.status_at(&self.state, now)
    }

    /// Since when a new check that expects its first ping has waited for
    /// it in vain, and whether that is since its creation (else since it
    /// was resumed): what "never ran since it was created at ..." says.
    /// `None` for any other check.
    pub fn never_ran_since(&self) -> Option<(Timestamp, bool)> {
        let monitoring = &self.config.monitoring;
        let state = &self.state;
        let waiting = monitoring.expect_first_ping && state.last_ping.is_none();
        let since = state.waiting_since.filter(|_| waiting && matches!(state.status, Status::New | Status::Down))?;
        Some((since, since == self.created_at))
    }

    /// The name people know the check by, as its public badge shows it:
    /// its name, else its slug, never its UUID (a ping credential).
    pub fn label(&self) -> String {
        match (self.config.name.as_str(), self.config.slug.as_str()) {
            ("", "") => "unnamed check".to_owned(),
            ("", slug) => slug.to_owned(),
            (name, _) => name.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_is_labelled_by_name_or_slug_never_by_its_uuid() {
        let mut check = Check {
            id: 1,
            uuid: Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap(),
            project_id: "p".into(),
            config: CheckConfig::default(),
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: String::new(),
            config_version: 0,
            routes: Routes::default(),
            created_at: Timestamp::from_secs(0),
            status_changed_at: None,
        };
        assert_eq!(check.label(), "unnamed check");
        check.config.slug = "nightly".into();
        assert_eq!(check.label(), "nightly");
        check.config.name = "Nightly backup".into();
        assert_eq!(check.label(), "Nightly backup");
    }
}
