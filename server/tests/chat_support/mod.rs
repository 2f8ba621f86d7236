//! Shared support of the chat integration tests: the whole server in-process on 127.0.0.1
//! (engine + HTTP + Socket.IO + the chat on `/`) over a real store with the demo data and a
//! manual clock, and a raw WebSocket client speaking Engine.IO / Socket.IO text packets the
//! way `socket.io-client` does. Every wait is bounded by [`WAIT`], so a failing test stops by
//! itself.
#![allow(dead_code)]

pub mod gated;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use huddle_server::chat::auth::{JwtSettings, JwtSigner};
use huddle_server::chat::clock::{ManualClock, SharedClock};
use huddle_server::chat::rate_limit::RateLimitSettings;
use huddle_server::chat::{Chat, ChatSettings};
use huddle_server::engine::{Engine, EngineConfig};
use huddle_server::http::{AllowedOrigins, Cors, HttpConfig, Router, Server};
use huddle_server::socketio::{SocketIo, SocketIoConfig};
use huddle_storage::{MemoryStore, Store, StoreOptions, demo_dataset};

/// Longest any expected packet may take.
pub const WAIT: Duration = Duration::from_secs(5);

/// The HS256 secret of the test servers.
pub const SECRET: &[u8] = b"chat-integration-test-secret-0123456789";

/// Settings for tests: the defaults, a known secret, and a rate limit high enough not to get
/// in the way (the rate-limit tests set their own).
pub fn settings() -> ChatSettings {
    let many = NonZeroU32::new(100_000).expect("non-zero");
    ChatSettings {
        jwt: JwtSettings {
            secret: Some(SECRET.to_vec()),
            ..Default::default()
        },
        rate_limit: RateLimitSettings {
            per_minute: many,
            burst: many,
        },
        ..ChatSettings::default()
    }
}

/// A running chat server.
pub struct ChatServer {
    pub addr: SocketAddr,
    pub io: SocketIo,
    pub chat: Chat,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    shutdown: CancellationToken,
}

impl Drop for ChatServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A server over the in-memory store with the demo data and default test settings.
pub async fn start() -> ChatServer {
    start_with(settings()).await
}

/// A server over the in-memory store with the demo data.
pub async fn start_with(settings: ChatSettings) -> ChatServer {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let shared: SharedClock = clock.clone();
    let memory = MemoryStore::new(shared, StoreOptions::default());
    memory
        .load_dataset(&demo_dataset())
        .await
        .expect("demo data loads");
    start_on(Arc::new(memory), clock, settings).await
}

/// A server over `store`, whose clock must be `clock`.
pub async fn start_on(
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    settings: ChatSettings,
) -> ChatServer {
    let io = SocketIo::new(SocketIoConfig::default());
    let shared: SharedClock = clock.clone();
    let chat = Chat::install(&io, store.clone(), shared, settings).expect("chat installs");
    let engine =
        Engine::new(EngineConfig::default(), io.engine_handler()).expect("valid engine config");
    let router = Router::new(vec![engine], Cors::new(AllowedOrigins::Any));
    let server = Server::bind(
        "127.0.0.1:0".parse().expect("addr"),
        router,
        HttpConfig::default(),
    )
    .await
    .expect("bind 127.0.0.1:0");
    let addr = server.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(server.run(shutdown.clone()));
    ChatServer {
        addr,
        io,
        chat,
        store,
        clock,
        shutdown,
    }
}

impl ChatServer {
    /// A valid token for `user`, on the server's clock.
    pub fn token(&self, user: u64) -> String {
        let clock: SharedClock = self.clock.clone();
        JwtSigner::hs256(SECRET)
            .expect("secret")
            .mint(user, chrono::Duration::hours(1), &clock)
    }

