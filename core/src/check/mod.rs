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
pub use machine::{Flip, NotPaused, PingEffect, SweepStep, SweepVerdict, Transition};
pub use slug::slugify;
pub use state::{CheckState, Event, EventKind, EventSet, FlipReason, PingKind, ShownStatus, Status};
pub use tags::Tags;

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
}

impl Check {
    pub fn monitoring(&self) -> &Monitoring {
        &self.config.monitoring
    }

    /// The status shown at `now`.
    pub fn status_at(&self, now: Timestamp) -> ShownStatus {
        self.config.monitoring.status_at(&self.state, now)
    }

    /// The name people know the check by.
    pub fn label(&self) -> String {
        if self.config.name.is_empty() {
            self.uuid.to_string()
        } else {
            self.config.name.clone()
        }
    }
}
