//! People: Cloudflare Access sign-in, members and their roles per project,
//! who may do what, and cross-site request forgery.
//!
//! - `token`: an Access token (a JWT) parsed, and every check of it but the
//!   signature (the platform verifies that with WebCrypto);
//! - `keys`: the team's signing keys (JWKS) and when to fetch them again;
//! - `roles`: roles, the actors a request can be, and the permission matrix
//!   every API request goes through;
//! - `members`: email addresses, member specs, and the plans that change
//!   a project's members (a project keeps an owner);
//! - `csrf`: whether a write comes from another site.

pub mod csrf;
pub mod keys;
pub mod members;
pub mod roles;
pub mod token;

/// How this deployment reads Access tokens (`ACCESS_TEAM_DOMAIN`,
/// `ACCESS_AUD`, `ACCESS_CERTS_URL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessSettings {
    /// `myteam.cloudflareaccess.com`: tokens are issued by `https://<it>`.
    pub team_domain: String,
    /// The application audience tags a token may be for (one per Access
    /// application in front of edgebeat).
    pub audiences: Vec<String>,
    /// Where the team's signing keys are published.
    pub certs_url: String,
}

impl AccessSettings {
    /// The settings from the three values, or why they cannot be used.
    /// A team domain may be given as a URL; only its host is kept.
    pub fn from_values(team_domain: &str, audiences: &str, certs_url: Option<&str>) -> Result<AccessSettings, String> {
        let host =
            team_domain.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        let host = host.to_ascii_lowercase();
        let host_like = !host.is_empty()
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
            && host.contains('.');
        if !host_like {
            return Err("ACCESS_TEAM_DOMAIN must be a host name such as myteam.cloudflareaccess.com".into());
        }
        let audiences: Vec<String> =
            audiences.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
        if audiences.is_empty() {
            return Err("ACCESS_AUD must name the Access application's audience tag".into());
        }
        let certs_url = match certs_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.to_owned(),
            Some(_) => return Err("ACCESS_CERTS_URL must be an http(s) URL".into()),
            None => format!("https://{host}/cdn-cgi/access/certs"),
        };
        Ok(AccessSettings { team_domain: host, audiences, certs_url })
    }

    /// The issuer every token of the team names.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.team_domain)
    }
}

/// The cookie Access sets in the browser, holding the same token as the
/// `Cf-Access-Jwt-Assertion` header it adds to requests it lets through.
pub const ACCESS_COOKIE: &str = "CF_Authorization";
pub const ACCESS_HEADER: &str = "cf-access-jwt-assertion";

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`).
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.trim())
}

/// The Access token a request carries: the header Access adds, else the
/// cookie (a browser's own requests to the Worker, as in tests).
pub fn presented_token<'a>(header: Option<&'a str>, cookies: Option<&'a str>) -> Option<&'a str> {
    header.map(str::trim).filter(|t| !t.is_empty()).or_else(|| {
        cookies.and_then(|c| cookie(c, ACCESS_COOKIE)).map(|t| t.trim_matches('"')).filter(|t| !t.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn settings_from_values() {
        let s = AccessSettings::from_values("https://MyTeam.cloudflareaccess.com/", "aud1, aud2", None).unwrap();
        assert_eq!(s.team_domain, "myteam.cloudflareaccess.com");
        assert_eq!(s.issuer(), "https://myteam.cloudflareaccess.com");
        assert_eq!(s.audiences, vec!["aud1", "aud2"]);
        assert_eq!(s.certs_url, "https://myteam.cloudflareaccess.com/cdn-cgi/access/certs");
        let local = AccessSettings::from_values("t.example", "a", Some("http://127.0.0.1:9/certs")).unwrap();
        assert_eq!(local.certs_url, "http://127.0.0.1:9/certs");
        assert!(AccessSettings::from_values("", "a", None).is_err());
        assert!(AccessSettings::from_values("no spaces.example com", "a", None).is_err());
        assert!(AccessSettings::from_values("t.example", " , ", None).is_err());
        assert!(AccessSettings::from_values("t.example", "a", Some("ftp://x")).is_err());
    }

    #[test]
    fn the_header_wins_over_the_cookie() {
        assert_eq!(presented_token(Some(" h "), Some("CF_Authorization=c")), Some("h"));
        assert_eq!(presented_token(None, Some("a=1; CF_Authorization=c; b=2")), Some("c"));
        assert_eq!(presented_token(Some(""), Some("CF_Authorization=\"c\"")), Some("c"));
        assert_eq!(presented_token(None, Some("CF_Authorization_x=c")), None);
        assert_eq!(presented_token(None, Some("CF_Authorization=")), None);
        assert_eq!(presented_token(None, None), None);
    }

    proptest! {
        /// Whatever else the Cookie header holds, the token is found.
        #[test]
        fn the_cookie_is_found_among_others(
            before in proptest::collection::vec(("[a-zA-Z_]{1,8}", "[a-zA-Z0-9]{0,8}"), 0..4),
            after in proptest::collection::vec(("[a-zA-Z_]{1,8}", "[a-zA-Z0-9]{0,8}"), 0..4),
            token in "[A-Za-z0-9_.-]{1,40}",
        ) {
            let pairs = |v: &[(String, String)]| v.iter().filter(|(n, _)| n != ACCESS_COOKIE).map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>();
            let mut all = pairs(&before);
            all.push(format!("{ACCESS_COOKIE}={token}"));
            all.extend(pairs(&after));
            let header = all.join("; ");
            prop_assert_eq!(presented_token(None, Some(&header)), Some(token.as_str()));
        }
    }
}
