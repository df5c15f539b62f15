//! Public status pages: a project publishes some of its checks (chosen by
//! tags or by uuid) under a slug, at `/status/<slug>` (HTML) and
//! `/status/<slug>.json`, with their current status and 90 days of
//! availability. What a page is (`StatusPage`), how the API's request
//! becomes one (`parse_page`), how the API shows it (`page_json`); the public
//! view is `view`, its HTML `html`, the arithmetic of availability
//! `availability`.
//!
//! Nothing secret reaches the public view: a check is named by its name (or
//! its slug), never by uuid or key; descriptions only when the page says so.

pub mod availability;
pub mod html;
pub mod view;

use crate::api::spec::SpecError;
use crate::check::{Check, Tags};
use crate::ids::Uuid;
use crate::reply::Reply;
use crate::time::Timestamp;
use serde_json::{json, Map, Value};

/// The most status pages a project has.
pub const MAX_PAGES: i64 = 20;
/// The most checks a page chooses by uuid.
pub const MAX_CHOSEN: usize = 100;
/// The most checks a page shows (chosen by tags, the rest is left out).
pub const MAX_SHOWN: usize = 100;
/// Days of availability a page shows, today included.
pub const DAYS: usize = 90;
/// How long a page's answer is served from the cache, in seconds.
pub const CACHE_TTL_SECS: i64 = 60;
/// The most status changes read for one page's history; past that the
/// oldest days show no data rather than a guess.
pub const MAX_CHANGES: i64 = 10_000;
pub const MAX_TITLE: usize = 100;
pub const MIN_SLUG: usize = 3;
pub const MAX_SLUG: usize = 64;

/// A project's status page.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusPage {
    /// Unique across the deployment: the page's address.
    pub slug: String,
    pub project_id: String,
    pub title: String,
    /// A check with any of these tags is shown.
    pub tags: Tags,
    /// These checks are shown.
    pub checks: Vec<Uuid>,
    /// Whether the checks' descriptions are shown (they may be internal).
    pub show_descriptions: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl StatusPage {
    pub fn shows(&self, check: &Check) -> bool {
        check.project_id == self.project_id
            && (self.checks.contains(&check.uuid) || check.config.tags.contains_any(self.tags.iter()))
    }

    /// The checks of the project this page shows, in the order it shows
    /// them (by name, then by age), at most `MAX_SHOWN`.
    pub fn select<'a>(&self, checks: &'a [Check]) -> Vec<&'a Check> {
        let mut shown: Vec<&Check> = checks.iter().filter(|c| self.shows(c)).collect();
        crate::sorting::sort_by_cached_key(&mut shown, |c| (public_name(c).to_lowercase(), c.id));
        shown.truncate(MAX_SHOWN);
        shown
    }

    /// Check uuids, comma-separated, as stored.
    pub fn stored_checks(&self) -> String {
        self.checks.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
    }
}

/// The name a status page shows for a check: its name, else its slug; never
/// its uuid.
pub fn public_name(check: &Check) -> String {
    match (check.config.name.trim(), check.config.slug.trim()) {
        (name, _) if !name.is_empty() => name.to_owned(),
        (_, slug) if !slug.is_empty() => slug.to_owned(),
        _ => "Unnamed check".to_owned(),
    }
}

