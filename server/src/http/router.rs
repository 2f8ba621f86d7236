//! Routing one HTTP request: `/health`, each engine's path (behind the CORS / Origin
//! check), and 404 for the rest.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use super::cors::{Cors, OriginCheck};
use crate::engine::error::{ErrorCode, error_response};
use crate::engine::{Engine, ResponseBody};

/// What the server serves: engines by path, plus `/health`.
#[derive(Clone)]
pub struct Router {
    inner: Arc<RouterInner>,
}

struct RouterInner {
    engines: Vec<Engine>,
    cors: Cors,
    draining: AtomicBool,
}

impl Router {
    /// A router for `engines` (the first whose path matches serves a request) with `cors`.
    pub fn new(engines: Vec<Engine>, cors: Cors) -> Self {
        Router {
            inner: Arc::new(RouterInner {
                engines,
                cors,
                draining: AtomicBool::new(false),
            }),
        }
    }

    /// The engines served.
    pub fn engines(&self) -> &[Engine] {
        &self.inner.engines
    }

    /// From now on `/health` answers 503, so a load balancer stops sending traffic.
    pub fn set_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// Serves one request.
    pub async fn route<B>(&self, req: Request<B>, remote_addr: SocketAddr) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = req.uri().path();
        if path == "/health" {
            return self.health(req.method());
        }
        let Some(engine) = self.inner.engines.iter().find(|e| e.matches_path(path)) else {
            return plain(StatusCode::NOT_FOUND, "Not Found");
        };
        let origin = match self.inner.cors.check(req.headers()) {
            OriginCheck::NoOrigin => None,
            OriginCheck::Allowed(origin) => Some(origin),
            OriginCheck::Denied => {
                tracing::info!(%remote_addr, origin = ?req.headers().get(header::ORIGIN), "origin not allowed");
                return error_response(ErrorCode::Forbidden);
            }
            OriginCheck::Invalid => {
                tracing::info!(%remote_addr, "invalid Origin header");
                return error_response(ErrorCode::BadRequest);
            }
        };
        if req.method() == Method::OPTIONS {
            return match origin {
                Some(origin) => Cors::preflight(&origin, req.headers()),
                None => plain(StatusCode::NO_CONTENT, ""),
            };
        }
        let mut res = engine.handle(req, remote_addr).await;
        if let Some(origin) = origin
            && res.status() != StatusCode::SWITCHING_PROTOCOLS
        {
            Cors::decorate(&origin, res.headers_mut());
        }
        res
    }

    fn health(&self, method: &Method) -> Response<ResponseBody> {
        if method != Method::GET && method != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        }
        let (status, body) = if self.inner.draining.load(Ordering::SeqCst) {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"shutting down"}"#,
            )
        } else {
            (StatusCode::OK, r#"{"status":"ok"}"#)
        };
        let mut res = Response::new(ResponseBody::new(Bytes::from_static(body.as_bytes())));
        *res.status_mut() = status;
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<ResponseBody> {
    let mut res = Response::new(ResponseBody::new(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = status;
    if !body.is_empty() {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    res
}
