//! Shared test support for the Socket.IO layer tests: a real server in-process on
//! 127.0.0.1 (engine + HTTP + `SocketIo`), a raw WebSocket client speaking Engine.IO /
//! Socket.IO text, and a raw HTTP/1.1 long-polling client. Every wait is bounded by
//! [`WAIT`], so a failing test stops by itself.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::http::{AllowedOrigins, Cors, HttpConfig, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// Longest any single expected event may take to arrive.
pub const WAIT: Duration = Duration::from_secs(5);

/// A server running in the test's runtime; shut down when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub io: SocketIo,
    pub engine: Engine,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestServer {
    /// Shuts the server down gracefully and waits for it (bounded).
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("server shut down in time")
                .expect("server task");
        }
    }

    /// A fresh WebSocket session (open packet read).
    pub async fn ws(&self) -> Ws {
        Ws::open(self.addr).await
    }

    /// A fresh WebSocket session already connected to `/` (CONNECT answer read).
    pub async fn ws_connected(&self) -> Ws {
        let mut ws = self.ws().await;
        ws.connect_ns("/", None).await;
        ws
    }
}

/// Engine settings for tests: the defaults, heartbeat far away unless a test says.
pub fn engine_config() -> EngineConfig {
    EngineConfig::default()
}

/// Serves `io` on a free port of 127.0.0.1.
pub async fn serve(io: SocketIo, config: EngineConfig) -> TestServer {
    let engine = Engine::new(config, io.engine_handler()).expect("valid engine config");
    let router = Router::new(vec![engine.clone()], Cors::new(AllowedOrigins::Any));
    let server = Server::bind(
        "127.0.0.1:0".parse().expect("addr"),
        router,
        HttpConfig::default(),
    )
    .await
    .expect("bind 127.0.0.1:0");
    let addr = server.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    TestServer {
        addr,
        io,
        engine,
        shutdown,
        task: Some(task),
    }
}

/// The conformance-mode Socket.IO server (the handlers the official suite expects).
pub async fn conformance() -> TestServer {
    conformance_with(SocketIoConfig::default(), engine_config()).await
}

pub async fn conformance_with(config: SocketIoConfig, engine: EngineConfig) -> TestServer {
    let io = huddle_server::conformance::socketio_server(config).expect("conformance namespaces");
    serve(io, engine).await
}

/// A WebSocket message as the tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Closed,
}

/// A raw Engine.IO client over one WebSocket.
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The open packet's JSON.
    pub handshake: serde_json::Value,
    /// Answer pings with pongs and hide them (true by default).
    pub auto_pong: bool,
}

impl Ws {
    pub fn url(addr: SocketAddr) -> String {
        format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
    }

    /// Opens a session and reads its open packet.
    pub async fn open(addr: SocketAddr) -> Ws {
        Ws::open_request(Ws::url(addr).into_client_request().expect("request")).await
    }

