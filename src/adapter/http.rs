//! Between Workers' requests and responses and the application's: the
//! request's facts read once, its body read within its route's limits, and
//! the application's `Reply` turned into a response.

use crate::app::{Body, Request};
use crate::domain::body::{BodyEnd, BodyLimits, BodyStart, BodyTally};
use crate::domain::reply::Reply;
use crate::domain::route::Method;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::ReadableStreamDefaultReader;
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

/// A request body, read to its end so that the client always gets the
/// answer (how much to read, keep and accept is `domain::body`'s): its
/// first `limits.keep` bytes kept, `TooLarge` past `limits.accept`, and
/// `Truncated` when it broke off (the client went away, or sent less than
/// its `Content-Length`). Only the kept bytes are copied into the Worker's
/// memory; the rest is counted and dropped.
async fn read_body(req: &mut worker::Request, limits: BodyLimits) -> Body {
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|l| l.parse::<usize>().ok());
    match limits.start(declared) {
        BodyStart::TooLarge => return Body::TooLarge,
        // A body known to fit (most pings: a log tail of a few KB) is read in
        // one call; streaming it chunk by chunk costs more CPU than the read.
        BodyStart::Whole => {
            return match req.bytes().await {
                Ok(kept) if declared.is_some_and(|length| kept.len() < length) => Body::Truncated,
                Ok(kept) => Body::Read { cut: false, kept },
                Err(_) => Body::Truncated,
            };
        }
        BodyStart::Chunks => {}
    }
    // A request without a body (GET, HEAD) has nothing to read.
    let Some(stream) = req.inner().body() else { return Body::empty() };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut tally = BodyTally::new(limits);
    let mut kept = Vec::new();
    loop {
        let Some(chunk) = next_chunk(&reader).await else { return Body::Truncated };
        let Some(chunk) = chunk else { break };
        let Some(room) = tally.take(chunk.length() as usize) else {
            // Past what is drained before answering: answer now.
            let _ = reader.cancel();
            return Body::TooLarge;
        };
        if room > 0 {
            let start = kept.len();
            kept.resize(start + room, 0);
            chunk.subarray(0, room as u32).copy_to(&mut kept[start..]);
        }
    }
    match tally.end() {
        BodyEnd::Accepted { cut } => Body::Read { kept, cut },
        BodyEnd::TooLarge => Body::TooLarge,
    }
}

/// The next chunk of a body: `Some(None)` at its end, `None` when it broke
/// off (the client went away, or sent less than its `Content-Length`).
async fn next_chunk(reader: &ReadableStreamDefaultReader) -> Option<Option<Uint8Array>> {
    let result = JsFuture::from(reader.read()).await.ok()?;
    let done = Reflect::get(&result, &JsValue::from_str("done")).ok()?;
    if done.is_truthy() {
        return Some(None);
    }
    let value = Reflect::get(&result, &JsValue::from_str("value")).ok()?;
    value.dyn_into::<Uint8Array>().ok().map(Some)
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
