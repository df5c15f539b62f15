//! The URL grammar of edgebeat's HTTP surface, as pure data: the adapter asks
//! which route a path is and which methods it takes, and never matches paths
//! itself. Every route the router knows is listed in `ROUTES` (documented in
//! the OpenAPI file and checked against it by the tests).

use crate::body::BodyLimits;
use crate::ids::Uuid;

/// The HTTP methods edgebeat distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    /// TRACE, CONNECT and anything unknown: never served.
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Self {
        match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// How the management API names a check: by UUID, or (read access only) by
/// the unique key a read-only key sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckRef {
    Uuid(Uuid),
    UniqueKey(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckAction {
    Pause,
    Resume,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    /// Everything under `/ping/`: the ping grammar parses the rest.
    Ping(String),
    /// `/api/v3/projects/`: the admin API.
    Projects,
    /// `/api/v3/me`: who the request is, and the projects it reaches.
    Me,
    /// `/api/v3/projects/<id>`: one project (DELETE: it and all of it).
    Project(String),
    /// `/api/v3/projects/<id>/members/`
    ProjectMembers(String),
    /// `/api/v3/projects/<id>/members/<email>` (the email percent-decoded).
    ProjectMember {
        project: String,
        email: String,
    },
    /// `/api/v3/projects/<id>/keys/`: new API keys in place of the old.
    ProjectKeys(String),
    /// `/api/v3/projects/<id>/audit/`: who changed what in the project.
    ProjectAudit(String),
    /// `/api/v3/checks/<uuid or unique key>/audit/`: who changed the check.
    CheckAudit(CheckRef),
    /// `/api/vN/checks/`
    Checks {
        version: u8,
    },
    /// `/api/vN/checks/<uuid or unique key>`
    Check {
        version: u8,
        check: CheckRef,
    },
    /// `/api/vN/checks/<uuid>/pause` and `/resume`
    CheckAction {
        version: u8,
        check: Uuid,
        action: CheckAction,
    },
    /// `/api/vN/checks/<uuid>/snooze`: hold notifications for a while.
    CheckSnooze {
        version: u8,
        check: Uuid,
    },
    /// `/ping/<uuid>/snooze` or `/ping/<ping_key>/<slug>/snooze` (the raw
    /// path after `/ping/`, without `/snooze`): a job announcing its own
    /// maintenance. POST only, so a link preview cannot silence a check.
    PingSnooze(String),
    /// `/api/vN/checks/<uuid>/pings/`
    CheckPings {
        version: u8,
        check: Uuid,
    },
    /// `/api/vN/checks/<uuid>/pings/<n>/body`
    PingBody {
        version: u8,
        check: Uuid,
        n: i64,
    },
    /// `/api/vN/checks/<uuid or unique key>/flips/`
    CheckFlips {
        version: u8,
        check: CheckRef,
    },
    /// `/api/v3/channels/`
    Channels,
    /// `/api/v3/channels/<id>`
    Channel(String),
    /// `/api/v3/channels/<id>/test`
    ChannelTest(String),
    /// `/api/v3/channels/kinds`: the channel kinds and their fields.
    ChannelKinds,
    /// `/api/v3/maintenance/`: the project's maintenance windows.
    MaintenanceWindows,
    /// `/api/v3/maintenance/<id>`
    MaintenanceWindow(String),
    /// `/api/v3/notifications/`: the outbox, with every attempt.
    Notifications,
    /// `/api/v3/badges/`: every badge URL of the project.
    Badges,
    /// `/badge/<badge key>/<signature>[/<tag>].<format>` (the raw path after `/badge/`).
    Badge(String),
    /// `/b/<states>/<check badge key>.<format>`
    CheckBadge(String),
    /// `/projects/<id>/metrics/[<read-only key>]`: Prometheus.
    Metrics {
        project: String,
        key: Option<String>,
    },
    /// `/metrics`: the deployment's own Prometheus metrics, each database
    /// by its label (the admin token).
    DeploymentMetrics,
    /// `/api/v3/openapi.json`
    OpenApi,
    /// `/api/v3/schedule/preview`: a schedule in words with its next runs (an edgebeat extension).
    SchedulePreview,
    /// `/api/v3/schedule/zones`: the time zones a check accepts.
    TimeZones,
    /// `/alertmanager/<ping_key>`: Alertmanager's webhook, the watchdog receiver.
    Alertmanager(String),
    /// `/api/v3/status-pages/`: the project's public status pages.
    StatusPages,
    /// `/api/v3/status-pages/<slug>`
    StatusPage(String),
    /// `/status/<slug>` (HTML) or `/status/<slug>.json`: a published status
    /// page, to anyone (the slug as written, checked by the handler).
    PublicStatusPage {
        slug: String,
        json: bool,
    },
}

use Method::{Delete, Get, Head, Patch, Post, Put};

/// The methods a ping may use. healthchecks records a ping whatever its
/// method; edgebeat counts the ones a client sends on purpose (`curl -T`
/// uploads a log with PUT) and never a CORS preflight (OPTIONS, answered
/// without counting) or a diagnostic TRACE or CONNECT (405).
pub const PING_METHODS: &[Method] = &[Get, Head, Post, Put, Patch, Delete];

/// Every route pattern with its methods: the one list the OpenAPI document
/// is checked against, and that `route()` and `Route::methods()` are checked
/// against in this module's tests.
pub const ROUTES: &[(&str, &[Method])] = &[
    ("/health", &[Get, Head]),
    ("/ping/{uuid}", PING_METHODS),
    ("/ping/{uuid}/{signal}", PING_METHODS),
    ("/ping/{ping_key}/{slug}", PING_METHODS),
    ("/ping/{ping_key}/{slug}/{signal}", PING_METHODS),
    ("/ping/{uuid}/snooze", &[Post]),
    ("/ping/{ping_key}/{slug}/snooze", &[Post]),
    ("/{uuid}", PING_METHODS),
    ("/{uuid}/{signal}", PING_METHODS),
    ("/{ping_key}/{slug}", PING_METHODS),
    ("/{ping_key}/{slug}/{signal}", PING_METHODS),
    ("/api/v3/projects/", &[Get, Post]),
    ("/api/v3/me", &[Get]),
    ("/api/v3/projects/{project_id}", &[Delete]),
    ("/api/v3/projects/{project_id}/members/", &[Get, Post]),
    ("/api/v3/projects/{project_id}/members/{email}", &[Delete]),
    ("/api/v3/projects/{project_id}/keys/", &[Post]),
    ("/api/v3/projects/{project_id}/audit/", &[Get]),
    ("/api/v3/checks/{check}/audit/", &[Get]),
    ("/api/v3/checks/", &[Get, Post]),
    ("/api/v3/checks/{check}", &[Get, Post, Delete]),
    ("/api/v3/checks/{uuid}/pause", &[Post]),
    ("/api/v3/checks/{uuid}/resume", &[Post]),
    ("/api/v3/checks/{uuid}/snooze", &[Post, Delete]),
    ("/api/v3/checks/{uuid}/pings/", &[Get]),
    ("/api/v3/checks/{uuid}/pings/{n}/body", &[Get]),
    ("/api/v3/checks/{check}/flips/", &[Get]),
    ("/api/v3/channels/", &[Get, Post]),
    ("/api/v3/channels/{channel_id}", &[Get, Post, Delete]),
    ("/api/v3/channels/{channel_id}/test", &[Post]),
    ("/api/v3/channels/kinds", &[Get]),
    ("/api/v3/maintenance/", &[Get, Post]),
    ("/api/v3/maintenance/{window_id}", &[Get, Post, Delete]),
    ("/api/v3/notifications/", &[Get]),
    ("/api/v3/badges/", &[Get]),
    ("/api/v3/openapi.json", &[Get]),
    ("/api/v3/schedule/preview", &[Get]),
    ("/api/v3/schedule/zones", &[Get]),
    ("/badge/{badge_key}/{signature}.{format}", &[Get, Head]),
    ("/badge/{badge_key}/{signature}/{tag}.{format}", &[Get, Head]),
    ("/b/{states}/{check_badge_key}.{format}", &[Get, Head]),
    ("/projects/{project_id}/metrics/{key}", &[Get, Head]),
    ("/projects/{project_id}/metrics/", &[Get, Head]),
    ("/metrics", &[Get, Head]),
    ("/alertmanager/{ping_key}", &[Post]),
    ("/api/v3/status-pages/", &[Get, Post]),
    ("/api/v3/status-pages/{page_slug}", &[Get, Post, Delete]),
    ("/status/{page_slug}", &[Get, Head]),
    ("/status/{page_slug}.json", &[Get, Head]),
];

impl Route {
    /// The methods this route answers (besides OPTIONS on the API).
    pub fn methods(&self) -> &'static [Method] {
        match self {
            Route::Health => &[Get, Head],
            Route::Ping(_) => PING_METHODS,
            Route::Projects | Route::Checks { .. } | Route::ProjectMembers(_) => &[Get, Post],
            Route::Project(_) | Route::ProjectMember { .. } => &[Delete],
            Route::ProjectKeys(_) => &[Post],
            Route::Me | Route::ProjectAudit(_) | Route::CheckAudit(_) => &[Get],
            Route::Check { check: CheckRef::Uuid(_), .. } => &[Get, Post, Delete],
            Route::Check { check: CheckRef::UniqueKey(_), .. } => &[Get],
            Route::CheckAction { .. } | Route::PingSnooze(_) => &[Post],
            Route::CheckSnooze { .. } => &[Post, Delete],
            Route::CheckPings { .. } | Route::PingBody { .. } | Route::CheckFlips { .. } => &[Get],
            Route::Channels | Route::StatusPages => &[Get, Post],
            Route::Channel(_) | Route::MaintenanceWindow(_) | Route::StatusPage(_) => &[Get, Post, Delete],
            Route::MaintenanceWindows => &[Get, Post],
            Route::ChannelTest(_) => &[Post],
            Route::Notifications
            | Route::Badges
            | Route::OpenApi
            | Route::SchedulePreview
            | Route::TimeZones
            | Route::ChannelKinds => &[Get],
            Route::Badge(_)
            | Route::CheckBadge(_)
            | Route::Metrics { .. }
            | Route::DeploymentMetrics
            | Route::PublicStatusPage { .. } => &[Get, Head],
            Route::Alertmanager(_) => &[Post],
        }
    }

    /// Whether the route's own spelling ends in a slash, as healthchecks
    /// spells its collections (`checks/`, `pings/`, `flips/`...). edgebeat
    /// routes these paths without the slash too.
    pub fn ends_with_slash(&self) -> bool {
        matches!(
            self,
            Route::Projects
                | Route::ProjectMembers(_)
                | Route::ProjectKeys(_)
                | Route::ProjectAudit(_)
                | Route::CheckAudit(_)
                | Route::Checks { .. }
                | Route::CheckPings { .. }
                | Route::CheckFlips { .. }
                | Route::Channels
                | Route::MaintenanceWindows
                | Route::Notifications
                | Route::Badges
                | Route::StatusPages
                | Route::Metrics { key: None, .. }
        )
    }

    /// Whether this is part of the management API (CORS, JSON errors).
    pub fn is_api(&self) -> bool {
        !matches!(
            self,
            Route::Health
                | Route::Ping(_)
                | Route::PingSnooze(_)
                | Route::Badge(_)
                | Route::CheckBadge(_)
                | Route::Metrics { .. }
                | Route::DeploymentMetrics
                | Route::Alertmanager(_)
                | Route::PublicStatusPage { .. }
        )
    }
}

/// The largest ping request read (its body beyond `PING_BODY_LIMIT` is read
/// and dropped); larger ones get 413.
pub const MAX_PING_REQUEST_BYTES: usize = 20_000_000;
/// The largest Alertmanager payload read (one group's alerts).
pub const MAX_ALERTMANAGER_BYTES: usize = 1_000_000;
/// API request bodies are small JSON documents.
pub const API_BODY_LIMIT: usize = 64 * 1024;

impl Route {
    /// What this route keeps and accepts of a request body
    /// (`ping_body_limit`: the bytes of a ping body kept); how a body is
    /// read within them is `crate::body`'s.
    pub fn body_limits(&self, ping_body_limit: usize) -> BodyLimits {
        match self {
            Route::Ping(_) => BodyLimits { keep: ping_body_limit, accept: MAX_PING_REQUEST_BYTES },
            Route::Alertmanager(_) => BodyLimits { keep: MAX_ALERTMANAGER_BYTES, accept: MAX_ALERTMANAGER_BYTES },
            route if route.is_api() => BodyLimits { keep: API_BODY_LIMIT, accept: API_BODY_LIMIT },
            _ => BodyLimits { keep: 0, accept: API_BODY_LIMIT },
        }
    }

    /// The methods this route answers, as the `Allow` header lists them.
    fn allow(&self, with_options: bool) -> String {
        let mut methods: Vec<&str> = self.methods().iter().map(|m| m.as_str()).collect();
        if with_options {
            methods.push("OPTIONS");
        }
        methods.join(", ")
    }

    /// 405 with the `Allow` header RFC 9110 asks for.
    pub fn method_not_allowed(&self) -> crate::reply::Reply {
        crate::reply::Reply::error(405, "method not allowed").with_header("Allow", self.allow(false))
    }

    /// A CORS preflight outside the API (pings from a browser, badges):
    /// answered, never counted as a ping.
    pub fn preflight(&self) -> crate::reply::Reply {
        crate::reply::Reply::empty(204)
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Access-Control-Allow-Methods", self.allow(true))
            .with_header("Access-Control-Allow-Headers", "Content-Type")
            .with_header("Access-Control-Max-Age", "600")
            .with_header("Allow", self.allow(true))
    }

    /// CORS as healthchecks: any origin may call the API with a key.
    pub fn with_api_cors(&self, reply: crate::reply::Reply) -> crate::reply::Reply {
        reply
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Access-Control-Allow-Headers", "X-Api-Key, Authorization, Content-Type, X-Edgebeat-Project")
            .with_header("Access-Control-Allow-Methods", self.allow(true))
            .with_header("Access-Control-Max-Age", "600")
    }
}

/// Where a request that `route` would refuse with 405 goes instead: the
/// slashed path, when `path` is the route's slashed spelling without its
/// slash (query string kept, as Django's `APPEND_SLASH` redirect keeps it).
///
/// healthchecks has no route for `/api/v3/checks/<uuid>/pings`, so Django
/// answers any method there with `301` to `…/pings/` (a POST only raises
/// in DEBUG), and clients follow it as a GET: the `healthchecks` crate's
/// `list_logged_pings` sends exactly that POST. edgebeat keeps serving the
/// methods such a path takes (a GET list, a POST create) and redirects
/// only what it would refuse. An OPTIONS preflight is answered, never
/// redirected (browsers do not follow a redirected preflight), and paths
/// spelled without a slash (`/pause`, `/ping/<uuid>`) never redirect.
pub fn slash_redirect(route: &Route, method: Method, path: &str, query: &str) -> Option<String> {
    let refused = method != Method::Options && !route.methods().contains(&method);
    if !refused || !route.ends_with_slash() || path.ends_with('/') {
        return None;
    }
    Some(match query {
        "" => format!("{path}/"),
        query => format!("{path}/?{query}"),
    })
}

/// Pings at the root, as on hc-ping.com (`https://hc-ping.com/<uuid>`), so a
/// script moves over by changing only the host: a UUID first segment, or a
/// `<ping_key>/<slug>` pair whose key is no path edgebeat uses itself.
fn root_ping(path: &str) -> Option<Route> {
    let rest = path.strip_prefix('/')?;
    let mut segments = rest.split('/');
    let first = segments.next()?;
    let count = rest.split('/').count();
    let reserved = ["api", "ping", "health", "badge", "b", "projects", "cdn-cgi", "app", "alertmanager", "status"];
    let ping_like =
        Uuid::parse(first).is_some() || ((2..=3).contains(&count) && first.len() >= 8 && !reserved.contains(&first));
    ping_like.then(|| Route::Ping(rest.to_owned()))
}

/// healthchecks' Prometheus paths: the key in the path, or (no key) as a
/// bearer token; `checks/metrics` is the older spelling. The bearer form is
/// spelled `metrics/`; `metrics` routes to it too, as the API's collections.
fn metrics_route(rest: &str) -> Option<Route> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (project, key) = match segments[..] {
        [project, "metrics"] => (project, ""),
        [project, "metrics", key] | [project, "checks", "metrics", key] => (project, key),
        _ => return None,
    };
    let key = (!key.is_empty()).then(|| key.to_owned());
    Some(Route::Metrics { project: project.to_owned(), key })
}

