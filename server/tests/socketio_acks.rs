//! Server-to-client emits with an acknowledgement (socket.io-protocol v5
//! "Acknowledgement", server side): ids, replies plain and binary, timeouts, a
//! disconnect while waiting, and the conformance `request-ack` fixture.

mod socketio_common;

use std::time::Duration;

use huddle_server::socketio::{AckError, SocketIo, SocketIoConfig, Spread, Value};
use socketio_common::*;
use tokio::sync::mpsc;

/// A server whose `ask` handler emits `question` with an ack and reports the outcome
/// on `answer` (and to the test through the channel).
fn asking_server(timeout: Duration) -> (SocketIo, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on("ask", move |socket, event, _ack| {
        let outcome = tx.clone();
        async move {
            let args = event.values().unwrap();
            let reply = socket
                .emit_with_ack("question", &Spread(&args), timeout)
                .await;
            let report = match reply {
                Ok(reply) => {
                    let values = reply.values().unwrap();
                    let _ = socket.emit("answer", &Spread(&values));
                    format!("reply:{}", values.len())
                }
                Err(AckError::Timeout) => {
                    let _ = socket.emit("answer-timeout", &());
                    "timeout".to_owned()
                }
                Err(AckError::Disconnected) => "disconnected".to_owned(),
                Err(AckError::Emit(e)) => format!("emit error: {e}"),
            };
            let _ = outcome.send(report);
        }
    });
    (io, rx)
}

#[tokio::test]
async fn emit_with_ack_resolves_with_the_clients_reply() {
    let (io, mut outcome) = asking_server(Duration::from_secs(5));
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["ask","hello",{"n":1}]"#).await;
    ws.expect(r#"420["question","hello",{"n":1}]"#).await;
    ws.send(r#"430["yes",2]"#).await;
    ws.expect(r#"42["answer","yes",2]"#).await;
    assert_eq!(next(&mut outcome).await, "reply:2");

    // The next emit gets the next id.
    ws.send(r#"42["ask"]"#).await;
    ws.expect(r#"421["question"]"#).await;
    ws.send(r#"431[]"#).await;
    ws.expect(r#"42["answer"]"#).await;
    assert_eq!(next(&mut outcome).await, "reply:0");
}

#[tokio::test]
async fn emit_with_ack_times_out_and_a_late_reply_is_ignored() {
    let (io, mut outcome) = asking_server(Duration::from_millis(50));
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["ask"]"#).await;
    ws.expect(r#"420["question"]"#).await;
    ws.expect(r#"42["answer-timeout"]"#).await;
    assert_eq!(next(&mut outcome).await, "timeout");
    // Too late: nobody waits for id 0 any more; the session goes on.
    ws.send(r#"430["late"]"#).await;
    ws.send(r#"42["ask"]"#).await;
    ws.expect(r#"421["question"]"#).await;
    ws.send(r#"431["in time"]"#).await;
    ws.expect(r#"42["answer","in time"]"#).await;
}

#[tokio::test]
async fn binary_ack_from_the_client_is_reassembled() {
    let (io, mut outcome) = asking_server(Duration::from_secs(5));
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["ask"]"#).await;
    ws.expect(r#"420["question"]"#).await;
    ws.send(r#"461-0[{"_placeholder":true,"num":0},"text"]"#)
        .await;
    ws.send_binary(&[7, 7, 7]).await;
    ws.expect(r#"451-["answer",{"_placeholder":true,"num":0},"text"]"#)
        .await;
    ws.expect_binary(&[7, 7, 7]).await;
    assert_eq!(next(&mut outcome).await, "reply:2");
}

#[tokio::test]
async fn server_emit_with_binary_and_ack() {
    let (io, mut outcome) = asking_server(Duration::from_secs(5));
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"451-["ask",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.send_binary(&[1]).await;
    ws.expect(r#"451-0["question",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.expect_binary(&[1]).await;
    ws.send(r#"430[]"#).await;
    ws.expect(r#"42["answer"]"#).await;
    assert_eq!(next(&mut outcome).await, "reply:0");
}

#[tokio::test]
async fn disconnect_while_waiting_fails_the_ack_at_once() {
    let (io, mut outcome) = asking_server(Duration::from_secs(30));
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"42["ask"]"#).await;
    ws.expect(r#"420["question"]"#).await;
    ws.send("41").await;
    // Well before the 30 s timeout.
    assert_eq!(next(&mut outcome).await, "disconnected");
}

#[tokio::test]
async fn emit_with_ack_on_a_disconnected_socket_fails() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on_disconnect(move |socket, _reason| {
        let tx = tx.clone();
        async move {
            let emitted = socket.emit("late", &());
            let asked = socket
                .emit_with_ack("late", &(), Duration::from_secs(5))
                .await;
            let _ = tx.send((
                emitted.map_err(|e| e.to_string()),
                asked.map(|_| ()).map_err(|e| e.to_string()),
            ));
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send("41").await;
    let (emitted, asked) = next(&mut rx).await;
    assert_eq!(emitted, Err("the socket is disconnected".to_owned()));
    assert_eq!(
        asked,
        Err("the socket disconnected before acknowledging".to_owned())
    );
}

#[tokio::test]
async fn conformance_request_ack_relays_the_reply() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send(r#"425["request-ack",{"a":1}]"#).await;
    ws.expect(r#"420["server-ack-request",{"a":1}]"#).await;
    ws.send(r#"430[{"b":2}]"#).await;
    ws.expect(r#"435[{"ok":true,"reply":{"b":2}}]"#).await;
}

#[tokio::test]
async fn handler_answers_an_ack_at_most_once_and_a_dropped_ack_sends_nothing() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io.of("/").unwrap();
    root.on("silent", |_socket, _event, ack| async move {
        drop(ack);
    });
    root.on("loud", |_socket, event, ack| async move {
        let n: Value = event.first_arg().unwrap();
        if let Some(ack) = ack {
            assert_eq!(ack.id(), 9);
            ack.send(&(n, "once")).unwrap();
        }
    });
    let server = serve(io, engine_config()).await;
    let mut ws = server.ws_connected().await;
    ws.send(r#"428["silent"]"#).await;
    ws.send(r#"429["loud",3]"#).await;
    ws.expect(r#"439[3,"once"]"#).await;
}

#[tokio::test]
async fn conformance_request_ack_reports_a_timeout() {
    let server = conformance().await;
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send(r#"426["request-ack","x"]"#).await;
    ws.expect(r#"420["server-ack-request","x"]"#).await;
    // No answer: after the fixture's 2 s timeout the request is acked with an error.
    ws.expect(r#"436[{"ok":false,"error":"timeout"}]"#).await;
}
