//! The storage traits (`crate::store`) on D1, one file per aggregate:
//! `checks` (reads, and plans as one batch), `history` (pings and flips),
//! `outbox`, `channels`, `windows`, `projects`, `sweeps`, `members` (and
//! the log of changes), `status_pages`. The statements
//! themselves are built by `crate::d1_sql`, natively testable on SQLite;
//! this module binds and runs them.
//!
//! Every statement runs through `batch` or `run`, which check each result
//! for an error and add D1's own row counts (`meta.rows_read`,
//! `meta.rows_written`) to the store's usage.

mod channels;
mod checks;
mod history;
mod members;
mod outbox;
mod projects;
mod status_pages;
mod sweeps;
mod windows;

use crate::d1_sql::{Arg, Statement};
use crate::store::{Store, StoreError, Usage};
use serde::Deserialize;
use std::cell::Cell;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

/// One D1 database, with what its statements have cost so far.
pub struct D1Store {
    db: D1Database,
    usage: Cell<Usage>,
}

fn query_error(err: worker::Error) -> StoreError {
    StoreError::Query(err.to_string())
}

/// D1 rejects BigInt binds, so integers cross as f64 (exact below 2^53).
fn js(arg: &Arg) -> JsValue {
    match arg {
        Arg::Null => JsValue::NULL,
        Arg::Int(value) => JsValue::from_f64(*value as f64),
        Arg::Text(value) => JsValue::from_str(value),
        Arg::Blob(bytes) => Uint8Array::from(bytes.as_slice()).into(),
    }
}

/// Rows a statement of a batch changed.
fn changes(result: Option<&D1Result>) -> i64 {
    result.and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) as i64
}

/// The rows of a result, typed.
fn typed<T: for<'de> Deserialize<'de>>(result: &D1Result) -> Result<Vec<T>, StoreError> {
    result.results::<T>().map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl D1Store {
    /// The store of one database binding (the caller chooses which).
    pub fn new(db: D1Database) -> Self {
        D1Store { db, usage: Cell::new(Usage::default()) }
    }

    fn account(&self, result: &D1Result) {
        if let Ok(Some(meta)) = result.meta() {
            let mut usage = self.usage.get();
            usage.rows_read += meta.rows_read.unwrap_or(0) as i64;
            usage.rows_written += meta.rows_written.unwrap_or(0) as i64;
            self.usage.set(usage);
        }
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement, StoreError> {
        let args: Vec<JsValue> = statement.args.iter().map(js).collect();
        self.db.prepare(&statement.sql).bind(&args).map_err(query_error)
    }

    /// Runs statements as one batch (one round trip, one transaction):
    /// every result is checked for an error and counted.
    async fn batch(&self, statements: &[Statement]) -> Result<Vec<D1Result>, StoreError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = statements.iter().map(|s| self.prepare(s)).collect::<Result<Vec<_>, _>>()?;
        let results = self.db.batch(prepared).await.map_err(query_error)?;
        for result in &results {
            self.account(result);
            if let Some(error) = result.error() {
                return Err(StoreError::Query(error));
            }
        }
        Ok(results)
    }

    /// One statement's result, checked and counted.
    async fn run(&self, sql: &str, args: Vec<Arg>) -> Result<D1Result, StoreError> {
        let result = self.prepare(&Statement::new(sql, args))?.all().await.map_err(query_error)?;
        self.account(&result);
        if let Some(error) = result.error() {
            return Err(StoreError::Query(error));
        }
        Ok(result)
    }

    async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>, StoreError> {
        typed(&self.run(sql, args).await?)
    }

    async fn row<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: Vec<Arg>) -> Result<Option<T>, StoreError> {
        Ok(self.rows(sql, args).await?.into_iter().next())
    }

    /// Answers a single `SELECT count(*) AS n`.
    async fn count(&self, sql: &str, args: Vec<Arg>) -> Result<i64, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        Ok(self.row::<Row>(sql, args).await?.map_or(0, |r| r.n))
    }
}

impl Store for D1Store {
    fn usage(&self) -> Usage {
        self.usage.get()
    }
}
