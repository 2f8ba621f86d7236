//! Disconnects, from either side and from the session's end, with the reasons as
//! Socket.IO names them (the "disconnect" part of the official v5 test suite, and
//! socket.io's `DisconnectReason`), and what a disconnect does to rooms and hooks.

mod socketio_common;

use std::time::Duration;

use huddle_server::engine::EngineConfig;
use huddle_server::socketio::{Namespace, SocketIo, SocketIoConfig};
use socketio_common::*;
use tokio::sync::mpsc;

/// What the recording app reports.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Event(String),
    Disconnect {
        nsp: String,
        reason: String,
        rooms: Vec<String>,
        still_member: bool,
    },
}

/// An app on `/` and `/other` that reports events and disconnects.
fn recording_app() -> (SocketIo, Namespace, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    let other = io.of("/other").unwrap();
    for ns in [&root, &other] {
        let seen = tx.clone();
        ns.on("log", move |socket, event, _ack| {
            let seen = seen.clone();
            async move {
                let text: String = event.first_arg().unwrap();
                // Slow enough that a DISCONNECT sent right after arrives meanwhile.
                tokio::time::sleep(Duration::from_millis(5)).await;
                let _ = seen.send(Seen::Event(text));
                let _ = socket.emit("logged", &());
            }
        });
        ns.on("join", |socket, event, ack| async move {
            let room: String = event.first_arg().unwrap();
            socket.join(&room);
            if let Some(ack) = ack {
                let _ = ack.send(&());
            }
        });
        ns.on("kick", |socket, _event, _ack| async move {
            socket.disconnect();
        });
        let seen = tx.clone();
        ns.on_disconnect(move |socket, reason| {
            let seen = seen.clone();
            async move {
                let mut rooms: Vec<String> = socket
                    .rooms()
                    .into_iter()
                    .filter(|r| r != socket.id())
                    .collect();
                rooms.sort();
                let still_member =
                    rooms.iter().any(|r| socket.in_room(r)) || socket.join("after-disconnect");
                let _ = seen.send(Seen::Disconnect {
                    nsp: socket.namespace().to_owned(),
                    reason: reason.as_str().to_owned(),
                    rooms,
                    still_member,
                });
            }
        });
    }
    (io, root, rx)
}

fn disconnect(nsp: &str, reason: &str, rooms: &[&str]) -> Seen {
    Seen::Disconnect {
        nsp: nsp.to_owned(),
        reason: reason.to_owned(),
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        still_member: false,
    }
}

#[tokio::test]
async fn client_namespace_disconnect_is_silent_and_keeps_the_session() {
    let engine = EngineConfig {
        ping_interval: Duration::from_millis(100),
        ..engine_config()
    };
    let (io, root, mut seen) = recording_app();
    let server = serve(io, engine).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"421["join","r"]"#).await;
    ws.expect("431[]").await;
    ws.send("41").await;
    assert_eq!(
        next(&mut seen).await,
        disconnect("/", "client namespace disconnect", &["r"])
    );
    // The server answers nothing: the next packet is the heartbeat.
    ws.auto_pong = false;
    ws.expect("2").await;
    assert_eq!(server.io.session_count(), 1);
    assert_eq!(root.room_size("r"), 0);
    assert!(root.sockets().is_empty());
}

