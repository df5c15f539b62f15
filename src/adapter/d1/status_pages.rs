//! Status pages, and the status changes their history is made of (the
//! statements are `crate::d1_sql::status_pages`).

use super::{changes, typed, D1Store};
use crate::d1_sql::status_pages as sql;
use crate::d1_sql::Statement;
use crate::domain::check::Status;
use crate::domain::status_page::availability::Change;
use crate::domain::status_page::{StatusPage, StoredPage};
use crate::domain::time::Timestamp;
use crate::store::{PageCreated, StatusPageStore, StoreError};
use serde::Deserialize;

fn page_of(stored: StoredPage) -> Result<StatusPage, StoreError> {
    let slug = stored.slug.clone();
    stored.into_page().ok_or_else(|| StoreError::Corrupt(format!("status page {slug}")))
}

impl D1Store {
    async fn run_statement(&self, statement: Statement) -> Result<worker::D1Result, StoreError> {
        self.run(&statement.sql, statement.args).await
    }

    /// `HistoryStore::status_changes`.
    pub(super) async fn read_status_changes(
        &self,
        check_ids: &[i64],
        from: Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, Change)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            check_id: i64,
            created_at: i64,
            old_status: String,
            new_status: String,
        }
        if check_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = typed(&self.run_statement(sql::status_changes(check_ids, from, limit)).await?)?;
        let status =
            |text: &str| Status::parse(text).ok_or_else(|| StoreError::Corrupt(format!("flip status {text:?}")));
        rows.into_iter()
            .map(|r| {
                let change = Change {
                    at: Timestamp::from_millis(r.created_at),
                    old: status(&r.old_status)?,
                    new: status(&r.new_status)?,
                };
                Ok((r.check_id, change))
            })
            .collect()
    }
}

impl StatusPageStore for D1Store {
    async fn status_page(&self, slug: &str) -> Result<Option<StatusPage>, StoreError> {
        let rows: Vec<StoredPage> = typed(&self.run_statement(sql::by_slug(slug)).await?)?;
        rows.into_iter().next().map(page_of).transpose()
    }

    async fn status_pages(&self, project_id: &str) -> Result<Vec<StatusPage>, StoreError> {
        let rows: Vec<StoredPage> = typed(&self.run_statement(sql::of_project(project_id)).await?)?;
        rows.into_iter().map(page_of).collect()
    }

    async fn create_status_page(&self, page: &StatusPage, max: i64) -> Result<PageCreated, StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let results = self.batch(&sql::create(page, max)).await?;
        if changes(results.first()) > 0 {
            return Ok(PageCreated::Created);
        }
        let taken = match results.get(1) {
            Some(result) => typed::<Count>(result)?.first().is_some_and(|c| c.n > 0),
            None => false,
        };
        Ok(if taken { PageCreated::SlugTaken } else { PageCreated::AtLimit })
    }

    async fn replace_status_page(&self, page: &StatusPage) -> Result<bool, StoreError> {
        let result = self.run_statement(sql::replace(page)).await?;
        Ok(changes(Some(&result)) > 0)
    }

    async fn delete_status_page(&self, project_id: &str, slug: &str) -> Result<bool, StoreError> {
        let result = self.run_statement(sql::delete(project_id, slug)).await?;
        Ok(changes(Some(&result)) > 0)
    }
}
