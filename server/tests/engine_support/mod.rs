//! Shared by the `engine_*` tests: an in-process server on 127.0.0.1:0 with a recording
//! echo handler, a raw HTTP/1.1 client over TCP (so tests see the exact bytes), and a
//! WebSocket client (tokio-tungstenite).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use huddle_server::engine::{
    CloseReason, Data, Engine, EngineConfig, EngineHandler, Frame, SessionHandle,
};
use huddle_server::http::{AllowedOrigins, Cors, HttpConfig, Router, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// Every await on the network in these tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(10);

/// What the handler saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Open(String),
    Message(String, Data),
    Close(String, CloseReason),
}

/// Echoes messages back (like conformance mode's `/engine.io/`) and records every
/// callback. A text message `flood:N` makes it send N frames at once instead.
pub struct Recorder {
    events: mpsc::UnboundedSender<Event>,
    pub sessions: Mutex<Vec<SessionHandle>>,
}

impl EngineHandler for Recorder {
    fn on_open(&self, session: &SessionHandle) {
        self.sessions.lock().unwrap().push(session.clone());
        let _ = self.events.send(Event::Open(session.sid().to_owned()));
    }

    fn on_message(&self, session: &SessionHandle, data: Data) {
        let _ = self
            .events
            .send(Event::Message(session.sid().to_owned(), data.clone()));
        match data {
            Data::Text(text) => {
                if let Some(n) = text.as_str().strip_prefix("flood:") {
                    let n: usize = n.parse().unwrap();
                    for i in 0..n {
                        if session.send(text_frame(&format!("4f{i}"))).is_err() {
                            break;
                        }
                    }
                    return;
                }
                let mut out = BytesMut::new();
                out.put_u8(b'4');
                out.put_slice(text.as_bytes());
                let _ = session.send(Frame::Text(out.freeze()));
            }
            Data::Binary(bytes) => {
                let _ = session.send(Frame::Binary(bytes));
            }
        }
    }

    fn on_close(&self, session: &SessionHandle, reason: CloseReason) {
        let _ = self
            .events
            .send(Event::Close(session.sid().to_owned(), reason));
    }
}

pub fn text_frame(s: &str) -> Frame {
    Frame::Text(Bytes::copy_from_slice(s.as_bytes()))
}

/// A server running in this test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub recorder: Arc<Recorder>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
}

/// The reference's defaults at `/engine.io/`, with a heartbeat slow enough never to
/// interfere with a test that is not about it, however loaded the machine.
pub fn test_config() -> EngineConfig {
    EngineConfig {
        path: "/engine.io/".into(),
        ping_interval: Duration::from_millis(60_000),
        ping_timeout: Duration::from_millis(50_000),
        ..EngineConfig::default()
    }
}

/// [`test_config`] with the given heartbeat, in milliseconds.
pub fn heartbeat_config(interval_ms: u64, timeout_ms: u64) -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_millis(interval_ms),
        ping_timeout: Duration::from_millis(timeout_ms),
        ..test_config()
    }
}

impl TestServer {
    pub async fn start(config: EngineConfig) -> TestServer {
        Self::start_with(config, AllowedOrigins::Any, HttpConfig::default()).await
    }

    pub async fn start_with(
        config: EngineConfig,
        origins: AllowedOrigins,
        http: HttpConfig,
    ) -> TestServer {
        let (tx, events) = mpsc::unbounded_channel();
        let recorder = Arc::new(Recorder {
            events: tx,
            sessions: Mutex::new(Vec::new()),
        });
        let engine = Engine::new(config, recorder.clone()).unwrap();
        let router = Router::new(vec![engine.clone()], Cors::new(origins));
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), router, http)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.run(shutdown.clone()));
        TestServer {
            addr,
            engine,
            recorder,
            events,
            shutdown,
            task,
        }
    }

    /// The next handler event.
    pub async fn event(&mut self) -> Event {
        tokio::time::timeout(LIMIT, self.events.recv())
            .await
            .expect("no handler event in time")
            .expect("handler dropped")
    }

    /// Waits for the close event of `sid` (skipping other events) and returns its reason.
    pub async fn close_reason(&mut self, sid: &str) -> CloseReason {
        loop {
            if let Event::Close(s, reason) = self.event().await
                && s == sid
            {
                return reason;
            }
        }
    }

    /// Waits until the sessions hold `n` long-polling GETs (the server offers no event
    /// for it: a bounded wait on the engine's gauge).
    pub async fn wait_parked(&self, n: usize) {
        let deadline = std::time::Instant::now() + LIMIT;
        while self.engine.parked_polls() != n {
            assert!(
                std::time::Instant::now() < deadline,
                "{} parked polls, expected {n}",
                self.engine.parked_polls()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Opens a polling session; returns its sid.
    pub async fn open_polling(&self) -> String {
        let res = get(self.addr, "/engine.io/?EIO=4&transport=polling").await;
        assert_eq!(res.status, 200, "{res:?}");
        sid_of(&res.text())
    }

    pub fn url(&self, query: &str) -> String {
        format!("/engine.io/?EIO=4&transport=polling&{query}")
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!(
            "ws://{}/engine.io/?EIO=4&transport=websocket{query}",
            self.addr
        )
    }
}

/// The sid inside an open packet `0{...}`.
pub fn sid_of(open: &str) -> String {
    assert!(open.starts_with('0'), "not an open packet: {open:?}");
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

/// A raw HTTP response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// Sends one request on a new connection (`Connection: close`) and reads the answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let raw = raw_request(method, target, headers, body, true);
    stream.write_all(&raw).await.unwrap();
    read_response(&mut stream).await
}

pub fn raw_request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> Vec<u8> {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if close {
        raw.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Reads one response (headers, then a Content-Length body) from `stream`.
pub async fn read_response(stream: &mut TcpStream) -> RawResponse {
    tokio::time::timeout(LIMIT, read_response_unbounded(stream))
        .await
        .expect("no HTTP response in time")
}

async fn read_response_unbounded(stream: &mut TcpStream) -> RawResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buf, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside a body");
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    RawResponse {
        status,
        headers,
        body,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub async fn get(addr: SocketAddr, target: &str) -> RawResponse {
    request(addr, "GET", target, &[], b"").await
}

pub async fn post(addr: SocketAddr, target: &str, body: &[u8]) -> RawResponse {
    request(
        addr,
        "POST",
        target,
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body,
    )
    .await
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url` with extra request headers.
pub async fn ws_connect(url: &str, headers: &[(&'static str, &str)]) -> Ws {
    try_ws_connect(url, headers)
        .await
        .expect("websocket handshake failed")
}

pub async fn try_ws_connect(
    url: &str,
    headers: &[(&'static str, &str)],
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = url.into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(*k, v.parse().unwrap());
    }
    tokio::time::timeout(LIMIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("websocket handshake took too long")
        .map(|(ws, _)| ws)
}

/// The next message that is not a WebSocket-level ping/pong; `None` when the
/// connection ended.
pub async fn ws_next(ws: &mut Ws) -> Option<Message> {
    loop {
        let next = tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("no websocket message in time");
        match next {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Some(m),
            Some(Err(_)) | None => return None,
        }
    }
}

/// The next text message (panics on anything else).
pub async fn ws_text(ws: &mut Ws) -> String {
    match ws_next(ws).await {
        Some(Message::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

pub async fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Reads until the connection ends; returns the close frame's code if one came.
pub async fn ws_until_closed(ws: &mut Ws) -> Option<u16> {
    let mut code = None;
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("websocket not closed in time")
        {
            Some(Ok(Message::Close(frame))) => code = frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return code,
        }
    }
}
