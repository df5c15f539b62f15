//! A Cloudflare Access token: a JWT (RFC 7519) signed with RS256 by one of
//! the team's keys. Parsing and every check but the signature live here;
//! the signature is verified by the platform (WebCrypto in the Worker)
//! against the key the token names (`keys`).
//!
//! What a token must be to sign a person in:
//! - three base64url parts, a header naming `alg: RS256` and a `kid`
//!   (`none`, HS256 and every other algorithm are refused, and so is a
//!   header with `crit` extensions edgebeat does not know);
//! - signed by the team's key with that `kid`;
//! - issued by `https://<team domain>` (`iss`), for one of the configured
//!   audience tags (`aud`, a string or a list);
//! - within its lifetime: `exp` is required, `nbf` optional, each with
//!   `CLOCK_SKEW_SECS` of tolerance for clocks that differ a little;
//! - naming an email address (a service token names none: it is not a
//!   person, and uses an API key instead).

use super::members::normalize_email;
use super::AccessSettings;
use crate::time::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Tolerance for clocks (Access's and the Worker's) that differ a little:
/// a token is accepted up to this long after `exp` and before `nbf`.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Longer tokens are refused unread (Access's are about 1 KB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the Cloudflare Access token is not a signed JWT")]
    Malformed,
    #[error("the Cloudflare Access token is signed with {0:?}; only RS256 is accepted")]
    Algorithm(String),
    #[error("the Cloudflare Access token has no valid {0} claim")]
    Claim(&'static str),
    #[error("the Cloudflare Access token is signed by a key the team does not publish")]
    UnknownKey,
    #[error("the Cloudflare Access token's signature is not valid")]
    BadSignature,
    #[error("the Cloudflare Access token has expired; sign in again")]
    Expired,
    #[error("the Cloudflare Access token is not valid yet")]
    NotYetValid,
    #[error("the Cloudflare Access token is for another application (aud)")]
    WrongAudience,
    #[error("the Cloudflare Access token was issued by another team (iss)")]
    WrongIssuer,
    #[error("the Cloudflare Access token names no email address (a service token is no person: send an API key)")]
    NoEmail,
    /// The team's keys could not be fetched (and none are cached): a 503,
    /// not a refusal.
    #[error("the Cloudflare Access signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

/// A token as parsed: what its signature covers, the signature, the key it
/// names and its claims. Nothing in it is trusted before `verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kid: String,
    /// `<header>.<payload>` as sent: the bytes the signature covers.
    pub signed: Vec<u8>,
    pub signature: Vec<u8>,
    pub claims: Claims,
}

/// The claims edgebeat reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub iss: Option<String>,
    pub aud: Vec<String>,
    /// Unix seconds.
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub email: Option<String>,
}

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)
}

fn json_object(part: &str) -> Result<serde_json::Map<String, Value>, TokenError> {
    match serde_json::from_slice(&decode(part)?) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(TokenError::Malformed),
    }
}

/// A NumericDate (seconds, possibly with a fraction), whole seconds down.
fn seconds(value: Option<&Value>, name: &'static str) -> Result<Option<i64>, TokenError> {
    match value {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(secs) if secs.is_finite() && secs.abs() < 1e15 => Ok(Some(secs.floor() as i64)),
            _ => Err(TokenError::Claim(name)),
        },
    }
}

