//! Events both ways, client acks, binary attachments, order, and malformed packets
//! (socket.io-protocol v5 "Sending and receiving data", "Acknowledgement", the
//! "message" part of the official v5 test suite).

mod socketio_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use huddle_server::socketio::{SocketIo, SocketIoConfig, Spread, Value};
use socketio_common::*;
use tokio::sync::{Notify, mpsc};

/// A conformance session connected to `/`, its `auth` packet read.
async fn connected(server: &TestServer) -> Ws {
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws
}

#[tokio::test]
async fn plain_text_event_is_echoed() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"42["message",1,"2",{"3":[true]}]"#).await;
    ws.expect(r#"42["message-back",1,"2",{"3":[true]}]"#).await;
}

#[tokio::test]
async fn event_with_binary_attachments_is_echoed_with_binary_frames() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        .await;
    ws.send_binary(&[1, 2, 3]).await;
    ws.send_binary(&[4, 5, 6]).await;
    ws.expect(
        r#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    )
    .await;
    ws.expect_binary(&[1, 2, 3]).await;
    ws.expect_binary(&[4, 5, 6]).await;
}

#[tokio::test]
async fn nested_binary_keeps_its_place_in_objects_and_arrays() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"452-["message",{"file":{"_placeholder":true,"num":1},"list":[1,{"_placeholder":true,"num":0}]}]"#)
        .await;
    ws.send_binary(&[0xaa]).await;
    ws.send_binary(&[0xbb, 0xcc]).await;
    // Re-encoded in order of appearance: the first placeholder met is num 0.
    ws.expect(r#"452-["message-back",{"file":{"_placeholder":true,"num":0},"list":[1,{"_placeholder":true,"num":1}]}]"#)
        .await;
    ws.expect_binary(&[0xbb, 0xcc]).await;
    ws.expect_binary(&[0xaa]).await;
}

#[tokio::test]
async fn event_with_ack_is_acknowledged_with_the_same_arguments() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    ws.expect(r#"43456[1,"2",{"3":[false]}]"#).await;
}

#[tokio::test]
async fn binary_event_with_ack_gets_a_binary_ack() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        .await;
    ws.send_binary(&[1, 2, 3]).await;
    ws.send_binary(&[4, 5, 6]).await;
    ws.expect(r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        .await;
    ws.expect_binary(&[1, 2, 3]).await;
    ws.expect_binary(&[4, 5, 6]).await;
}

