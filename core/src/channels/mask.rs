//! How settings are shown back: a secret by its start, a URL by where it
//! goes (scheme, host and port) and nothing that can be a secret.

use url::Url;

/// Shows the start of a secret and hides the rest.
pub fn mask_secret(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}…")
}

/// Shows where a URL goes (scheme, host and port) and nothing that can be a
/// secret: no user name or password, path, query or fragment.
pub fn mask_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some();
            format!("{}://{host}{port}/{}", parsed.scheme(), if hidden { "…" } else { "" })
        }
        Err(_) => "…".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_show_only_scheme_host_and_port() {
        let cases = [
            ("https://user:pass@hooks.example/T0/B0/SECRET", "https://hooks.example/…"),
            ("https://hooks.example?token=SECRET", "https://hooks.example/…"),
            ("https://hooks.example/#SECRET", "https://hooks.example/…"),
            ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/…"),
            ("https://hooks.example", "https://hooks.example/"),
            ("not a url SECRET", "…"),
        ];
        for (url, shown) in cases {
            assert_eq!(mask_url(url), shown, "{url}");
        }
        assert_eq!(mask_secret("R0UTINGKEY123"), "R0UT…");
    }
}
