//! Cross-site request forgery: a page of another site making the browser
//! send a change to edgebeat with the credentials the browser holds (Access
//! adds its token to such requests too). Browsers say where a request comes
//! from: `Origin` on every POST, PUT, PATCH and DELETE, and `Sec-Fetch-Site`
//! on every request. A write is refused when either shows another origin:
//! - `Sec-Fetch-Site: cross-site`, or `same-site` (a sibling subdomain or
//!   another port of the same host is another origin, and may be run by
//!   someone else: `same-site` is refused too);
//! - an `Origin` that is neither the request's own origin nor `PUBLIC_URL`'s
//!   (including `Origin: null`, what sandboxed frames and some redirects send).
//!
//! Requests without those headers (curl, scripts, the CLI) are not browsers
//! tricked by a page, and are not refused. Reads never are: they change
//! nothing, and the API answers them to any origin (CORS) as before.

use crate::route::Method;

/// Why a write is refused as cross-site, or `None` when it is not.
pub fn cross_site(
    method: Method,
    origin: Option<&str>,
    fetch_site: Option<&str>,
    own_origins: &[&str],
) -> Option<String> {
    if !matches!(method, Method::Post | Method::Put | Method::Patch | Method::Delete) {
        return None;
    }
    if let Some(site) = fetch_site.map(|s| s.trim().to_ascii_lowercase()) {
        if site == "cross-site" || site == "same-site" {
            return Some(format!("a change sent from another site (Sec-Fetch-Site: {site}) is refused"));
        }
    }
    let origin = origin.map(str::trim)?;
    let own = |candidate: &str| candidate.trim_end_matches('/').eq_ignore_ascii_case(origin);
    if own_origins.iter().any(|o| own(o)) {
        return None;
    }
    Some(format!("a change sent from another origin (Origin: {origin}) is refused"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OWN: &[&str] = &["https://beat.example.com", "https://edgebeat.acme.workers.dev"];

    #[test]
    fn writes_from_the_own_origin_or_without_browser_headers_pass() {
        assert_eq!(cross_site(Method::Post, None, None, OWN), None, "curl");
        assert_eq!(cross_site(Method::Post, Some("https://beat.example.com"), Some("same-origin"), OWN), None);
        assert_eq!(cross_site(Method::Delete, Some("https://edgebeat.acme.workers.dev"), None, OWN), None);
        assert_eq!(cross_site(Method::Post, None, Some("same-origin"), OWN), None);
        assert_eq!(cross_site(Method::Post, None, Some("none"), OWN), None, "typed by the user");
    }

    #[test]
    fn writes_from_elsewhere_are_refused() {
        assert!(cross_site(Method::Post, Some("https://evil.example"), None, OWN).is_some());
        assert!(cross_site(Method::Post, Some("null"), None, OWN).is_some());
        assert!(cross_site(Method::Put, None, Some("cross-site"), OWN).is_some());
        assert!(cross_site(Method::Patch, Some("https://beat.example.com"), Some("same-site"), OWN).is_some());
        assert!(cross_site(Method::Delete, Some("https://x.beat.example.com"), Some("same-site"), OWN).is_some());
        assert!(cross_site(Method::Post, Some("http://beat.example.com"), None, OWN).is_some(), "another scheme");
        assert!(cross_site(Method::Post, Some("https://beat.example.com:8443"), None, OWN).is_some());
        let why = cross_site(Method::Post, Some("https://evil.example"), Some("cross-site"), OWN).unwrap();
        assert!(why.contains("another site"), "{why}");
    }

    proptest! {
        /// Reads are never refused, whatever they carry.
        #[test]
        fn reads_pass(origin in proptest::option::of(".{0,30}"), site in proptest::option::of("cross-site|same-site|none|.{0,10}")) {
            for method in [Method::Get, Method::Head, Method::Options] {
                prop_assert_eq!(cross_site(method, origin.as_deref(), site.as_deref(), OWN), None);
            }
        }

        /// A write with an Origin passes only when that Origin is one of ours.
        #[test]
        fn writes_pass_only_from_their_own_origin(host in "[a-z]{1,10}\\.[a-z]{2,4}") {
            let origin = format!("https://{host}");
            let refused = cross_site(Method::Post, Some(&origin), None, OWN).is_some();
            prop_assert_eq!(refused, !OWN.contains(&origin.as_str()));
        }
    }
}
