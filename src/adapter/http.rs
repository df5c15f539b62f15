//! Between Workers' requests and responses and the application's: the
//! request's facts read once, its body read within its route's limits, and
//! the application's `Reply` turned into a response.

use crate::app::{Body, Request};
use crate::domain::reply::Reply;
use crate::domain::route::{BodyLimits, Method};
use futures_util::StreamExt;
use worker::{Headers, Response};

/// The request as the application sees it, with its body read.
pub async fn read(req: &mut worker::Request, limits: BodyLimits) -> Request {
    let (origin, scheme, query, raw_query) = match req.url() {
        Ok(url) => (
            url.origin().ascii_serialization(),
            url.scheme().to_owned(),
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
            url.query().unwrap_or_default().to_owned(),
        ),
        Err(_) => (String::new(), "https".to_owned(), Vec::new(), String::new()),
    };
    // The raw method: worker's Method enum reads unknown methods as GET.
    let method_name = req.inner().method();
    let headers: Vec<(String, String)> = req.headers().entries().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
    let body = read_body(req, limits).await;
    Request {
        method: Method::parse(&method_name),
        method_name,
        path: req.path(),
        query,
        raw_query,
        origin,
        scheme,
        headers,
        body,
    }
}

/// A request body, read up to `limits.keep` bytes; the rest is read and
/// dropped up to `limits.accept` bytes in all, so the client always gets
/// the answer (a server that stops reading makes the connection reset, and
/// `curl --retry` sends the request again).
async fn read_body(req: &mut worker::Request, limits: BodyLimits) -> Body {
    let BodyLimits { keep, accept } = limits;
    let length = req.headers().get("Content-Length").ok().flatten().and_then(|l| l.parse::<usize>().ok());
    match length {
        Some(length) if length > accept => return Body::TooLarge,
        // A body known to fit (most pings: a log tail of a few KB) is read in
        // one call; streaming it chunk by chunk costs more CPU than the read.
        Some(length) if length <= keep => {
            return match req.bytes().await {
                Ok(kept) if kept.len() < length => Body::Truncated,
                Ok(kept) => Body::Read { cut: false, kept },
                Err(_) => Body::Truncated,
            };
        }
        _ => {}
    }
    let mut stream = match req.stream() {
        Ok(stream) => stream,
        // A request without a body (GET, HEAD) has nothing to read.
        Err(_) => return Body::empty(),
    };
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return Body::Truncated };
        total += chunk.len();
        if total > accept {
            return Body::TooLarge;
        }
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    if length.is_some_and(|length| total < length) {
        return Body::Truncated;
    }
    Body::Read { cut: total > kept.len(), kept }
}

pub fn respond(reply: Reply) -> Response {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        // Header names are our own constants and values our own strings; a
        // value the runtime rejects is dropped rather than failing the answer.
        let _ = headers.set(name, value);
    }
    Response::builder().with_status(reply.status).with_headers(headers).fixed(reply.body)
}
