//! `huddle-server`: the Huddle Socket.IO chat server.
//!
//! | module | what it is |
//! | --- | --- |
//! | [`engine`] | Engine.IO v4: sessions over long-polling and WebSocket, upgrade, heartbeat, limits |
//! | [`http`] | the hyper server: accept loop with a connection cap, routing, CORS, `/health`, graceful shutdown |
//! | [`config`] | command-line flags and environment variables, validated into the settings above |
//! | [`shutdown`] | SIGTERM / SIGINT into one cancellation signal |

pub mod engine;
pub mod http;
pub mod shutdown;
pub mod config;
