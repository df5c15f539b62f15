//! The URL grammar of edgebeat's HTTP surface, as pure data: the adapter asks
//! which route a request is for and never matches paths itself.

/// The HTTP methods edgebeat distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Self {
        match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allowed: &'static [Method] },
}

pub fn route(method: Method, path: &str) -> Result<Route, RouteError> {
    match path {
        "/health" => only(method, &[Method::Get, Method::Head], Route::Health),
        _ => Err(RouteError::NotFound),
    }
}

fn only(method: Method, allowed: &'static [Method], route: Route) -> Result<Route, RouteError> {
    if allowed.contains(&method) {
        Ok(route)
    } else {
        Err(RouteError::MethodNotAllowed { allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_only() {
        assert_eq!(route(Method::Get, "/health"), Ok(Route::Health));
        assert!(matches!(route(Method::Post, "/health"), Err(RouteError::MethodNotAllowed { .. })));
        assert_eq!(route(Method::Get, "/nope"), Err(RouteError::NotFound));
    }
}
