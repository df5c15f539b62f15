//! Status pages (`status_pages`) and the status changes a page's history
//! is made of, as statements (run by `adapter::d1::status_pages`, and on
//! SQLite by tests/d1_sqlite.rs).

use super::{Arg, Statement};
use crate::domain::status_page::StatusPage;
use crate::domain::time::Timestamp;

pub const COLUMNS: &str = "slug, project_id, title, tags, checks, show_descriptions, created_at, updated_at";

/// The page with slug `?1`.
pub fn by_slug(slug: &str) -> Statement {
    Statement::new(format!("SELECT {COLUMNS} FROM status_pages WHERE slug = ?1"), vec![Arg::text(slug)])
}

/// The project's pages, through `status_pages_by_project`.
pub fn of_project(project_id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM status_pages WHERE project_id = ?1 ORDER BY created_at, slug"),
        vec![Arg::text(project_id)],
    )
}

/// Inserts the page if its slug is free and its project has fewer than
/// `max` pages (one statement decides, so concurrent creations cannot pass
/// the limit); then, in the same batch, reads whether the slug is in use,
/// which tells a taken slug from a full project when nothing was inserted.
pub fn create(page: &StatusPage, max: i64) -> [Statement; 2] {
    let insert = Statement::new(
        format!(
            "INSERT INTO status_pages ({COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 \
             WHERE (SELECT count(*) FROM status_pages WHERE project_id = ?2) < ?9 ON CONFLICT (slug) DO NOTHING"
        ),
        vec![
            Arg::text(&page.slug),
            Arg::text(&page.project_id),
            Arg::text(&page.title),
            Arg::text(page.tags.as_str()),
            Arg::Text(page.stored_checks()),
            Arg::flag(page.show_descriptions),
            Arg::time(page.created_at),
            Arg::time(page.updated_at),
            Arg::Int(max),
        ],
    );
    let taken = Statement::new("SELECT count(*) AS n FROM status_pages WHERE slug = ?1", vec![Arg::text(&page.slug)]);
    [insert, taken]
}

pub fn replace(page: &StatusPage) -> Statement {
    Statement::new(
        "UPDATE status_pages SET title = ?3, tags = ?4, checks = ?5, show_descriptions = ?6, updated_at = ?7 \
         WHERE slug = ?1 AND project_id = ?2",
        vec![
            Arg::text(&page.slug),
            Arg::text(&page.project_id),
            Arg::text(&page.title),
            Arg::text(page.tags.as_str()),
            Arg::Text(page.stored_checks()),
            Arg::flag(page.show_descriptions),
            Arg::time(page.updated_at),
        ],
    )
}

pub fn delete(project_id: &str, slug: &str) -> Statement {
    Statement::new(
        "DELETE FROM status_pages WHERE slug = ?1 AND project_id = ?2",
        vec![Arg::text(slug), Arg::text(project_id)],
    )
}

/// Status changes of the checks whose ids are in the JSON array `?1` since
/// `?2`, newest first, at most `?3`: one range of `flips_by_check` per check.
pub fn status_changes(check_ids: &[i64], from: Timestamp, limit: i64) -> Statement {
    let ids = serde_json::to_string(check_ids).unwrap_or_else(|_| "[]".to_owned());
    Statement::new(
        "SELECT check_id, created_at, old_status, new_status FROM flips \
         WHERE check_id IN (SELECT value FROM json_each(?1)) AND created_at >= ?2 AND event IS NULL \
         ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        vec![Arg::Text(ids), Arg::time(from), Arg::Int(limit)],
    )
}
