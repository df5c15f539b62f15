//! The settings fields of a channel kind, described once: the API validates
//! them from these descriptions, shows them masked by them, `openapi.json`
//! documents them from them and the dashboard builds its form from them.

use super::mask::{mask_secret, mask_url};
use crate::channel::destination_problem;
use serde_json::{json, Map, Value};
use url::Url;

/// One setting of a channel kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Its name in the API and in the stored configuration.
    pub name: &'static str,
    /// A short label for a form.
    pub label: &'static str,
    /// One sentence on what it is (the API reference and the form's hint).
    pub help: &'static str,
    pub kind: FieldKind,
    /// A new channel must have it.
    pub required: bool,
    /// What a new channel gets when it leaves the field out (as text).
    pub default: Option<&'static str>,
    /// How the API shows it back.
    pub shown: Shown,
}

/// What a field holds, and so how it is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text, not blank, at most `max` characters.
    Text { max: usize },
    /// A key, token or password: one line, `min..=max` characters.
    Secret { min: usize, max: usize },
    /// An http(s) URL the destination rule allows.
    Url,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// One or more email addresses (a list, or one text with commas).
    Emails { max: usize },
    /// Extra HTTP headers: an object of names and single-line values.
    Headers,
}

/// How a field is shown back by the API (secrets never in full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// As it is.
    Plain,
    /// A URL: its scheme, host and port only, so that a user sees where
    /// alerts go and nothing that can be a secret.
    Host,
    /// Its first four characters.
    Masked,
    /// Headers: their names only.
    Names,
    /// Only whether it is set, as a boolean under this name.
    Presence(&'static str),
}

impl Field {
    /// A required field shown as it is, with no default.
    pub const fn new(name: &'static str, label: &'static str, kind: FieldKind, help: &'static str) -> Field {
        Field { name, label, help, kind, required: true, default: None, shown: Shown::Plain }
    }

    pub const fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub const fn default(mut self, value: &'static str) -> Field {
        self.required = false;
        self.default = Some(value);
        self
    }

    pub const fn shown(mut self, shown: Shown) -> Field {
        self.shown = shown;
        self
    }

    /// A URL, shown as its host.
    pub const fn url(name: &'static str, label: &'static str, help: &'static str) -> Field {
        Field::new(name, label, FieldKind::Url, help).shown(Shown::Host)
    }

    /// A secret of `min..=max` characters, shown as its start.
    pub const fn secret(name: &'static str, label: &'static str, min: usize, max: usize, help: &'static str) -> Field {
        Field::new(name, label, FieldKind::Secret { min, max }, help).shown(Shown::Masked)
    }

