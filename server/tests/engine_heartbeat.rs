//! Heartbeat over both transports (engine.io v4 test suite, "heartbeat"): the server
//! pings every pingInterval, a pong keeps the session, silence closes it after
//! pingTimeout, and sessions whose clients vanished are reaped until the table is
//! empty.
//!
//! The exact deadlines are proven with explicit time by the unit tests of the
//! heartbeat state machine (`engine/heartbeat.rs`). These run the real server on real
//! time with short intervals, asserting only what load cannot make flaky: what
//! happens, in which order, and never sooner than the deadline.

mod engine_support;

use std::time::{Duration, Instant};

use engine_support::*;
use huddle_server::engine::CloseReason;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn polling_pings_and_pongs_keep_the_session() {
    // A generous timeout: only the pings are being watched here.
    let server = TestServer::start(heartbeat_config(100, 5_000)).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    for _ in 0..3 {
        let start = Instant::now();
        let res = get(server.addr, &q).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.text(), "2");
        // Not before one interval after the session opened or after the last pong.
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );
        let res = post(server.addr, &q, b"3").await;
        assert_eq!(res.status, 200);
    }
    assert_eq!(server.engine.session_count(), 1);
}

#[tokio::test]
async fn polling_session_closes_after_ping_timeout() {
    let mut server = TestServer::start(heartbeat_config(100, 100)).await;
    let opened = Instant::now();
    let sid = server.open_polling().await;
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
    // Not before pingInterval + pingTimeout after the handshake.
    assert!(
        opened.elapsed() >= Duration::from_millis(200),
        "{:?}",
        opened.elapsed()
    );
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn websocket_pings_and_pongs_keep_the_session() {
    let server = TestServer::start(heartbeat_config(100, 5_000)).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let _ = ws_text(&mut ws).await;
    for _ in 0..3 {
        assert_eq!(ws_text(&mut ws).await, "2");
        ws_send(&mut ws, "3").await;
    }
    ws_send(&mut ws, "4alive").await;
    assert_eq!(ws_text(&mut ws).await, "4alive");
    assert_eq!(server.engine.session_count(), 1);
}

#[tokio::test]
async fn websocket_session_closes_after_ping_timeout() {
    let mut server = TestServer::start(heartbeat_config(100, 100)).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    assert_eq!(ws_text(&mut ws).await, "2");
    // No pong: the close packet, then the close frame.
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_until_closed(&mut ws).await, Some(1000));
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
}

#[tokio::test]
async fn other_packets_after_a_ping_also_prove_the_client_alive() {
    let mut server = TestServer::start(heartbeat_config(100, 1_000)).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    assert_eq!(ws_text(&mut ws).await, "2");
    let pinged = Instant::now();
    // Never a pong, but a message every 100 ms for three times pingTimeout.
    while pinged.elapsed() < Duration::from_millis(3_000) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        ws_send(&mut ws, "4busy").await;
        assert_eq!(ws_text(&mut ws).await, "4busy");
    }
    assert!(server.engine.session(&sid).is_some());
    // Then silence: closed, pingTimeout after the last packet at the earliest.
    let quiet = Instant::now();
    assert_eq!(ws_text(&mut ws).await, "1");
    assert!(
        quiet.elapsed() >= Duration::from_millis(950),
        "{:?}",
        quiet.elapsed()
    );
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
}

#[tokio::test]
async fn abandoned_sessions_are_reaped_until_the_table_is_empty() {
    let mut server = TestServer::start(heartbeat_config(100, 100)).await;
    let mut sids = Vec::new();
    let mut hanging = Vec::new();
    // Polling clients that vanish after the handshake, half of them with a GET left open.
    for i in 0..40 {
        let sid = server.open_polling().await;
        if i % 2 == 0 {
            let mut conn = TcpStream::connect(server.addr).await.unwrap();
            let q = server.url(&format!("sid={sid}"));
            conn.write_all(&raw_request("GET", &q, &[], b"", false))
                .await
                .unwrap();
            // Kept open: the client hangs, neither reading nor closing.
            hanging.push(conn);
        }
        sids.push(sid);
    }
    // WebSocket clients that stop answering.
    let mut sockets = Vec::new();
    for _ in 0..10 {
        let mut ws = ws_connect(&server.ws_url(""), &[]).await;
        sids.push(sid_of(&ws_text(&mut ws).await));
        sockets.push(ws);
    }
    tokio::time::timeout(LIMIT, server.engine.wait_empty())
        .await
        .expect("sessions were not reaped");
    let mut closed = 0;
    while closed < sids.len() {
        if let Event::Close(_, reason) = server.event().await {
            assert_eq!(reason, CloseReason::PingTimeout);
            closed += 1;
        }
    }
    assert_eq!(server.engine.session_count(), 0);
    assert_eq!(server.engine.parked_polls(), 0);
}
