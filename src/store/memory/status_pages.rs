//! `StatusPageStore`: pages by slug, as D1's table with the slug as its
//! primary key.

use super::MemoryStore;
use crate::domain::status_page::StatusPage;
use crate::store::{PageCreated, StatusPageStore, StoreError};

impl StatusPageStore for MemoryStore {
    async fn status_page(&self, slug: &str) -> Result<Option<StatusPage>, StoreError> {
        self.read("status_page", |t| Ok(t.status_pages.iter().find(|p| p.slug == slug).cloned()))
    }

    async fn status_pages(&self, project_id: &str) -> Result<Vec<StatusPage>, StoreError> {
        self.read("status_pages", |t| {
            let mut pages: Vec<StatusPage> =
                t.status_pages.iter().filter(|p| p.project_id == project_id).cloned().collect();
            pages.sort_by(|a, b| (a.created_at, &a.slug).cmp(&(b.created_at, &b.slug)));
            Ok(pages)
        })
    }

    async fn create_status_page(&self, page: &StatusPage, max: i64) -> Result<PageCreated, StoreError> {
        self.write("create_status_page", |t| {
            if t.status_pages.iter().any(|p| p.slug == page.slug) {
                return Ok(PageCreated::SlugTaken);
            }
            let count = t.status_pages.iter().filter(|p| p.project_id == page.project_id).count();
            if i64::try_from(count).unwrap_or(i64::MAX) >= max {
                return Ok(PageCreated::AtLimit);
            }
            t.status_pages.push(page.clone());
            Ok(PageCreated::Created)
        })
    }

    async fn replace_status_page(&self, page: &StatusPage) -> Result<bool, StoreError> {
        self.write("replace_status_page", |t| {
            let Some(stored) =
                t.status_pages.iter_mut().find(|p| p.slug == page.slug && p.project_id == page.project_id)
            else {
                return Ok(false);
            };
            *stored = StatusPage { created_at: stored.created_at, ..page.clone() };
            Ok(true)
        })
    }

    async fn delete_status_page(&self, project_id: &str, slug: &str) -> Result<bool, StoreError> {
        self.write("delete_status_page", |t| {
            let before = t.status_pages.len();
            t.status_pages.retain(|p| !(p.slug == slug && p.project_id == project_id));
            Ok(t.status_pages.len() < before)
        })
    }
}