/// Whether `slug` can name a status page: 3 to 64 of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit (so never a file name with a
/// dot, and the same in every URL).
pub fn is_valid_page_slug(slug: &str) -> bool {
    let bytes = slug.as_bytes();
    (MIN_SLUG..=MAX_SLUG).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// What a request asks a page to be (the project and the times are added
/// when it is saved).
#[derive(Clone, Debug, PartialEq)]
pub struct PageSpec {
    pub slug: String,
    pub title: String,
    pub tags: Tags,
    pub checks: Vec<Uuid>,
    pub show_descriptions: bool,
}

impl PageSpec {
    pub fn into_page(self, project_id: &str, created_at: Timestamp, updated_at: Timestamp) -> StatusPage {
        StatusPage {
            slug: self.slug,
            project_id: project_id.to_owned(),
            title: self.title,
            tags: self.tags,
            checks: self.checks,
            show_descriptions: self.show_descriptions,
            created_at,
            updated_at,
        }
    }
}

const FIELDS: &[&str] = &["slug", "title", "tags", "checks", "show_descriptions", "api_key"];

fn invalid(message: impl Into<String>) -> SpecError {
    SpecError::Invalid(message.into())
}

/// Parses `POST /api/v3/status-pages/` (`existing: None`: `slug` required)
/// or the replacement of page `existing` (a `slug` given must be its own:
/// a page's address does not change). `title` is required; the checks are
/// chosen by `tags` (a check with any of them), `checks` (uuids), or both.
pub fn parse_page(body: &[u8], existing: Option<&str>) -> Result<PageSpec, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object: &Map<String, Value> = value.as_object().ok_or(SpecError::NotAnObject)?;
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(format!("unknown field {unknown:?}")));
    }
    let text = |field: &str| -> Result<Option<&str>, SpecError> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(invalid(format!("{field} is not a string"))),
        }
    };
    let slug = match (text("slug")?, existing) {
        (Some(slug), Some(own)) if slug != own => {
            return Err(invalid("slug cannot change: a page's address stays; create another page instead"))
        }
        (_, Some(own)) => own.to_owned(),
        (Some(slug), None) if is_valid_page_slug(slug) => slug.to_owned(),
        (Some(_), None) => {
            return Err(invalid(format!(
                "slug must be {MIN_SLUG} to {MAX_SLUG} lowercase letters, digits and hyphens, \
                 starting and ending with a letter or digit"
            )))
        }
        (None, None) => return Err(invalid("slug is required")),
    };
    let title = text("title")?.map(str::trim).unwrap_or_default();
    if title.is_empty() {
        return Err(invalid("title is required"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(invalid(format!("title is longer than {MAX_TITLE} characters")));
    }
    let tags_text = text("tags")?.unwrap_or_default();
    if tags_text.chars().count() > 500 {
        return Err(invalid("tags is too long"));
    }
    let tags = Tags::parse(tags_text);
    let checks = crate::ids::check_list(object.get("checks"), MAX_CHOSEN).map_err(invalid)?;
    if tags.iter().next().is_none() && checks.is_empty() {
        return Err(invalid("choose the checks to show: tags, checks (uuids), or both"));
    }
    let show_descriptions = match object.get("show_descriptions") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("show_descriptions is not a boolean")),
    };
    let mut unique = Vec::with_capacity(checks.len());
    for uuid in checks {
        if !unique.contains(&uuid) {
            unique.push(uuid);
        }
    }
    Ok(PageSpec { slug, title: title.to_owned(), tags, checks: unique, show_descriptions })
}

/// The public addresses of a page under `base` (`https://host`).
pub fn page_urls(base: &str, slug: &str) -> (String, String) {
    let base = base.trim_end_matches('/');
    (format!("{base}/status/{slug}"), format!("{base}/status/{slug}.json"))
}

/// The management API's view of a page.
pub fn page_json(page: &StatusPage, base: &str) -> Value {
    let (url, json_url) = page_urls(base, &page.slug);
    let checks: Vec<String> = page.checks.iter().map(Uuid::to_string).collect();
    json!({
        "slug": page.slug,
        "title": page.title,
        "tags": page.tags.as_str(),
        "checks": checks,
        "show_descriptions": page.show_descriptions,
        "url": url,
        "json_url": json_url,
        "created": page.created_at.iso8601(),
        "updated": page.updated_at.iso8601(),
    })
}

/// A page's stored columns.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct StoredPage {
    pub slug: String,
    pub project_id: String,
    pub title: String,
    pub tags: String,
    /// Check uuids, comma-separated.
    pub checks: String,
    pub show_descriptions: i64,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
}

