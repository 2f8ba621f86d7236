//! WebSocket sessions (engine.io v4 test suite, "message / WebSocket" and "close /
//! WebSocket"): text and binary echo, malformed packets, the client's close, and
//! `maxPayload` on frames and messages.

mod engine_support;

use engine_support::*;
use futures_util::SinkExt;
use huddle_server::engine::{CloseReason, EngineConfig, Transport};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data as OpData, OpCode};

#[tokio::test]
async fn text_and_binary_messages_come_back_as_sent() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    assert_eq!(
        server.engine.session(&sid).unwrap().transport(),
        Transport::WebSocket
    );
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
    ws.send(Message::binary(vec![1u8, 2, 3, 4])).await.unwrap();
    match ws_next(&mut ws).await {
        Some(Message::Binary(b)) => assert_eq!(&b[..], &[1, 2, 3, 4]),
        other => panic!("expected binary, got {other:?}"),
    }
    assert!(matches!(server.event().await, Event::Open(s) if s == sid));
}

#[tokio::test]
async fn a_malformed_packet_closes_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    ws_send(&mut ws, "abc").await;
    // The engine-level close packet, then the WebSocket close.
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_until_closed(&mut ws).await, Some(1000));
    assert_eq!(server.close_reason(&sid).await, CloseReason::ParseError);
}

#[tokio::test]
async fn the_clients_close_packet_ends_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    ws_send(&mut ws, "1").await;
    ws_until_closed(&mut ws).await;
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportClose);
    assert!(server.engine.session(&sid).is_none());
}

#[tokio::test]
async fn a_dropped_connection_ends_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    drop(ws);
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportClose);
}

#[tokio::test]
async fn a_message_over_max_payload_closes_with_1009() {
    let mut server = TestServer::start(EngineConfig {
        max_payload: 1000,
        ..test_config()
    })
    .await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    // At the limit: fine.
    let at_limit = format!("4{}", "x".repeat(999));
    ws_send(&mut ws, &at_limit).await;
    assert_eq!(ws_text(&mut ws).await, at_limit);
    // One byte over in a single frame.
    ws_send(&mut ws, &format!("4{}", "x".repeat(1000))).await;
    assert_eq!(ws_until_closed(&mut ws).await, Some(1009));
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
}

#[tokio::test]
async fn a_fragmented_message_over_max_payload_closes_with_1009() {
    let mut server = TestServer::start(EngineConfig {
        max_payload: 1000,
        ..test_config()
    })
    .await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    // Three frames of 400 bytes: each frame is under the limit, the message is not.
    let part = vec![b'4'; 400];
    let first = Frame::message(part.clone(), OpCode::Data(OpData::Text), false);
    ws.send(Message::Frame(first)).await.unwrap();
    let cont = Frame::message(part.clone(), OpCode::Data(OpData::Continue), false);
    ws.send(Message::Frame(cont)).await.unwrap();
    let last = Frame::message(part, OpCode::Data(OpData::Continue), true);
    // The server may already have closed; the send result does not matter.
    let _ = ws.send(Message::Frame(last)).await;
    assert_eq!(ws_until_closed(&mut ws).await, Some(1009));
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
}

#[tokio::test]
async fn polling_requests_after_a_websocket_handshake_are_bad_requests() {
    let server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":3,"message":"Bad request"}"#);
    let res = post(server.addr, &server.url(&format!("sid={sid}")), b"4x").await;
    assert_eq!(res.status, 400);
    // The session is unharmed.
    ws_send(&mut ws, "4still-here").await;
    assert_eq!(ws_text(&mut ws).await, "4still-here");
}

#[tokio::test]
async fn an_application_close_flushes_then_sends_the_close_packet() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    let session = server.engine.session(&sid).unwrap();
    session
        .send_many(&[text_frame("4a"), text_frame("4b")])
        .unwrap();
    session.close(CloseReason::ForcedClose);
    assert_eq!(ws_text(&mut ws).await, "4a");
    assert_eq!(ws_text(&mut ws).await, "4b");
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_until_closed(&mut ws).await, Some(1000));
    assert_eq!(server.close_reason(&sid).await, CloseReason::ForcedClose);
}