impl Token {
    /// Parses a token's compact form, refusing any algorithm but RS256.
    pub fn parse(text: &str) -> Result<Token, TokenError> {
        let text = text.trim();
        if text.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = text.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header_fields = json_object(header)?;
        match header_fields.get("alg").and_then(Value::as_str) {
            Some("RS256") => {}
            Some(other) => return Err(TokenError::Algorithm(other.to_owned())),
            None => return Err(TokenError::Malformed),
        }
        if header_fields.contains_key("crit") {
            return Err(TokenError::Malformed);
        }
        let kid =
            header_fields.get("kid").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(TokenError::UnknownKey)?;
        let payload_fields = json_object(payload)?;
        let signature = decode(signature)?;
        if signature.is_empty() {
            return Err(TokenError::BadSignature);
        }
        let aud = match payload_fields.get("aud") {
            Some(Value::String(aud)) => vec![aud.clone()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let claims = Claims {
            iss: payload_fields.get("iss").and_then(Value::as_str).map(str::to_owned),
            aud,
            exp: seconds(payload_fields.get("exp"), "exp")?,
            nbf: seconds(payload_fields.get("nbf"), "nbf")?,
            email: payload_fields.get("email").and_then(Value::as_str).map(str::to_owned),
        };
        Ok(Token { kid: kid.to_owned(), signed: format!("{header}.{payload}").into_bytes(), signature, claims })
    }
}

impl Claims {
    /// The person a validly signed token signs in (their email, normalized),
    /// if its claims hold at `now`.
    pub fn person(&self, settings: &AccessSettings, now: Timestamp) -> Result<String, TokenError> {
        let now = now.secs();
        let exp = self.exp.ok_or(TokenError::Claim("exp"))?;
        if now > exp.saturating_add(CLOCK_SKEW_SECS) {
            return Err(TokenError::Expired);
        }
        if self.nbf.is_some_and(|nbf| now.saturating_add(CLOCK_SKEW_SECS) < nbf) {
            return Err(TokenError::NotYetValid);
        }
        if self.iss.as_deref() != Some(settings.issuer().as_str()) {
            return Err(TokenError::WrongIssuer);
        }
        if !self.aud.iter().any(|aud| settings.audiences.contains(aud)) {
            return Err(TokenError::WrongAudience);
        }
        let email = self.email.as_deref().ok_or(TokenError::NoEmail)?;
        normalize_email(email).map_err(|_| TokenError::NoEmail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn part(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn token(header: Value, payload: Value) -> String {
        format!("{}.{}.{}", part(&header), part(&payload), URL_SAFE_NO_PAD.encode(b"signature"))
    }

    fn settings() -> AccessSettings {
        AccessSettings::from_values("team.example.com", "app-aud", None).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({"iss": "https://team.example.com", "aud": ["app-aud"], "exp": NOW + 600, "nbf": NOW - 5,
               "iat": NOW - 5, "email": "Ada@Example.COM", "type": "app"})
    }

    fn person(payload: Value) -> Result<String, TokenError> {
        let parsed = Token::parse(&token(json!({"alg": "RS256", "kid": "k1"}), payload))?;
        parsed.claims.person(&settings(), Timestamp::from_secs(NOW))
    }

    #[test]
    fn a_good_token_names_its_person_normalized() {
        let parsed = Token::parse(&token(json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}), claims())).unwrap();
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.signature, b"signature");
        assert!(parsed.signed.starts_with(b"ey"));
        assert_eq!(person(claims()), Ok("ada@example.com".into()));
        let mut single = claims();
        single["aud"] = json!("app-aud");
        assert_eq!(person(single), Ok("ada@example.com".into()));
    }

    #[test]
    fn other_algorithms_are_refused_before_anything_else() {
        for alg in ["none", "HS256", "RS512", "ES256", "PS256", "rs256"] {
            let text = token(json!({"alg": alg, "kid": "k1"}), claims());
            assert_eq!(Token::parse(&text), Err(TokenError::Algorithm(alg.into())), "{alg}");
        }
        // `alg: none` with an empty signature, as attackers send it.
        let none = format!("{}.{}.", part(&json!({"alg": "none"})), part(&claims()));
        assert_eq!(Token::parse(&none), Err(TokenError::Algorithm("none".into())));
        assert_eq!(Token::parse(&token(json!({"kid": "k1"}), claims())), Err(TokenError::Malformed));
        let crit = token(json!({"alg": "RS256", "kid": "k1", "crit": ["b64"]}), claims());
        assert_eq!(Token::parse(&crit), Err(TokenError::Malformed));
        assert_eq!(Token::parse(&token(json!({"alg": "RS256"}), claims())), Err(TokenError::UnknownKey));
    }

    #[test]
    fn malformed_tokens() {
        for text in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            "e30.e30",
            &format!("{}.{}.", part(&json!({"alg": "RS256", "kid": "k"})), part(&claims())),
        ] {
            assert!(Token::parse(text).is_err(), "{text}");
        }
        let padded = format!("{}=.{}.{}", part(&json!({"alg": "RS256", "kid": "k"})), part(&claims()), "c2ln");
        assert!(Token::parse(&padded).is_err());
        assert_eq!(Token::parse(&"a".repeat(MAX_TOKEN_LEN + 1)), Err(TokenError::Malformed));
        let array = format!("{}.{}.c2ln", part(&json!([1])), part(&claims()));
        assert_eq!(Token::parse(&array), Err(TokenError::Malformed));
    }

    #[test]
    fn lifetime_with_clock_skew() {
        let mut c = claims();
        c["exp"] = json!(NOW - CLOCK_SKEW_SECS);
        assert!(person(c.clone()).is_ok(), "within the skew after exp");
        c["exp"] = json!(NOW - CLOCK_SKEW_SECS - 1);
        assert_eq!(person(c), Err(TokenError::Expired));
        let mut c = claims();
        c["nbf"] = json!(NOW + CLOCK_SKEW_SECS);
        assert!(person(c.clone()).is_ok(), "within the skew before nbf");
        c["nbf"] = json!(NOW + CLOCK_SKEW_SECS + 1);
        assert_eq!(person(c), Err(TokenError::NotYetValid));
        let mut c = claims();
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(person(c), Err(TokenError::Claim("exp")));
        let mut c = claims();
        c["exp"] = json!("soon");
        assert_eq!(person(c), Err(TokenError::Claim("exp")));
        let mut c = claims();
        c["exp"] = json!((NOW + 10) as f64 + 0.5);
        assert!(person(c).is_ok(), "a fractional NumericDate");
    }

    #[test]
    fn audience_issuer_and_email() {
        let mut c = claims();
        c["aud"] = json!(["other-app"]);
        assert_eq!(person(c), Err(TokenError::WrongAudience));
        let mut c = claims();
        c.as_object_mut().unwrap().remove("aud");
        assert_eq!(person(c), Err(TokenError::WrongAudience));
        for iss in [json!("https://evil.example.com"), json!("http://team.example.com"), json!(null)] {
            let mut c = claims();
            c["iss"] = iss;
            assert_eq!(person(c), Err(TokenError::WrongIssuer));
        }
        let mut c = claims();
        c.as_object_mut().unwrap().remove("email");
        c["common_name"] = json!("client-id.access");
        assert_eq!(person(c), Err(TokenError::NoEmail), "a service token");
        let mut c = claims();
        c["email"] = json!("not an email");
        assert_eq!(person(c), Err(TokenError::NoEmail));
    }

    proptest! {
        /// No text makes parsing panic, and whatever parses is RS256 with a key id.
        #[test]
        fn parsing_never_panics(text in ".{0,300}") {
            if let Ok(token) = Token::parse(&text) {
                prop_assert!(!token.kid.is_empty());
            }
        }

        /// A token is accepted exactly while `now` is within [nbf - skew, exp + skew].
        #[test]
        fn accepted_exactly_within_its_lifetime(offset in -10_000i64..10_000, life in 1i64..5_000) {
            let mut c = claims();
            c["nbf"] = json!(NOW);
            c["exp"] = json!(NOW + life);
            let parsed = Token::parse(&token(json!({"alg": "RS256", "kid": "k"}), c)).unwrap();
            let at = NOW + offset;
            let inside = at >= NOW - CLOCK_SKEW_SECS && at <= NOW + life + CLOCK_SKEW_SECS;
            prop_assert_eq!(parsed.claims.person(&settings(), Timestamp::from_secs(at)).is_ok(), inside);
        }
    }
}
