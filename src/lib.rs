//! edgebeat: heartbeat ("dead man's switch") monitoring as a Cloudflare Worker.
//!
//! `domain` is the pure core (the `edgebeat-core` crate, shared with the CLI):
//! it never touches the Workers runtime and takes the current time as an
//! argument. `adapter` is the thin glue to D1, outgoing fetch and the event
//! handlers; it only exists in the wasm build.

pub use edgebeat_core as domain;

pub mod app;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod adapter;

/// The D1 store's SQL as text and arguments (`adapter::d1` runs it): built
/// natively too, so that the tests run the very same statements on SQLite.
#[path = "adapter/d1/sql/mod.rs"]
pub mod d1_sql;
