//! The command line: `huddle` (serve) and `huddle conformance`, their flags, and the
//! environment variables behind them, validated into the settings of the server.
//!
//! Every flag has an environment fallback (`HUDDLE_...`) and a default. A value that
//! cannot work stops start-up with one line naming the setting.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::{ConfigError, EngineConfig};
use crate::http::{AllowedOrigins, HttpConfig};

/// Huddle: the Socket.IO chat server of the Task Tracker application.
#[derive(Debug, Parser)]
#[command(name = "huddle", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to run; without one, the chat server.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings of the chat server (when no subcommand is given).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chat server (the default).
    Serve(Box<ServeArgs>),
    /// Print a signed handshake token (JWT) for a user.
    Token(crate::chat::commands::TokenArgs),
    /// Load the demo data set into a MariaDB database.
    DemoData(crate::chat::commands::DemoDataArgs),
    /// Serve what the official Engine.IO v4 / Socket.IO v5 protocol test suites expect:
    /// a raw Engine.IO echo server at /engine.io/ and the test Socket.IO server at the
    /// Socket.IO path (pingInterval 300 ms, pingTimeout 200 ms, connect timeout 1 s).
    Conformance(ServerArgs),
}

/// Settings of `huddle` / `huddle serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Server settings shared with conformance mode.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Settings of the chat (store, tokens, limits).
    #[command(flatten)]
    pub chat: crate::chat::config::ChatArgs,
    /// Settings of the files API (data directory, upload limit, housekeeping).
    #[command(flatten)]
    pub files: crate::files::FilesArgs,
}

/// Which mode the defaults are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The chat server: the reference server's timings.
    Serve,
    /// Conformance mode: the timings the protocol test suites expect.
    Conformance,
}

/// Settings shared by both modes.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on (port 0 picks a free port; the line printed at start-up
    /// shows the real one).
    #[arg(long, env = "HUDDLE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Path of the Socket.IO endpoint. Behind a reverse proxy that keeps a prefix,
    /// include it (e.g. /chat/socket.io/) and give the client the same `path`.
    #[arg(long, env = "HUDDLE_PATH", default_value = "/socket.io/")]
    pub path: String,
    /// Milliseconds between the server's pings [default: 25000; 300 in conformance mode].
    #[arg(long, env = "HUDDLE_PING_INTERVAL_MS", value_name = "MS")]
    pub ping_interval_ms: Option<u64>,
    /// Milliseconds to wait for a pong before closing a session [default: 20000; 200 in
    /// conformance mode].
    #[arg(long, env = "HUDDLE_PING_TIMEOUT_MS", value_name = "MS")]
    pub ping_timeout_ms: Option<u64>,
    /// Milliseconds a new session has to connect to a namespace [default: 45000; 1000
    /// in conformance mode].
    #[arg(long, env = "HUDDLE_CONNECT_TIMEOUT_MS", value_name = "MS")]
    pub connect_timeout_ms: Option<u64>,
    /// Milliseconds a client has to complete an upgrade to WebSocket.
    #[arg(
        long,
        env = "HUDDLE_UPGRADE_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub upgrade_timeout_ms: u64,
    /// Milliseconds a closing session may spend delivering its last packets.
    #[arg(
        long,
        env = "HUDDLE_CLOSE_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 5_000
    )]
    pub close_timeout_ms: u64,
    /// Largest message in bytes (polling body, WebSocket frame and message).
    #[arg(
        long,
        env = "HUDDLE_MAX_PAYLOAD",
        value_name = "BYTES",
        default_value_t = 1_000_000
    )]
    pub max_payload: usize,
    /// Most concurrent Engine.IO sessions (per endpoint).
    #[arg(long, env = "HUDDLE_MAX_SESSIONS", default_value_t = 10_000)]
    pub max_sessions: usize,
    /// Most concurrent HTTP connections.
    #[arg(long, env = "HUDDLE_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Frames that may wait for one slow client before its session is closed.
    #[arg(
        long,
        env = "HUDDLE_OUTBOUND_QUEUE",
        value_name = "FRAMES",
        default_value_t = 1024
    )]
    pub outbound_queue: usize,
    /// Received events that may wait for one socket's handlers before its session is
    /// closed.
    #[arg(
        long,
        env = "HUDDLE_MAX_PENDING_EVENTS",
        value_name = "N",
        default_value_t = 256
    )]
    pub max_pending_events: usize,
    /// Read buffer of each WebSocket, in bytes (held by every connection, idle or not;
    /// also the most read from the socket at once).
    #[arg(
        long,
        env = "HUDDLE_WS_READ_BUFFER",
        value_name = "BYTES",
        default_value_t = 1024
    )]
    pub ws_read_buffer: usize,
    /// Browser origins allowed (comma-separated, e.g. `https://app.example.com`); empty or
    /// `*` allows any origin, for development.
    #[arg(
        long,
        env = "HUDDLE_CORS_ORIGINS",
        value_name = "ORIGINS",
        default_value = ""
    )]
    pub cors_origins: String,
    /// Milliseconds a graceful shutdown waits for sessions to close.
    #[arg(
        long,
        env = "HUDDLE_SHUTDOWN_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub shutdown_timeout_ms: u64,
}

