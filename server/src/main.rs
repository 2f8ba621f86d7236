//! The `huddle` binary: reads the command line, builds the endpoints of the chosen
//! mode, and serves them until SIGTERM / SIGINT.
//!
//! - `huddle` (or `huddle serve`): the Socket.IO server at `--path`.
//! - `huddle conformance`: the raw Engine.IO echo server at `/engine.io/` and the
//!   conformance Socket.IO server at `--path`, as the protocol test suites expect.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use huddle_server::config::{Cli, Command, Mode, Settings};
use huddle_server::engine::echo::EchoHandler;
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::http::{Cors, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_server::{conformance, shutdown};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let (mode, args) = match &cli.command {
        None => (Mode::Serve, &cli.serve.server),
        Some(Command::Serve(serve)) => (Mode::Serve, &serve.server),
        Some(Command::Conformance(args)) => (Mode::Conformance, args),
    };
    let settings = match args.settings(mode) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("huddle: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("huddle: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(mode, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("huddle: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn socketio_config(settings: &Settings) -> SocketIoConfig {
    let mut config = SocketIoConfig {
        connect_timeout: settings.connect_timeout,
        max_pending_events: settings.max_pending_events,
        ..SocketIoConfig::default()
    };
    config.limits.max_payload = settings.engine.max_payload;
    config
}

/// The engines of `mode`, in routing order.
fn engines(mode: Mode, settings: &Settings) -> Result<Vec<Engine>, String> {
    let io_config = socketio_config(settings);
    io_config.validate().map_err(|e| e.to_string())?;
    match mode {
        Mode::Serve => {
            let io = SocketIo::new(io_config);
            let engine = Engine::new(settings.engine.clone(), io.engine_handler())
                .map_err(|e| e.to_string())?;
            Ok(vec![engine])
        }
        Mode::Conformance => {
            let echo = Engine::new(
                EngineConfig {
                    path: "/engine.io/".to_owned(),
                    ..settings.engine.clone()
                },
                Arc::new(EchoHandler),
            )
            .map_err(|e| e.to_string())?;
            if echo.matches_path(&settings.engine.path) {
                return Err(
                    "invalid setting path: /engine.io/ is the echo endpoint in conformance mode"
                        .to_owned(),
                );
            }
            let io = conformance::socketio_server(io_config).map_err(|e| e.to_string())?;
            let socketio = Engine::new(settings.engine.clone(), io.engine_handler())
                .map_err(|e| e.to_string())?;
            Ok(vec![echo, socketio])
        }
    }
}

async fn run(mode: Mode, settings: Settings) -> Result<(), String> {
    let engines = engines(mode, &settings)?;
    if settings.cors == huddle_server::http::AllowedOrigins::Any {
        tracing::warn!("any browser origin is allowed: set --cors-origins in production");
    }
    let router = Router::new(engines, Cors::new(settings.cors.clone()));
    let server = Server::bind(settings.addr, router, settings.http.clone())
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
    let addr = server
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let token = CancellationToken::new();
    shutdown::spawn_signal_listener(token.clone())
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    // Tests and scripts wait for this exact line.
    println!("huddle listening on http://{addr}");
    tracing::info!(%addr, mode = ?mode, path = %settings.engine.path, "serving");
    server.run(token).await;
    Ok(())
}
