//! Connecting to namespaces (socket.io-protocol v5 "Connection to a namespace", the
//! "connect" part of the official v5 test suite): the CONNECT answer, auth payloads,
//! custom namespaces, unknown namespaces, connect middleware, the connect timeout.

mod socketio_common;

use std::sync::Arc;
use std::time::Duration;

use huddle_server::socketio::{ConnectError, DisconnectReason, SocketIo, SocketIoConfig};
use socketio_common::*;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn main_namespace_answers_sid_then_auth_packet() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.send("40").await;
    let answer = ws.recv_text().await;
    let sid = sid_of(&answer, "40");
    assert!(!sid.is_empty());
    assert_ne!(
        sid,
        ws.sid(),
        "the socket id is not the Engine.IO session id"
    );
    ws.expect(r#"42["auth",{}]"#).await;
}

#[tokio::test]
async fn main_namespace_with_auth_payload() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.connect_ns("/", Some(r#"{"token":"123"}"#)).await;
    ws.expect(r#"42["auth",{"token":"123"}]"#).await;
}

#[tokio::test]
async fn custom_namespace_with_and_without_payload() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.connect_ns("/custom", None).await;
    ws.expect(r#"42/custom,["auth",{}]"#).await;

    let mut ws = server.ws().await;
    ws.connect_ns("/custom", Some(r#"{"token":"abc"}"#)).await;
    ws.expect(r#"42/custom,["auth",{"token":"abc"}]"#).await;

    // Without the trailing comma, as the official suite also sends it.
    let mut ws = server.ws().await;
    ws.send("40/custom").await;
    let answer = ws.recv_text().await;
    sid_of(&answer, "40/custom,");
    ws.expect(r#"42/custom,["auth",{}]"#).await;
}

#[tokio::test]
async fn unknown_namespace_gets_invalid_namespace_and_the_session_stays() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.send("40/random").await;
    ws.expect(r#"44/random,{"message":"Invalid namespace"}"#)
        .await;
    // The session is still usable.
    ws.connect_ns("/", None).await;
    ws.expect(r#"42["auth",{}]"#).await;
}

#[tokio::test]
async fn middleware_refuses_with_message_and_data_then_accepts() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.send(r#"40/secure,{"token":"wrong"}"#).await;
    ws.expect(r#"44/secure,{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}"#)
        .await;
    ws.send("40/secure,").await;
    ws.expect(r#"44/secure,{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}"#)
        .await;
    // A refused namespace can be tried again on the same session.
    ws.connect_ns("/secure", Some(r#"{"token":"open-sesame"}"#))
        .await;
    assert_eq!(server.io.socket_count("/secure"), 1);
}

#[tokio::test]
async fn invalid_handshake_packet_closes_the_session() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.send("4abc").await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn connect_payload_that_is_not_an_object_closes_the_session() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    ws.send(r#"40"just a string""#).await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn no_connect_within_the_timeout_closes_the_session() {
    let config = SocketIoConfig {
        connect_timeout: Duration::from_millis(150),
        ..SocketIoConfig::default()
    };
    let server = conformance_with(config, engine_config()).await;
    let mut ws = server.ws().await;
    ws.expect_closed().await;
    eventually("session removed", || server.io.session_count() == 0).await;

    // A refused CONNECT does not stop the timer either.
    let mut ws = server.ws().await;
    ws.send("40/secure,").await;
    ws.expect(r#"44/secure,{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}"#)
        .await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn a_connected_session_outlives_the_connect_timeout() {
    let timeout = Duration::from_millis(100);
    let io = SocketIo::new(SocketIoConfig {
        connect_timeout: timeout,
        ..SocketIoConfig::default()
    });
    let root = io.of("/").unwrap();
    // The server speaks again well after the timeout has passed.
    root.on_connect(move |socket| async move {
        tokio::time::sleep(timeout * 3).await;
        let _ = socket.emit("still-here", &());
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["still-here"]"#).await;
    assert_eq!(server.io.session_count(), 1);
}

#[derive(Debug)]
struct User {
    name: String,
    header: Option<String>,
    query: Option<String>,
}

#[tokio::test]
async fn middleware_sees_auth_headers_and_query_and_sets_typed_state() {
    let io = SocketIo::new(SocketIoConfig::default());
    let ns = io
        .namespace("/app", |req| async move {
            let name = req
                .auth()
                .get("name")
                .and_then(|n| n.as_str())
                .ok_or_else(|| {
                    ConnectError::new("who are you?")
                        .with_data(serde_json::json!({"code": "NO_NAME"}))
                })?
                .to_owned();
            Ok(User {
                name,
                header: req.header("x-team").map(str::to_owned),
                query: req.query("room").map(str::to_owned),
            })
        })
        .unwrap();
    ns.on_connect(|socket| async move {
        let user = socket.state();
        let _ = socket.emit(
            "hello",
            &(
                user.name.as_str(),
                user.header.as_deref(),
                user.query.as_deref(),
            ),
        );
    });
    let server = serve(io, engine_config()).await;

    let mut request = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&room=lobby",
        server.addr
    )
    .into_client_request()
    .unwrap();
    request
        .headers_mut()
        .insert("x-team", "blue".parse().unwrap());
    let mut ws = Ws::open_request(request).await;
    ws.send("40/app,{}").await;
    ws.expect(r#"44/app,{"message":"who are you?","data":{"code":"NO_NAME"}}"#)
        .await;
    ws.connect_ns("/app", Some(r#"{"name":"ada"}"#)).await;
    ws.expect(r#"42/app,["hello","ada","blue","lobby"]"#).await;
}

/// A connected socket keeps what it connected with (`socket.handshake` in the
/// reference), though it stores the auth as text and the headers as a compact copy.
#[tokio::test]
async fn connected_socket_keeps_its_handshake_auth_headers_and_query() {
    let io = SocketIo::new(SocketIoConfig::default());
    let ns = io.of("/app").unwrap();
    ns.on_connect(|socket| async move {
        let req = socket.handshake();
        let _ = socket.emit(
            "handshake",
            &(
                req.auth(),
                req.header("X-Team"),
                req.query("room"),
                req.handshake().query_param("EIO"),
                req.namespace(),
            ),
        );
    });
    let server = serve(io, engine_config()).await;
    let mut request = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&room=lob%20by",
        server.addr
    )
    .into_client_request()
    .unwrap();
    request
        .headers_mut()
        .insert("x-team", "blue".parse().unwrap());
    let mut ws = Ws::open_request(request).await;
    ws.connect_ns("/app", Some(r#"{"name":"ada","n":[1,2.5,{"deep":null}]}"#))
        .await;
    ws.expect(
        r#"42/app,["handshake",{"n":[1,2.5,{"deep":null}],"name":"ada"},"blue","lob by","4","/app"]"#,
    )
    .await;
}

#[tokio::test]
async fn events_sent_while_the_middleware_runs_are_handled_after_connect() {
    let gate = Arc::new(Notify::new());
    let io = SocketIo::new(SocketIoConfig::default());
    let ns = io
        .namespace("/slow", {
            let gate = gate.clone();
            move |_req| {
                let gate = gate.clone();
                async move {
                    gate.notified().await;
                    Ok::<_, ConnectError>(())
                }
            }
        })
        .unwrap();
    ns.on("ping", |socket, _event, _ack| async move {
        let _ = socket.emit("pong", &());
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.send("40/slow,").await;
    ws.send(r#"42/slow,["ping"]"#).await;
    gate.notify_one();
    let answer = ws.recv_text().await;
    sid_of(&answer, "40/slow,");
    ws.expect(r#"42/slow,["pong"]"#).await;
}

#[tokio::test]
async fn second_connect_to_the_same_namespace_closes_the_session() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send("40").await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn connect_error_from_a_client_closes_the_session() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send(r#"44{"message":"nope"}"#).await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn one_session_multiplexes_namespaces_with_distinct_socket_ids() {
    let server = conformance().await;
    let mut ws = server.ws().await;
    let main = ws.connect_ns("/", None).await;
    ws.expect(r#"42["auth",{}]"#).await;
    let custom = ws.connect_ns("/custom", None).await;
    ws.expect(r#"42/custom,["auth",{}]"#).await;
    assert_ne!(main, custom);
    assert_eq!(server.io.socket_count("/"), 1);
    assert_eq!(server.io.socket_count("/custom"), 1);
    assert_eq!(server.io.session_count(), 1);
}

#[tokio::test]
async fn a_panicking_middleware_refuses_the_socket_and_the_server_goes_on() {
    let io = SocketIo::new(SocketIoConfig::default());
    io.namespace("/broken", |_req| async move {
        if true {
            panic!("middleware bug");
        }
        Ok::<(), ConnectError>(())
    })
    .unwrap();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.send("40/broken,").await;
    ws.expect(r#"44/broken,{"message":"Internal server error"}"#)
        .await;
    ws.connect_ns("/", None).await;
}

/// Sends on its channel when dropped: tells the test a future was cancelled.
struct DropSignal(mpsc::UnboundedSender<&'static str>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send("middleware dropped");
    }
}

#[tokio::test]
async fn session_closed_while_the_middleware_runs_cancels_it_and_never_connects() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig::default());
    let started = tx.clone();
    let ns = io
        .namespace("/stuck", move |_req| {
            let signal = DropSignal(started.clone());
            let started = started.clone();
            async move {
                let _signal = signal;
                let _ = started.send("middleware started");
                // A dependency that never answers.
                std::future::pending::<()>().await;
                Ok::<_, ConnectError>(())
            }
        })
        .unwrap();
    let hooks = tx.clone();
    ns.on_connect(move |_socket| {
        let hooks = hooks.clone();
        async move {
            let _ = hooks.send("connected");
        }
    });
    ns.on_disconnect(move |_socket, _reason: DisconnectReason| {
        let hooks = tx.clone();
        async move {
            let _ = hooks.send("disconnected");
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.send("40/stuck,").await;
    assert_eq!(next(&mut rx).await, "middleware started");
    ws.close().await;
    assert_eq!(next(&mut rx).await, "middleware dropped");
    eventually("session gone", || server.io.session_count() == 0).await;
    assert_eq!(server.io.socket_count("/stuck"), 0);
    assert!(rx.try_recv().is_err(), "no connect or disconnect hook ran");
}

#[tokio::test]
async fn leaving_a_namespace_while_its_middleware_runs_cancels_it() {
    let gate = Arc::new(Notify::new());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig::default());
    io.namespace("/slow", {
        let gate = gate.clone();
        move |_req| {
            let gate = gate.clone();
            let signal = DropSignal(tx.clone());
            async move {
                let _signal = signal;
                gate.notified().await;
                Ok::<_, ConnectError>(())
            }
        }
    })
    .unwrap();
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.send("40/slow,").await;
    ws.send("41/slow,").await;
    assert_eq!(next(&mut rx).await, "middleware dropped");
    // The namespace can be asked for again; this time the middleware completes.
    ws.send("40/slow,").await;
    // A stored permit if the middleware is not waiting yet.
    gate.notify_one();
    let answer = ws.recv_text().await;
    sid_of(&answer, "40/slow,");
    assert_eq!(server.io.socket_count("/slow"), 1);
}
