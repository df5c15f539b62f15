//! Shared end-to-end test support: every e2e test talks to the real Worker
//! over HTTP; nothing of edgebeat's own code is called or mocked.
#![allow(dead_code)]

pub mod http;
pub mod receiver;
pub mod worker;

pub use receiver::{Answer, Receiver};
pub use worker::{now_ms, Worker, ADMIN_TOKEN};
