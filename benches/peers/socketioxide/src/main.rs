//! The socketioxide peer of Huddle's end-to-end benchmarks: the Task Tracker chat
//! events (`chat.rs`) on socketioxide's hyper service, in memory, with the load-test
//! fixture (`store.rs`).
//!
//!     huddle-bench-socketioxide --addr 127.0.0.1:3500 --jwt-secret S --fixture users=1010,projects=10
//!
//! Loopback only. Prints `listening on ADDR` when ready; stops on SIGTERM / SIGINT.

mod chat;
mod rules;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use socketioxide::SocketIo;
use tokio::net::TcpListener;

/// The socketioxide peer of Huddle's benchmarks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:3500")]
    addr: SocketAddr,
    /// HS256 secret of the handshake tokens.
    #[arg(long, env = "HUDDLE_JWT_SECRET", default_value = "huddle-bench-secret")]
    jwt_secret: String,
    /// Load-test fixture: users=N,projects=P.
    #[arg(long, default_value = "users=1010,projects=10")]
    fixture: String,
    /// Read buffer of each WebSocket, in bytes (Huddle's default is 1024 too; socketioxide's own is 4096).
    #[arg(long, default_value_t = 1024)]
    ws_read_buffer: usize,
    /// Packets each socket may have waiting to be written (Huddle's outbound queue
    /// default is 1024 frames too; socketioxide's own default of 128 drops messages
    /// to a busy member under the pipelined load).
    #[arg(long, default_value_t = 1024)]
    max_buffer: usize,
}

fn main() {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!("socketioxide peer: invalid setting --addr: must be a loopback address");
        std::process::exit(2);
    }
    let (users, projects) = match store::parse_fixture(&args.fixture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("socketioxide peer: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("socketioxide peer: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let app = Arc::new(chat::App::new(
        store::Store::with_fixture(users, projects),
        &args.jwt_secret,
    ));
    if let Err(e) = runtime.block_on(serve(args, app)) {
        eprintln!("socketioxide peer: {e}");
        std::process::exit(1);
    }
}

async fn serve(args: Args, app: Arc<chat::App>) -> std::io::Result<()> {
    let (svc, io) = SocketIo::builder()
        .with_state(app)
        .ws_read_buffer_size(args.ws_read_buffer)
        .max_buffer_size(args.max_buffer)
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .build_svc();
    chat::install(&io);
    let listener = TcpListener::bind(args.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("socketioxide peer: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
