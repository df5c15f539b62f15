//! Turns a Workers request into a domain route, runs it, and turns the domain
//! `Reply` back into a Workers response.

use super::store::Store;
use crate::domain::health;
use crate::domain::reply::Reply;
use crate::domain::route::{route, Method, Route, RouteError};
use worker::{console_error, Context, Env, Headers, Request, Response};

pub async fn handle(req: Request, env: Env, _ctx: Context) -> Response {
    let method = Method::parse(req.method().as_ref());
    let path = req.path();
    let reply = match route(method, &path) {
        Ok(Route::Health) => health_reply(&env).await,
        Err(RouteError::NotFound) => Reply::error(404, "not found"),
        Err(RouteError::MethodNotAllowed { .. }) => Reply::error(405, "method not allowed"),
    };
    into_response(reply)
}

async fn health_reply(env: &Env) -> Reply {
    let record = match Store::from_env(env) {
        Ok(store) => store.sweep_record().await,
        Err(err) => Err(err),
    };
    match record {
        Ok(record) => Reply::json(200, &health::report(&record)),
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