#[tokio::test]
async fn events_on_a_custom_namespace_carry_its_name() {
    let io = SocketIo::new(SocketIoConfig::default());
    let ns = io.of("/custom").unwrap();
    ns.on("echo", |socket, event, ack| async move {
        let args = event.values().unwrap();
        let _ = socket.emit("echoed", &Spread(&args));
        if let Some(ack) = ack {
            let _ = ack.send(&("done",));
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws().await;
    ws.connect_ns("/custom", None).await;
    ws.send(r#"42/custom,7["echo",{"a":1}]"#).await;
    ws.expect(r#"42/custom,["echoed",{"a":1}]"#).await;
    ws.expect(r#"43/custom,7["done"]"#).await;
}

#[derive(serde::Deserialize)]
struct Join {
    #[serde(rename = "type")]
    kind: String,
    id: u64,
}

#[tokio::test]
async fn handlers_read_typed_arguments_and_see_errors_for_bad_shapes() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on("room:join", |_socket, event, ack| async move {
        let answer = match event.first_arg::<Join>() {
            Ok(join) => {
                serde_json::json!({"ok": true, "room": format!("{}:{}", join.kind, join.id)})
            }
            Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
        };
        if let Some(ack) = ack {
            let _ = ack.send(&answer);
        }
    });
    root.on("pair", |socket, event, _ack| async move {
        let (a, b): (String, u32) = event.args().unwrap();
        let _ = socket.emit("pair", &(b, a));
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"421["room:join",{"type":"project","id":3}]"#)
        .await;
    ws.expect(r#"431[{"ok":true,"room":"project:3"}]"#).await;
    ws.send(r#"422["room:join",{"type":"project"}]"#).await;
    let answer = ws.recv_text().await;
    let json = answer.strip_prefix("432").expect("ack 2");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value[0]["ok"], false);
    let error = value[0]["error"].as_str().unwrap();
    assert!(error.contains("missing field `id`"), "{error}");
    ws.send(r#"42["pair","x",5]"#).await;
    ws.expect(r#"42["pair",5,"x"]"#).await;
}

#[tokio::test]
async fn unknown_events_are_ignored_and_the_session_goes_on() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"42["no-such-event",1]"#).await;
    ws.send(r#"421["no-such-event-with-ack",1]"#).await;
    ws.send(r#"42["message","after"]"#).await;
    // The next thing received is the answer to the known event.
    ws.expect(r#"42["message-back","after"]"#).await;
}

#[tokio::test]
async fn fallback_handler_receives_events_without_a_handler() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on("known", |socket, _event, _ack| async move {
        let _ = socket.emit("known", &());
    });
    root.on_fallback(|_socket, event, ack| async move {
        if let Some(ack) = ack {
            let _ = ack.send(&serde_json::json!({"ok": false, "unknown": event.name()}));
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"423["nope"]"#).await;
    ws.expect(r#"433[{"ok":false,"unknown":"nope"}]"#).await;
    ws.send(r#"42["known"]"#).await;
    ws.expect(r#"42["known"]"#).await;
}

#[tokio::test]
async fn events_for_a_namespace_not_connected_are_ignored() {
    let server = conformance().await;
    let mut ws = connected(&server).await;
    ws.send(r#"42/custom,["message","lost"]"#).await;
    ws.send(r#"43/custom,1[]"#).await;
    ws.send(r#"42["message","kept"]"#).await;
    ws.expect(r#"42["message-back","kept"]"#).await;
}

#[tokio::test]
async fn a_sockets_events_are_handled_one_at_a_time_in_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    let handled = log.clone();
    root.on("n", move |socket, event, _ack| {
        let handled = handled.clone();
        async move {
            let n: u64 = event.first_arg().unwrap();
            // Later events finish their work sooner: only sequential handling keeps order.
            tokio::time::sleep(Duration::from_micros(500 * (20 - n % 20))).await;
            handled.lock().unwrap().push(n);
            let _ = socket.emit("done", &n);
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    let count = 60u64;
    for n in 0..count {
        ws.send(&format!(r#"42["n",{n}]"#)).await;
    }
    for n in 0..count {
        ws.expect(&format!(r#"42["done",{n}]"#)).await;
    }
    assert_eq!(*log.lock().unwrap(), (0..count).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_panicking_handler_does_not_end_the_socket() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on("boom", |_socket, _event, _ack| async move {
        panic!("handler bug");
    });
    root.on("ping", |socket, _event, _ack| async move {
        let _ = socket.emit("pong", &());
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["boom"]"#).await;
    ws.send(r#"42["ping"]"#).await;
    ws.expect(r#"42["pong"]"#).await;
}

#[tokio::test]
async fn server_emits_binary_from_typed_arguments() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on_connect(|socket| async move {
        let file = Value::Object(vec![
            ("name".into(), Value::from("a.bin")),
            (
                "data".into(),
                Value::Binary(bytes::Bytes::from_static(&[9, 8, 7])),
            ),
        ]);
        let _ = socket.emit("file", &file);
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"451-["file",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]"#)
        .await;
    ws.expect_binary(&[9, 8, 7]).await;
}

/// One frame a test client sends.
#[derive(Debug)]
enum Out {
    T(&'static str),
    B(&'static [u8]),
}

/// Packets the reference server refuses with a parse error: each closes the session.
/// (Binary payloads are checked, as by the reference parser, once their announced
/// attachments have all arrived.)
#[tokio::test]
async fn malformed_packets_close_the_session() {
    use Out::{B, T};
    let server = conformance().await;
    let cases: &[(&str, &[Out])] = &[
        ("unknown packet type", &[T("4abc")]),
        ("payload not an array", &[T("42{}")]),
        (
            "invalid ack id",
            &[T(r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#)],
        ),
        ("invalid JSON", &[T(r#"42["message",{]"#)]),
        ("truncated JSON", &[T(r#"42["message",1"#)]),
        ("reserved event name", &[T(r#"42["connect"]"#)]),
        ("event name not a string", &[T(r#"42[1,2]"#)]),
        ("ACK without an id", &[T("43[]")]),
        ("DISCONNECT with a payload", &[T("41{}")]),
        (
            "2 attachments announced, 1 placeholder",
            &[
                T(r#"452-["message",{"_placeholder":true,"num":0}]"#),
                B(&[1]),
                B(&[2]),
            ],
        ),
        (
            "placeholder out of range",
            &[
                T(r#"451-["message",{"_placeholder":true,"num":3}]"#),
                B(&[1]),
            ],
        ),
        (
            "duplicate placeholder",
            &[
                T(r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#),
                B(&[1]),
                B(&[2]),
            ],
        ),
        (
            "invalid JSON in a binary packet",
            &[
                T(r#"451-["message",{"_placeholder":true,"num":0}"#),
                B(&[1]),
            ],
        ),
        (
            "text while attachments are pending",
            &[
                T(r#"451-["message",{"_placeholder":true,"num":0}]"#),
                T(r#"42["message"]"#),
            ],
        ),
    ];
    for (name, frames) in cases {
        // Shown if the case fails.
        eprintln!("malformed case: {name}");
        let mut ws = connected(&server).await;
        for frame in *frames {
            match frame {
                T(text) => ws.send(text).await,
                B(data) => ws.send_binary(data).await,
            }
        }
        ws.expect_closed().await;
    }
    eventually("all sessions closed", || server.io.session_count() == 0).await;
}

#[tokio::test]
async fn binary_frames_out_of_place_close_the_session() {
    let server = conformance().await;
    // An attachment nobody announced.
    let mut ws = connected(&server).await;
    ws.send_binary(&[1, 2, 3]).await;
    ws.expect_closed().await;

    // More attachments than the limit allows.
    let mut ws = connected(&server).await;
    let placeholders: Vec<String> = (0..11)
        .map(|n| format!(r#"{{"_placeholder":true,"num":{n}}}"#))
        .collect();
    ws.send(&format!(r#"4511-["message",{}]"#, placeholders.join(",")))
        .await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn attachments_over_the_size_limit_close_the_session() {
    let mut config = SocketIoConfig::default();
    config.limits.max_attachments_size = 8;
    let server = conformance_with(config, engine_config()).await;
    let mut ws = connected(&server).await;
    ws.send(r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        .await;
    ws.send_binary(&[0; 5]).await;
    ws.send_binary(&[0; 5]).await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn nesting_deeper_than_the_limit_closes_the_session() {
    let mut config = SocketIoConfig::default();
    config.limits.max_depth = 4;
    let server = conformance_with(config, engine_config()).await;
    let mut ws = connected(&server).await;
    ws.send(r#"42["message",[[[1]]]]"#).await;
    ws.expect(r#"42["message-back",[[[1]]]]"#).await;
    ws.send(r#"42["message",[[[[1]]]]]"#).await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn a_client_flooding_events_past_the_queue_limit_is_closed() {
    let gate = Arc::new(Notify::new());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig {
        max_pending_events: 4,
        ..SocketIoConfig::default()
    });
    let root = io.of("/").unwrap();
    let blocker = gate.clone();
    root.on("work", move |_socket, _event, _ack| {
        let gate = blocker.clone();
        let started = tx.clone();
        async move {
            let _ = started.send(());
            gate.notified().await;
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    // One event occupies the handler; four may wait; the sixth is one too many.
    ws.send(r#"42["work"]"#).await;
    next(&mut rx).await;
    for _ in 0..5 {
        ws.send(r#"42["work"]"#).await;
    }
    ws.expect_closed().await;
    gate.notify_waiters();
}

#[tokio::test]
async fn event_name_longer_than_the_limit_closes_the_session() {
    let mut config = SocketIoConfig::default();
    config.limits.max_event_name_len = 8;
    let server = conformance_with(config, engine_config()).await;
    let mut ws = connected(&server).await;
    ws.send(r#"42["message","ok"]"#).await;
    ws.expect(r#"42["message-back","ok"]"#).await;
    ws.send(r#"42["much-too-long-name"]"#).await;
    ws.expect_closed().await;
}
