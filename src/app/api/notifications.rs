//! `GET /api/v3/notifications/`: the project's outbox, with every attempt;
//! `?check=<uuid>` and `?state=` narrow it.

use super::{Api, ApiError};
use crate::app::Platform;
use crate::domain::api::spec::SpecError;
use crate::domain::ids::Uuid;
use crate::domain::reply::Reply;
use crate::domain::route::CheckRef;
use crate::domain::time::Timestamp;
use crate::store::Store;
use serde_json::{json, Value};

pub async fn handle<S: Store, P: Platform>(api: &Api<'_, S, P>) -> Result<Reply, ApiError> {
    let mut check = None;
    let mut state = None;
    for (name, value) in &api.req.query {
        match name.as_str() {
            "check" => {
                let uuid = Uuid::parse(value).ok_or_else(|| SpecError::Invalid("check must be a check uuid".into()))?;
                check = Some(api.find_check(&CheckRef::Uuid(uuid)).await?.id);
            }
            "state" if ["pending", "delivered", "failed"].contains(&value.as_str()) => state = Some(value.clone()),
            "state" => return Err(SpecError::Invalid("state must be pending, delivered or failed".into()).into()),
            _ => {}
        }
    }
    let rows = api.store.list_notifications(&api.project, check, state.as_deref(), 500).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|n| {
            let attempts: Vec<Value> = n
                .attempt_log
                .iter()
                .map(|a| json!({"at": a.at.iso8601(), "status": a.status, "error": a.error, "duration_ms": a.duration_ms}))
                .collect();
            json!({
                "id": n.id,
                "check": n.check_uuid.to_string(),
                "channel": n.channel_id,
                "event": n.event,
                "reason": n.reason,
                "state": n.state,
                "attempts": n.attempts,
                "created": n.created_at.iso8601(),
                "next_attempt": (n.state == "pending").then(|| n.next_attempt_at.iso8601()),
                "last_status": n.last_status,
                "last_error": n.last_error,
                "finished": n.finished_at.map(Timestamp::iso8601),
                "attempt_log": attempts,
            })
        })
        .collect();
    Ok(Reply::json(200, &json!({ "notifications": items })))
}
