//! Heartbeat over both transports (engine.io v4 test suite, "heartbeat"): the server
//! pings every pingInterval, a pong keeps the session, silence closes it after
//! pingTimeout, and sessions whose clients vanished are reaped until the table is
//! empty. Time is tokio's paused clock: it jumps ahead whenever the runtime is idle,
//! so these tests take milliseconds and do not depend on the machine's speed.

mod engine_support;

use std::time::Duration;

use engine_support::*;
use huddle_server::engine::{CloseReason, EngineConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn polling_pings_and_pongs_keep_the_session() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    for _ in 0..3 {
        let start = Instant::now();
        let res = get(server.addr, &q).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.text(), "2");
        // The ping comes one interval after the session opened or after the last pong.
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let res = post(server.addr, &q, b"3").await;
        assert_eq!(res.status, 200);
    }
    assert_eq!(server.engine.session_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn polling_session_closes_after_ping_timeout() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let opened = Instant::now();
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
    // pingInterval + pingTimeout after the handshake.
    assert_eq!(opened.elapsed(), Duration::from_millis(500));
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 400);
}

#[tokio::test(start_paused = true)]
async fn websocket_pings_and_pongs_keep_the_session() {
    let server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let _ = ws_text(&mut ws).await;
    for _ in 0..3 {
        assert_eq!(ws_text(&mut ws).await, "2");
        ws_send(&mut ws, "3").await;
    }
    assert_eq!(server.engine.session_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn websocket_session_closes_after_ping_timeout() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    assert_eq!(ws_text(&mut ws).await, "2");
    // No pong: the close packet, then the close frame.
    assert_eq!(ws_text(&mut ws).await, "1");
    ws_until_closed(&mut ws).await;
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
}

#[tokio::test(start_paused = true)]
async fn other_packets_after_a_ping_also_prove_the_client_alive() {
    let mut server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    assert_eq!(ws_text(&mut ws).await, "2");
    // Instead of a pong, messages: 150 ms after the ping, and again later.
    tokio::time::sleep(Duration::from_millis(150)).await;
    ws_send(&mut ws, "4busy").await;
    assert_eq!(ws_text(&mut ws).await, "4busy");
    tokio::time::sleep(Duration::from_millis(150)).await;
    // 300 ms after the ping: past pingTimeout, but 150 ms after the last packet.
    assert_eq!(server.engine.session_count(), 1);
    // Then silence: closed pingTimeout after the last packet.
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(server.close_reason(&sid).await, CloseReason::PingTimeout);
}

#[tokio::test(start_paused = true)]
async fn abandoned_sessions_are_reaped_until_the_table_is_empty() {
    let mut server = TestServer::start(EngineConfig {
        max_sessions: 100,
        ..test_config()
    })
    .await;
    let mut sids = Vec::new();
    let mut hanging = Vec::new();
    // Polling clients that vanish after the handshake, some with a GET left open.
    for i in 0..40 {
        let sid = server.open_polling().await;
        if i % 2 == 0 {
            let mut conn = TcpStream::connect(server.addr).await.unwrap();
            conn.write_all(&raw_request(
                "GET",
                &server.url(&format!("sid={sid}")),
                &[],
                b"",
                false,
            ))
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
    assert_eq!(server.engine.session_count(), 50);
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.engine.wait_empty())
        .await
        .expect("sessions were not reaped");
    // Within one heartbeat cycle (plus the pending GET's ping round).
    assert!(
        start.elapsed() <= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    let mut closed = 0;
    while closed < sids.len() {
        if let Event::Close(_, reason) = server.event().await {
            assert_eq!(reason, CloseReason::PingTimeout);
            closed += 1;
        }
    }
    assert_eq!(server.engine.session_count(), 0);
}
