//! Turns a Workers request into a domain route, runs it, and turns the domain
//! `Reply` back into a Workers response.

use super::store::Store;
use super::{api, ping, public};
use crate::domain::health;
use crate::domain::reply::Reply;
use crate::domain::route::{route, Method, Route};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::StreamExt;
use worker::{console_error, console_warn, Context, Date, Env, Headers, Request, Response};

/// What the handlers need from a request, read once.
pub struct Incoming {
    pub method: Method,
    /// The method as sent, for ping records.
    pub method_name: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// `https://host` of the request.
    pub origin: String,
    pub scheme: String,
    pub headers: Headers,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(Date::now().as_millis() as i64)
}

/// Reads the settings from the Worker's vars and secrets, logging bad values.
pub fn settings(env: &Env) -> Settings {
    let (settings, problems) = Settings::read(|name| {
        env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
    });
    for problem in problems {
        console_warn!("{problem}");
    }
    settings
}

/// Reads at most `limit` bytes of the body. The rest is never read: a longer
/// body is cut, not refused, and costs no more memory than the limit.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<(Vec<u8>, bool), worker::Error> {
    let mut stream = match req.stream() {
        Ok(stream) => stream,
        // A request without a body (GET, HEAD) has nothing to read.
        Err(_) => return Ok((Vec::new(), false)),
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

pub async fn handle(mut req: Request, env: Env, ctx: Context) -> Response {
    let url = req.url();
    let (origin, scheme, query) = match &url {
        Ok(url) => (
            url.origin().ascii_serialization(),
            url.scheme().to_owned(),
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        ),
        Err(_) => (String::new(), "https".to_owned(), Vec::new()),
    };
    // The raw method: worker's Method enum reads unknown methods as GET.
    let method_name = req.inner().method();
    let incoming = Incoming {
        method: Method::parse(&method_name),
        method_name,
        path: req.path(),
        query,
        origin,
        scheme,
        headers: req.headers().clone(),
    };
    let reply = match route(&incoming.path) {
        None => Reply::error(404, "not found"),
        // The OpenAPI document, to anyone (no key), from the file at the repo root.
        Some(Route::OpenApi) if incoming.method == Method::Get => Reply {
            status: 200,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Access-Control-Allow-Origin", "*".to_owned()),
            ],
            body: include_bytes!("../../openapi.json").to_vec(),
        },
        Some(route) if route.is_api() => api::handle(&route, &incoming, &mut req, &env).await,
        Some(Route::Badge(_) | Route::CheckBadge(_)) if incoming.method == Method::Options => Reply::empty(204)
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Access-Control-Allow-Methods", "GET, OPTIONS"),
        Some(route) if !route.methods().contains(&incoming.method) => method_not_allowed(&route),
        Some(Route::Health) => health_reply(&env).await,
        Some(Route::Ping(rest)) => ping::handle(&rest, &incoming, &mut req, &env, &ctx).await,
        Some(Route::Badge(rest)) => public::tag_badge(&rest, &env).await,
        Some(Route::CheckBadge(rest)) => public::check_badge(&rest, &env).await,
        Some(Route::Metrics { project, key }) => public::metrics(&project, key.as_deref(), &incoming, &env).await,
        Some(_) => Reply::error(404, "not found"),
    };
    into_response(reply)
}

/// 405 with the `Allow` header RFC 9110 asks for.
pub fn method_not_allowed(route: &Route) -> Reply {
    let allowed: Vec<&str> = route.methods().iter().map(|m| m.as_str()).collect();
    Reply::error(405, "method not allowed").with_header("Allow", allowed.join(", "))
}

async fn health_reply(env: &Env) -> Reply {
    let record = match Store::from_env(env) {
        Ok(store) => store.sweep_record().await,
        Err(err) => Err(err),
    };
    match record {
        Ok(record) => {
            let (status, body) = health::report(&record, now());
            Reply::json(status, &body)
        }
        Err(err) => {
            console_error!("health: {err}");
            Reply::error(503, "storage unavailable")
        }
    }
}

fn into_response(reply: Reply) -> Response {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        // Header names are our own constants and values our own strings; a
        // value the runtime rejects is dropped rather than failing the answer.
        let _ = headers.set(name, value);
    }
    Response::builder().with_status(reply.status).with_headers(headers).fixed(reply.body)
}
