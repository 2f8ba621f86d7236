//! The Engine.IO HTTP error answers (engine.io `Server.errors` / `abortRequest`):
//! status 400 (403 for "Forbidden") with the JSON body `{"code":N,"message":"..."}`.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use super::ResponseBody;

/// The Engine.IO error codes, as the reference server numbers and names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0: the `transport` query parameter is missing or not `polling`/`websocket`.
    UnknownTransport = 0,
    /// 1: the `sid` names no open session.
    UnknownSid = 1,
    /// 2: a handshake (no `sid`) that is not a GET.
    BadHandshakeMethod = 2,
    /// 3: anything else the protocol does not allow (wrong transport for the session,
    /// malformed body, overlapping requests...).
    BadRequest = 3,
    /// 4: the request is refused (origin not allowed).
    Forbidden = 4,
    /// 5: `EIO` is missing or not `4`.
    UnsupportedProtocolVersion = 5,
}

impl ErrorCode {
    /// The reference server's message for this code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status the reference server answers with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A refused Engine.IO request: the code the client sees and, for the log, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The code answered.
    pub code: ErrorCode,
    /// Why, for the log line (never sent to the client).
    pub reason: &'static str,
}

impl RequestError {
    pub(crate) fn new(code: ErrorCode, reason: &'static str) -> Self {
        RequestError { code, reason }
    }
}

/// The JSON error answer for `code`, with the reference server's message.
pub fn error_response(code: ErrorCode) -> Response<ResponseBody> {
    json_error(code.status(), code as u8, code.message())
}

/// A JSON error answer with an explicit status and message (used for the session cap
/// and during shutdown, which have no Engine.IO code of their own).
pub(crate) fn json_error(status: StatusCode, code: u8, message: &str) -> Response<ResponseBody> {
    // The messages are fixed ASCII strings: no JSON escaping needed, but serde keeps
    // that true if one ever changes.
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    let mut res = Response::new(ResponseBody::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn every_code_has_the_reference_body_and_status() {
        let cases = [
            (
                ErrorCode::UnknownTransport,
                400,
                r#"{"code":0,"message":"Transport unknown"}"#,
            ),
            (
                ErrorCode::UnknownSid,
                400,
                r#"{"code":1,"message":"Session ID unknown"}"#,
            ),
            (
                ErrorCode::BadHandshakeMethod,
                400,
                r#"{"code":2,"message":"Bad handshake method"}"#,
            ),
            (
                ErrorCode::BadRequest,
                400,
                r#"{"code":3,"message":"Bad request"}"#,
            ),
            (
                ErrorCode::Forbidden,
                403,
                r#"{"code":4,"message":"Forbidden"}"#,
            ),
            (
                ErrorCode::UnsupportedProtocolVersion,
                400,
                r#"{"code":5,"message":"Unsupported protocol version"}"#,
            ),
        ];
        for (code, status, body) in cases {
            let res = error_response(code);
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(bytes, body.as_bytes());
        }
    }
}
