//! Checks: reading them, and carrying out plans (`crate::d1_sql::plan`
//! builds the batch; this runs it and reads what became of it).

use super::{changes, typed, D1Store};
use crate::d1_sql::plan::{check_batch, Witness};
use crate::d1_sql::queries;
use crate::d1_sql::rows::{check_of, split_readable, CheckRow, CHECK_COLUMNS};
use crate::d1_sql::{Arg, Statement};
use crate::domain::audit::AuditWrite;
use crate::domain::check::Check;
use crate::domain::ids::{unique_key, Uuid};
use crate::domain::plan::{Applied, CheckPlan, Deadlines, Target};
use crate::domain::time::Timestamp;
use crate::store::{CheckStore, DueCheck, StoreError};
use serde::Deserialize;
use serde_json::Value;

impl D1Store {
    async fn one_check(&self, condition: &str, args: Vec<Arg>) -> Result<Option<Check>, StoreError> {
        let rows: Vec<CheckRow> =
            self.rows(&format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE {condition}"), args).await?;
        rows.into_iter().next().map(CheckRow::into_check).transpose()
    }

    async fn some_checks(&self, sql: &str, args: Vec<Arg>) -> Result<(Vec<Check>, Vec<StoreError>), StoreError> {
        let rows: Vec<Value> = self.rows(sql, args).await?;
        Ok(split_readable(rows))
    }
}

impl CheckStore for D1Store {
    async fn check_by_uuid(&self, uuid: &Uuid) -> Result<Option<Check>, StoreError> {
        self.one_check("c.uuid = ?1", vec![Arg::Text(uuid.to_string())]).await
    }

    async fn check_by_id(&self, id: i64) -> Result<Option<Check>, StoreError> {
        self.one_check("c.id = ?1", vec![Arg::Int(id)]).await
    }

    /// Through its index. Rows made before the column existed (or before
    /// migration 0008 forgot the old keys) get theirs on first use.
    async fn check_by_unique_key(&self, project_id: &str, key: &str) -> Result<Option<Check>, StoreError> {
        let condition = "c.project_id = ?1 AND c.unique_key = ?2";
        let args = || vec![Arg::text(project_id), Arg::text(key)];
        if let Some(check) = self.one_check(condition, args()).await? {
            return Ok(Some(check));
        }
        #[derive(Deserialize)]
        struct Missing {
            id: i64,
            uuid: String,
        }
        let missing: Vec<Missing> = self
            .rows(
                "SELECT id, uuid FROM checks WHERE project_id = ?1 AND unique_key IS NULL",
                vec![Arg::text(project_id)],
            )
            .await?;
        if missing.is_empty() {
            return Ok(None);
        }
        let updates: Vec<Statement> = missing
            .iter()
            .filter_map(|m| Some((m.id, unique_key(&Uuid::parse(&m.uuid)?))))
            .map(|(id, key)| {
                Statement::new("UPDATE checks SET unique_key = ?2 WHERE id = ?1", vec![Arg::Int(id), Arg::Text(key)])
            })
            .collect();
        self.batch(&updates).await?;
        self.one_check(condition, args()).await
    }

    async fn checks_by_slug(&self, ping_key_hash: &str, slug: &str) -> Result<Vec<Check>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS} FROM checks c JOIN projects p ON p.id = c.project_id \
             WHERE p.ping_key_hash = ?1 AND c.slug = ?2 ORDER BY c.id LIMIT 2"
        );
        let result = self.run(&sql, vec![Arg::text(ping_key_hash), Arg::text(slug)]).await?;
        typed::<CheckRow>(&result)?.into_iter().map(CheckRow::into_check).collect()
    }

    async fn check_by_badge_key(&self, badge_key: &str) -> Result<Option<Check>, StoreError> {
        self.one_check("c.badge_key = ?1", vec![Arg::text(badge_key)]).await
    }

    async fn list_checks(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError> {
        let sql = format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.project_id = ?1 ORDER BY c.id");
        self.some_checks(&sql, vec![Arg::text(project_id)]).await
    }

    async fn list_check_states(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError> {
        let columns = CHECK_COLUMNS.replace("c.desc", "'' AS desc");
        let sql = format!("SELECT {columns} FROM checks c WHERE c.project_id = ?1 ORDER BY c.id");
        self.some_checks(&sql, vec![Arg::text(project_id)]).await
    }

    async fn tag_texts(&self, project_id: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            tags: String,
        }
        let rows: Vec<Row> =
            self.rows("SELECT DISTINCT tags FROM checks WHERE project_id = ?1", vec![Arg::text(project_id)]).await?;
        Ok(rows.into_iter().map(|r| r.tags).collect())
    }

    async fn apply(&self, plan: &CheckPlan) -> Result<Applied, StoreError> {
        let batch = check_batch(plan);
        let results = self.batch(&batch.statements).await?;
        let applied = match batch.witness {
            Witness::Changed(i) => changes(results.get(i)) > 0,
            Witness::Returned(i) => match results.get(i) {
                Some(result) => !typed::<Value>(result)?.is_empty(),
                None => false,
            },
        };
        if !applied {
            #[derive(Deserialize)]
            struct Seen {
                reported: i64,
            }
            let seen = match batch.seen.and_then(|i| results.get(i)) {
                Some(result) => typed::<Seen>(result)?.first().is_some_and(|s| s.reported != 0),
                None => false,
            };
            return Ok(Applied { already_reported: seen, ..Applied::not_applied() });
        }
        let check_id = match (&plan.target, batch.insert) {
            (Target::Existing(id), _) => Some(*id),
            (Target::New(_), Some(i)) => {
                #[derive(Deserialize)]
                struct Inserted {
                    id: i64,
                }
                match results.get(i) {
                    Some(result) => typed::<Inserted>(result)?.first().map(|r| r.id),
                    None => None,
                }
            }
            (Target::New(_), None) => None,
        };
        Ok(Applied { applied, check_id, already_reported: false })
    }

    async fn delete_check(&self, check: &Check, audit: Option<&AuditWrite>) -> Result<(), StoreError> {
        self.batch(&crate::d1_sql::people::delete_check(check.id, audit)).await.map(drop)
    }

    /// A row that cannot be read comes back as such, so one bad row never
    /// stops the sweep.
    async fn due_checks(&self, now: Timestamp, limit: i64) -> Result<Vec<DueCheck>, StoreError> {
        #[derive(Deserialize)]
        struct Deadline {
            id: i64,
            alert_after: Option<i64>,
            next_event_at: Option<i64>,
        }
        let rows: Vec<Value> = self.rows(&queries::due_checks(), vec![Arg::time(now), Arg::Int(limit)]).await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let Ok(Deadline { id, alert_after, next_event_at }) = serde_json::from_value::<Deadline>(row.clone())
            else {
                continue;
            };
            let deadlines = Deadlines {
                alert_after: alert_after.map(Timestamp::from_millis),
                next_event_at: next_event_at.map(Timestamp::from_millis),
            };
            due.push(match check_of(row) {
                Ok(check) => DueCheck::Readable { check: Box::new(check), deadlines },
                Err(problem) => DueCheck::Unreadable { id, deadlines, problem: problem.to_string() },
            });
        }
        Ok(due)
    }
}
