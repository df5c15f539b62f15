//! `/status/<slug>` and `/status/<slug>.json`: a published status page, to
//! anyone, from the cache when it holds a fresh answer (under a minute old):
//! a flood of visitors costs the databases one read of the page (in the
//! first database) and of its project's checks and history (in the
//! project's) per minute and cache. Answers for a missing page are cached
//! too; a page that cannot be read right now is not.

use super::{App, CachedAnswer, Failure, Level, Platform, Request};
use crate::domain::ids::Uuid;
use crate::domain::reply::Reply;
use crate::domain::status_page::availability::day_start;
use crate::domain::status_page::view::public_page;
use crate::domain::status_page::{
    cache_fresh, found, is_valid_page_slug, not_found, public_reply, Answer, CACHE_TTL_SECS, DAYS, MAX_CHANGES,
};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};

/// The cache key of a page's answer: its URL without the query string (so
/// that `?anything` cannot bypass the cache).
pub fn cache_key(origin: &str, slug: &str, json: bool) -> String {
    format!("{}/status/{slug}{}", origin.trim_end_matches('/'), if json { ".json" } else { "" })
}

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, slug: &str, json: bool, req: &Request) -> Reply {
    let now = app.platform.now();
    if !is_valid_page_slug(slug) {
        let Answer { status, content_type, body } = not_found(json);
        return public_reply(status, content_type, body, 0, "edgebeat; fwd=uri-miss".to_owned());
    }
    let key = cache_key(&req.origin, slug, json);
    let kept = app.platform.cache_get(&key).await;
    let stale = match kept {
        Some(hit) if cache_fresh(hit.answer.stored_at, now) => {
            let age = (now.millis() - hit.answer.stored_at.millis()) / 1000;
            let status = format!("edgebeat; hit; ttl={}; detail={}", CACHE_TTL_SECS - age, hit.layer);
            let CachedAnswer { status: code, content_type, body, .. } = hit.answer;
            return public_reply(code, &content_type, body, age, status);
        }
        Some(_) => true,
        None => false,
    };
    let answer = match render(app, slug, json, now).await {
        Ok(answer) => answer,
        Err(err) => return Failure::from(err).reply("status page", false, app.platform),
    };
    let cached = CachedAnswer {
        status: answer.status,
        content_type: answer.content_type.to_owned(),
        body: answer.body,
        stored_at: now,
    };
    app.platform.cache_put(&key, &cached, CACHE_TTL_SECS).await;
    let status = format!("edgebeat; fwd={}; stored", if stale { "stale" } else { "uri-miss" });
    public_reply(cached.status, &cached.content_type, cached.body, 0, status)
}

/// The page as it is now, read from the databases: the page from the first
/// one, its project's checks and their status changes of the last `DAYS`
/// days from the project's.
async fn render<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    slug: &str,
    json: bool,
    now: Timestamp,
) -> Result<Answer, StoreError> {
    let Some(page) = app.shards.first().status_page(slug).await? else { return Ok(not_found(json)) };
    let Some((_, store)) = Uuid::parse(&page.project_id).and_then(|id| app.shards.for_uuid(&id)) else {
        app.platform.log(Level::Warn, &format!("status page {slug}: its project's database is not bound"));
        return Ok(not_found(json));
    };
    // Descriptions can be large: read them only for a page that shows them.
    let (checks, unreadable) = if page.show_descriptions {
        store.list_checks(&page.project_id).await?
    } else {
        store.list_check_states(&page.project_id).await?
    };
    for problem in &unreadable {
        app.platform.log(Level::Warn, &format!("status page {slug}: skipping {problem}"));
    }
    let ids: Vec<i64> = page.select(&checks).iter().map(|c| c.id).collect();
    let from = day_start(now).plus_secs(-86_400 * (DAYS as i64 - 1));
    let changes = store.status_changes(&ids, from, MAX_CHANGES).await?;
    Ok(found(&public_page(&page, &checks, &changes, now), json))
}

/// Forgets the cached answers of a page (its HTML and JSON, under each
/// origin it may have been asked at), after it was created, changed or
/// deleted: at once in this data center, within a minute elsewhere.
pub async fn forget<P: Platform>(platform: &P, origins: &[&str], slug: &str) {
    for origin in origins {
        for json in [false, true] {
            platform.cache_delete(&cache_key(origin, slug, json)).await;
        }
    }
}