    /// A raw session that sent CONNECT with `auth` (JSON text, or nothing); returns the
    /// session and the server's answer packet.
    pub async fn connect_raw(&self, auth: Option<&str>) -> (Ws, String) {
        let mut ws = Ws::open(self.addr, None).await;
        ws.send(&format!("40{}", auth.unwrap_or(""))).await;
        let answer = ws.recv_text().await;
        (ws, answer)
    }

    /// A client connected as `user` (its `auth:success` already read and checked).
    pub async fn client(&self, user: u64) -> Client {
        let auth = json!({ "token": self.token(user) }).to_string();
        let (ws, answer) = self.connect_raw(Some(&auth)).await;
        assert!(
            answer.starts_with("40{\"sid\":"),
            "connect answer: {answer}"
        );
        let mut client = Client::new(ws, user);
        let success = client.event("auth:success").await;
        assert_eq!(success["userId"], user);
        client
    }
}

/// One received Socket.IO packet of the `/` namespace.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    Event(String, Value),
    Ack(u64, Value),
    Other(String),
}

/// Parses `42["name",{...}]`, `43<id>[{...}]`; anything else is `Other`.
pub fn parse_packet(text: &str) -> Packet {
    if let Some(rest) = text.strip_prefix("42") {
        let args: Vec<Value> = serde_json::from_str(rest).expect("event JSON");
        let name = args[0].as_str().expect("event name").to_owned();
        let payload = args.get(1).cloned().unwrap_or(Value::Null);
        return Packet::Event(name, payload);
    }
    if let Some(rest) = text.strip_prefix("43") {
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let args: Vec<Value> = serde_json::from_str(&rest[digits.len()..]).expect("ack JSON");
        return Packet::Ack(
            digits.parse().expect("ack id"),
            args.into_iter().next().unwrap_or(Value::Null),
        );
    }
    Packet::Other(text.to_owned())
}

/// A raw Engine.IO client over one WebSocket (pings answered).
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    /// Opens a session (optionally with an `Authorization` header) and reads the open packet.
    pub async fn open(addr: SocketAddr, authorization: Option<&str>) -> Ws {
        let mut request = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
            .into_client_request()
            .expect("request");
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert("authorization", value.parse().expect("header value"));
        }
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("websocket connect in time")
            .expect("websocket connect");
        let mut ws = Ws { stream };
        let open = ws.recv_text().await;
        assert!(open.starts_with('0'), "open packet: {open}");
        ws
    }

    pub async fn send(&mut self, text: &str) {
        self.stream
            .send(Message::text(text.to_owned()))
            .await
            .expect("send");
    }

    /// The next text message, within `limit`; `None` when the limit passes first or the
    /// connection closed.
    pub async fn recv_within(&mut self, limit: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => self.send("3").await,
                Some(Ok(Message::Text(t))) => return Some(t.to_string()),
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return None,
            }
        }
    }

    pub async fn recv_text(&mut self) -> String {
        self.recv_within(WAIT)
            .await
            .expect("a text message in time")
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }
}

/// A chat client: emits events (with or without ack) and reads events by name, keeping the
/// others in arrival order.
pub struct Client {
    pub ws: Ws,
    pub user: u64,
    received: VecDeque<Packet>,
    next_ack: u64,
}

impl Client {
    pub fn new(ws: Ws, user: u64) -> Client {
        Client {
            ws,
            user,
            received: VecDeque::new(),
            next_ack: 0,
        }
    }

    /// Emits `event` without an ack.
    pub async fn emit(&mut self, event: &str, payload: Value) {
        let packet = format!("42{}", json!([event, payload]));
        self.ws.send(&packet).await;
    }

    /// Emits `event` with an ack and returns the ack's first argument.
    pub async fn request(&mut self, event: &str, payload: Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        let packet = format!("42{id}{}", json!([event, payload]));
        self.ws.send(&packet).await;
        self.take(|p| matches!(p, Packet::Ack(i, _) if *i == id))
            .await
            .map(|p| match p {
                Packet::Ack(_, v) => v,
                _ => unreachable!(),
            })
            .unwrap_or_else(|| panic!("user {}: no ack for {event} in time", self.user))
    }

