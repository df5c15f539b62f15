//! The floor for the ping benchmark: each request reads its body and does
//! exactly one D1 insert, then answers `OK`. Whatever edgebeat's ping path
//! costs beyond this is edgebeat's own.

use worker::wasm_bindgen::JsValue;
use worker::{event, js_sys::Uint8Array, Context, Date, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let method = req.method().to_string();
    let body = req.bytes().await.unwrap_or_default();
    let body = if body.is_empty() { JsValue::NULL } else { Uint8Array::from(body.as_slice()).into() };
    env.d1("DB")?
        .prepare("INSERT INTO pings (created_at, method, body) VALUES (?1, ?2, ?3)")
        .bind(&[JsValue::from_f64(Date::now().as_millis() as f64), JsValue::from_str(&method), body])?
        .run()
        .await?;
    Response::ok("OK")
}
