//! A request as the application sees it: its facts, read once, and its body
//! as read within the route's limits.

use crate::domain::reply::Reply;
use crate::domain::route::Method;

/// A request body, read up to what its route keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The first bytes (all of them unless `cut`).
    Read { kept: Vec<u8>, cut: bool },
    /// Over what the route accepts at all.
    TooLarge,
    /// The client sent less than it announced.
    Truncated,
}

impl Body {
    pub fn empty() -> Body {
        Body::Read { kept: Vec::new(), cut: false }
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// The method as sent, for ping records.
    pub method_name: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The query string as sent (without `?`), for redirects that keep it.
    pub raw_query: String,
    /// `https://host` of the request.
    pub origin: String,
    pub scheme: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// A request with no headers and no body (tests, and internal calls).
    pub fn new(method: &str, path_and_query: &str) -> Request {
        let (path, query_text) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let query =
            url::form_urlencoded::parse(query_text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Request {
            method: Method::parse(method),
            method_name: method.to_owned(),
            path: path.to_owned(),
            query,
            raw_query: query_text.to_owned(),
            origin: "http://127.0.0.1".to_owned(),
            scheme: "http".to_owned(),
            headers: Vec::new(),
            body: Body::empty(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn with_body(mut self, body: &[u8]) -> Request {
        self.body = Body::Read { kept: body.to_vec(), cut: false };
        self
    }
}

/// Work to do after answering (the Worker's `wait_until`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    /// Send the due notifications of this database.
    Deliver { shard: usize },
    /// Look whether the cron trigger stalled, and sweep if it did.
    LookForStall,
}

/// A handler's answer and what it leaves to do after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    pub reply: Reply,
    pub after: Vec<After>,
}

impl From<Reply> for Handled {
    fn from(reply: Reply) -> Self {
        Handled { reply, after: Vec::new() }
    }
}