    /// Emits `event` with an ack without waiting for it; returns the ack id.
    pub async fn emit_acked(&mut self, event: &str, payload: Value) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        let packet = format!("42{id}{}", json!([event, payload]));
        self.ws.send(&packet).await;
        id
    }

    /// Every packet in arrival order (those received and not taken first), up to and
    /// including the first that `last` matches (panics after [`WAIT`]).
    pub async fn packets_until(&mut self, last: impl Fn(&Packet) -> bool) -> Vec<Packet> {
        let mut out = Vec::new();
        while let Some(packet) = self.received.pop_front() {
            let done = last(&packet);
            out.push(packet);
            if done {
                return out;
            }
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(text) = self.ws.recv_within(left).await else {
                panic!(
                    "user {}: the awaited packet never came; got {out:?}",
                    self.user
                );
            };
            let packet = parse_packet(&text);
            let done = last(&packet);
            out.push(packet);
            if done {
                return out;
            }
        }
    }

    async fn take(&mut self, wanted: impl Fn(&Packet) -> bool) -> Option<Packet> {
        self.take_within(wanted, WAIT).await
    }

    async fn take_within(
        &mut self,
        wanted: impl Fn(&Packet) -> bool,
        limit: Duration,
    ) -> Option<Packet> {
        if let Some(pos) = self.received.iter().position(&wanted) {
            return self.received.remove(pos);
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let text = self.ws.recv_within(left).await?;
            let packet = parse_packet(&text);
            if wanted(&packet) {
                return Some(packet);
            }
            self.received.push_back(packet);
        }
    }

    /// The next `name` event's payload (panics after [`WAIT`]).
    pub async fn event(&mut self, name: &str) -> Value {
        self.event_within(name, WAIT)
            .await
            .unwrap_or_else(|| panic!("user {}: no {name} event in time", self.user))
    }

    /// The next `name` event's payload, if one arrives within `limit`.
    pub async fn event_within(&mut self, name: &str, limit: Duration) -> Option<Value> {
        self.take_within(|p| matches!(p, Packet::Event(n, _) if n == name), limit)
            .await
            .map(|p| match p {
                Packet::Event(_, v) => v,
                _ => unreachable!(),
            })
    }

    /// Asserts no `name` event arrives within `limit`.
    pub async fn no_event(&mut self, name: &str, limit: Duration) {
        if let Some(v) = self.event_within(name, limit).await {
            panic!("user {}: unexpected {name} {v}", self.user);
        }
    }

    /// Names of the events received so far and not yet taken, in order.
    pub fn pending_names(&self) -> Vec<String> {
        self.received
            .iter()
            .filter_map(|p| match p {
                Packet::Event(n, _) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// Joins a room; returns the ack, `room:joined` and the (first) `message:history`.
    pub async fn join(&mut self, kind: &str, id: u64) -> (Value, Value, Value) {
        let ack = self
            .request("room:join", json!({ "type": kind, "id": id }))
            .await;
        assert_eq!(
            ack["ok"], true,
            "user {} join {kind} {id}: {ack}",
            self.user
        );
        let joined = self.event("room:joined").await;
        let history = self.event("message:history").await;
        (ack, joined, history)
    }

    /// Sends a text message and returns the ack.
    pub async fn send(&mut self, kind: &str, id: u64, content: &str) -> Value {
        self.request(
            "message:send",
            json!({ "roomType": kind, "roomId": id, "type": "text", "content": content }),
        )
        .await
    }

    pub async fn close(self) {
        self.ws.close().await;
    }
}

/// The code of a failure ack (`{ok:false, error:{code}}`), checking the shape on the way.
pub fn error_code(ack: &Value) -> String {
    assert_eq!(ack["ok"], false, "expected a failure ack: {ack}");
    let error = ack["error"].as_object().expect("error object");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{ack}"
    );
    error["code"].as_str().expect("code").to_owned()
}
