//! The `huddle` binary: reads the command line, builds the endpoints of the chosen
//! mode, and serves them until SIGTERM / SIGINT.
//!
//! - `huddle` (or `huddle serve`): the chat on the Socket.IO server at `--path`.
//! - `huddle conformance`: the raw Engine.IO echo server at `/engine.io/` and the
//!   conformance Socket.IO server at `--path`, as the protocol test suites expect.
//! - `huddle token`, `huddle demo-data`: the chat's helper commands.
//!
//! Exit status: 0 after a clean shutdown, 2 for a bad setting (one line on stderr
//! naming it), 1 for any other failure to start.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use huddle_server::chat::clock::{OffsetClock, SharedClock, SystemClock};
use huddle_server::chat::commands::{self as chat_commands, StartError};
use huddle_server::config::{Cli, Command, Mode, ServeArgs, ServerArgs, Settings};
use huddle_server::engine::echo::EchoHandler;
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::files::FilesService;
use huddle_server::http::{AllowedOrigins, Cors, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_server::{conformance, shutdown};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Why `huddle` stopped without serving: the line to print and the exit status.
struct Failure {
    status: u8,
    message: String,
}

impl Failure {
    fn setting(message: impl ToString) -> Self {
        Failure {
            status: 2,
            message: message.to_string(),
        }
    }

    fn other(message: impl ToString) -> Self {
        Failure {
            status: 1,
            message: message.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        None => serve_mode(Mode::Serve, &cli.serve.server, Some(&cli.serve)),
        Some(Command::Serve(serve)) => serve_mode(Mode::Serve, &serve.server, Some(&serve)),
        Some(Command::Conformance(args)) => serve_mode(Mode::Conformance, &args, None),
        Some(Command::Token(args)) => match chat_commands::run_token(&args) {
            Ok(out) => {
                if let Some(note) = out.note {
                    eprintln!("{note}");
                }
                println!("{}", out.token);
                Ok(())
            }
            Err(e) => Err(Failure::setting(e)),
        },
        Some(Command::DemoData(args)) => {
            runtime().and_then(
                |rt| match rt.block_on(chat_commands::run_demo_data(&args)) {
                    Ok(summary) => {
                        println!("{summary}");
                        Ok(())
                    }
                    Err(e) => Err(Failure::other(e)),
                },
            )
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("huddle: {}", failure.message);
            ExitCode::from(failure.status)
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

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new()
        .map_err(|e| Failure::other(format!("cannot start the runtime: {e}")))
}

fn serve_mode(mode: Mode, args: &ServerArgs, serve: Option<&ServeArgs>) -> Result<(), Failure> {
    let settings = args.settings(mode).map_err(Failure::setting)?;
    // Checked before anything starts; the files API itself is built once the store is open.
    if let Some(serve) = serve {
        serve.files.config().map_err(Failure::setting)?;
    }
    runtime()?.block_on(run(mode, settings, serve))
}

fn socketio_config(settings: &Settings) -> Result<SocketIoConfig, Failure> {
    let mut config = SocketIoConfig {
        connect_timeout: settings.connect_timeout,
        max_pending_events: settings.max_pending_events,
        ..SocketIoConfig::default()
    };
    config.limits.max_payload = settings.engine.max_payload;
    config.validate().map_err(Failure::setting)?;
    Ok(config)
}

/// The Socket.IO server of `mode` and the engines to route to, in routing order.
fn endpoints(mode: Mode, settings: &Settings) -> Result<(SocketIo, Vec<Engine>), Failure> {
    let io_config = socketio_config(settings)?;
    let mut engines = Vec::new();
    let io = match mode {
        Mode::Serve => SocketIo::new(io_config),
        Mode::Conformance => {
            let echo = Engine::new(
                EngineConfig {
                    path: "/engine.io/".to_owned(),
                    ..settings.engine.clone()
                },
                Arc::new(EchoHandler),
            )
            .map_err(Failure::setting)?;
            if echo.matches_path(&settings.engine.path) {
                return Err(Failure::setting(
                    "invalid setting path: /engine.io/ is the echo endpoint in conformance mode",
                ));
            }
            engines.push(echo);
            conformance::socketio_server(io_config).map_err(Failure::other)?
        }
    };
    let socketio =
        Engine::new(settings.engine.clone(), io.engine_handler()).map_err(Failure::setting)?;
    engines.push(socketio);
    Ok((io, engines))
}

/// The files API of serve mode, over the chat's store and JWT settings.
fn start_files(
    serve: &ServeArgs,
    started: &chat_commands::Started,
) -> Result<FilesService, Failure> {
    let chat_config = serve.chat.config().map_err(Failure::setting)?;
    // The same clock as the chat's store: the system clock, shifted by the test offset.
    let offset = chat_config.clock_offset;
    let clock: SharedClock = if offset.is_zero() {
        Arc::new(SystemClock)
    } else {
        let clock = OffsetClock::new();
        clock.set_offset(offset);
        Arc::new(clock)
    };
    let (files, warnings) = huddle_server::files::start(
        &serve.files,
        started.store.clone(),
        &chat_config.chat.jwt,
        clock,
    )
    .map_err(Failure::setting)?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    Ok(files)
}

async fn run(mode: Mode, settings: Settings, serve: Option<&ServeArgs>) -> Result<(), Failure> {
    let (io, engines) = endpoints(mode, &settings)?;
    let router = Router::new(engines, Cors::new(settings.cors.clone()));
    let server = Server::bind(settings.addr, router.clone(), settings.http.clone())
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {}: {e}", settings.addr)))?;
    let addr = server
        .local_addr()
        .map_err(|e| Failure::other(format!("cannot read the bound address: {e}")))?;
    // The chat is installed on the Socket.IO server before the first request is served;
    // it needs the bound address for its quick start. `chat` keeps its store open.
    let chat = match serve {
        Some(serve) => {
            let started = chat_commands::start(&io, &serve.chat, &format!("http://{addr}"))
                .await
                .map_err(|e| match e {
                    StartError::Config(e) => Failure::setting(e),
                    other => Failure::other(other),
                })?;
            for warning in &started.warnings {
                tracing::warn!("{warning}");
            }
            Some(started)
        }
        None => None,
    };
    // The files API shares the chat's store and token settings.
    let files = match (serve, chat.as_ref()) {
        (Some(serve), Some(started)) => {
            let files = start_files(serve, started)?;
            router.install_files(files.clone());
            Some(files)
        }
        _ => None,
    };
    if settings.cors == AllowedOrigins::Any {
        tracing::warn!("any browser origin is allowed: set --cors-origins in production");
    }
    let token = CancellationToken::new();
    shutdown::spawn_signal_listener(token.clone())
        .map_err(|e| Failure::other(format!("cannot listen for signals: {e}")))?;
    if let Some(files) = files {
        huddle_server::files::housekeeping::spawn_sweeper(files, token.clone());
    }
    // Tests and scripts wait for this exact line.
    println!("huddle listening on http://{addr}");
    if let Some(quick_start) = chat.as_ref().and_then(|c| c.quick_start.as_ref()) {
        println!("{quick_start}");
    }
    tracing::info!(%addr, ?mode, path = %settings.engine.path, "serving");
    server.run(token).await;
    Ok(())
}
