//! The Socket.IO v5 server layer: namespaces, sockets, connect middleware, events,
//! acks both ways, binary attachments both ways, rooms and broadcasts, on top of the
//! Engine.IO layer ([`crate::engine`]) and the sans-IO codec ([`huddle_protocol`]).
//!
//! # Using it (what an application such as `chat` does)
//!
//! ```ignore
//! use std::time::Duration;
//! use huddle_server::socketio::{ConnectError, SocketIo, SocketIoConfig};
//!
//! let io = SocketIo::new(SocketIoConfig::default());
//!
//! // A namespace and its connect middleware. The middleware is async, sees the
//! // CONNECT auth payload (`req.auth()`), the handshake headers and query
//! // (`req.header("authorization")`, `req.query("k")`), and returns the socket's
//! // state `S` (here a `User`) or refuses with CONNECT_ERROR {message, data}.
//! let chat = io.namespace("/", move |req| async move {
//!     let token = req.auth().get("token").and_then(|t| t.as_str())
//!         .ok_or_else(|| ConnectError::new("unauthorized")
//!             .with_data(serde_json::json!({"code": "TOKEN_MISSING"})))?;
//!     let user: User = verify(token).await?;           // your code
//!     Ok(user)                                          // becomes socket.state()
//! })?;
//!
//! // Hooks and handlers are registered once per namespace, not per socket.
//! chat.on_connect(|socket| async move {
//!     let user = socket.state();
//!     let _ = socket.emit("auth:success", &serde_json::json!({"userId": user.id}));
//! });
//! chat.on("room:join", |socket, event, ack| async move {
//!     let req: JoinRequest = match event.first_arg() { Ok(r) => r, Err(_) => return };
//!     let room = format!("{}:{}", req.kind, req.id);
//!     socket.join(&room);
//!     // memberCount = distinct users: read the state of every socket in the room.
//!     let users: std::collections::HashSet<u64> = socket.namespace_handle()
//!         .room_sockets(&room).iter().map(|s| s.state().id).collect();
//!     if let Some(ack) = ack { let _ = ack.send(&serde_json::json!({"ok": true})); }
//!     // To the whole room, sender included (encoded once, queued on every member):
//!     let _ = socket.namespace_handle().to(&room).emit("room:joined", &payload);
//!     // To the others only:
//!     let _ = socket.to(&room).emit("typing:started", &payload);
//! });
//! chat.on_disconnect(|socket, reason| async move {
//!     // Runs after the socket's earlier events; it already left every room, and
//!     // socket.rooms() says which ones it was in (to stop its typing indicators).
//! });
//!
//! // Server-to-client emit with an ack and a timeout:
//! // let reply = socket.emit_with_ack("ping", &(), Duration::from_secs(2)).await?;
//! // let v: serde_json::Value = reply.first_arg()?;
//!
//! // Hand the server to the Engine.IO layer:
//! let engine = Engine::new(engine_config, io.engine_handler());
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

pub use huddle_protocol::socketio::Spread;
/// Dynamic argument values (JSON with binary parts) and the slice spreader, re-exported
/// for handlers that forward what they received.
pub use huddle_protocol::socketio::Value;
