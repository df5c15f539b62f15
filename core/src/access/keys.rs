//! The team's signing keys, as Access publishes them (a JWKS at
//! `https://<team domain>/cdn-cgi/access/certs`), and when an isolate
//! fetches them again.
//!
//! An isolate keeps the keys it fetched (`KeyCache`) and uses them for
//! `KEYS_TTL_SECS`. A token naming a key it does not have makes it fetch
//! again at once (Access rotates its keys, and a new one must work without
//! a restart), and so does a cache past its time; but every fetch, failed
//! or not, counts, and an isolate fetches at most `MAX_FETCHES` times in
//! any `FETCH_WINDOW_SECS`, so that tokens naming made-up keys cannot make
//! it fetch on every request. Past that, an unknown key is refused and old
//! keys are used as they are.

use crate::time::Timestamp;
use serde_json::{json, Value};

/// How long fetched keys are used before they are fetched again.
pub const KEYS_TTL_SECS: i64 = 3600;
/// At most this many fetches ...
pub const MAX_FETCHES: usize = 3;
/// ... in any window of this many seconds.
pub const FETCH_WINDOW_SECS: i64 = 60;
/// A key set larger than this is refused.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// One of the team's RSA public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    /// Modulus and exponent, base64url, as published.
    pub n: String,
    pub e: String,
}

impl Jwk {
    /// The key as WebCrypto's `importKey("jwk", …)` takes it for RS256.
    pub fn webcrypto_json(&self) -> String {
        json!({"kty": "RSA", "n": self.n, "e": self.e, "alg": "RS256", "ext": true}).to_string()
    }
}

/// The RS256 signing keys of a JWKS document. Keys of another type, for
/// another algorithm or use, or without an id, are left out.
pub fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>, String> {
    if body.len() > MAX_JWKS_BYTES {
        return Err(format!("the key set is larger than {MAX_JWKS_BYTES} bytes"));
    }
    let document: Value = serde_json::from_slice(body).map_err(|_| "the key set is not JSON".to_owned())?;
    let keys = document.get("keys").and_then(Value::as_array).ok_or("the key set has no \"keys\" list")?;
    let text = |key: &Value, name: &str| key.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(keys
        .iter()
        .filter(|key| text(key, "kty").as_deref() == Some("RSA"))
        .filter(|key| text(key, "alg").is_none_or(|alg| alg == "RS256"))
        .filter(|key| text(key, "use").is_none_or(|usage| usage == "sig"))
        .filter_map(|key| {
            let (kid, n, e) = (text(key, "kid")?, text(key, "n")?, text(key, "e")?);
            (!kid.is_empty() && !n.is_empty() && !e.is_empty()).then_some(Jwk { kid, n, e })
        })
        .collect())
}

/// What to do about a token's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Verify with this key.
    Found(Jwk),
    /// Fetch the keys (and record the attempt), then look again.
    Fetch,
    /// No such key, and no fetch allowed now.
    Unknown,
    /// Nothing was ever fetched, and no fetch is allowed now.
    Unavailable,
}

/// One isolate's keys, and its recent fetches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyCache {
    keys: Vec<Jwk>,
    fetched_at: Option<Timestamp>,
    /// Fetches started within the last window, oldest first.
    fetches: Vec<Timestamp>,
    /// Why the last fetch failed, if it did.
    pub last_problem: Option<String>,
}

impl KeyCache {
    fn may_fetch(&self, now: Timestamp) -> bool {
        self.fetches.iter().filter(|at| now.millis() - at.millis() < FETCH_WINDOW_SECS * 1000).count() < MAX_FETCHES
    }

    /// Whether keys were ever fetched.
    pub fn has_keys(&self) -> bool {
        self.fetched_at.is_some()
    }

    /// What to do about key `kid` at `now`.
    pub fn lookup(&self, kid: &str, now: Timestamp) -> Lookup {
        let found = self.keys.iter().find(|k| k.kid == kid).cloned();
        let fresh = self.fetched_at.is_some_and(|at| now.millis() - at.millis() < KEYS_TTL_SECS * 1000);
        match found {
            Some(key) if fresh || !self.may_fetch(now) => Lookup::Found(key),
            _ if self.may_fetch(now) => Lookup::Fetch,
            None if self.fetched_at.is_none() => Lookup::Unavailable,
            _ => Lookup::Unknown,
        }
    }

    /// Records that a fetch starts at `now` (before it is made, so that
    /// requests waiting on one count it).
    pub fn fetching(&mut self, now: Timestamp) {
        self.fetches.retain(|at| now.millis() - at.millis() < FETCH_WINDOW_SECS * 1000);
        self.fetches.push(now);
    }

