//! The HTTP side of WebSocket (RFC 6455 opening handshake, on hyper's upgrade
//! mechanism, so WebSockets share the port and path with long-polling).
//!
//! A handshake request becomes a new session (see [`super::Engine`]); a request with a
//! `sid` is an upgrade attempt handed to that session's task once the connection has
//! switched protocols.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::error::{ErrorCode, error_response};
use super::session::Command;
use super::table::Entry;
use super::ws::WsConn;
use super::{EngineInner, ResponseBody};

/// The `Sec-WebSocket-Accept` value for a valid opening handshake, or the error code
/// (3, "Bad request") for a request that is not one.
pub(super) fn accept_key(headers: &HeaderMap) -> Result<String, ErrorCode> {
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY);
    match key {
        Some(key) if version_ok && !key.is_empty() => Ok(derive_accept_key(key.as_bytes())),
        _ => Err(ErrorCode::BadRequest),
    }
}

/// The 101 answer that completes the opening handshake.
pub(super) fn switching_protocols(accept: &str) -> Response<ResponseBody> {
    let mut res = Response::new(ResponseBody::default());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = res.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    match HeaderValue::from_str(accept) {
        Ok(v) => {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
        }
        // base64 is always a valid header value; refuse rather than answer a broken 101.
        Err(_) => return error_response(ErrorCode::BadRequest),
    }
    res
}

/// A WebSocket opened with the `sid` of an existing session: an upgrade attempt.
pub(super) fn upgrade<B>(
    inner: &Arc<EngineInner>,
    entry: Arc<Entry>,
    mut req: Request<B>,
) -> Response<ResponseBody> {
    let accept = match accept_key(req.headers()) {
        Ok(accept) => accept,
        Err(code) => return error_response(code),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let ws_config = inner.ws_config;
    let upgrade_timeout = inner.config.upgrade_timeout;
    tokio::spawn(async move {
        let upgraded = match timeout(upgrade_timeout, on_upgrade).await {
            Ok(Ok(upgraded)) => upgraded,
            Ok(Err(e)) => {
                tracing::debug!(sid = entry.shared.sid(), error = %e, "upgrade connection failed");
                return;
            }
            Err(_) => return,
        };
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_config))
                .await;
        // If the session ended meanwhile, the WebSocket is dropped (the TCP connection closes).
        let ws = Box::new(WsConn::new(ws));
        let _ = entry.commands.send(Command::Upgrade(ws)).await;
    });
    switching_protocols(&accept)
}
