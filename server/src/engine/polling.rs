//! The HTTP side of long-polling (engine.io `transports/polling`): a GET waits for the
//! session's next payload; a POST delivers a payload, read up to `maxPayload`.
//!
//! Answers as the reference: payloads as `text/plain; charset=UTF-8`, a POST as `ok`
//! (`text/html`, which the reference chose to avoid download prompts), a body over
//! `maxPayload` as 413 (the session is left to the client), and a malformed body as
//! 400 with the session closed.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use tokio::sync::oneshot;
use tokio::time::timeout;

use super::api::CloseReason;
use super::error::{ErrorCode, error_response};
use super::session::{Command, PollReply};
use super::table::Entry;
use super::{EngineInner, ResponseBody};

fn text_response(body: Bytes, content_type: &'static str) -> Response<ResponseBody> {
    let mut res = Response::new(ResponseBody::new(body));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A long-polling GET: resolves when the session has something to send.
pub(super) async fn poll(entry: &Entry) -> Response<ResponseBody> {
    let (tx, rx) = oneshot::channel();
    if entry.commands.send(Command::Poll(tx)).await.is_err() {
        return error_response(ErrorCode::UnknownSid);
    }
    match rx.await {
        Ok(PollReply::Payload(body)) => text_response(body, "text/plain; charset=UTF-8"),
        Ok(PollReply::Error(code)) => error_response(code),
        // The session ended without answering: it is gone.
        Err(_) => error_response(ErrorCode::UnknownSid),
    }
}

/// Clears the session's "POST in progress" flag when the request ends, however it ends.
struct PostGuard<'a>(&'a Entry);

impl Drop for PostGuard<'_> {
    fn drop(&mut self) {
        self.0.post_busy.store(false, Ordering::Release);
    }
}

/// A long-polling POST.
pub(super) async fn post<B>(
    inner: &EngineInner,
    entry: &Entry,
    req: Request<B>,
) -> Response<ResponseBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let sid = entry.shared.sid();
    if entry.post_busy.swap(true, Ordering::AcqRel) {
        // Two POSTs at once: the reference treats it as a transport error.
        tracing::info!(sid, "overlapping POST requests: closing");
        entry.shared.request_close(CloseReason::TransportError);
        return error_response(ErrorCode::BadRequest);
    }
    let _guard = PostGuard(entry);
    let max = inner.config.max_payload;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(sid, declared.unwrap_or_default(), max);
    }
    if req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"))
    {
        // v4 polling bodies are text; the reference closes the session ("invalid content").
        tracing::info!(
            sid,
            "binary polling body refused (EIO=4 sends text): closing"
        );
        entry.shared.request_close(CloseReason::TransportError);
        return error_response(ErrorCode::BadRequest);
    }
    // A body that trickles in for longer than a whole heartbeat cycle is not a live client.
    let patience = inner.config.ping_interval + inner.config.ping_timeout;
    let collected = timeout(patience, Limited::new(req.into_body(), max).collect()).await;
    let body = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return too_large(sid, max as u64 + 1, max);
        }
        Ok(Err(e)) => {
            tracing::debug!(sid, error = %e, "POST body not received: closing");
            entry.shared.request_close(CloseReason::TransportError);
            return error_response(ErrorCode::BadRequest);
        }
        Err(_) => {
            tracing::info!(sid, "POST body too slow: closing");
            entry.shared.request_close(CloseReason::TransportError);
            return error_response(ErrorCode::BadRequest);
        }
    };
    let (tx, rx) = oneshot::channel();
    if entry.commands.send(Command::Post(body, tx)).await.is_err() {
        return error_response(ErrorCode::UnknownSid);
    }
    match rx.await {
        Ok(Ok(())) => text_response(Bytes::from_static(b"ok"), "text/html"),
        Ok(Err(code)) => error_response(code),
        Err(_) => error_response(ErrorCode::UnknownSid),
    }
}

fn too_large(sid: &str, size: u64, max: usize) -> Response<ResponseBody> {
    // As the reference: 413 and nothing more. The session is left to the client, which
    // abandons its transport on this error (its pending GET ends, which closes the
    // session with "transport error", the reason the client reports too); one that
    // does not is reaped by the heartbeat.
    tracing::info!(sid, size, max, "POST body over maxPayload refused");
    let mut res = Response::new(ResponseBody::new(Bytes::new()));
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res
}
