//! What an HTTP request to the engine's path asks for, decided from its method, query
//! and upgrade headers alone (engine.io `Server.verify` and `handshake`, in the same
//! order of checks so each bad request gets the same error code as from the reference).
//!
//! Pure functions: no session table, no I/O. The engine then looks the `sid` up.

use http::{HeaderMap, Method, header};

use super::api::Transport;
use super::error::{ErrorCode, RequestError};

/// A request the engine will serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineRequest {
    /// Open a new session over `transport` (a GET for polling, a WebSocket upgrade).
    Handshake(Transport),
    /// Long-polling GET on an existing session: wait for packets.
    Poll(String),
    /// Long-polling POST on an existing session: deliver packets.
    Post(String),
    /// WebSocket upgrade of an existing (polling) session.
    Upgrade(String),
}

/// Decodes a query string as the reference does (`URLSearchParams`: `+` is a space,
/// percent escapes decoded, invalid UTF-8 replaced).
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    match query {
        Some(q) => form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    }
}

fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// True when the headers ask for a WebSocket (`Connection: upgrade`, `Upgrade: websocket`).
pub fn is_websocket_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::GET {
        return false;
    }
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    let connection = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    upgrade && connection
}

/// Classifies a request; `Err` carries the code to answer with.
pub fn classify(
    method: &Method,
    query: &[(String, String)],
    ws_upgrade: bool,
) -> Result<EngineRequest, RequestError> {
    let transport = match param(query, "transport") {
        Some("polling") => Transport::Polling,
        Some("websocket") => Transport::WebSocket,
        _ => {
            return Err(RequestError::new(
                ErrorCode::UnknownTransport,
                "unknown transport",
            ));
        }
    };
    if let Some(sid) = param(query, "sid") {
        let sid = sid.to_owned();
        return match transport {
            Transport::WebSocket if ws_upgrade => Ok(EngineRequest::Upgrade(sid)),
            Transport::WebSocket => Err(RequestError::new(
                ErrorCode::BadRequest,
                "transport=websocket without a WebSocket upgrade",
            )),
            Transport::Polling if *method == Method::GET && !ws_upgrade => {
                Ok(EngineRequest::Poll(sid))
            }
            Transport::Polling if *method == Method::POST => Ok(EngineRequest::Post(sid)),
            Transport::Polling => Err(RequestError::new(
                ErrorCode::BadRequest,
                "polling request is neither GET nor POST",
            )),
        };
    }
    if *method != Method::GET {
        return Err(RequestError::new(
            ErrorCode::BadHandshakeMethod,
            "handshake is not a GET",
        ));
    }
    match transport {
        Transport::WebSocket if !ws_upgrade => {
            return Err(RequestError::new(
                ErrorCode::BadRequest,
                "transport=websocket without a WebSocket upgrade",
            ));
        }
        Transport::Polling if ws_upgrade => {
            return Err(RequestError::new(
                ErrorCode::BadRequest,
                "WebSocket upgrade with transport=polling",
            ));
        }
        _ => {}
    }
    if param(query, "EIO") != Some("4") {
        return Err(RequestError::new(
            ErrorCode::UnsupportedProtocolVersion,
            "EIO is not 4",
        ));
    }
    Ok(EngineRequest::Handshake(transport))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        parse_query(Some(s))
    }

    fn code(method: Method, query: &str, ws: bool) -> ErrorCode {
        classify(&method, &q(query), ws).unwrap_err().code
    }

    #[test]
    fn handshakes() {
        assert_eq!(
            classify(&Method::GET, &q("EIO=4&transport=polling&t=abc"), false),
            Ok(EngineRequest::Handshake(Transport::Polling))
        );
        assert_eq!(
            classify(&Method::GET, &q("EIO=4&transport=websocket"), true),
            Ok(EngineRequest::Handshake(Transport::WebSocket))
        );
    }

    #[test]
    fn requests_on_a_session() {
        let s = "EIO=4&transport=polling&sid=abc%2Bd";
        assert_eq!(
            classify(&Method::GET, &q(s), false),
            Ok(EngineRequest::Poll("abc+d".into()))
        );
        assert_eq!(
            classify(&Method::POST, &q(s), false),
            Ok(EngineRequest::Post("abc+d".into()))
        );
        assert_eq!(
            classify(&Method::GET, &q("EIO=4&transport=websocket&sid=x"), true),
            Ok(EngineRequest::Upgrade("x".into()))
        );
    }

    #[test]
    fn error_codes_in_reference_order() {
        // transport first, even before the protocol version
        assert_eq!(
            code(Method::GET, "EIO=4", false),
            ErrorCode::UnknownTransport
        );
        assert_eq!(
            code(Method::GET, "transport=abc", false),
            ErrorCode::UnknownTransport
        );
        // then the handshake method
        assert_eq!(
            code(Method::POST, "EIO=4&transport=polling", false),
            ErrorCode::BadHandshakeMethod
        );
        assert_eq!(
            code(Method::PUT, "transport=polling", false),
            ErrorCode::BadHandshakeMethod
        );
        // websocket without an upgrade
        assert_eq!(
            code(Method::GET, "EIO=4&transport=websocket", false),
            ErrorCode::BadRequest
        );
        // then the protocol version
        assert_eq!(
            code(Method::GET, "transport=polling", false),
            ErrorCode::UnsupportedProtocolVersion
        );
        assert_eq!(
            code(Method::GET, "EIO=abc&transport=polling", false),
            ErrorCode::UnsupportedProtocolVersion
        );
        assert_eq!(
            code(Method::GET, "EIO=3&transport=websocket", true),
            ErrorCode::UnsupportedProtocolVersion
        );
        assert_eq!(
            code(Method::PUT, "EIO=4&transport=polling&sid=x", false),
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn upgrade_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, "WebSocket".parse().unwrap());
        h.insert(header::CONNECTION, "keep-alive, Upgrade".parse().unwrap());
        assert!(is_websocket_upgrade(&Method::GET, &h));
        assert!(!is_websocket_upgrade(&Method::POST, &h));
        h.insert(header::CONNECTION, "keep-alive".parse().unwrap());
        assert!(!is_websocket_upgrade(&Method::GET, &h));
    }
}
