//! `huddle-loadgen`: the end-to-end load generator of Huddle's benchmarks (issue 6).
//!
//! N clients, each with its own JWT, connect to a server on the loopback interface,
//! join rooms, and S of them send `message:send` for a bounded time; every client
//! counts the `message:new` it receives and the end-to-end latency carried in the
//! content. The same generator drives Huddle, the Node `socket.io` peer, the
//! `socketioxide` peer (all Socket.IO v5 over Engine.IO v4, by WebSocket or long
//! polling) and the raw WebSocket floor (`huddle-floor`, no Socket.IO framing), so
//! their figures can be put side by side. One run prints one JSON line.
//!
//! # Map
//!
//! | module | what it is |
//! | --- | --- |
//! | [`config`] | the command line, checked into a [`config::RunConfig`] |
//! | [`token`] | HS256 handshake tokens (`sub` = user id, `exp`) |
//! | [`marker`] | the run tag, sender, sequence number and send time carried in each message's content |
//! | [`session`] | the client side of the chat over Socket.IO, sans-IO: text packets in, text packets out |
//! | [`pace`] | the pacing rules: ack, echo, delivery window or fixed rate |
//! | [`sender`] | one sending client: when its next message is due, what it carries, what it waits for |
//! | [`client`] | what every client does with what it receives (counts, latencies, acks), whatever its transport |
//! | [`shared`] | state shared by all clients of a run: phase, clock, room sizes, delivery windows |
//! | [`stats`] | per-client counters and latency histograms, merged at the end |
//! | [`ws`] | the WebSocket driver of a Socket.IO client |
//! | [`polling`] | the HTTP long-polling driver of a Socket.IO client |
//! | [`floor`] | the driver of a floor client, and the floor server's wire rules |
//! | [`run`] | one run: connect, warm up, measure, drain, report |
//! | [`procfs`] | the server's resident memory from `/proc/PID/status` |
//! | [`verify`] | counting acknowledged messages in MariaDB after a persisted run |
//! | [`report`] | the JSON line |
//!
//! Loopback only: the target address must be a loopback address. Every run is
//! bounded by its durations and stops by itself.

pub mod client;
pub mod config;
pub mod floor;
pub mod marker;
pub mod pace;
pub mod polling;
pub mod procfs;
pub mod report;
pub mod run;
pub mod sender;
pub mod session;
pub mod shared;
pub mod stats;
pub mod token;
pub mod verify;
pub mod ws;
