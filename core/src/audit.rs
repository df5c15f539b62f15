//! Who did what: every change a person or a key makes (checks, snoozes,
//! windows, channels, members, keys, a project's deletion) is logged with
//! who, when and what. An entry travels in the plan of its change where the
//! change is a plan, so storage writes both in one atomic step; it is kept
//! as long as flips are (the sweep's hourly prune), and read newest first,
//! a page at a time.

use crate::ids::{unique_key, Uuid};
use crate::time::Timestamp;
use serde_json::{json, Map, Value};

/// Text values in an entry's change are cut to this many characters.
const MAX_VALUE_CHARS: usize = 200;
/// Entries per page unless asked otherwise, and at most.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

/// An entry to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditWrite {
    pub project_id: String,
    /// The check it is about, if any.
    pub check: Option<Uuid>,
    pub at: Timestamp,
    /// An email, `read-write key hcw_abc…`, `admin` or `ping`.
    pub actor: String,
    /// `check.create`, `check.edit`, `check.pause`, `member.add`, ...
    pub action: String,
    /// What changed, as a small JSON object.
    pub detail: String,
}

impl AuditWrite {
    pub fn new(project_id: &str, check: Option<Uuid>, at: Timestamp, actor: &str, action: &str, detail: Value) -> Self {
        AuditWrite {
            project_id: project_id.to_owned(),
            check,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            detail: detail.to_string(),
        }
    }
}

/// An entry as stored, with its id (newer entries have larger ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub project_id: String,
    pub check: Option<String>,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Cuts long text, so that an entry stays small whatever was saved.
fn short(value: &Value) -> Value {
    match value {
        Value::String(text) if text.chars().count() > MAX_VALUE_CHARS => {
            Value::String(format!("{}…", text.chars().take(MAX_VALUE_CHARS).collect::<String>()))
        }
        other => other.clone(),
    }
}

/// Fields of a check's JSON that are its state, not its configuration.
const STATE_FIELDS: &[&str] = &[
    "status",
    "last_ping",
    "next_ping",
    "n_pings",
    "last_duration",
    "started",
    "snoozed_until",
    "ping_url",
    "update_url",
    "pause_url",
    "resume_url",
    "badge_url",
    "uuid",
    "unique_key",
];

/// What an edit changed: each configuration field of `after` that differs
/// from `before` (two check JSONs as the API shows them), with its new value.
pub fn changes(before: &Value, after: &Value) -> Value {
    let mut changed = Map::new();
    if let Some(after) = after.as_object() {
        for (field, value) in after {
            if !STATE_FIELDS.contains(&field.as_str()) && before.get(field) != Some(value) {
                changed.insert(field.clone(), short(value));
            }
        }
    }
    Value::Object(changed)
}

/// A subset of a JSON object's fields, each cut short (a created check's
/// name and schedule, a channel's name and kind: never its secrets).
pub fn fields(value: &Value, names: &[&str]) -> Value {
    let mut picked = Map::new();
    for name in names {
        if let Some(v) = value.get(*name) {
            picked.insert((*name).to_owned(), short(v));
        }
    }
    Value::Object(picked)
}

/// The fields a request body set (a created check's), without any key,
/// each cut short; not JSON: nothing.
pub fn request_fields(body: &[u8]) -> Value {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return json!({});
    };
    let kept = object.iter().filter(|(name, _)| name.as_str() != "api_key").take(40);
    Value::Object(kept.map(|(name, value)| (name.clone(), short(value))).collect())
}

/// The fields of a maintenance window the log keeps.
pub const WINDOW_FIELDS: &[&str] = &["id", "name", "schedule", "tz", "duration", "start", "end", "tags", "checks"];
/// What a status page's entry keeps of it.
pub const STATUS_PAGE_FIELDS: &[&str] = &["slug", "title", "tags", "checks", "show_descriptions"];

/// Reads `?limit=` and `?before=` (the id of the last entry of the page
/// before): `(limit, before)`.
pub fn page(query: &[(String, String)]) -> Result<(i64, Option<i64>), String> {
    let mut limit = DEFAULT_PAGE;
    let mut before = None;
    for (name, value) in query {
        match name.as_str() {
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => limit = n,
                _ => return Err(format!("limit must be a whole number from 1 to {MAX_PAGE}")),
            },
            "before" => match value.parse::<i64>() {
                Ok(n) if n > 0 => before = Some(n),
                _ => return Err("before must be the id of an entry".into()),
            },
            _ => {}
        }
    }
    Ok((limit, before))
}