impl StoredPage {
    /// The page, or `None` when a column cannot be read back.
    pub fn into_page(self) -> Option<StatusPage> {
        let checks = self.checks.split(',').filter(|c| !c.is_empty()).map(Uuid::parse).collect::<Option<Vec<_>>>()?;
        Some(StatusPage {
            slug: self.slug,
            project_id: self.project_id,
            title: self.title,
            tags: Tags::parse(&self.tags),
            checks,
            show_descriptions: self.show_descriptions != 0,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

/// The Content-Security-Policy of a page: nothing but its own stylesheet
/// and icon, no script, never framed.
pub const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What a public page answers, before the cache's headers: status, content
/// type and body.
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The answer for a slug with no page (cached like a page, so that a flood
/// of requests for a missing page does not reach the database either).
pub fn not_found(json: bool) -> Answer {
    if json {
        let body = json!({"error": "no such status page"}).to_string().into_bytes();
        Answer { status: 404, content_type: "application/json", body }
    } else {
        Answer { status: 404, content_type: "text/html; charset=utf-8", body: html::not_found_html().into_bytes() }
    }
}

/// The public page as HTML or JSON.
pub fn found(page: &view::PublicPage, json: bool) -> Answer {
    if json {
        Answer { status: 200, content_type: "application/json", body: view::public_json(page).to_string().into_bytes() }
    } else {
        Answer { status: 200, content_type: "text/html; charset=utf-8", body: html::page_html(page).into_bytes() }
    }
}

/// The reply to a visitor: the answer, `age_secs` old, with the cache's
/// headers (a shared cache may keep it for what is left of its minute;
/// `cache_status` is RFC 9211's `Cache-Status`), the page's strict policy,
/// and open CORS (the JSON is public, for widgets elsewhere).
pub fn public_reply(status: u16, content_type: &str, body: Vec<u8>, age_secs: i64, cache_status: String) -> Reply {
    let reply = Reply { status, headers: vec![("Content-Type", content_type.to_owned())], body };
    reply
        .with_header("Cache-Control", format!("public, max-age={CACHE_TTL_SECS}"))
        .with_header("Age", age_secs.clamp(0, CACHE_TTL_SECS).to_string())
        .with_header("Cache-Status", cache_status)
        .with_header("Content-Security-Policy", CSP)
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "no-referrer")
        .with_header("Access-Control-Allow-Origin", "*")
}

/// Whether an answer kept since `stored_at` may still be served at `now`.
pub fn cache_fresh(stored_at: Timestamp, now: Timestamp) -> bool {
    let age = now.millis() - stored_at.millis();
    (0..CACHE_TTL_SECS * 1000).contains(&age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckConfig, CheckState};

    const A: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    const B: &str = "1f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    fn check(id: i64, uuid: &str, name: &str, slug: &str, tags: &str) -> Check {
        Check {
            id,
            uuid: Uuid::parse(uuid).unwrap(),
            project_id: "p".into(),
            config: CheckConfig {
                name: name.into(),
                slug: slug.into(),
                tags: Tags::parse(tags),
                ..CheckConfig::default()
            },
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: String::new(),
            config_version: 0,
            routes: crate::routing::Routes::default(),
            created_at: crate::time::Timestamp::from_secs(0),
            status_changed_at: None,
        }
    }

    fn parse(body: &str) -> Result<PageSpec, String> {
        parse_page(body.as_bytes(), None).map_err(|e| e.to_string())
    }

    #[test]
    fn a_page_needs_a_slug_a_title_and_a_choice_of_checks() {
        let spec =
            parse(&format!(r#"{{"slug": "acme", "title": " Acme ", "tags": "prod", "checks": ["{A}", "{A}"]}}"#))
                .unwrap();
        assert_eq!((spec.slug.as_str(), spec.title.as_str()), ("acme", "Acme"));
        assert_eq!(spec.checks.len(), 1, "a uuid named twice is one check");
        assert!(!spec.show_descriptions, "descriptions stay private unless chosen");
        let cases = [
            (r#"{"title": "x", "tags": "a"}"#, "slug is required"),
            (r#"{"slug": "ab", "title": "x", "tags": "a"}"#, "slug must be"),
            (r#"{"slug": "Acme", "title": "x", "tags": "a"}"#, "slug must be"),
            (r#"{"slug": "acme.json", "title": "x", "tags": "a"}"#, "slug must be"),
            (r#"{"slug": "-acme", "title": "x", "tags": "a"}"#, "slug must be"),
            (r#"{"slug": "acme", "tags": "a"}"#, "title is required"),
            (r#"{"slug": "acme", "title": "  ", "tags": "a"}"#, "title is required"),
            (r#"{"slug": "acme", "title": "x"}"#, "choose the checks"),
            (r#"{"slug": "acme", "title": "x", "tags": " "}"#, "choose the checks"),
            (r#"{"slug": "acme", "title": "x", "checks": ["nope"]}"#, "checks must be"),
            (r#"{"slug": "acme", "title": "x", "checks": "nope"}"#, "checks is not an array"),
            (r#"{"slug": "acme", "title": "x", "tags": "a", "show_descriptions": "yes"}"#, "not a boolean"),
            (r#"{"slug": "acme", "title": "x", "tags": "a", "colour": 1}"#, "unknown field"),
            (r#"{"slug": 5, "title": "x", "tags": "a"}"#, "slug is not a string"),
            (r#"[]"#, "not an object"),
            (r#"nope"#, "could not parse"),
        ];
        for (body, expected) in cases {
            let error = parse(body).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
        let long = format!(r#"{{"slug": "acme", "title": "{}", "tags": "a"}}"#, "t".repeat(101));
        assert!(parse(&long).unwrap_err().contains("longer than 100"));
    }

    #[test]
    fn a_replacement_keeps_its_slug() {
        let spec = parse_page(br#"{"title": "New", "tags": "a"}"#, Some("acme")).unwrap();
        assert_eq!(spec.slug, "acme");
        assert!(parse_page(br#"{"slug": "acme", "title": "New", "tags": "a"}"#, Some("acme")).is_ok());
        let error = parse_page(br#"{"slug": "other", "title": "New", "tags": "a"}"#, Some("acme")).unwrap_err();
        assert!(error.to_string().contains("slug cannot change"), "{error}");
    }

    #[test]
    fn slugs() {
        for good in ["abc", "acme-prod", "a1b", &"a".repeat(64)] {
            assert!(is_valid_page_slug(good), "{good}");
        }
        for bad in ["ab", "abc-", "ABC", "a_b", "a.b", "a b", "é-abc", &"a".repeat(65), ""] {
            assert!(!is_valid_page_slug(bad), "{bad}");
        }
    }

    #[test]
    fn a_page_shows_its_projects_checks_by_tag_or_uuid_named_without_uuids() {
        let spec =
            parse(&format!(r#"{{"slug": "acme", "title": "Acme", "tags": "web db", "checks": ["{A}"]}}"#)).unwrap();
        let page = spec.into_page("p", Timestamp::from_millis(0), Timestamp::from_millis(0));
        let checks = [
            check(1, A, "", "", ""),
            check(2, B, "backup", "", "db"),
            check(3, B, "Zebra", "", "web"),
            check(4, B, "Alpha", "", "other"),
        ];
        let shown: Vec<String> = page.select(&checks).into_iter().map(public_name).collect();
        assert_eq!(shown, ["backup", "Unnamed check", "Zebra"]);
        let mut elsewhere = check(5, A, "x", "", "web");
        elsewhere.project_id = "q".into();
        assert!(!page.shows(&elsewhere), "another project's check never shows");
        assert_eq!(public_name(&check(6, A, " ", "nightly", "")), "nightly");
        let json = page_json(&page, "https://beat.example/");
        assert_eq!(json["url"], "https://beat.example/status/acme");
        assert_eq!(json["json_url"], "https://beat.example/status/acme.json");
        assert_eq!(json["checks"], json!([A]));
    }

    #[test]
    fn stored_pages_read_back() {
        let stored = StoredPage {
            slug: "acme".into(),
            project_id: "p".into(),
            title: "Acme".into(),
            tags: "db".into(),
            checks: format!("{A},{B}"),
            show_descriptions: 1,
            created_at: 5,
            updated_at: 6,
        };
        let page = stored.clone().into_page().unwrap();
        assert_eq!((page.checks.len(), page.show_descriptions, page.stored_checks()), (2, true, format!("{A},{B}")));
        assert_eq!(StoredPage { checks: "x".into(), ..stored }.into_page(), None);
    }

    #[test]
    fn a_cached_answer_is_fresh_for_a_minute() {
        let stored = Timestamp::from_secs(1_000);
        assert!(cache_fresh(stored, stored));
        assert!(cache_fresh(stored, stored.plus_millis(59_999)));
        assert!(!cache_fresh(stored, stored.plus_secs(60)));
        assert!(!cache_fresh(stored, stored.plus_secs(-1)), "an entry from the future is not trusted");
    }
}
