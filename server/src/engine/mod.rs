//! The Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, the upgrade
//! between them, heartbeats, and the limits (engine.io-protocol v4; the reference is
//! the `engine.io` Node server, whose answers ours match byte for byte where the
//! protocol test suite looks).
//!
//! - [`api`]: what the layer above sees: [`EngineHandler`], [`SessionHandle`], [`Frame`].
//! - [`config`]: [`EngineConfig`], every setting and limit.
//! - [`request`]: which kind of request this is, or which error code it gets.
//! - [`error`]: the `{"code":N,"message":...}` answers.
//! - `session`: the task that owns one session; `heartbeat`: its clock-free ping timer;
//!   `ws`: its WebSocket driver; `polling` / `websocket`: the HTTP side of each transport.
//! - [`echo`]: the raw echo handler of conformance mode.
//!
//! One [`Engine`] serves one path. The HTTP layer routes the path's requests to
//! [`Engine::handle`].

pub mod api;
pub mod config;
pub mod echo;
pub mod error;
mod handshake;
mod heartbeat;
mod polling;
pub mod request;
mod session;
pub(crate) mod sid;
mod table;
mod websocket;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub use api::{
    CloseReason, Data, EngineHandler, Frame, Handshake, SendError, SessionHandle, Transport,
};
pub use config::{ConfigError, EngineConfig};
pub use error::ErrorCode;
pub use heartbeat::{Heartbeat, HeartbeatAction};

use api::SessionShared;
use error::{error_response, json_error};
use request::{EngineRequest, classify, is_websocket_upgrade, parse_query};
use session::{Initial, Session};
use table::{Commands, Entry, SessionTable};

/// The body of every response the engine (and the HTTP layer) produces.
pub type ResponseBody = http_body_util::Full<Bytes>;

/// Commands waiting for a session's task; a well-behaved client has at most a GET, a
/// POST and an upgrade in flight.
const COMMAND_QUEUE: usize = 8;

/// One Engine.IO server. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) config: EngineConfig,
    pub(crate) handler: Arc<dyn EngineHandler>,
    pub(crate) table: SessionTable,
    pub(crate) limits: huddle_protocol::Limits,
    pub(crate) ws_config: WebSocketConfig,
    /// Long-polling GETs currently held by sessions (a gauge for operators and tests).
    pub(crate) parked_polls: Arc<AtomicUsize>,
    /// Cleared at shutdown: new handshakes are refused.
    accepting: AtomicBool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.inner.config.path)
            .field("sessions", &self.session_count())
            .finish()
    }
}