/// Validated settings of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Settings of the Socket.IO endpoint's engine.
    pub engine: EngineConfig,
    /// Settings of the HTTP server.
    pub http: HttpConfig,
    /// Allowed browser origins.
    pub cors: AllowedOrigins,
    /// Socket.IO connect timeout.
    pub connect_timeout: Duration,
    /// Received events that may wait for one socket's handlers.
    pub max_pending_events: usize,
}

fn ms(value: Option<u64>, default: u64) -> Duration {
    Duration::from_millis(value.unwrap_or(default))
}

impl ServerArgs {
    /// The settings these flags give in `mode`.
    pub fn settings(&self, mode: Mode) -> Result<Settings, ConfigError> {
        let (ping_interval, ping_timeout, connect_timeout) = match mode {
            Mode::Serve => (25_000, 20_000, 45_000),
            Mode::Conformance => (300, 200, 1_000),
        };
        let engine = EngineConfig {
            path: self.path.clone(),
            ping_interval: ms(self.ping_interval_ms, ping_interval),
            ping_timeout: ms(self.ping_timeout_ms, ping_timeout),
            upgrade_timeout: Duration::from_millis(self.upgrade_timeout_ms),
            close_timeout: Duration::from_millis(self.close_timeout_ms),
            max_payload: self.max_payload,
            max_sessions: self.max_sessions,
            outbound_queue_capacity: self.outbound_queue,
            ws_read_buffer_size: self.ws_read_buffer,
            ..EngineConfig::default()
        }
        .validated()?;
        let connect_timeout = ms(self.connect_timeout_ms, connect_timeout);
        if connect_timeout.is_zero() {
            return Err(ConfigError::new("connect-timeout-ms", "must be above 0"));
        }
        if self.max_pending_events == 0 {
            return Err(ConfigError::new("max-pending-events", "must be above 0"));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::new("max-connections", "must be above 0"));
        }
        if self.shutdown_timeout_ms == 0 {
            return Err(ConfigError::new("shutdown-timeout-ms", "must be above 0"));
        }
        let http = HttpConfig {
            max_connections: self.max_connections,
            shutdown_timeout: Duration::from_millis(self.shutdown_timeout_ms),
            ..HttpConfig::default()
        };
        Ok(Settings {
            addr: self.addr,
            engine,
            http,
            cors: AllowedOrigins::parse(&self.cors_origins)?,
            connect_timeout,
            max_pending_events: self.max_pending_events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("huddle").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        // clap checks every flag and env name for clashes (serve, chat and subcommands).
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        let s = cli.serve.server.settings(Mode::Serve).unwrap();
        assert_eq!(s.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(s.engine.ping_interval, Duration::from_secs(25));
        assert_eq!(s.engine.ping_timeout, Duration::from_secs(20));
        assert_eq!(s.engine.max_payload, 1_000_000);
        assert_eq!(s.connect_timeout, Duration::from_secs(45));
        assert_eq!(s.cors, AllowedOrigins::Any);
    }

    #[test]
    fn conformance_defaults_and_overrides() {
        let cli = parse(&[
            "conformance",
            "--addr",
            "127.0.0.1:0",
            "--ping-interval-ms",
            "500",
        ])
        .unwrap();
        let Some(Command::Conformance(args)) = cli.command else {
            panic!("expected the conformance subcommand");
        };
        let s = args.settings(Mode::Conformance).unwrap();
        assert_eq!(s.addr.port(), 0);
        assert_eq!(s.engine.ping_interval, Duration::from_millis(500));
        assert_eq!(s.engine.ping_timeout, Duration::from_millis(200));
        assert_eq!(s.connect_timeout, Duration::from_secs(1));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = parse(&["--max-payload", "lots"]).unwrap_err().to_string();
        assert!(err.contains("--max-payload"), "{err}");
        let cli = parse(&["--max-sessions", "0"]).unwrap();
        let err = cli.serve.server.settings(Mode::Serve).unwrap_err();
        assert_eq!(err.setting, "max-sessions");
        let cli = parse(&["--cors-origins", "example.com"]).unwrap();
        let err = cli.serve.server.settings(Mode::Serve).unwrap_err();
        assert_eq!(err.setting, "cors-origins");
        let cli = parse(&["--ping-timeout-ms", "0"]).unwrap();
        assert_eq!(
            cli.serve.server.settings(Mode::Serve).unwrap_err().setting,
            "ping-timeout-ms"
        );
    }
}
