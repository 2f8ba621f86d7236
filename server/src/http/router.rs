//! Routing one HTTP request: `/health`, the files API under `/api/files` and each
//! engine's path (both behind the CORS / Origin check), and 404 for the rest.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Either;

use super::cors::{Cors, OriginCheck};
use crate::engine::error::{ErrorCode, error_response};
use crate::engine::{Engine, ResponseBody};
use crate::files::{FilesService, HttpBody};

/// What the server serves: engines by path, plus `/health`.
#[derive(Clone)]
pub struct Router {
    inner: Arc<RouterInner>,
}

struct RouterInner {
    engines: Vec<Engine>,
    cors: Cors,
    draining: AtomicBool,
    /// Installed once the store is open (after the listener is bound).
    files: OnceLock<FilesService>,
}

impl Router {
    /// A router for `engines` (the first whose path matches serves a request) with `cors`.
    pub fn new(engines: Vec<Engine>, cors: Cors) -> Self {
        Router {
            inner: Arc::new(RouterInner {
                engines,
                cors,
                draining: AtomicBool::new(false),
                files: OnceLock::new(),
            }),
        }
    }

    /// The engines served.
    pub fn engines(&self) -> &[Engine] {
        &self.inner.engines
    }

    /// Serves the files API under `/api/files` from now on. Returns `false` (and changes
    /// nothing) if one was installed already.
    pub fn install_files(&self, files: FilesService) -> bool {
        self.inner.files.set(files).is_ok()
    }

    /// From now on `/health` answers 503, so a load balancer stops sending traffic.
    pub fn set_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// Serves one request.
    pub async fn route<B>(&self, req: Request<B>, remote_addr: SocketAddr) -> Response<HttpBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = req.uri().path();
        if path == "/health" {
            return self.health(req.method()).map(Either::Left);
        }
        let target = if let Some(files) = self
            .inner
            .files
            .get()
            .filter(|_| FilesService::matches_path(path))
        {
            Target::Files(files)
        } else if let Some(engine) = self.inner.engines.iter().find(|e| e.matches_path(path)) {
            Target::Engine(engine)
        } else {
            return plain(StatusCode::NOT_FOUND, "Not Found").map(Either::Left);
        };
        let origin = match self.inner.cors.check(req.headers()) {
            OriginCheck::NoOrigin => None,
            OriginCheck::Allowed(origin) => Some(origin),
            OriginCheck::Denied => {
                tracing::info!(%remote_addr, origin = ?req.headers().get(header::ORIGIN), "origin not allowed");
                return error_response(ErrorCode::Forbidden).map(Either::Left);
            }
            OriginCheck::Invalid => {
                tracing::info!(%remote_addr, "invalid Origin header");
                return error_response(ErrorCode::BadRequest).map(Either::Left);
            }
        };
        if req.method() == Method::OPTIONS {
            let res = match origin {
                Some(origin) => Cors::preflight(&origin, req.headers()),
                None => plain(StatusCode::NO_CONTENT, ""),
            };
            return res.map(Either::Left);
        }
        let mut res = match target {
            Target::Files(files) => files.handle(req).await,
            Target::Engine(engine) => engine.handle(req, remote_addr).await.map(Either::Left),
        };
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

/// Who serves a request.
enum Target<'a> {
    Files(&'a FilesService),
    Engine(&'a Engine),
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