    /// What a fetch brought: new keys replace the old; a failure keeps them.
    pub fn fetched(&mut self, result: Result<Vec<Jwk>, String>, now: Timestamp) {
        match result {
            Ok(keys) => {
                self.keys = keys;
                self.fetched_at = Some(now);
                self.last_problem = None;
            }
            Err(problem) => self.last_problem = Some(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(kid: &str) -> Jwk {
        Jwk { kid: kid.into(), n: "bW9k".into(), e: "AQAB".into() }
    }

    #[test]
    fn the_rs256_signing_keys_of_a_key_set() {
        let body = json!({"keys": [
            {"kid": "a", "kty": "RSA", "alg": "RS256", "use": "sig", "n": "bW9k", "e": "AQAB"},
            {"kid": "b", "kty": "RSA", "n": "bW9k", "e": "AQAB"},
            {"kid": "c", "kty": "EC", "crv": "P-256", "x": "x", "y": "y"},
            {"kid": "d", "kty": "RSA", "alg": "RS512", "n": "bW9k", "e": "AQAB"},
            {"kid": "e", "kty": "RSA", "use": "enc", "n": "bW9k", "e": "AQAB"},
            {"kty": "RSA", "n": "bW9k", "e": "AQAB"},
            "junk"
        ], "public_cert": {"kid": "a", "cert": "..."}});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        assert_eq!(keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(parse_jwks(b"nope").is_err());
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(&vec![b' '; MAX_JWKS_BYTES + 1]).is_err());
        let imported: Value = serde_json::from_str(&keys[0].webcrypto_json()).unwrap();
        assert_eq!(imported["kty"], "RSA");
        assert_eq!(imported["alg"], "RS256");
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn keys_are_fetched_first_then_used_until_stale() {
        let mut cache = KeyCache::default();
        assert_eq!(cache.lookup("a", t(0)), Lookup::Fetch);
        cache.fetching(t(0));
        cache.fetched(Ok(vec![key("a")]), t(0));
        assert_eq!(cache.lookup("a", t(KEYS_TTL_SECS - 1)), Lookup::Found(key("a")));
        assert_eq!(cache.lookup("a", t(KEYS_TTL_SECS)), Lookup::Fetch, "stale keys are fetched again");
    }

    #[test]
    fn a_new_key_is_fetched_at_once_within_the_limit() {
        let mut cache = KeyCache::default();
        cache.fetching(t(0));
        cache.fetched(Ok(vec![key("a")]), t(0));
        assert_eq!(cache.lookup("b", t(1)), Lookup::Fetch, "a rotated key works without waiting");
        cache.fetching(t(1));
        cache.fetched(Ok(vec![key("a"), key("b")]), t(1));
        assert_eq!(cache.lookup("b", t(1)), Lookup::Found(key("b")));
        assert_eq!(cache.lookup("x", t(2)), Lookup::Fetch);
        cache.fetching(t(2));
        cache.fetched(Ok(vec![key("a"), key("b")]), t(2));
        assert_eq!(cache.lookup("x", t(3)), Lookup::Unknown, "three fetches in a minute: no more");
        assert_eq!(cache.lookup("a", t(3)), Lookup::Found(key("a")));
        assert_eq!(cache.lookup("x", t(FETCH_WINDOW_SECS)), Lookup::Fetch, "the first fetch left the window");
    }

    #[test]
    fn a_failed_fetch_keeps_the_old_keys_and_counts() {
        let mut cache = KeyCache::default();
        for i in 0..MAX_FETCHES as i64 {
            assert_eq!(cache.lookup("a", t(i)), Lookup::Fetch);
            cache.fetching(t(i));
            cache.fetched(Err("503".into()), t(i));
        }
        assert_eq!(cache.lookup("a", t(5)), Lookup::Unavailable);
        assert_eq!(cache.last_problem.as_deref(), Some("503"));
        cache.fetching(t(FETCH_WINDOW_SECS));
        cache.fetched(Ok(vec![key("a")]), t(FETCH_WINDOW_SECS));
        cache.fetching(t(KEYS_TTL_SECS + 100));
        cache.fetched(Err("timeout".into()), t(KEYS_TTL_SECS + 100));
        assert_eq!(cache.lookup("a", t(KEYS_TTL_SECS + 101)), Lookup::Fetch, "stale, and a fetch is allowed");
        for i in 0..2 {
            cache.fetching(t(KEYS_TTL_SECS + 101 + i));
        }
        assert_eq!(cache.lookup("a", t(KEYS_TTL_SECS + 110)), Lookup::Found(key("a")), "stale keys beat none");
    }

    proptest! {
        /// Whatever keys tokens name and whenever they come, an isolate
        /// fetches at most `MAX_FETCHES` times in any window.
        #[test]
        fn fetches_are_bounded(requests in proptest::collection::vec((0u8..6, 0i64..20), 1..200)) {
            let mut cache = KeyCache::default();
            let mut now = 0;
            let mut fetches = Vec::new();
            for (kid, gap) in requests {
                now += gap;
                if cache.lookup(&format!("k{kid}"), t(now)) == Lookup::Fetch {
                    cache.fetching(t(now));
                    fetches.push(now);
                    cache.fetched(Ok(vec![key("k0"), key("k1")]), t(now));
                }
            }
            for (i, start) in fetches.iter().enumerate() {
                let within = fetches[i..].iter().take_while(|at| **at - start < FETCH_WINDOW_SECS).count();
                prop_assert!(within <= MAX_FETCHES, "{within} fetches from {start}: {fetches:?}");
            }
        }
    }
}
