//! Signing in through Cloudflare Access: the request's token (the header
//! Access adds, or its cookie) verified against the team's published keys,
//! kept per isolate (`Platform::access_keys`) and fetched again as
//! `domain::access::keys` says. Everything but the signature is checked in
//! the domain; the signature by the platform (WebCrypto).

use super::{App, Level, Platform, Request};
use crate::domain::access::keys::{parse_jwks, Lookup, MAX_JWKS_BYTES};
use crate::domain::access::token::{Token, TokenError};
use crate::domain::access::{presented_token, ACCESS_HEADER};
use crate::store::Store;

/// The email of the person the request's Access token signs in; `None`
/// when Access is not configured or the request carries no token.
pub async fn person<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Result<Option<String>, TokenError> {
    let Some(settings) = &app.settings.access else { return Ok(None) };
    let Some(text) = presented_token(req.header(ACCESS_HEADER), req.header("cookie")) else {
        return Ok(None);
    };
    let token = Token::parse(text)?;
    // One fetch at most per request: after it, a key still missing is unknown.
    let mut fetched_once = false;
    let key = loop {
        let now = app.platform.now();
        let lookup = app.platform.access_keys().borrow().lookup(&token.kid, now);
        match lookup {
            Lookup::Found(key) => break key,
            Lookup::Unknown => return Err(TokenError::UnknownKey),
            Lookup::Fetch if fetched_once => {
                let cache = app.platform.access_keys().borrow();
                return Err(match (cache.has_keys(), &cache.last_problem) {
                    (false, Some(problem)) => TokenError::KeysUnavailable(problem.clone()),
                    _ => TokenError::UnknownKey,
                });
            }
            Lookup::Unavailable => {
                let problem = app.platform.access_keys().borrow().last_problem.clone().unwrap_or_default();
                return Err(TokenError::KeysUnavailable(problem));
            }
            Lookup::Fetch => {
                app.platform.access_keys().borrow_mut().fetching(now);
                let fetched = app.platform.fetch_document(&settings.certs_url, MAX_JWKS_BYTES).await;
                let keys = fetched.and_then(|body| parse_jwks(&body));
                if let Err(problem) = &keys {
                    app.platform.log(Level::Warn, &format!("access: fetching {}: {problem}", settings.certs_url));
                }
                app.platform.access_keys().borrow_mut().fetched(keys, app.platform.now());
                fetched_once = true;
            }
        }
    };
    if !app.platform.verify_rs256(&key, &token.signed, &token.signature).await {
        return Err(TokenError::BadSignature);
    }
    token.claims.person(settings, app.platform.now()).map(Some)
}