/// A page of entries as the API shows it; `next` is where the next page
/// starts (`?before=`), when the page is full. A reader who only reads
/// sees every check UUID (a ping credential) as the check's unique key,
/// in the entry and in what it changed (a window's checks).
pub fn audit_json(records: &[AuditRecord], limit: i64, read_only: bool) -> Value {
    let entries: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut detail: Value = serde_json::from_str(&r.detail).unwrap_or(Value::Null);
            let mut check = json!(r.check);
            if read_only {
                hide_uuids(&mut detail);
                hide_uuids(&mut check);
            }
            json!({
                "id": r.id,
                "at": r.at.iso8601(),
                "actor": r.actor,
                "action": r.action,
                "check": check,
                "change": detail,
            })
        })
        .collect();
    let next = (records.len() as i64 >= limit).then(|| records.last().map(|r| r.id)).flatten();
    json!({ "entries": entries, "next": next })
}

/// Replaces every string that is a check UUID with its unique key.
fn hide_uuids(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(uuid) = Uuid::parse(text) {
                *text = unique_key(&uuid);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_uuids),
        Value::Object(fields) => fields.values_mut().for_each(hide_uuids),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_logs_the_fields_it_changed() {
        let before = json!({"name": "a", "timeout": 60, "status": "up", "last_ping": null, "tags": "x"});
        let after = json!({"name": "b", "timeout": 60, "status": "down", "last_ping": "now", "tags": "x y"});
        assert_eq!(changes(&before, &after), json!({"name": "b", "tags": "x y"}));
        let long = json!({"desc": "d".repeat(500)});
        let logged = changes(&json!({}), &long);
        assert_eq!(logged["desc"].as_str().unwrap().chars().count(), MAX_VALUE_CHARS + 1);
        assert_eq!(
            fields(&json!({"name": "n", "kind": "slack", "url": "secret"}), &["name", "kind"]),
            json!({"name": "n", "kind": "slack"})
        );
    }

    #[test]
    fn a_create_logs_what_the_request_set_but_its_key() {
        let body = br#"{"name": "backup", "api_key": "hcw_secret", "timeout": 60}"#;
        assert_eq!(request_fields(body), json!({"name": "backup", "timeout": 60}));
        assert_eq!(request_fields(b"not json"), json!({}));
    }

    #[test]
    fn pages() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(page(&q(&[])), Ok((DEFAULT_PAGE, None)));
        assert_eq!(page(&q(&[("limit", "5"), ("before", "17")])), Ok((5, Some(17))));
        assert!(page(&q(&[("limit", "0")])).is_err());
        assert!(page(&q(&[("limit", "501")])).is_err());
        assert!(page(&q(&[("before", "x")])).is_err());
        let record = |id| AuditRecord {
            id,
            project_id: "p".into(),
            check: None,
            at: Timestamp::from_secs(id),
            actor: "a@x.io".into(),
            action: "check.pause".into(),
            detail: "{}".into(),
        };
        let full = audit_json(&[record(9), record(8)], 2, false);
        assert_eq!(full["next"], 8);
        assert_eq!(full["entries"][0]["action"], "check.pause");
        assert_eq!(audit_json(&[record(9)], 2, false)["next"], Value::Null);
    }

    #[test]
    fn a_read_only_reader_sees_unique_keys_for_uuids() {
        let uuid = Uuid::parse("b9d54e60-a526-8e01-9d13-58c77790f7a4").unwrap();
        let record = AuditRecord {
            id: 1,
            project_id: "p".into(),
            check: Some(uuid.to_string()),
            at: Timestamp::from_secs(1),
            actor: "a@x.io".into(),
            action: "window.create".into(),
            detail: json!({"checks": [uuid.to_string()], "name": "not-a-uuid"}).to_string(),
        };
        let hidden = audit_json(std::slice::from_ref(&record), 5, true);
        let entry = &hidden["entries"][0];
        assert_eq!(entry["check"], unique_key(&uuid));
        assert_eq!(entry["change"], json!({"checks": [unique_key(&uuid)], "name": "not-a-uuid"}));
        let shown = audit_json(&[record], 5, false);
        assert_eq!(shown["entries"][0]["check"], uuid.to_string());
    }
}
