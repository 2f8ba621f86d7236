//! The Socket.IO v5 server layer: namespaces, sockets, connect middleware, events,
//! acks both ways, binary attachments both ways, rooms and broadcasts, on top of the
//! Engine.IO layer ([`crate::engine`]) and the sans-IO codec ([`huddle_protocol`]).
//!
//! # Using it (what an application such as `chat` does)
//!
//! ```no_run
//! use std::collections::HashSet;
//! use std::time::Duration;
//! use huddle_server::engine::{Engine, EngineConfig};
//! use huddle_server::socketio::{ConnectError, SocketIo, SocketIoConfig};
//!
//! struct User { id: u64 }                       // the per-socket state `S`
//! #[derive(serde::Deserialize)]
//! struct JoinRequest { #[serde(rename = "type")] kind: String, id: u64 }
//! async fn verify(token: &str) -> Result<User, ConnectError> { /* your code */
//! #   let _ = token; Ok(User { id: 1 })
//! }
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let io = SocketIo::new(SocketIoConfig::default());
//!
//! // A namespace and its connect middleware. The middleware is async, sees the
//! // CONNECT auth payload (`req.auth()`), the handshake headers and query
//! // (`req.header("authorization")`, `req.query("k")`), and returns the socket's
//! // state `S` or refuses with CONNECT_ERROR {message, data}.
//! let chat = io.namespace("/", |req| async move {
//!     let token = req.auth().get("token").and_then(|t| t.as_str())
//!         .ok_or_else(|| ConnectError::new("unauthorized")
//!             .with_data(serde_json::json!({"code": "TOKEN_MISSING"})))?
//!         .to_owned();
//!     verify(&token).await                       // Ok(user) becomes socket.state()
//! })?;
//!
//! // Hooks and handlers are registered once per namespace, not per socket.
//! chat.on_connect(|socket| async move {
//!     let user_id = socket.state().id;
//!     let _ = socket.emit("auth:success", &serde_json::json!({"userId": user_id}));
//! });
//! chat.on("room:join", |socket, event, ack| async move {
//!     let Ok(req) = event.first_arg::<JoinRequest>() else { return };
//!     let room = format!("{}:{}", req.kind, req.id);
//!     socket.join(&room);
//!     // memberCount = distinct users: read the state of every socket in the room.
//!     let users: HashSet<u64> = socket.namespace_handle()
//!         .room_sockets(&room).iter().map(|s| s.state().id).collect();
//!     let payload = serde_json::json!({"room": room, "memberCount": users.len()});
//!     // To the whole room, sender included (encoded once, queued on every member):
//!     let _ = socket.namespace_handle().to(&room).emit("room:joined", &payload);
//!     // To the others only:
//!     let _ = socket.to(&room).emit("typing:started", &payload);
//!     // Answer the client's ack, if it asked for one:
//!     if let Some(ack) = ack { let _ = ack.send(&serde_json::json!({"ok": true})); }
//!     // Server-to-client emit with an ack and a timeout:
//!     if let Ok(reply) = socket.emit_with_ack("ping", &(), Duration::from_secs(2)).await {
//!         let _answer: Option<serde_json::Value> = reply.first_arg().ok();
//!     }
//! });
//! chat.on_fallback(|_socket, event, ack| async move {
//!     // Every event without a handler of its own (optional).
//!     if let Some(ack) = ack {
//!         let _ = ack.send(&serde_json::json!({"ok": false, "unknown": event.name()}));
//!     }
//! });
//! chat.on_disconnect(|socket, reason| async move {
//!     // Runs after the socket's earlier events; it already left every room, and
//!     // socket.rooms() says which ones it was in (to stop its typing indicators).
//!     let _ = (socket.rooms(), reason.as_str());
//! });
//!
//! // Hand the server to the Engine.IO layer (then route HTTP to the engine):
//! let engine = Engine::new(EngineConfig::default(), io.engine_handler())?;
//! # let _ = engine; Ok(())
//! # }
//! ```
//!
//! # Semantics worth knowing
//! - **Order.** Each socket has one task: connect middleware, then `on_connect`
//!   hooks, then its events one at a time in the order received, then `on_disconnect`
//!   hooks. A handler that must not hold up the socket's next event spawns a task.
//!   Acks from the client (replies to `emit_with_ack`) bypass that queue.
//! - **Arguments.** Emitting: a tuple is spread into several arguments
//!   (`&("a", 1)`), `&()` sends none, any other `Serialize` value is one argument;
//!   bytes become binary attachments. Receiving: [`Event::first_arg`],
//!   [`Event::args`] (a tuple), [`Event::values`] (dynamic, binary included).
//! - **Rooms.** Every socket is in the room named by its id. `Namespace::to(room)`
//!   reaches every member; `Socket::to(room)` / `Socket::broadcast()` leave the
//!   sender out; `.except(room)` narrows. A disconnected socket can never rejoin a room.
//! - **Disconnect reasons** are socket.io's ([`DisconnectReason::as_str`]):
//!   "client namespace disconnect", "server namespace disconnect", "transport close",
//!   "ping timeout", "server shutting down", "parse error", ...
//! - **Limits** ([`SocketIoConfig`]): protocol [`huddle_protocol::Limits`], the
//!   connect timeout (45 s), and `max_pending_events` per socket (a flooding client's
//!   session is closed). The default namespace `/` exists (accepting everyone, no
//!   handlers) until the application registers its own.
//! - **Middleware** runs once per CONNECT, on the socket's task. If the session
//!   closes (or the client sends DISCONNECT for that namespace) while it runs, its
//!   future is dropped: no socket, no hooks. Events the client sent meanwhile are
//!   kept and handled after the accept. A panicking middleware refuses the socket
//!   with "Internal server error"; a panicking handler is logged and the socket goes on.
//! - **Packets for a namespace the client is not connected to** (a race with a
//!   server-side disconnect) are ignored; malformed packets close the session with
//!   "parse error"; a second CONNECT for a connected namespace, or a CONNECT_ERROR sent
//!   by a client, closes it ("forced close"), as the reference server does.
//!
//! # Modules
//! - [`server`](SocketIo): the [`crate::engine::EngineHandler`], namespace registry.
//! - `client`: one Engine.IO session: decoding, binary reassembly, routing by namespace.
//! - `namespace`: handler tables and the per-socket task.
//! - `socket`, `ack`, `payload`: a socket, acks both ways, received arguments.
//! - `rooms`, `broadcast`, `emit`: the room index, fan-out, encode-once.

mod ack;
mod broadcast;
mod client;
mod config;
mod connect;
mod emit;
mod namespace;
mod payload;
mod reason;
mod rooms;
mod server;
mod socket;

pub use ack::{AckError, AckSender};
pub use broadcast::BroadcastOperator;
pub use config::{SocketIoConfig, SocketIoConfigError};
pub use connect::{ConnectError, ConnectRequest};
pub use emit::EmitError;
pub use namespace::Namespace;
pub use payload::{AckReply, Event};
pub use reason::DisconnectReason;
pub use server::{NamespaceError, SocketIo};
pub use socket::Socket;

/// Dynamic argument values (JSON with binary parts) and the slice spreader
/// (`&Spread(&values)` emits each value as its own argument), re-exported for
/// handlers that forward what they received.
pub use huddle_protocol::socketio::{Spread, Value};
