//! The upgrade from long-polling to WebSocket (engine.io v4 test suite, "upgrade"):
//! `2probe`/`3probe`, the `6` noop that releases the pending GET, `5`, and every frame
//! delivered exactly once and in order across the switch.

mod engine_support;

use std::time::Duration;

use engine_support::*;
use huddle_server::engine::{CloseReason, EngineConfig, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn upgrade_sequence_as_the_reference() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    // A GET during the upgrade is released with a noop.
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "6");
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
    assert_eq!(
        server.engine.session(&sid).unwrap().transport(),
        Transport::WebSocket
    );
}

#[tokio::test]
async fn the_probe_releases_a_pending_get_with_a_noop() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let mut pending = TcpStream::connect(server.addr).await.unwrap();
    pending
        .write_all(&raw_request("GET", &q, &[], b"", true))
        .await
        .unwrap();
    server.wait_parked(1).await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    let res = read_response(&mut pending).await;
    assert_eq!(res.text(), "6");
}

#[tokio::test]
async fn http_requests_after_the_upgrade_are_refused() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    ws_send(&mut ws, "5").await;
    // The upgrade packet is processed before this echo is answered.
    ws_send(&mut ws, "4sync").await;
    assert_eq!(ws_text(&mut ws).await, "4sync");
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":3,"message":"Bad request"}"#);
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
}

#[tokio::test]
async fn a_second_websocket_after_the_upgrade_is_closed() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4sync").await;
    assert_eq!(ws_text(&mut ws).await, "4sync");
    // Either refused outright or accepted and closed at once: never served.
    if let Ok(mut second) = try_ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await {
        assert_eq!(ws_next(&mut second).await.map(|m| m.is_close()), Some(true));
    }
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
}

#[tokio::test]
async fn a_second_websocket_during_the_upgrade_is_closed() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    let mut second = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    assert_eq!(ws_next(&mut second).await.map(|m| m.is_close()), Some(true));
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
}

/// Frames queued before the probe, between probe and upgrade, and after: each is
/// received exactly once, in order, over whichever transport was active.
#[tokio::test]
async fn no_frame_is_lost_or_duplicated_across_the_switch() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let session = server.engine.session(&sid).unwrap();
    let q = server.url(&format!("sid={sid}"));
    let mut received: Vec<String> = Vec::new();
    let mut sent = 0;
    let mut send_batch = |n: usize| {
        for _ in 0..n {
            session.send(text_frame(&format!("4m{sent}"))).unwrap();
            sent += 1;
        }
    };

    // Before the upgrade: some frames go out by polling.
    send_batch(5);
    let res = get(server.addr, &q).await;
    received.extend(
        res.text()
            .split('\x1e')
            .filter(|m| *m != "2")
            .map(str::to_owned),
    );
    send_batch(5);

    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    // Queued frames are still polling's: the next GET takes them (not a noop).
    let res = get(server.addr, &q).await;
    received.extend(
        res.text()
            .split('\x1e')
            .filter(|m| *m != "2")
            .map(str::to_owned),
    );
    // Between the probe and the upgrade packet.
    send_batch(7);
    ws_send(&mut ws, "5").await;
    // After the upgrade.
    send_batch(3);
    while received.len() < sent {
        let text = ws_text(&mut ws).await;
        if text != "2" {
            received.push(text);
        }
    }
    let expected: Vec<String> = (0..sent).map(|i| format!("4m{i}")).collect();
    assert_eq!(received, expected);
    // And nothing more is pending on either side.
    let res = get(server.addr, &q).await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn an_upgrade_not_completed_in_time_is_abandoned() {
    let server = TestServer::start(EngineConfig {
        upgrade_timeout: Duration::from_millis(100),
        ..test_config()
    })
    .await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_text(&mut ws).await, "3probe");
    // No `5`: after the upgrade timeout the WebSocket is closed...
    assert_eq!(ws_next(&mut ws).await.map(|m| m.is_close()), Some(true));
    // ...and the session carries on over polling.
    let q = server.url(&format!("sid={sid}"));
    assert_eq!(post(server.addr, &q, b"4still").await.text(), "ok");
    assert_eq!(get(server.addr, &q).await.text(), "4still");
    assert_eq!(
        server.engine.session(&sid).unwrap().transport(),
        Transport::Polling
    );
}

#[tokio::test]
async fn an_unexpected_packet_during_the_upgrade_abandons_it() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(&format!("&sid={sid}")), &[]).await;
    ws_send(&mut ws, "4too-early").await;
    assert_eq!(ws_next(&mut ws).await.map(|m| m.is_close()), Some(true));
    let q = server.url(&format!("sid={sid}"));
    assert_eq!(post(server.addr, &q, b"4polling").await.text(), "ok");
    assert_eq!(get(server.addr, &q).await.text(), "4polling");
    // The session never closed.
    assert!(matches!(server.event().await, Event::Open(_)));
    assert!(matches!(server.event().await, Event::Message(..)));
    server
        .engine
        .session(&sid)
        .unwrap()
        .close(CloseReason::ForcedClose);
    assert_eq!(get(server.addr, &q).await.text(), "1");
    assert_eq!(server.close_reason(&sid).await, CloseReason::ForcedClose);
}