fn api_version(segment: &str) -> Option<u8> {
    match segment {
        "v1" => Some(1),
        "v2" => Some(2),
        "v3" => Some(3),
        _ => None,
    }
}

/// Channel ids are UUIDs, or the names of the channels kept from secrets.
fn is_channel_id(text: &str) -> bool {
    Uuid::parse(text).is_some() || text.starts_with("default-") && text.len() < 40
}

fn check_ref(id: &str) -> Option<CheckRef> {
    match Uuid::parse(id) {
        Some(uuid) => Some(CheckRef::Uuid(uuid)),
        None if is_unique_key(id) => Some(CheckRef::UniqueKey(id.to_owned())),
        None => None,
    }
}

fn is_unique_key(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The routes under `/api/v3/projects/<id>/`.
fn project_route(id: &str, rest: &[&str]) -> Option<Route> {
    let project = id.to_owned();
    match rest {
        ["members"] => Some(Route::ProjectMembers(project)),
        ["members", email] => {
            let email = percent_encoding::percent_decode_str(email).decode_utf8().ok()?;
            (!email.is_empty()).then(|| Route::ProjectMember { project, email: email.into_owned() })
        }
        ["keys"] => Some(Route::ProjectKeys(project)),
        ["audit"] => Some(Route::ProjectAudit(project)),
        _ => None,
    }
}

/// Finds the route for a path, or `None` when nothing lives there.
pub fn route(path: &str) -> Option<Route> {
    if path == "/health" {
        return Some(Route::Health);
    }
    if path == "/metrics" {
        return Some(Route::DeploymentMetrics);
    }
    if let Some(rest) = path.strip_prefix("/ping/") {
        if let Some(target) = rest.strip_suffix("/snooze").filter(|t| matches!(t.split('/').count(), 1 | 2)) {
            return Some(Route::PingSnooze(target.to_owned()));
        }
        return Some(Route::Ping(rest.to_owned()));
    }
    if let Some(rest) = path.strip_prefix("/badge/") {
        return Some(Route::Badge(rest.to_owned()));
    }
    if let Some(rest) = path.strip_prefix("/b/") {
        return Some(Route::CheckBadge(rest.to_owned()));
    }
    if let Some(rest) = path.strip_prefix("/projects/") {
        return metrics_route(rest);
    }
    if let Some(rest) = path.strip_prefix("/status/") {
        let (slug, json) = match rest.strip_suffix(".json") {
            Some(slug) => (slug, true),
            None => (rest, false),
        };
        return (!slug.is_empty() && !slug.contains('/'))
            .then(|| Route::PublicStatusPage { slug: slug.to_owned(), json });
    }
    if let Some(key) = path.strip_prefix("/alertmanager/") {
        // One segment: the ping grammar's key (Django's slug converter).
        let key_like = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        return key_like.then(|| Route::Alertmanager(key.to_owned()));
    }
    let Some(rest) = path.strip_prefix("/api/") else {
        return root_ping(path);
    };
    // Both `/api/v3/checks/` and `/api/v3/checks` (clients differ).
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let version = api_version(segments.first()?)?;
    match segments[1..] {
        ["projects"] if version == 3 => Some(Route::Projects),
        ["me"] if version == 3 => Some(Route::Me),
        ["projects", id] if version == 3 && Uuid::parse(id).is_some() => Some(Route::Project((*id).to_owned())),
        ["projects", id, ref rest @ ..] if version == 3 && Uuid::parse(id).is_some() => project_route(id, rest),
        ["checks", id, "audit"] if version == 3 => Some(Route::CheckAudit(check_ref(id)?)),
        ["channels"] => Some(Route::Channels),
        ["channels", "kinds"] => Some(Route::ChannelKinds),
        ["channels", id] if is_channel_id(id) => Some(Route::Channel(id.to_owned())),
        ["channels", id, "test"] if is_channel_id(id) => Some(Route::ChannelTest(id.to_owned())),
        ["notifications"] => Some(Route::Notifications),
        ["maintenance"] if version == 3 => Some(Route::MaintenanceWindows),
        ["maintenance", id] if version == 3 && Uuid::parse(id).is_some() => {
            Some(Route::MaintenanceWindow((*id).to_owned()))
        }
        ["badges"] => Some(Route::Badges),
        ["status-pages"] if version == 3 => Some(Route::StatusPages),
        ["status-pages", slug] if version == 3 && !slug.is_empty() => Some(Route::StatusPage((*slug).to_owned())),
        ["openapi.json"] if version == 3 => Some(Route::OpenApi),
        ["schedule", "preview"] if version == 3 => Some(Route::SchedulePreview),
        ["schedule", "zones"] if version == 3 => Some(Route::TimeZones),
        ["checks"] => Some(Route::Checks { version }),
        ["checks", id] => Some(Route::Check { version, check: check_ref(id)? }),
        ["checks", id, "flips"] => Some(Route::CheckFlips { version, check: check_ref(id)? }),
        ["checks", id, "pings"] => Some(Route::CheckPings { version, check: Uuid::parse(id)? }),
        ["checks", id, "pings", n, "body"] => {
            let n = n.parse().ok().filter(|n: &i64| *n >= 1)?;
            Some(Route::PingBody { version, check: Uuid::parse(id)?, n })
        }
        ["checks", id, "snooze"] => Some(Route::CheckSnooze { version, check: Uuid::parse(id)? }),
        ["checks", id, action] => {
            let check = Uuid::parse(id)?;
            let action = match action {
                "pause" => CheckAction::Pause,
                "resume" => CheckAction::Resume,
                _ => return None,
            };
            Some(Route::CheckAction { version, check, action })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn fixed_routes() {
        assert_eq!(route("/health"), Some(Route::Health));
        assert_eq!(route("/metrics"), Some(Route::DeploymentMetrics));
        assert!(!route("/metrics").unwrap().is_api());
        assert_eq!(route("/ping/abc/def"), Some(Route::Ping("abc/def".into())));
        assert_eq!(route("/api/v3/projects/"), Some(Route::Projects));
        assert_eq!(route("/api/v1/projects/"), None);
        assert_eq!(route("/nope"), None);
    }

    #[test]
    fn pings_also_live_at_the_root_like_hc_ping_com() {
        assert_eq!(route(&format!("/{UUID}")), Some(Route::Ping(UUID.into())));
        assert_eq!(route(&format!("/{UUID}/fail")), Some(Route::Ping(format!("{UUID}/fail"))));
        let key = "abcdefghij0123456789ab";
        assert_eq!(route(&format!("/{key}/backup/start")), Some(Route::Ping(format!("{key}/backup/start"))));
        assert_eq!(route("/short/backup"), None);
        assert!(!matches!(route("/projects/x/metrics"), Some(Route::Ping(_))));
        assert_eq!(route(&format!("/{key}")), None);
    }

    #[test]
    fn check_routes_in_every_api_version() {
        assert_eq!(route("/api/v3/checks/"), Some(Route::Checks { version: 3 }));
        assert_eq!(route("/api/v1/checks"), Some(Route::Checks { version: 1 }));
        let uuid = Uuid::parse(UUID).unwrap();
        assert_eq!(
            route(&format!("/api/v2/checks/{UUID}")),
            Some(Route::Check { version: 2, check: CheckRef::Uuid(uuid) })
        );
        assert_eq!(
            route(&format!("/api/v3/checks/{UUID}/pause")),
            Some(Route::CheckAction { version: 3, check: uuid, action: CheckAction::Pause })
        );
        let key = "a".repeat(40);
        assert_eq!(
            route(&format!("/api/v3/checks/{key}")),
            Some(Route::Check { version: 3, check: CheckRef::UniqueKey(key) })
        );
        assert_eq!(route("/api/v3/checks/not-a-uuid"), None);
        assert_eq!(route(&format!("/api/v3/checks/{UUID}/explode")), None);
        assert_eq!(route("/api/v4/checks/"), None);
        assert_eq!(
            route(&format!("/api/v3/checks/{UUID}/pings/")),
            Some(Route::CheckPings { version: 3, check: uuid })
        );
        assert_eq!(
            route(&format!("/api/v3/checks/{UUID}/pings/12/body")),
            Some(Route::PingBody { version: 3, check: uuid, n: 12 })
        );
        assert_eq!(route(&format!("/api/v3/checks/{UUID}/pings/0/body")), None);
        assert_eq!(route(&format!("/api/v3/checks/{UUID}/pings/x/body")), None);
        assert_eq!(
            route(&format!("/api/v3/checks/{UUID}/flips/")),
            Some(Route::CheckFlips { version: 3, check: CheckRef::Uuid(uuid) })
        );
        assert_eq!(route("/api/v3/channels/"), Some(Route::Channels));
        assert_eq!(route(&format!("/api/v3/channels/{UUID}")), Some(Route::Channel(UUID.into())));
        assert_eq!(route("/api/v3/channels/default-slack/test"), Some(Route::ChannelTest("default-slack".into())));
        assert_eq!(route("/api/v3/channels/whatever"), None);
        assert_eq!(route("/api/v3/notifications/"), Some(Route::Notifications));
        assert_eq!(route("/api/v3/badges/"), Some(Route::Badges));
        assert_eq!(route("/api/v3/schedule/preview"), Some(Route::SchedulePreview));
        assert_eq!(route("/api/v3/schedule/zones/"), Some(Route::TimeZones));
        assert_eq!(route("/api/v1/schedule/preview"), None);
        assert_eq!(route("/badge/k/s/db%2540dc1.svg"), Some(Route::Badge("k/s/db%2540dc1.svg".into())));
        assert_eq!(route("/b/2/abc.svg"), Some(Route::CheckBadge("2/abc.svg".into())));
        assert_eq!(
            route("/projects/p/metrics/key"),
            Some(Route::Metrics { project: "p".into(), key: Some("key".into()) })
        );
        assert_eq!(route("/projects/p/metrics/"), Some(Route::Metrics { project: "p".into(), key: None }));
        assert_eq!(route("/projects/p/metrics"), Some(Route::Metrics { project: "p".into(), key: None }));
        assert_eq!(route("/projects/p/checks/metrics"), None, "healthchecks has no keyless checks/metrics");
        assert_eq!(
            route("/projects/p/checks/metrics/k"),
            Some(Route::Metrics { project: "p".into(), key: Some("k".into()) })
        );
        assert_eq!(route("/projects/p/other"), None);
        assert_eq!(route("/alertmanager/abc_D-1"), Some(Route::Alertmanager("abc_D-1".into())));
        assert_eq!(route("/alertmanager/"), None);
        assert_eq!(route("/alertmanager/abc/def"), None, "never a root ping either");
        assert_eq!(route("/alertmanager/a.b"), None);
    }

    /// A concrete path for a pattern of `ROUTES`.
    fn sample(pattern: &str) -> String {
        let values = [
            ("{uuid}", UUID),
            ("{signal}", "fail"),
            ("{ping_key}", "abcdefghij0123456789ab"),
            ("{slug}", "backup"),
            ("{check}", UUID),
            ("{n}", "3"),
            ("{channel_id}", UUID),
            ("{window_id}", UUID),
            ("{badge_key}", "k"),
            ("{signature}", "s"),
            ("{format}", "svg"),
            ("{tag}", "db"),
            ("{states}", "2"),
            ("{check_badge_key}", "abc"),
            ("{project_id}", UUID),
            ("{email}", "ops%40example.com"),
            ("{key}", "k"),
            ("{page_slug}", "acme"),
        ];
        values.iter().fold(pattern.to_owned(), |path, (name, value)| path.replace(name, value))
    }

    /// The grammar is described once: every listed pattern routes, with
    /// exactly the listed methods, so the list, the router and (through
    /// tests/openapi_doc.rs) the OpenAPI document cannot disagree.
    #[test]
    fn every_listed_route_is_routed_with_its_listed_methods() {
        for (pattern, methods) in ROUTES {
            let path = sample(pattern);
            assert!(!path.contains('{'), "no sample value for a placeholder of {pattern}");
            let found = route(&path).unwrap_or_else(|| panic!("{pattern} ({path}) is not routed"));
            assert_eq!(found.methods(), *methods, "methods of {pattern}");
        }
    }

    const ALL_METHODS: [Method; 8] = [Get, Head, Post, Put, Patch, Delete, Method::Options, Method::Other];

    /// The slashed spellings of `ROUTES` are exactly the routes that say so.
    #[test]
    fn a_route_ends_with_a_slash_as_its_listed_pattern_does() {
        for (pattern, _) in ROUTES {
            let found = route(&sample(pattern)).unwrap();
            assert_eq!(found.ends_with_slash(), pattern.ends_with('/'), "{pattern}");
        }
    }

    /// The paths the OpenAPI document lists (the patterns) never redirect,
    /// whatever the method: only their slashless aliases do.
    #[test]
    fn listed_paths_never_redirect() {
        for (pattern, _) in ROUTES {
            let path = sample(pattern);
            let found = route(&path).unwrap();
            for method in ALL_METHODS {
                assert_eq!(slash_redirect(&found, method, &path, "a=1"), None, "{} {path}", method.as_str());
            }
        }
    }

    #[test]
    fn a_refused_method_on_a_slashless_collection_goes_to_the_slashed_path() {
        let pings = format!("/api/v3/checks/{UUID}/pings");
        let found = route(&pings).unwrap();
        assert_eq!(slash_redirect(&found, Post, &pings, ""), Some(format!("{pings}/")));
        assert_eq!(slash_redirect(&found, Delete, &pings, ""), Some(format!("{pings}/")));
        assert_eq!(slash_redirect(&found, Head, &pings, ""), Some(format!("{pings}/")));
        assert_eq!(slash_redirect(&found, Method::Other, &pings, ""), Some(format!("{pings}/")));
        // What edgebeat serves without the slash is served, not redirected.
        assert_eq!(slash_redirect(&found, Get, &pings, ""), None);
        assert_eq!(slash_redirect(&found, Method::Options, &pings, ""), None, "a preflight is answered");
        let flips = format!("/api/v1/checks/{}/flips", "c".repeat(40));
        let found = route(&flips).unwrap();
        assert_eq!(
            slash_redirect(&found, Post, &flips, "seconds=60&a=%20"),
            Some(format!("{flips}/?seconds=60&a=%20"))
        );
        for version in 1..=3 {
            for collection in ["checks", "channels", "badges", "notifications"] {
                let path = format!("/api/v{version}/{collection}");
                let found = route(&path).unwrap();
                assert_eq!(slash_redirect(&found, Get, &path, ""), None, "{path}");
                assert_eq!(slash_redirect(&found, Put, &path, ""), Some(format!("{path}/")), "{path}");
            }
        }
        let checks = route("/api/v2/checks").unwrap();
        assert_eq!(slash_redirect(&checks, Post, "/api/v2/checks", ""), None, "a POST creates, as today");
        for path in ["/api/v3/projects", "/api/v3/maintenance", "/projects/p/metrics"] {
            assert_eq!(slash_redirect(&route(path).unwrap(), Delete, path, ""), Some(format!("{path}/")));
        }
        let metrics = route("/projects/p/metrics").unwrap();
        assert_eq!(slash_redirect(&metrics, Get, "/projects/p/metrics", ""), None, "a scrape is served");
    }

    #[test]
    fn paths_spelled_without_a_slash_never_redirect() {
        for path in [
            format!("/api/v3/checks/{UUID}"),
            format!("/api/v3/checks/{UUID}/pause"),
            format!("/api/v3/checks/{UUID}/pings/2/body"),
            format!("/ping/{UUID}"),
            format!("/ping/{UUID}/fail"),
            "/ping/abcdefghij0123456789ab/backup".to_owned(),
            "/health".to_owned(),
            "/alertmanager/abcdefghij".to_owned(),
        ] {
            let found = route(&path).unwrap();
            for method in ALL_METHODS {
                assert_eq!(slash_redirect(&found, method, &path, ""), None, "{} {path}", method.as_str());
            }
        }
    }

    #[test]
    fn snoozes_have_their_own_routes() {
        let uuid = Uuid::parse(UUID).unwrap();
        assert_eq!(
            route(&format!("/api/v3/checks/{UUID}/snooze")),
            Some(Route::CheckSnooze { version: 3, check: uuid })
        );
        assert_eq!(route(&format!("/ping/{UUID}/snooze")), Some(Route::PingSnooze(UUID.into())));
        assert_eq!(route("/ping/key/backup/snooze"), Some(Route::PingSnooze("key/backup".into())));
        assert_eq!(route(&format!("/ping/{UUID}/snooze")).unwrap().methods(), &[Post], "GET is refused");
        assert!(!route("/ping/key/backup/snooze").unwrap().is_api());
        assert_eq!(route("/ping/a/b/c/snooze"), Some(Route::Ping("a/b/c/snooze".into())));
    }

    #[test]
    fn people_and_projects() {
        assert_eq!(route("/api/v3/me"), Some(Route::Me));
        assert_eq!(route("/api/v1/me"), None);
        assert_eq!(route(&format!("/api/v3/projects/{UUID}")), Some(Route::Project(UUID.into())));
        assert_eq!(route("/api/v3/projects/not-a-uuid"), None);
        assert_eq!(route(&format!("/api/v3/projects/{UUID}/members")), Some(Route::ProjectMembers(UUID.into())));
        assert_eq!(
            route(&format!("/api/v3/projects/{UUID}/members/Ada%40Example.com")),
            Some(Route::ProjectMember { project: UUID.into(), email: "Ada@Example.com".into() })
        );
        assert_eq!(
            route(&format!("/api/v3/projects/{UUID}/members/ada@example.com")),
            Some(Route::ProjectMember { project: UUID.into(), email: "ada@example.com".into() })
        );
        assert_eq!(route(&format!("/api/v3/projects/{UUID}/members/%FF")), None);
        assert_eq!(route(&format!("/api/v3/projects/{UUID}/audit/")), Some(Route::ProjectAudit(UUID.into())));
        assert_eq!(route(&format!("/api/v3/projects/{UUID}/keys/")), Some(Route::ProjectKeys(UUID.into())));
        assert_eq!(route(&format!("/api/v3/projects/{UUID}/other")), None);
        let uuid = Uuid::parse(UUID).unwrap();
        assert_eq!(route(&format!("/api/v3/checks/{UUID}/audit/")), Some(Route::CheckAudit(CheckRef::Uuid(uuid))));
        assert_eq!(route(&format!("/api/v1/checks/{UUID}/audit/")), None);
    }

    #[test]
    fn status_pages_have_a_public_and_a_management_route() {
        let public = |slug: &str, json| Some(Route::PublicStatusPage { slug: slug.into(), json });
        assert_eq!(route("/status/acme"), public("acme", false));
        assert_eq!(route("/status/acme.json"), public("acme", true));
        assert_eq!(route("/status/Bad.Slug"), public("Bad.Slug", false), "the handler refuses it");
        assert_eq!(route("/status/"), None);
        assert_eq!(route("/status/.json"), None);
        assert_eq!(route("/status/a/b"), None);
        assert!(!route("/status/acme").unwrap().is_api());
        assert_eq!(route("/api/v3/status-pages"), Some(Route::StatusPages));
        assert_eq!(route("/api/v3/status-pages/acme"), Some(Route::StatusPage("acme".into())));
        assert_eq!(route("/api/v1/status-pages/"), None);
        assert!(route("/api/v3/status-pages/").unwrap().is_api());
    }

    #[test]
    fn the_dashboard_is_never_a_ping() {
        assert_eq!(route("/app/checks/x"), None);
    }

    #[test]
    fn methods_per_route() {
        assert_eq!(route("/health").unwrap().methods(), &[Get, Head]);
        let by_key = route(&format!("/api/v3/checks/{}", "b".repeat(40))).unwrap();
        assert_eq!(by_key.methods(), &[Get], "a unique key only reads");
    }
}
