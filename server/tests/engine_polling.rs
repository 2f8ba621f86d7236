//! HTTP long-polling, byte for byte (engine.io v4 test suite, "message / HTTP
//! long-polling" and "close / HTTP long-polling"): payloads joined by 0x1e, binary as
//! `b`+base64, `ok` for a POST, overlapping and cancelled GETs, malformed and
//! oversized bodies.

mod engine_support;

use engine_support::*;
use huddle_server::engine::{CloseReason, Data, EngineConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn one_text_packet_round_trip() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let res = post(server.addr, &server.url(&format!("sid={sid}")), b"4hello").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "ok");
    assert_eq!(res.header("content-type"), Some("text/html"));
    let res = get(server.addr, &server.url(&format!("sid={sid}"))).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.text(), "4hello");
}

#[tokio::test]
async fn several_packets_are_joined_by_the_record_separator() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let res = post(server.addr, &q, b"4test1\x1e4test2\x1e4test3").await;
    assert_eq!(res.text(), "ok");
    let res = get(server.addr, &q).await;
    assert_eq!(res.body, b"4test1\x1e4test2\x1e4test3");
}

#[tokio::test]
async fn binary_packets_travel_as_base64() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let res = post(server.addr, &q, b"4hello\x1ebAQIDBA==").await;
    assert_eq!(res.text(), "ok");
    let res = get(server.addr, &q).await;
    assert_eq!(res.body, b"4hello\x1ebAQIDBA==");
    // The handler saw the binary message decoded.
    assert!(matches!(server.event().await, Event::Open(_)));
    assert!(matches!(server.event().await, Event::Message(_, Data::Text(t)) if t == "hello"));
    assert_eq!(
        server.event().await,
        Event::Message(sid.clone(), Data::Binary(vec![1u8, 2, 3, 4].into()))
    );
}

#[tokio::test]
async fn a_get_waits_until_there_is_something_to_send() {
    let server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let addr = server.addr;
    let q2 = q.clone();
    let pending = tokio::spawn(async move { get(addr, &q2).await });
    // The GET is parked in the session; a POST makes the echo answer it.
    let res = post(server.addr, &q, b"4ping-pong").await;
    assert_eq!(res.text(), "ok");
    let res = pending.await.unwrap();
    assert_eq!(res.text(), "4ping-pong");
}

#[tokio::test]
async fn a_malformed_body_closes_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let res = post(server.addr, &q, b"abc").await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":3,"message":"Bad request"}"#);
    assert_eq!(server.close_reason(&sid).await, CloseReason::ParseError);
    let res = get(server.addr, &q).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn a_second_concurrent_get_closes_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let (addr, q1) = (server.addr, q.clone());
    // Send the first GET and make sure the session holds it before the second.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(&raw_request("GET", &q1, &[], b"", true))
        .await
        .unwrap();
    server.wait_parked(1).await;
    let second = get(addr, &format!("{q}&t=burst")).await;
    assert_eq!(second.status, 400);
    let first = read_response(&mut first).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), "1");
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
    assert_eq!(get(addr, &q).await.status, 400);
}

#[tokio::test]
async fn a_cancelled_get_closes_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(&raw_request("GET", &q, &[], b"", true))
        .await
        .unwrap();
    server.wait_parked(1).await;
    drop(conn);
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
    assert_eq!(get(server.addr, &q).await.status, 400);
}

#[tokio::test]
async fn a_close_packet_releases_the_pending_get_with_a_noop() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(&raw_request("GET", &q, &[], b"", true))
        .await
        .unwrap();
    server.wait_parked(1).await;
    let res = post(server.addr, &q, b"1").await;
    assert_eq!(res.text(), "ok");
    let pending = read_response(&mut conn).await;
    assert_eq!(pending.status, 200);
    assert_eq!(pending.text(), "6");
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportClose);
    assert_eq!(get(server.addr, &q).await.status, 400);
}

#[tokio::test]
async fn a_body_over_max_payload_is_refused_with_413() {
    let mut server = TestServer::start(EngineConfig {
        max_payload: 1000,
        ..test_config()
    })
    .await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    // Exactly at the limit: accepted.
    let mut body = b"4".to_vec();
    body.resize(1000, b'x');
    let res = post(server.addr, &q, &body).await;
    assert_eq!(res.status, 200);
    let res = get(server.addr, &q).await;
    assert_eq!(res.body, body);
    // One byte over: 413, as the reference; the session is left to the client.
    body.push(b'x');
    let res = post(server.addr, &q, &body).await;
    assert_eq!(res.status, 413);
    assert!(server.engine.session(&sid).is_some());
    // A chunked body (no Content-Length) over the limit is refused the same way.
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'4'; 600];
    for _ in 0..2 {
        conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        conn.write_all(&chunk).await.unwrap();
        conn.write_all(b"\r\n").await.unwrap();
    }
    conn.write_all(b"0\r\n\r\n").await.unwrap();
    let res = read_response(&mut conn).await;
    assert_eq!(res.status, 413);
    // Nothing of the refused bodies was delivered.
    assert!(matches!(server.event().await, Event::Open(_)));
    assert!(matches!(server.event().await, Event::Message(_, Data::Text(t)) if t.len() == 999));
    // When the client abandons the transport (its pending GET ends), the session closes
    // with the reason the client reports too.
    let mut pending = TcpStream::connect(server.addr).await.unwrap();
    pending
        .write_all(&raw_request("GET", &q, &[], b"", true))
        .await
        .unwrap();
    // An echo through the session proves the GET is parked before it is dropped.
    assert_eq!(post(server.addr, &q, b"4x").await.text(), "ok");
    assert_eq!(read_response(&mut pending).await.text(), "4x");
    let mut pending = TcpStream::connect(server.addr).await.unwrap();
    pending
        .write_all(&raw_request("GET", &q, &[], b"", true))
        .await
        .unwrap();
    server.wait_parked(1).await;
    drop(pending);
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
}

#[tokio::test]
async fn a_binary_content_type_is_refused_and_closes_the_session() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let res = request(
        server.addr,
        "POST",
        &q,
        &[("Content-Type", "application/octet-stream")],
        b"\x01\x02",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(server.close_reason(&sid).await, CloseReason::TransportError);
}

#[tokio::test]
async fn polling_requests_on_an_unknown_or_closed_session_get_code_1() {
    let server = TestServer::start(test_config()).await;
    let res = post(server.addr, &server.url("sid=unknown"), b"4x").await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn an_application_close_flushes_queued_frames_then_sends_the_close_packet() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    let q = server.url(&format!("sid={sid}"));
    let session = server.engine.session(&sid).unwrap();
    session.send(text_frame("4last")).unwrap();
    session.close(CloseReason::ForcedClose);
    assert!(!session.is_open());
    let res = get(server.addr, &q).await;
    assert_eq!(res.body, b"4last\x1e1");
    assert_eq!(server.close_reason(&sid).await, CloseReason::ForcedClose);
    assert_eq!(
        session.send(text_frame("4late")),
        Err(huddle_server::engine::SendError::Closed)
    );
    // The close event comes after the table removal.
    assert_eq!(server.engine.session_count(), 0);
}
