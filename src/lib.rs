//! edgebeat: heartbeat ("dead man's switch") monitoring as a Cloudflare Worker.
//!
//! `domain` is the pure core: it never touches the Workers runtime and takes the
//! current time as an argument, so all of it is tested natively with `cargo test`.
//! `adapter` is the thin glue to D1, outgoing fetch and the two event handlers;
//! it only exists in the wasm build.

pub mod domain;

#[cfg(target_arch = "wasm32")]
mod adapter;
