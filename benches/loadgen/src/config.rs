//! The command line of `huddle-loadgen`, checked into a [`RunConfig`].
//!
//! Every limit has a safe default and a bound, so a typo cannot ask for a million
//! connections or an hour-long run; a bad value is refused with one line naming the
//! flag ([`ConfigError`]).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::pace::{Pace, PaceParseError};

/// Most clients one run may open.
pub const MAX_CLIENTS: usize = 100_000;
/// Longest warm-up, measurement or drain phase.
pub const MAX_PHASE: Duration = Duration::from_secs(600);
/// Shortest content: room for the marker (see [`crate::marker`]).
pub const MIN_CONTENT_BYTES: usize = 48;
/// Longest content: the chat's default text limit.
pub const MAX_CONTENT_BYTES: usize = 10_000;

/// What the clients speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// Socket.IO v5 over Engine.IO v4 with the chat's events (Huddle and its peers).
    Socketio,
    /// The floor's bare WebSocket text frames (no Engine.IO, no Socket.IO).
    Floor,
}

/// How Socket.IO clients reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// `transport=websocket` from the first request (what `socket.io-client` does with
    /// `transports: ["websocket"]`).
    Websocket,
    /// HTTP long-polling only, never upgraded.
    Polling,
}

/// `huddle-loadgen`: one bounded load run against one server on the loopback
/// interface; prints one JSON line.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Name of the server under test, copied into the report (huddle, node, socketioxide, floor...).
    #[arg(long, default_value = "server")]
    pub server_name: String,
    /// Name of the scenario, copied into the report.
    #[arg(long, default_value = "custom")]
    pub scenario: String,
    /// What the clients speak.
    #[arg(long, value_enum, default_value_t = Protocol::Socketio)]
    pub protocol: Protocol,
    /// Transport of Socket.IO clients.
    #[arg(long, value_enum, default_value_t = Transport::Websocket)]
    pub transport: Transport,
    /// Server address; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Path of the Socket.IO endpoint (ignored by the floor).
    #[arg(long, default_value = "/socket.io/")]
    pub path: String,
    /// Clients to connect.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Rooms in use: project rooms first-room..first-room+rooms-1.
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// Rooms each client joins (client i joins rooms i, i+1, ... modulo --rooms).
    #[arg(long, default_value_t = 1)]
    pub rooms_per_client: usize,
    /// Id of the first project room.
    #[arg(long, default_value_t = 1)]
    pub first_room: u64,
    /// User id of client 0 (client i is user first-user + i); the fixture must hold them.
    #[arg(long, default_value_t = 10)]
    pub first_user: u64,
    /// Clients that send (client k sends to its first room); 0 for an idle run.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// When a sender sends its next message: `ack` (after the ack of the previous one),
    /// `echo` (after its own `message:new`), `window:N` (while fewer than N of its
    /// messages are not yet delivered to every member of the room) or `rate:D` (open
    /// loop, D deliveries per second in total across all senders).
    #[arg(long, default_value = "window:2")]
    pub pace: String,
    /// Milliseconds of sending before the measurement starts.
    #[arg(long, default_value_t = 1000)]
    pub warmup_ms: u64,
    /// Milliseconds measured.
    #[arg(long, default_value_t = 10_000)]
    pub duration_ms: u64,
    /// Most milliseconds to wait after the last send for deliveries still in flight.
    #[arg(long, default_value_t = 3000)]
    pub drain_ms: u64,
    /// Milliseconds to wait after every client is ready before reading the server's
    /// memory (lets allocators and garbage collectors settle).
    #[arg(long, default_value_t = 1000)]
    pub settle_ms: u64,
    /// Bytes of message content (the marker, padded).
    #[arg(long, default_value_t = 64)]
    pub content_bytes: usize,
    /// HS256 secret the server checks handshake tokens with.
    #[arg(long, env = "HUDDLE_JWT_SECRET", default_value = "huddle-bench-secret")]
    pub jwt_secret: String,
    /// Lifetime of the tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub token_ttl_s: u64,
    /// Process id of the server, to read its memory from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,
    /// Milliseconds each client has to connect, authenticate and join its rooms.
    #[arg(long, default_value_t = 30_000)]
    pub connect_timeout_ms: u64,
    /// Worker threads of the generator's runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// With `rate:D`: most messages of one sender not yet delivered everywhere before
    /// it skips a tick (counted as `skipped`), so an overloaded server cannot make the
    /// generator's memory grow without bound.
    #[arg(long, default_value_t = 1000)]
    pub max_in_flight: u64,
    /// After the run, check that every acknowledged message id is in this MariaDB
    /// database's `messages` table (mysql://user@127.0.0.1:3306/db).
    #[arg(long)]
    pub verify_db: Option<String>,
}

