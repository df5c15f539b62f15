//! D1 access, split by table or aggregate: `checks` (the check rows and
//! every write of their state), `due` (the sweep's reads and writes of
//! them), `pings`, `flips`, `outbox` (notifications), `channels`,
//! `maintenance` (windows), `projects` (and keys, badges) and `sweeps`.
//!
//! Concurrency rule: a write whose correctness depends on what it read is
//! conditional in SQL on what it read (`checks::Expected`), so D1's
//! one-batch-at-a-time execution settles races, not the Worker. SQL never
//! decides: every status change, deadline and notification it writes was
//! decided by `crate::domain`.
//!
//! Every statement runs through `Store::batch` or `Store::rows`, which check
//! each result for errors and add D1's own row counts (`meta.rows_read`,
//! `meta.rows_written`) to the request's usage.

mod channels;
mod checks;
mod due;
mod flips;
mod maintenance;
mod outbox;
mod pings;
mod projects;
mod sweeps;

pub use channels::Saved;
pub use checks::{CheckKey, Expected};
pub use due::{DueCheck, SweepWrite};
pub use outbox::{DeliveryRow, DeliveryWrite};
pub use pings::{PingRow, PingWrite, RecordedPing};
pub use projects::NewProject;
pub use sweeps::SweepOutcome;

use crate::domain::time::Timestamp;
use serde::Deserialize;
use std::cell::Cell;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the D1 binding DB is not configured: {0}")]
    Binding(String),
    #[error("D1 query failed: {0}")]
    Query(String),
    #[error("stored row is unreadable: {0}")]
    Corrupt(String),
}

fn query_error(err: worker::Error) -> StoreError {
    StoreError::Query(err.to_string())
}

/// Rows D1 read and wrote for this request (index entries count as rows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub rows_read: i64,
    pub rows_written: i64,
}

/// D1 rejects BigInt binds, so integers cross as f64 (exact below 2^53).
fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn time(value: Timestamp) -> JsValue {
    int(value.millis())
}

fn opt_time(value: Option<Timestamp>) -> JsValue {
    value.map_or(JsValue::NULL, time)
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn opt_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

fn flag(value: bool) -> JsValue {
    int(i64::from(value))
}

fn blob(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

/// Rows a statement of a batch changed.
fn changes(result: Option<&D1Result>) -> i64 {
    result.and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) as i64
}

/// The rows of a result, typed.
fn typed<T: for<'de> Deserialize<'de>>(result: &D1Result) -> Result<Vec<T>, StoreError> {
    result.results::<T>().map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub struct Store {
    db: D1Database,
    usage: Cell<Usage>,
}

impl Store {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        let db = env.d1("DB").map_err(|e| StoreError::Binding(e.to_string()))?;
        Ok(Store { db, usage: Cell::new(Usage::default()) })
    }

    /// What this store's statements have cost so far.
    pub fn usage(&self) -> Usage {
        self.usage.get()
    }

    fn account(&self, result: &D1Result) {
        if let Ok(Some(meta)) = result.meta() {
            let mut usage = self.usage.get();
            usage.rows_read += meta.rows_read.unwrap_or(0) as i64;
            usage.rows_written += meta.rows_written.unwrap_or(0) as i64;
            self.usage.set(usage);
        }
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        self.db.prepare(sql).bind(args).map_err(query_error)
    }

    /// Runs statements as one batch (one round trip, one transaction):
    /// every result is checked for an error and counted.
    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>, StoreError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.db.batch(statements).await.map_err(query_error)?;
        for result in &results {
            self.account(result);
            if let Some(error) = result.error() {
                return Err(StoreError::Query(error));
            }
        }
        Ok(results)
    }

    /// One statement's result, checked and counted.
    async fn run(&self, sql: &str, args: &[JsValue]) -> Result<D1Result, StoreError> {
        let result = self.statement(sql, args)?.all().await.map_err(query_error)?;
        self.account(&result);
        if let Some(error) = result.error() {
            return Err(StoreError::Query(error));
        }
        Ok(result)
    }

    async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>, StoreError> {
        typed(&self.run(sql, args).await?)
    }

    async fn row<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Option<T>, StoreError> {
        Ok(self.rows(sql, args).await?.into_iter().next())
    }

    /// Answers a single `SELECT count(*) AS n`.
    async fn count(&self, sql: &str, args: &[JsValue]) -> Result<i64, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        Ok(self.row::<Row>(sql, args).await?.map_or(0, |r| r.n))
    }
}
