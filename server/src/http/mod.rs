//! The HTTP server: a tokio accept loop with a cap on connections, HTTP/1.1 with
//! keep-alive and upgrades on hyper, the [`Router`], and graceful shutdown.
//!
//! - [`router`]: `/health`, the engines' paths, 404.
//! - [`cors`]: allowed origins, CORS headers and preflight, the Origin check.
//!
//! Shutdown, in order: stop accepting; `/health` answers 503; every engine closes its
//! sessions at the Engine.IO level (a close packet / WebSocket close, not a Socket.IO
//! DISCONNECT, so clients reconnect to another instance); open connections finish the
//! request in flight and close; then [`Server::run`] returns, or after
//! `shutdown_timeout` whatever is left is abandoned.

pub mod cors;
pub mod router;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use cors::{AllowedOrigins, Cors};
pub use router::Router;

use crate::engine::CloseReason;

/// Settings of the HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Most HTTP connections served at once; more wait in the listen backlog. A
    /// connection upgraded to WebSocket leaves this count (WebSockets are capped by each
    /// engine's `max_sessions`). Default 10,000.
    pub max_connections: usize,
    /// Time a client has to send a request's headers. Default 30 s.
    pub header_read_timeout: Duration,
    /// Longest a graceful shutdown waits for sessions and connections to close.
    /// Default 10 s.
    pub shutdown_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
    config: HttpConfig,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(
        addr: SocketAddr,
        router: Router,
        config: HttpConfig,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            router,
            config,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` is cancelled, then shuts down gracefully.
    pub async fn run(self, shutdown: CancellationToken) {
        let Server {
            listener,
            router,
            config,
        } = self;
        let connections = TaskTracker::new();
        let drain = CancellationToken::new();
        let slots = Arc::new(Semaphore::new(config.max_connections));
        loop {
            let permit = tokio::select! {
                () = shutdown.cancelled() => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let (stream, remote_addr) = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            connections.spawn(serve_connection(
                stream,
                remote_addr,
                router.clone(),
                config.header_read_timeout,
                drain.clone(),
                permit,
            ));
        }
        drop(listener);
        tracing::info!("shutting down: no longer accepting connections");
        router.set_draining();
        for engine in router.engines() {
            engine.close_all(CloseReason::ServerShutdown);
        }
        drain.cancel();
        connections.close();
        let everything_closed = async {
            for engine in router.engines() {
                engine.wait_empty().await;
            }
            connections.wait().await;
        };
        match tokio::time::timeout(config.shutdown_timeout, everything_closed).await {
            Ok(()) => tracing::info!("shutdown complete"),
            Err(_) => {
                let left: usize = router.engines().iter().map(|e| e.session_count()).sum();
                tracing::warn!(
                    sessions = left,
                    connections = connections.len(),
                    "shutdown timeout reached: abandoning what is left"
                );
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    remote_addr: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    drain: CancellationToken,
    _permit: OwnedSemaphorePermit,
) {
    // Small packets (pings, acks) must not wait for Nagle.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "set_nodelay failed");
    }
    let service = service_fn(move |req| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(router.route(req, remote_addr).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = drain.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%remote_addr, error = %e, "connection ended with an error");
    }
}
