//! Limits that protect the server: the cap on sessions, the bounded outbound queue
//! (a slow consumer is disconnected, memory does not grow), and the cap on
//! connections.

mod engine_support;

use std::time::Duration;

use engine_support::*;
use huddle_server::engine::{CloseReason, EngineConfig, SendError};
use huddle_server::http::{AllowedOrigins, HttpConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn handshakes_over_the_session_cap_are_refused() {
    let server = TestServer::start(EngineConfig {
        max_sessions: 2,
        ..test_config()
    })
    .await;
    server.open_polling().await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let _ = ws_text(&mut ws).await;
    let res = get(server.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 503);
    assert_eq!(
        res.text(),
        r#"{"code":4,"message":"Session limit reached"}"#
    );
    let err = try_ws_connect(&server.ws_url(""), &[]).await.unwrap_err();
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(ref r) if r.status() == 503));
    assert_eq!(server.engine.session_count(), 2);
    // A slot freed is a slot available again.
    ws_send(&mut ws, "1").await;
    tokio::time::timeout(LIMIT, async {
        while server.engine.session_count() > 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(
        get(server.addr, "/engine.io/?EIO=4&transport=polling")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_full_outbound_queue_closes_a_polling_session() {
    let mut server = TestServer::start(EngineConfig {
        outbound_queue_capacity: 8,
        ..test_config()
    })
    .await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    // Eight frames fit; the client does not poll.
    assert_eq!(post(server.addr, &q, b"4flood:8").await.text(), "ok");
    assert_eq!(server.engine.session_count(), 1);
    // The ninth overflows: the session is closed, its queue freed.
    let session = server.engine.session(&sid).unwrap();
    assert_eq!(
        session.send(text_frame("4one-too-many")),
        Err(SendError::QueueFull { capacity: 8 })
    );
    assert!(!session.is_open());
    assert_eq!(
        server.close_reason(&sid).await,
        CloseReason::OutboundOverflow
    );
    assert_eq!(get(server.addr, &q).await.status, 400);
}

#[tokio::test]
async fn a_websocket_client_that_does_not_read_is_disconnected() {
    let mut server = TestServer::start(EngineConfig {
        outbound_queue_capacity: 64,
        ..test_config()
    })
    .await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let sid = sid_of(&ws_text(&mut ws).await);
    let session = server.engine.session(&sid).unwrap();
    // 64 KiB frames to a client that never reads: socket buffers fill up, then the
    // queue, then the session is closed instead of buffering without bound.
    let big = text_frame(&format!("4{}", "x".repeat(64 * 1024)));
    let mut overflowed = false;
    for _ in 0..100_000 {
        match session.send(big.clone()) {
            Ok(()) => tokio::task::yield_now().await,
            Err(SendError::QueueFull { capacity }) => {
                assert_eq!(capacity, 64);
                overflowed = true;
                break;
            }
            Err(SendError::Closed) => break,
        }
    }
    assert!(overflowed, "the queue never filled up");
    assert_eq!(
        server.close_reason(&sid).await,
        CloseReason::OutboundOverflow
    );
    drop(ws);
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let server = TestServer::start_with(
        test_config(),
        AllowedOrigins::Any,
        HttpConfig {
            max_connections: 1,
            ..HttpConfig::default()
        },
    )
    .await;
    // The only slot, held by an idle keep-alive connection.
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    first
        .write_all(&raw_request("GET", "/health", &[], b"", false))
        .await
        .unwrap();
    assert_eq!(read_response(&mut first).await.status, 200);
    // A second connection is not served while the first is open...
    let addr = server.addr;
    let second = tokio::spawn(async move { get(addr, "/health").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!second.is_finished());
    // ...and is as soon as it closes.
    drop(first);
    let res = tokio::time::timeout(LIMIT, second).await.unwrap().unwrap();
    assert_eq!(res.status, 200);
}
