//! The management API's rules: request specs, response views, and who may do what.

pub mod schedule;
pub mod spec;
pub mod view;

use crate::check::CheckConfig;

/// What a presented API key grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing api key")]
    MissingKey,
    #[error("wrong api key")]
    WrongKey,
}

/// The length of every API key (`hcw_`/`hcr_` and 28 characters).
const API_KEY_LEN: usize = 32;

/// The key a request presents: `X-Api-Key`, else `Authorization: Bearer`,
/// else (for writes) the `api_key` field of the body, as healthchecks reads it.
/// No key (or a blank one) is a missing key; a key that cannot be one
/// (not 32 characters long) is a wrong key, so that a mistyped or truncated
/// key is not reported as absent (healthchecks calls it missing too).
pub fn presented_key<'a>(
    x_api_key: Option<&'a str>,
    authorization: Option<&'a str>,
    body_key: Option<&'a str>,
) -> Result<&'a str, AuthError> {
    let bearer = authorization.and_then(|h| h.strip_prefix("Bearer "));
    let key = [x_api_key, bearer, body_key]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|k| !k.is_empty())
        .ok_or(AuthError::MissingKey)?;
    if key.chars().count() == API_KEY_LEN {
        Ok(key)
    } else {
        Err(AuthError::WrongKey)
    }
}

/// Parses the admin API's `POST /api/v3/projects/` body: `{"name": "..."}`.
pub fn parse_project_name(body: &[u8]) -> Result<String, spec::SpecError> {
    use serde_json::Value;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| spec::SpecError::NotJson)?;
    let object = value.as_object().ok_or(spec::SpecError::NotAnObject)?;
    if let Some(field) = object.keys().find(|k| k.as_str() != "name") {
        return Err(spec::SpecError::Invalid(format!("unknown field {field:?}")));
    }
    match object.get("name") {
        None => Ok(String::new()),
        Some(Value::String(name)) if name.chars().count() <= 100 => Ok(name.clone()),
        Some(Value::String(_)) => Err(spec::SpecError::Invalid("name is too long".into())),
        Some(_) => Err(spec::SpecError::Invalid("name is not a string".into())),
    }
}

/// Query filters of `GET /api/v3/checks/`: every `?tag=` must be among the
/// check's tags, and `?slug=` must equal its slug.
pub fn list_filter(query: &[(String, String)]) -> impl Fn(&CheckConfig) -> bool + '_ {
    move |config| {
        query.iter().all(|(name, value)| match name.as_str() {
            "tag" => config.tags.contains(value),
            "slug" => &config.slug == value,
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Tags;

    #[test]
    fn project_bodies() {
        assert_eq!(parse_project_name(br#"{"name": "ops"}"#), Ok("ops".into()));
        assert_eq!(parse_project_name(b""), Ok(String::new()));
        assert!(parse_project_name(br#"{"name": 1}"#).is_err());
        assert!(parse_project_name(br#"{"nam": "x"}"#).is_err());
        assert!(parse_project_name(b"[]").is_err());
    }

    #[test]
    fn list_filters_need_every_tag() {
        let config = CheckConfig { tags: Tags::parse("prod db"), slug: "backup".into(), ..Default::default() };
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert!(list_filter(&q(&[("tag", "prod"), ("tag", "db")]))(&config));
        assert!(!list_filter(&q(&[("tag", "prod"), ("tag", "web")]))(&config));
        assert!(!list_filter(&q(&[("tag", "pro")]))(&config));
        assert!(list_filter(&q(&[("slug", "backup")]))(&config));
        assert!(!list_filter(&q(&[("slug", "back")]))(&config));
    }

    #[test]
    fn keys_are_read_from_header_bearer_or_body() {
        let (a, b, c) = (&*"a".repeat(32), &*"b".repeat(32), &*"c".repeat(32));
        assert_eq!(presented_key(Some(a), Some(&format!("Bearer {b}")), Some(c)), Ok(a));
        assert_eq!(presented_key(None, Some(&format!("Bearer {b}")), Some(c)), Ok(b));
        assert_eq!(presented_key(None, Some(&format!("Basic {b}")), Some(c)), Ok(c));
        assert_eq!(presented_key(Some(" "), None, None), Err(AuthError::MissingKey));
    }

    #[test]
    fn a_key_of_another_length_is_wrong_not_missing() {
        assert_eq!(presented_key(None, None, None), Err(AuthError::MissingKey));
        assert_eq!(presented_key(Some(""), Some("Bearer  "), Some("")), Err(AuthError::MissingKey));
        assert_eq!(presented_key(Some("hcw_short"), None, None), Err(AuthError::WrongKey));
        assert_eq!(presented_key(Some(&"k".repeat(33)), None, None), Err(AuthError::WrongKey));
        assert_eq!(presented_key(None, Some("Bearer hcw_short"), None), Err(AuthError::WrongKey));
        assert_eq!(presented_key(Some(&format!(" {} ", "k".repeat(32))), None, None), Ok(&*"k".repeat(32)));
    }
}