#[tokio::test]
async fn leaving_a_custom_namespace_keeps_the_main_one() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.connect_ns("/custom", None).await;
    ws.expect(r#"42/custom,["auth",{}]"#).await;
    ws.send("41/custom").await;
    ws.send(r#"42["message","message to main namespace"]"#)
        .await;
    ws.expect(r#"42["message-back","message to main namespace"]"#)
        .await;
    assert_eq!(server.io.socket_count("/custom"), 0);
    // And the namespace can be joined again.
    ws.connect_ns("/custom", None).await;
    ws.expect(r#"42/custom,["auth",{}]"#).await;
}

#[tokio::test]
async fn server_side_disconnect_sends_disconnect_and_keeps_the_session() {
    let (io, _root, mut seen) = recording_app();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    let first = ws.connect_ns("/", None).await;
    ws.connect_ns("/other", None).await;
    ws.send(r#"42["kick"]"#).await;
    ws.expect("41").await;
    assert_eq!(
        next(&mut seen).await,
        disconnect("/", "server namespace disconnect", &[])
    );
    // The other namespace and the session live on; `/` can be joined again.
    ws.send(r#"42/other,["log","still"]"#).await;
    ws.expect(r#"42/other,["logged"]"#).await;
    assert_eq!(next(&mut seen).await, Seen::Event("still".into()));
    let second = ws.connect_ns("/", None).await;
    assert_ne!(first, second, "a new socket, a new id");
}

#[tokio::test]
async fn conformance_disconnect_me_sends_disconnect() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send(r#"42["disconnect-me"]"#).await;
    ws.expect("41").await;
    eventually("socket gone", || server.io.socket_count("/") == 0).await;
    assert_eq!(server.io.session_count(), 1);
}

#[tokio::test]
async fn transport_close_ends_every_namespace_socket() {
    let (io, root, mut seen) = recording_app();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.connect_ns("/", None).await;
    ws.connect_ns("/other", None).await;
    ws.send(r#"421["join","a"]"#).await;
    ws.expect("431[]").await;
    ws.send(r#"422["join","b"]"#).await;
    ws.expect("432[]").await;
    ws.close().await;
    let mut got = vec![next(&mut seen).await, next(&mut seen).await];
    got.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        got,
        vec![
            disconnect("/", "transport close", &["a", "b"]),
            disconnect("/other", "transport close", &[]),
        ]
    );
    assert_eq!(root.room_size("a"), 0);
    eventually("session gone", || server.io.session_count() == 0).await;
}

#[tokio::test]
async fn ping_timeout_is_the_reason_when_the_client_stops_answering() {
    let engine = EngineConfig {
        ping_interval: Duration::from_millis(50),
        ping_timeout: Duration::from_millis(50),
        ..engine_config()
    };
    let (io, _root, mut seen) = recording_app();
    let server = serve(io, engine).await;
    let mut ws = server.ws_connected().await;
    ws.auto_pong = false;
    assert_eq!(next(&mut seen).await, disconnect("/", "ping timeout", &[]));
    drop(ws);
}

#[tokio::test]
async fn parse_error_is_the_reason_after_a_malformed_packet() {
    let (io, _root, mut seen) = recording_app();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send("4abc").await;
    ws.expect_closed().await;
    assert_eq!(next(&mut seen).await, disconnect("/", "parse error", &[]));
}

#[tokio::test]
async fn server_shutdown_is_the_reason_when_the_server_stops() {
    let (io, _root, mut seen) = recording_app();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    let stopping = tokio::spawn(server.shutdown());
    ws.expect_closed().await;
    assert_eq!(
        next(&mut seen).await,
        disconnect("/", "server shutting down", &[])
    );
    stopping.await.unwrap();
}

#[tokio::test]
async fn outbound_overflow_is_the_reason_for_a_client_that_does_not_read() {
    let engine = EngineConfig {
        outbound_queue_capacity: 4,
        ..engine_config()
    };
    let (io, root, mut seen) = recording_app();
    let server = serve(io, engine).await;
    let slow = Polling::open(server.addr).await;
    assert_eq!(slow.post("40").await, 200);
    eventually("socket connected", || root.sockets().len() == 1).await;
    let mut queued = 0;
    for _ in 0..10 {
        queued += root.emit("news", &"x").unwrap();
    }
    assert!(queued < 10, "the queue must have refused some: {queued}");
    assert_eq!(
        next(&mut seen).await,
        disconnect("/", "outbound queue overflow", &[])
    );
}

#[tokio::test]
async fn events_sent_before_a_disconnect_are_handled_before_the_hook() {
    let (io, _root, mut seen) = recording_app();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["log","one"]"#).await;
    ws.send(r#"42["log","two"]"#).await;
    ws.send(r#"42["log","three"]"#).await;
    ws.send("41").await;
    assert_eq!(next(&mut seen).await, Seen::Event("one".into()));
    assert_eq!(next(&mut seen).await, Seen::Event("two".into()));
    assert_eq!(next(&mut seen).await, Seen::Event("three".into()));
    assert_eq!(
        next(&mut seen).await,
        disconnect("/", "client namespace disconnect", &[])
    );
}
