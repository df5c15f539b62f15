//! The application: every request handler, the sweep and the delivery of
//! alerts, written once over the storage traits (`crate::store`) and the
//! platform (`Platform`: the clock, outgoing HTTP, logs). The Worker runs it
//! on D1 and Workers' fetch (`crate::adapter`); the native tests run it on
//! the in-memory store and a recording platform, so its logic (races,
//! sweeps, fairness, windows, snoozes, conditional updates) is tested in
//! seconds. Decisions stay in `crate::domain`: this layer reads, asks the
//! domain, and hands the plan to storage.
#![allow(async_fn_in_trait)]

pub mod access;
mod alertmanager;
pub mod api;
mod badges;
pub mod cache;
#[cfg(test)]
mod channel_tests;
pub mod deliver;
pub mod email;
mod failure;
mod health;
mod metrics;
#[cfg(test)]
mod people_tests;
pub mod ping;
pub mod ping_cache;
pub mod platform;
pub mod request;
pub mod rescue;
pub mod router;
pub mod shards;
mod snooze;
pub mod status_pages;
#[cfg(test)]
mod status_tests;
pub mod sweep;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod write;

pub use failure::Failure;
pub use platform::{CacheHit, CachedAnswer, Level, Platform};
pub use request::{After, Body, Handled, Request};
pub use shards::Shards;

use crate::domain::settings::Settings;
use crate::store::Store;

/// What every handler works with: the databases, the settings and the
/// platform, borrowed for one request or one scheduled run.
pub struct App<'a, S: Store, P: Platform> {
    pub shards: &'a Shards<S>,
    pub settings: &'a Settings,
    pub platform: &'a P,
}

impl<'a, S: Store, P: Platform> App<'a, S, P> {
    pub fn new(shards: &'a Shards<S>, settings: &'a Settings, platform: &'a P) -> Self {
        App { shards, settings, platform }
    }

    /// The default channels kept from secrets.
    pub fn default_channels(&self) -> Vec<crate::domain::channel::Channel> {
        self.settings.default_channels()
    }
}
