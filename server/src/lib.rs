//! `huddle-server`: the Huddle Socket.IO chat server.
//!
//! | module | what it is |
//! | --- | --- |
//! | [`engine`] | Engine.IO v4: sessions over long-polling and WebSocket, upgrade, heartbeat, limits |
//! | [`socketio`] | Socket.IO v5: namespaces, sockets, middleware, events, acks, binary, rooms |
//! | [`chat`] | the Task Tracker chat events on top of Socket.IO |
//! | [`conformance`] | the Socket.IO handlers of `huddle conformance` |
//! | [`files`] | the files API: streaming upload, download with Range, housekeeping, the image/file message check |
//! | [`http`] | the hyper server: accept loop with a connection cap, routing, CORS, `/health`, graceful shutdown |
//! | [`config`] | command-line flags and environment variables, validated into settings |
//! | [`shutdown`] | SIGTERM / SIGINT into one cancellation signal |
//!
//! A request flows: TCP accept ([`http::Server`]) → [`http::Router`] → an
//! [`engine::Engine`] session → its [`engine::EngineHandler`] (the Socket.IO server,
//! or the echo server of conformance mode).

pub mod chat;
pub mod config;
pub mod conformance;
pub mod engine;
pub mod files;
pub mod http;
pub mod shutdown;
pub mod socketio;