    /// Validates a value the API received and returns it as stored; `None`
    /// for a `null` that removes an optional field.
    pub fn validate(&self, value: &Value, allow_private: bool) -> Result<Option<Value>, String> {
        let name = self.name;
        if value.is_null() && !self.required {
            return Ok(None);
        }
        let text = || value.as_str().ok_or_else(|| format!("{name} is not a string"));
        let one_line = |s: &str| !s.contains(['\r', '\n']);
        let stored = match self.kind {
            FieldKind::Text { max } => {
                let s = text()?;
                if s.trim().is_empty() {
                    return Err(format!("{name} is empty"));
                }
                if s.chars().count() > max || !one_line(s) {
                    return Err(format!("{name} must be one line of at most {max} characters"));
                }
                Value::String(s.to_owned())
            }
            FieldKind::Secret { min, max } => {
                let s = text()?;
                if s.trim().is_empty() {
                    return Err(format!("{name} is empty"));
                }
                let count = s.chars().count();
                if count < min || count > max || !one_line(s) {
                    return Err(format!("{name} must be {min} to {max} characters"));
                }
                Value::String(s.to_owned())
            }
            FieldKind::Url => Value::String(validate_url(name, text()?, allow_private)?),
            FieldKind::Choice(words) => {
                let s = text()?;
                // `post` is taken for `POST`: the stored word is the listed one.
                match words.iter().find(|w| w.eq_ignore_ascii_case(s)) {
                    Some(word) => Value::String((*word).to_owned()),
                    None => return Err(format!("{name} must be {}", words_list(words))),
                }
            }
            FieldKind::Emails { max } => {
                let items: Vec<String> = match value {
                    Value::String(s) => s.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect(),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| {
                            i.as_str().map(|s| s.trim().to_owned()).ok_or_else(|| format!("{name} lists a non-string"))
                        })
                        .collect::<Result<_, _>>()?,
                    _ => return Err(format!("{name} is not a list of addresses")),
                };
                // An address listed twice gets one message.
                let mut items: Vec<String> = items;
                let mut seen = Vec::new();
                items.retain(|a| {
                    let key = a.to_ascii_lowercase();
                    let first = !seen.contains(&key);
                    seen.push(key);
                    first
                });
                if items.is_empty() {
                    return Err(format!("{name} needs at least one address"));
                }
                if items.len() > max {
                    return Err(format!("{name} has more than {max} addresses"));
                }
                if let Some(bad) = items.iter().find(|a| !is_email_address(a)) {
                    return Err(format!("{name}: {bad:?} is not an email address"));
                }
                json!(items)
            }
            FieldKind::Headers => {
                let Value::Object(map) = value else { return Err(format!("{name} is not an object")) };
                let mut headers = Vec::new();
                for (header, value) in map {
                    let valid_name =
                        !header.is_empty() && header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                    let Some(value) = value.as_str().filter(|v| one_line(v)) else {
                        return Err(format!("header {header:?} must have a single-line string value"));
                    };
                    if !valid_name {
                        return Err(format!("header name {header:?} is not valid"));
                    }
                    headers.push(json!([header, value]));
                }
                Value::Array(headers)
            }
        };
        Ok(Some(stored))
    }

    /// How the API shows a stored value: `(name, shown value)`.
    pub fn show(&self, stored: &Value) -> (&'static str, Value) {
        let text = stored.as_str().unwrap_or_default();
        match self.shown {
            Shown::Plain => (self.name, stored.clone()),
            Shown::Host => (self.name, Value::String(mask_url(text))),
            Shown::Masked => (self.name, Value::String(mask_secret(text))),
            Shown::Names => {
                let names: Vec<Value> = stored
                    .as_array()
                    .map(|pairs| pairs.iter().filter_map(|p| p.get(0).cloned()).collect())
                    .unwrap_or_default();
                (self.name, Value::Array(names))
            }
            Shown::Presence(name) => (name, Value::Bool(!stored.is_null())),
        }
    }

    /// The JSON Schema of the field as the API takes it.
    pub fn input_schema(&self) -> Value {
        let mut schema = match self.kind {
            FieldKind::Text { max } => json!({"type": "string", "maxLength": max, "pattern": "\\S"}),
            FieldKind::Secret { min, max } => {
                json!({"type": "string", "minLength": min, "maxLength": max, "pattern": "\\S"})
            }
            FieldKind::Url => json!({"type": "string", "maxLength": MAX_URL, "pattern": "^https?://[^/\\s]\\S*$"}),
            FieldKind::Choice(words) => json!({"type": "string", "enum": words}),
            FieldKind::Emails { max } => json!({
                "oneOf": [
                    {"type": "string", "description": "Addresses separated by commas."},
                    {"type": "array", "minItems": 1, "maxItems": max, "items": {"type": "string", "format": "email"}}
                ]
            }),
            FieldKind::Headers => json!({
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n]*$"}
            }),
        };
        let mut description = self.help.to_owned();
        if let Some(default) = self.default {
            description.push_str(&format!(" Default `{default}`."));
        }
        if !self.required && self.default.is_none() {
            description.push_str(" `null` removes it.");
            schema["nullable"] = json!(true);
        }
        schema["description"] = Value::String(description);
        schema
    }

    /// The JSON Schema of the field as the API shows it back.
    pub fn shown_schema(&self) -> (&'static str, Value) {
        match self.shown {
            Shown::Plain => {
                let mut schema = self.input_schema();
                if let FieldKind::Emails { .. } = self.kind {
                    schema = json!({"type": "array", "items": {"type": "string"}});
                }
                if let Some(object) = schema.as_object_mut() {
                    object.remove("description");
                    object.remove("pattern");
                }
                (self.name, schema)
            }
            Shown::Host => (self.name, json!({"type": "string", "description": "Scheme, host and port only."})),
            Shown::Masked => (self.name, json!({"type": "string", "description": "The first characters only."})),
            Shown::Names => {
                (self.name, json!({"type": "array", "items": {"type": "string"}, "description": "Names only."}))
            }
            Shown::Presence(name) => (name, json!({"type": "boolean"})),
        }
    }

    /// The field as the dashboard's form reads it.
    pub fn describe(&self) -> Value {
        let (kind, choices) = match self.kind {
            FieldKind::Text { .. } => ("text", None),
            FieldKind::Secret { .. } => ("secret", None),
            FieldKind::Url => ("url", None),
            FieldKind::Choice(words) => ("choice", Some(words)),
            FieldKind::Emails { .. } => ("emails", None),
            FieldKind::Headers => ("headers", None),
        };
        json!({
            "name": self.name,
            "label": self.label,
            "help": self.help,
            "type": kind,
            "required": self.required,
            "default": self.default,
            "choices": choices,
        })
    }
}

/// The longest URL a channel takes.
pub const MAX_URL: usize = 2000;

