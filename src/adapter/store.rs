//! Every SQL statement edgebeat runs, and the D1 calls that run them.

use crate::domain::health::SweepRecord;
use crate::domain::time::Timestamp;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env};

/// How many sweep records to keep; /health needs only the newest.
const SWEEPS_KEPT: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the D1 binding DB is not configured: {0}")]
    Binding(String),
    #[error("D1 query failed: {0}")]
    Query(String),
}

fn query_error(err: worker::Error) -> StoreError {
    StoreError::Query(err.to_string())
}

/// D1 rejects BigInt binds, so integers cross as f64 (exact below 2^53).
fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn time(value: Timestamp) -> JsValue {
    int(value.millis())
}

pub struct Store {
    db: D1Database,
}

impl Store {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        let db = env.d1("DB").map_err(|e| StoreError::Binding(e.to_string()))?;
        Ok(Store { db })
    }

    pub async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        finished_at: Timestamp,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let insert = self
            .db
            .prepare("INSERT INTO sweeps (scheduled_at, finished_at, error) VALUES (?1, ?2, ?3)")
            .bind(&[time(scheduled_at), time(finished_at), error.map(JsValue::from_str).unwrap_or(JsValue::NULL)])
            .map_err(query_error)?;
        let prune = self
            .db
            .prepare("DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?1")
            .bind(&[int(SWEEPS_KEPT)])
            .map_err(query_error)?;
        self.db.batch(vec![insert, prune]).await.map_err(query_error)?;
        Ok(())
    }

    pub async fn sweep_record(&self) -> Result<SweepRecord, StoreError> {
        #[derive(serde::Deserialize)]
        struct Row {
            scheduled_at: f64,
        }
        let row: Option<Row> = self
            .db
            .prepare("SELECT scheduled_at FROM sweeps WHERE error IS NULL ORDER BY id DESC LIMIT 1")
            .first(None)
            .await
            .map_err(query_error)?;
        Ok(SweepRecord { last_completed: row.map(|r| Timestamp::from_millis(r.scheduled_at as i64)) })
    }
}