/// Why the command line was refused: the flag and the rule.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting --{flag}: {reason}")]
pub struct ConfigError {
    /// The flag.
    pub flag: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(flag: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        reason: reason.into(),
    }
}

/// A checked run configuration.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub server_name: String,
    pub scenario: String,
    pub protocol: Protocol,
    pub transport: Transport,
    pub addr: SocketAddr,
    pub path: String,
    pub clients: usize,
    pub rooms: usize,
    pub rooms_per_client: usize,
    pub first_room: u64,
    pub first_user: u64,
    pub senders: usize,
    pub pace: Pace,
    pub warmup: Duration,
    pub duration: Duration,
    pub drain: Duration,
    pub settle: Duration,
    pub content_bytes: usize,
    pub jwt_secret: String,
    pub token_ttl: Duration,
    pub server_pid: Option<u32>,
    pub connect_concurrency: usize,
    pub connect_timeout: Duration,
    pub threads: usize,
    pub max_in_flight: u64,
    pub verify_db: Option<String>,
}

impl RunConfig {
    /// The room index (0-based) of a client's `j`-th room.
    pub fn room_of(&self, client: usize, j: usize) -> usize {
        (client + j) % self.rooms
    }

    /// The project id of room index `room`.
    pub fn room_id(&self, room: usize) -> u64 {
        self.first_room + room as u64
    }

    /// The user id of client `client`.
    pub fn user_id(&self, client: usize) -> u64 {
        self.first_user + client as u64
    }
}

fn phase(flag: &'static str, ms: u64) -> Result<Duration, ConfigError> {
    let d = Duration::from_millis(ms);
    if d > MAX_PHASE {
        return Err(bad(flag, format!("at most {} ms", MAX_PHASE.as_millis())));
    }
    Ok(d)
}