fn words_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// An http(s) URL with a host that the destination rule allows.
fn validate_url(name: &str, text: &str, allow_private: bool) -> Result<String, String> {
    let not_url = || format!("{name} is not an http(s) URL");
    if text.chars().count() > MAX_URL {
        return Err(format!("{name} is too long"));
    }
    let url = Url::parse(text).map_err(|_| not_url())?;
    // The parser would percent-encode whitespace; a pasted URL with spaces is a mistake.
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || text.contains(char::is_whitespace) {
        return Err(not_url());
    }
    if let Some(problem) = destination_problem(&url, allow_private) {
        return Err(format!("{name}: {problem}"));
    }
    Ok(text.to_owned())
}

/// A plain `local@domain` address (no display name, no comments): what a
/// channel sends to. The domain needs a dot; nothing needs quoting.
pub fn is_email_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else { return false };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    address.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local.chars().all(atext)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        // No top-level domain is a number: `a@127.0.0.1` is an IP address,
        // which mail wants bracketed, and alerts go to names.
        && !domain.rsplit('.').next().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
}

/// The validated fields of a request, merged over what a channel had.
pub(crate) fn merge(
    fields: &[Field],
    request: &Map<String, Value>,
    previous: Option<Map<String, Value>>,
    allow_private: bool,
) -> Result<Map<String, Value>, String> {
    let mut merged = previous.unwrap_or_default();
    for field in fields {
        let Some(value) = request.get(field.name) else { continue };
        match field.validate(value, allow_private)? {
            Some(stored) => merged.insert(field.name.to_owned(), stored),
            None => merged.remove(field.name),
        };
    }
    for field in fields {
        if merged.get(field.name).is_none_or(Value::is_null) {
            merged.remove(field.name);
            if field.required {
                return Err(format!("{} is required", field.name));
            }
            if let Some(default) = field.default {
                merged.insert(field.name.to_owned(), Value::String(default.to_owned()));
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_plain_ones() {
        for good in ["ops@example.com", "a.b+tag@sub.example.org", "x_y@e-x.io"] {
            assert!(is_email_address(good), "{good}");
        }
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@",
            "ops@localhost",
            "a b@example.com",
            "Ops <o@e.com>",
            "a@-x.com",
            "a@127.0.0.1",
        ] {
            assert!(!is_email_address(bad), "{bad}");
        }
    }

    #[test]
    fn fields_validate_by_kind() {
        let emails = Field::new("to", "To", FieldKind::Emails { max: 3 }, "");
        assert_eq!(emails.validate(&json!("a@x.io, b@y.io"), false), Ok(Some(json!(["a@x.io", "b@y.io"]))));
        let twice = json!(["a@x.io", "b@y.io", "A@x.io", "a@x.io", "c@z.io"]);
        assert_eq!(emails.validate(&twice, false), Ok(Some(json!(["a@x.io", "b@y.io", "c@z.io"]))), "one message each");
        assert!(emails.validate(&json!("a@x.io,b@y.io,c@z.io,d@w.io"), false).unwrap_err().contains("more than 3"));
        assert!(emails.validate(&json!(""), false).unwrap_err().contains("at least one"));
        let choice = Field::new("region", "Region", FieldKind::Choice(&["us", "eu"]), "");
        assert_eq!(choice.validate(&json!("asia"), false), Err("region must be us or eu".into()));
        let secret = Field::secret("token", "Token", 4, 8, "").optional();
        assert_eq!(secret.validate(&Value::Null, false), Ok(None), "null removes an optional field");
        assert!(secret.validate(&json!("abc"), false).is_err());
        assert!(secret.validate(&json!("abc\ndef"), false).is_err());
        let url = Field::url("url", "URL", "");
        assert!(url.validate(&json!("http://127.0.0.1/x"), false).unwrap_err().contains("not allowed"));
        assert!(url.validate(&json!("http://127.0.0.1/x"), true).is_ok());
    }

    #[test]
    fn merging_keeps_what_a_request_does_not_name_and_applies_defaults() {
        let fields = [
            Field::url("url", "URL", ""),
            Field::new("method", "Method", FieldKind::Choice(&["POST", "PUT"]), "").default("POST"),
        ];
        let request = json!({"url": "https://h.example/x"});
        let merged = merge(&fields, request.as_object().unwrap(), None, false).unwrap();
        assert_eq!(Value::Object(merged.clone()), json!({"url": "https://h.example/x", "method": "POST"}));
        let update = json!({"method": "PUT"});
        let updated = merge(&fields, update.as_object().unwrap(), Some(merged), false).unwrap();
        assert_eq!(Value::Object(updated), json!({"url": "https://h.example/x", "method": "PUT"}));
        assert_eq!(merge(&fields, &Map::new(), None, false), Err("url is required".into()));
    }
}