    /// Opens a session with a custom request (headers, query).
    pub async fn open_request(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Ws {
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("websocket connect in time")
            .expect("websocket connect");
        let mut ws = Ws {
            stream,
            handshake: serde_json::Value::Null,
            auto_pong: true,
        };
        let open = ws.recv_text().await;
        let json = open.strip_prefix('0').expect("open packet starts with 0");
        ws.handshake = serde_json::from_str(json).expect("open packet JSON");
        ws
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> String {
        self.handshake["sid"].as_str().expect("sid").to_owned()
    }

    pub async fn send(&mut self, text: &str) {
        self.stream
            .send(Message::text(text.to_owned()))
            .await
            .expect("send text");
    }

    pub async fn send_binary(&mut self, data: &[u8]) {
        self.stream
            .send(Message::binary(data.to_vec()))
            .await
            .expect("send binary");
    }

    /// Closes the WebSocket (the client going away cleanly).
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        // Read until the server's close arrives, so the close is complete.
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }

    /// The next message (pings answered and skipped when `auto_pong`).
    pub async fn recv(&mut self) -> Msg {
        loop {
            let next = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a message in time");
            let msg = match next {
                None | Some(Err(_)) => return Msg::Closed,
                Some(Ok(Message::Close(_))) => return Msg::Closed,
                Some(Ok(Message::Text(t))) => Msg::Text(t.to_string()),
                Some(Ok(Message::Binary(b))) => Msg::Binary(b.to_vec()),
                Some(Ok(_)) => continue,
            };
            if self.auto_pong && msg == Msg::Text("2".into()) {
                self.send("3").await;
                continue;
            }
            return msg;
        }
    }

    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Msg::Text(t) => t,
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    /// Asserts the next message is exactly `text`.
    pub async fn expect(&mut self, text: &str) {
        assert_eq!(self.recv().await, Msg::Text(text.to_owned()));
    }

    /// Asserts the next message is the binary frame `data`.
    pub async fn expect_binary(&mut self, data: &[u8]) {
        assert_eq!(self.recv().await, Msg::Binary(data.to_vec()));
    }

    /// Asserts the session ends: an Engine.IO close packet (`1`) may come first,
    /// nothing else.
    pub async fn expect_closed(&mut self) {
        match self.recv().await {
            Msg::Closed => {}
            Msg::Text(t) if t == "1" => assert_eq!(self.recv().await, Msg::Closed),
            other => panic!("expected the session to close, got {other:?}"),
        }
        // Keep reading so the WebSocket answers the server's close frame and the
        // server sees a complete close handshake.
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }

    /// Sends CONNECT for `nsp` (with `auth` JSON) and reads the answer
    /// `40[nsp,]{"sid":"..."}`; returns the socket id.
    pub async fn connect_ns(&mut self, nsp: &str, auth: Option<&str>) -> String {
        let prefix = if nsp == "/" {
            "40".to_owned()
        } else {
            format!("40{nsp},")
        };
        self.send(&format!("{prefix}{}", auth.unwrap_or(""))).await;
        let answer = self.recv_text().await;
        let json = answer
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("expected {prefix}{{\"sid\":...}}, got {answer}"));
        let value: serde_json::Value = serde_json::from_str(json).expect("CONNECT answer JSON");
        let obj = value.as_object().expect("object");
        assert_eq!(obj.len(), 1, "only sid in {json}");
        value["sid"].as_str().expect("sid string").to_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
pub async fn http(addr: SocketAddr, method: &str, target: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("tcp connect");
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(body).await.expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        raw
    };
    let raw = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("HTTP response in time");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, raw[split + 4..].to_vec())
}

/// A raw Engine.IO long-polling client.
pub struct Polling {
    pub addr: SocketAddr,
    pub sid: String,
}

impl Polling {
    /// Opens a session with the polling handshake.
    pub async fn open(addr: SocketAddr) -> Polling {
        let (status, body) = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", b"").await;
        assert_eq!(status, 200);
        let text = String::from_utf8(body).expect("utf-8");
        let json: serde_json::Value =
            serde_json::from_str(text.strip_prefix('0').expect("open packet")).expect("json");
        Polling {
            addr,
            sid: json["sid"].as_str().expect("sid").to_owned(),
        }
    }

    fn target(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// POSTs `body` (records joined by 0x1e); returns the status.
    pub async fn post(&self, body: &str) -> u16 {
        http(self.addr, "POST", &self.target(), body.as_bytes())
            .await
            .0
    }

    /// GETs the pending packets: (status, records).
    pub async fn get(&self) -> (u16, Vec<String>) {
        let (status, body) = http(self.addr, "GET", &self.target(), b"").await;
        let text = String::from_utf8(body).expect("utf-8");
        (status, text.split('\u{1e}').map(str::to_owned).collect())
    }

    /// GETs until `count` records arrived (each GET returns what is queued).
    pub async fn get_records(&self, count: usize) -> Vec<String> {
        let mut records = Vec::new();
        while records.len() < count {
            let (status, batch) = self.get().await;
            assert_eq!(status, 200, "GET failed after {records:?}");
            records.extend(batch.into_iter().filter(|r| r != "2"));
        }
        records
    }
}

/// Polls `check` until it holds (bounded by [`WAIT`]), yielding between tries.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Receives the next value from a test channel, bounded by [`WAIT`].
pub async fn next<T>(rx: &mut tokio::sync::mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a value in time")
        .expect("channel open")
}

/// Extracts the socket.io sid from a CONNECT answer text.
pub fn sid_of(answer: &str, prefix: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(answer.strip_prefix(prefix).expect("prefix")).expect("json");
    json["sid"].as_str().expect("sid").to_owned()
}