impl Cli {
    /// Checks every flag.
    pub fn config(&self) -> Result<RunConfig, ConfigError> {
        if !self.addr.ip().is_loopback() {
            return Err(bad("addr", "must be a loopback address (127.0.0.1 or ::1)"));
        }
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(bad("clients", format!("must be 1 to {MAX_CLIENTS}")));
        }
        if !(1..=self.clients).contains(&self.rooms) {
            return Err(bad("rooms", "must be 1 to --clients"));
        }
        if !(1..=self.rooms).contains(&self.rooms_per_client) {
            return Err(bad("rooms-per-client", "must be 1 to --rooms"));
        }
        if self.first_room == 0 {
            return Err(bad("first-room", "room ids start at 1"));
        }
        if self.first_user == 0 {
            return Err(bad("first-user", "user ids start at 1"));
        }
        if self.senders > self.clients {
            return Err(bad("senders", "at most --clients"));
        }
        if !self.path.starts_with('/') {
            return Err(bad("path", "must start with /"));
        }
        let pace: Pace = self
            .pace
            .parse()
            .map_err(|e: PaceParseError| bad("pace", e.to_string()))?;
        if self.protocol == Protocol::Floor {
            if pace == Pace::Ack {
                return Err(bad(
                    "pace",
                    "the floor has no acks: use echo, window:N or rate:D",
                ));
            }
            if self.transport == Transport::Polling {
                return Err(bad("transport", "the floor speaks WebSocket only"));
            }
            if self.verify_db.is_some() {
                return Err(bad("verify-db", "the floor stores nothing"));
            }
        }
        if !(MIN_CONTENT_BYTES..=MAX_CONTENT_BYTES).contains(&self.content_bytes) {
            return Err(bad(
                "content-bytes",
                format!("must be {MIN_CONTENT_BYTES} to {MAX_CONTENT_BYTES}"),
            ));
        }
        if self.jwt_secret.is_empty() {
            return Err(bad("jwt-secret", "must not be empty"));
        }
        if !(60..=86_400).contains(&self.token_ttl_s) {
            return Err(bad("token-ttl-s", "must be 60 to 86400"));
        }
        if !(1..=10_000).contains(&self.connect_concurrency) {
            return Err(bad("connect-concurrency", "must be 1 to 10000"));
        }
        if !(1..=64).contains(&self.threads) {
            return Err(bad("threads", "must be 1 to 64"));
        }
        if self.max_in_flight == 0 {
            return Err(bad("max-in-flight", "must be at least 1"));
        }
        let connect_timeout = phase("connect-timeout-ms", self.connect_timeout_ms)?;
        if connect_timeout.is_zero() {
            return Err(bad("connect-timeout-ms", "must be at least 1"));
        }
        Ok(RunConfig {
            server_name: self.server_name.clone(),
            scenario: self.scenario.clone(),
            protocol: self.protocol,
            transport: self.transport,
            addr: self.addr,
            path: self.path.clone(),
            clients: self.clients,
            rooms: self.rooms,
            rooms_per_client: self.rooms_per_client,
            first_room: self.first_room,
            first_user: self.first_user,
            senders: self.senders,
            pace,
            warmup: phase("warmup-ms", self.warmup_ms)?,
            duration: phase("duration-ms", self.duration_ms)?,
            drain: phase("drain-ms", self.drain_ms)?,
            settle: phase("settle-ms", self.settle_ms)?,
            content_bytes: self.content_bytes,
            jwt_secret: self.jwt_secret.clone(),
            token_ttl: Duration::from_secs(self.token_ttl_s),
            server_pid: self.server_pid,
            connect_concurrency: self.connect_concurrency,
            connect_timeout,
            threads: self.threads,
            max_in_flight: self.max_in_flight,
            verify_db: self.verify_db.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let mut all = vec!["huddle-loadgen"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("flags parse").config()
    }

    #[test]
    fn defaults_are_the_fan_out_scenario() {
        let c = parse(&[]).unwrap();
        assert_eq!((c.clients, c.rooms, c.senders), (1000, 10, 10));
        assert_eq!(c.pace, Pace::Window(2));
        assert_eq!(c.user_id(0), 10);
        assert_eq!(c.room_id(c.room_of(13, 0)), 4);
        assert_eq!(c.room_of(9, 1), 0);
    }

    #[test]
    fn every_bound_names_its_flag() {
        let cases: &[(&[&str], &str)] = &[
            (&["--addr", "10.0.0.1:3000"], "addr"),
            (&["--clients", "0"], "clients"),
            (&["--clients", "100001"], "clients"),
            (&["--clients", "5", "--rooms", "6"], "rooms"),
            (
                &["--rooms", "2", "--rooms-per-client", "3"],
                "rooms-per-client",
            ),
            (&["--first-room", "0"], "first-room"),
            (&["--first-user", "0"], "first-user"),
            (
                &["--clients", "5", "--rooms", "1", "--senders", "6"],
                "senders",
            ),
            (&["--path", "socket.io"], "path"),
            (&["--pace", "fast"], "pace"),
            (&["--protocol", "floor", "--pace", "ack"], "pace"),
            (
                &[
                    "--protocol",
                    "floor",
                    "--transport",
                    "polling",
                    "--pace",
                    "echo",
                ],
                "transport",
            ),
            (&["--content-bytes", "10"], "content-bytes"),
            (&["--jwt-secret", ""], "jwt-secret"),
            (&["--token-ttl-s", "5"], "token-ttl-s"),
            (&["--connect-concurrency", "0"], "connect-concurrency"),
            (&["--threads", "0"], "threads"),
            (&["--max-in-flight", "0"], "max-in-flight"),
            (&["--duration-ms", "600001"], "duration-ms"),
            (&["--connect-timeout-ms", "0"], "connect-timeout-ms"),
        ];
        for (args, flag) in cases {
            let err = parse(args).expect_err(&format!("{args:?} must be refused"));
            assert_eq!(err.flag, *flag, "{args:?}");
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid setting --{flag}: "))
            );
        }
    }
}
