//! CORS for browsers on other origins (what the reference server gets from the `cors`
//! package with `{ origin: [...], credentials: true }`), and the same Origin check on
//! WebSocket upgrades, which browsers do not subject to CORS at all.
//!
//! A request without `Origin` (a non-browser client) passes and gets no CORS headers.
//! A request whose `Origin` is not allowed is refused with 403 `{"code":4,"message":"Forbidden"}`
//! before it reaches the engine.

use http::header::{self, HeaderValue};
use http::{HeaderMap, Response, StatusCode};

use crate::engine::ResponseBody;
use crate::engine::config::ConfigError;

/// Which browser origins may use the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin (its `Origin` is reflected back, with credentials). For development.
    Any,
    /// Exactly these origins (`scheme://host[:port]`, compared case-insensitively).
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parses the `--cors-origins` setting: a comma-separated list of origins, or `*`
    /// (or nothing) for any origin.
    pub fn parse(setting: &str) -> Result<Self, ConfigError> {
        let entries: Vec<&str> = setting
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if entries.is_empty() || entries == ["*"] {
            return Ok(AllowedOrigins::Any);
        }
        let mut list = Vec::with_capacity(entries.len());
        for entry in entries {
            let origin = entry.trim_end_matches('/');
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') && !host.contains('*') => {
                    list.push(origin.to_ascii_lowercase());
                }
                _ => {
                    return Err(ConfigError::new(
                        "cors-origins",
                        format!(
                            "{entry:?} is not an origin like https://app.example.com (or use * alone)"
                        ),
                    ));
                }
            }
        }
        Ok(AllowedOrigins::List(list))
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }
}

/// The verdict on a request's `Origin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` header: not a cross-origin browser request.
    NoOrigin,
    /// Allowed: reflect this value in `Access-Control-Allow-Origin`.
    Allowed(HeaderValue),
    /// Not allowed.
    Denied,
    /// The header is not a valid value (the reference answers code 3, "Bad request").
    Invalid,
}

/// The CORS policy of the server.
#[derive(Clone, Debug)]
pub struct Cors {
    origins: AllowedOrigins,
}

const ALLOW_METHODS: HeaderValue = HeaderValue::from_static("GET,POST,OPTIONS");

impl Cors {
    /// A policy allowing `origins`.
    pub fn new(origins: AllowedOrigins) -> Self {
        Cors { origins }
    }

    /// The allowed origins.
    pub fn origins(&self) -> &AllowedOrigins {
        &self.origins
    }

    /// Checks the request's `Origin`.
    pub fn check(&self, headers: &HeaderMap) -> OriginCheck {
        let Some(value) = headers.get(header::ORIGIN) else {
            return OriginCheck::NoOrigin;
        };
        match value.to_str() {
            Ok(origin) if self.origins.allows(origin) => OriginCheck::Allowed(value.clone()),
            Ok(_) => OriginCheck::Denied,
            Err(_) => OriginCheck::Invalid,
        }
    }

    /// Adds the CORS headers of an allowed origin to an answer.
    pub fn decorate(origin: &HeaderValue, headers: &mut HeaderMap) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }

    /// The answer to a preflight `OPTIONS` from an allowed origin: 204, the methods the
    /// engine uses, and the request headers the browser asked for.
    pub fn preflight(origin: &HeaderValue, request: &HeaderMap) -> Response<ResponseBody> {
        let mut res = Response::new(ResponseBody::default());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let headers = res.headers_mut();
        Self::decorate(origin, headers);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
        if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
            headers.append(
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origin(o: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        h
    }

    #[test]
    fn parses_lists_and_any() {
        assert_eq!(AllowedOrigins::parse("").unwrap(), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::parse(" * ").unwrap(), AllowedOrigins::Any);
        assert_eq!(
            AllowedOrigins::parse("https://App.example.com/, http://localhost:5173").unwrap(),
            AllowedOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:5173".into()
            ])
        );
        let err = AllowedOrigins::parse("app.example.com").unwrap_err();
        assert_eq!(err.setting, "cors-origins");
        assert!(AllowedOrigins::parse("https://a.com/path").is_err());
    }

    #[test]
    fn checks_origins() {
        let cors = Cors::new(AllowedOrigins::parse("https://app.example.com").unwrap());
        assert_eq!(cors.check(&HeaderMap::new()), OriginCheck::NoOrigin);
        assert!(matches!(
            cors.check(&with_origin("https://APP.example.com")),
            OriginCheck::Allowed(_)
        ));
        assert_eq!(
            cors.check(&with_origin("https://evil.example.com")),
            OriginCheck::Denied
        );
        let any = Cors::new(AllowedOrigins::Any);
        assert!(matches!(
            any.check(&with_origin("null")),
            OriginCheck::Allowed(_)
        ));
    }

    #[test]
    fn preflight_reflects_origin_and_headers() {
        let origin = HeaderValue::from_static("https://app.example.com");
        let mut req = HeaderMap::new();
        req.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        let res = Cors::preflight(&origin, &req);
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let h = res.headers();
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example.com"
        );
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "content-type");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "GET,POST,OPTIONS");
    }
}
