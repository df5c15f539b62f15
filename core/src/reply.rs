//! An HTTP answer as plain data. Handlers build these; the adapter turns them
//! into Workers responses, so what edgebeat answers is testable natively.

use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type", "application/json".to_owned())],
            body: value.to_string().into_bytes(),
        }
    }

    /// The shape of every error edgebeat's API gives: `{"error": "..."}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Reply::json(status, &json!({ "error": message.into() }))
    }

    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
            body: body.into().into_bytes(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: Vec::new() }
    }

    /// `301` to `location`, with no body: Django's permanent redirect, which
    /// clients (curl -L, ureq, requests) follow, a POST as a GET.
    pub fn moved_permanently(location: impl Into<String>) -> Self {
        Reply::empty(301).with_header("Location", location)
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        self.headers.push((name, value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(existing, _)| existing.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_redirect_names_its_location_and_has_no_body() {
        let reply = Reply::moved_permanently("/api/v3/checks/");
        assert_eq!((reply.status, reply.header("location")), (301, Some("/api/v3/checks/")));
        assert!(reply.body.is_empty());
    }

    #[test]
    fn errors_are_json_objects_with_an_error_key() {
        let reply = Reply::error(400, "bad");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body, json!({"error": "bad"}));
    }

    #[test]
    fn with_header_replaces() {
        let reply = Reply::empty(204).with_header("X-A", "1").with_header("x-a", "2");
        assert_eq!(reply.headers, vec![("x-a", "2".to_owned())]);
    }
}