impl Engine {
    /// An engine with `config` (validated) delivering to `handler`.
    pub fn new(config: EngineConfig, handler: Arc<dyn EngineHandler>) -> Result<Self, ConfigError> {
        let config = config.validated()?;
        let limits = config.protocol_limits();
        let ws_config = config.websocket_config();
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config,
                handler,
                table: SessionTable::default(),
                limits,
                ws_config,
                parked_polls: Arc::new(AtomicUsize::new(0)),
                accepting: AtomicBool::new(true),
            }),
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// True when `path` (a request's path, without query) is this engine's.
    pub fn matches_path(&self, path: &str) -> bool {
        let own = self.inner.config.path.as_str();
        path == own || path == &own[..own.len() - 1]
    }

    /// Sessions currently open.
    pub fn session_count(&self) -> usize {
        self.inner.table.len()
    }

    /// Long-polling GETs currently held open by sessions, waiting for something to send.
    pub fn parked_polls(&self) -> usize {
        self.inner.parked_polls.load(Ordering::Relaxed)
    }

    /// The session with id `sid`, if open.
    pub fn session(&self, sid: &str) -> Option<SessionHandle> {
        self.inner.table.get(sid).map(|e| e.handle())
    }

    /// Stops accepting handshakes and closes every session with `reason` (queued
    /// frames are flushed first for [`CloseReason::ServerShutdown`]).
    pub fn close_all(&self, reason: CloseReason) {
        self.inner.accepting.store(false, Ordering::SeqCst);
        let entries = self.inner.table.snapshot();
        tracing::info!(path = %self.inner.config.path, sessions = entries.len(), %reason, "closing all sessions");
        for entry in entries {
            entry.shared.request_close(reason);
        }
    }

    /// Resolves when no session is open.
    pub async fn wait_empty(&self) {
        self.inner.table.wait_empty().await;
    }

    /// Serves one request to this engine's path.
    pub async fn handle<B>(
        &self,
        req: Request<B>,
        remote_addr: SocketAddr,
    ) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let query = parse_query(req.uri().query());
        let upgrade = is_websocket_upgrade(req.method(), req.headers());
        let kind = match classify(req.method(), &query, upgrade) {
            Ok(kind) => kind,
            Err(e) => {
                tracing::debug!(%remote_addr, uri = %req.uri(), code = e.code as u8, reason = e.reason, "engine request refused");
                return error_response(e.code);
            }
        };
        match kind {
            EngineRequest::Handshake(transport) => {
                self.handshake(req, query, transport, remote_addr).await
            }
            EngineRequest::Poll(sid) => match self.lookup(&sid, Transport::Polling) {
                Ok(entry) => polling::poll(&entry).await,
                Err(code) => error_response(code),
            },
            EngineRequest::Post(sid) => match self.lookup(&sid, Transport::Polling) {
                Ok(entry) => polling::post(&self.inner, &entry, req).await,
                Err(code) => error_response(code),
            },
            EngineRequest::Upgrade(sid) => match self.lookup(&sid, Transport::WebSocket) {
                Ok(entry) => websocket::upgrade(&self.inner, entry, req),
                Err(code) => error_response(code),
            },
        }
    }

    /// Finds the session for a request on `transport`: unknown sid is code 1; a
    /// polling request on a session that has moved to WebSocket is code 3 (the
    /// reference's TRANSPORT_MISMATCH); a WebSocket on a polling session is an upgrade.
    fn lookup(&self, sid: &str, transport: Transport) -> Result<Arc<Entry>, ErrorCode> {
        let entry = self.inner.table.get(sid).ok_or(ErrorCode::UnknownSid)?;
        if transport == Transport::Polling && entry.handle().transport() != Transport::Polling {
            return Err(ErrorCode::BadRequest);
        }
        Ok(entry)
    }

    async fn handshake<B>(
        &self,
        mut req: Request<B>,
        query: Vec<(String, String)>,
        transport: Transport,
        remote_addr: SocketAddr,
    ) -> Response<ResponseBody> {
        let inner = &self.inner;
        if !inner.accepting.load(Ordering::SeqCst) {
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Forbidden as u8,
                "Server shutting down",
            );
        }
        // Checked before the session exists, so a bad WebSocket request costs nothing.
        let ws_accept = if transport == Transport::WebSocket {
            match websocket::accept_key(req.headers()) {
                Ok(key) => Some(key),
                Err(code) => return error_response(code),
            }
        } else {
            None
        };
        let sid = match sid::generate() {
            Ok(sid) => sid,
            Err(e) => {
                tracing::error!(error = %e, "no randomness for a session id");
                return error_response(ErrorCode::BadRequest);
            }
        };
        let handshake = Handshake::new(
            &req.uri().to_string(),
            req.headers(),
            &query,
            remote_addr,
            SystemTime::now(),
        );
        let shared = Arc::new(SessionShared::new(
            sid.clone(),
            handshake,
            transport,
            inner.config.outbound_queue_capacity,
        ));
        shared.push_control(open_packet(&inner.config, &sid, transport));
        let entry = Arc::new(Entry {
            shared: shared.clone(),
            commands: Commands::new(COMMAND_QUEUE),
            post_busy: AtomicBool::new(false),
        });
        if inner
            .table
            .insert(&sid, entry.clone(), inner.config.max_sessions)
            .is_err()
        {
            tracing::warn!(%remote_addr, max_sessions = inner.config.max_sessions, "session limit reached: handshake refused");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Forbidden as u8,
                "Session limit reached",
            );
        }
        tracing::debug!(%sid, %remote_addr, transport = transport.as_str(), "session opened");
        let session = Session::new(inner.clone(), entry.clone(), transport);
        match ws_accept {
            None => {
                tokio::spawn(session.run(Initial::Polling));
                // The handshake GET is the session's first poll: it carries the open packet.
                polling::poll(&entry).await
            }
            Some(accept) => {
                let on_upgrade = hyper::upgrade::on(&mut req);
                tokio::spawn(session.run(Initial::WebSocket(on_upgrade)));
                websocket::switching_protocols(&accept)
            }
        }
    }
}

/// The open packet: `0{"sid":...,"upgrades":[...],"pingInterval":...,"pingTimeout":...,"maxPayload":...}`.
fn open_packet(config: &EngineConfig, sid: &str, transport: Transport) -> Frame {
    let upgrades = match transport {
        Transport::Polling => vec!["websocket".to_owned()],
        Transport::WebSocket => Vec::new(),
    };
    huddle_protocol::engine::Packet::Open(huddle_protocol::engine::Handshake {
        sid: sid.to_owned(),
        upgrades,
        ping_interval: config.ping_interval.as_millis() as u64,
        ping_timeout: config.ping_timeout.as_millis() as u64,
        max_payload: config.max_payload as u64,
    })
    .to_frame()
}
