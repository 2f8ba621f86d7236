//! A TCP proxy in front of MariaDB that a test can cut and restore, to show what the
//! store does while the database is unreachable and that it recovers by itself.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Proxy {
    pub port: u16,
    target: SocketAddr,
    running: Option<Running>,
}

struct Running {
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    /// A proxy on a free loopback port, forwarding to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let mut proxy = Self {
            port,
            target,
            running: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let target = self.target;
        let tracked = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let forward = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tracked.lock().unwrap().push(forward);
            }
        });
        self.running = Some(Running {
            accept,
            connections,
        });
    }

    /// Closes every forwarded connection and stops listening: MariaDB is "down".
    pub async fn cut(&mut self) {
        if let Some(running) = self.running.take() {
            running.accept.abort();
            let _ = running.accept.await;
            let connections: Vec<_> = std::mem::take(&mut *running.connections.lock().unwrap());
            for connection in connections {
                connection.abort();
                let _ = connection.await;
            }
        }
    }

    /// Listens again on the same port: MariaDB is "back".
    pub async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind proxy port");
        self.serve(listener);
    }
}
