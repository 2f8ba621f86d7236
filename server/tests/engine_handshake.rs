//! Handshake answers, byte for byte: the open packet over polling and WebSocket, every
//! Engine.IO error code with the reference's JSON body, `/health`, 404, and the path
//! setting (engine.io v4 test suite, "handshake").

mod engine_support;

use engine_support::*;
use huddle_server::engine::EngineConfig;

#[tokio::test]
async fn polling_handshake_answers_the_open_packet() {
    let server = TestServer::start(test_config()).await;
    let res = get(server.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let text = res.text();
    let sid = sid_of(&text);
    assert_eq!(sid.len(), 20);
    assert_eq!(
        text,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":60000,"pingTimeout":50000,"maxPayload":1000000}}"#
        )
    );
    assert_eq!(
        res.header("content-length"),
        Some(text.len().to_string().as_str())
    );
    assert_eq!(server.engine.session_count(), 1);
}

#[tokio::test]
async fn websocket_handshake_sends_the_open_packet_first() {
    let server = TestServer::start(test_config()).await;
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let text = ws_text(&mut ws).await;
    let sid = sid_of(&text);
    assert_eq!(
        text,
        format!(
            r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":60000,"pingTimeout":50000,"maxPayload":1000000}}"#
        )
    );
    ws_send(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
}

async fn assert_error(server: &TestServer, method: &str, target: &str, status: u16, body: &str) {
    let res = request(server.addr, method, target, &[], b"").await;
    assert_eq!(res.status, status, "{method} {target}");
    assert_eq!(
        res.header("content-type"),
        Some("application/json"),
        "{method} {target}"
    );
    assert_eq!(res.text(), body, "{method} {target}");
}

#[tokio::test]
async fn each_error_code_has_the_reference_status_and_body() {
    let server = TestServer::start(test_config()).await;
    let unknown_transport = r#"{"code":0,"message":"Transport unknown"}"#;
    assert_error(&server, "GET", "/engine.io/?EIO=4", 400, unknown_transport).await;
    assert_error(
        &server,
        "GET",
        "/engine.io/?EIO=4&transport=abc",
        400,
        unknown_transport,
    )
    .await;
    assert_error(
        &server,
        "GET",
        "/engine.io/?EIO=4&transport=polling&sid=nope",
        400,
        r#"{"code":1,"message":"Session ID unknown"}"#,
    )
    .await;
    let bad_method = r#"{"code":2,"message":"Bad handshake method"}"#;
    assert_error(
        &server,
        "POST",
        "/engine.io/?EIO=4&transport=polling",
        400,
        bad_method,
    )
    .await;
    assert_error(
        &server,
        "PUT",
        "/engine.io/?EIO=4&transport=polling",
        400,
        bad_method,
    )
    .await;
    // transport=websocket on a plain GET (no upgrade headers)
    assert_error(
        &server,
        "GET",
        "/engine.io/?EIO=4&transport=websocket",
        400,
        r#"{"code":3,"message":"Bad request"}"#,
    )
    .await;
    let version = r#"{"code":5,"message":"Unsupported protocol version"}"#;
    assert_error(
        &server,
        "GET",
        "/engine.io/?transport=polling",
        400,
        version,
    )
    .await;
    assert_error(
        &server,
        "GET",
        "/engine.io/?EIO=abc&transport=polling",
        400,
        version,
    )
    .await;
    assert_error(
        &server,
        "GET",
        "/engine.io/?EIO=3&transport=polling",
        400,
        version,
    )
    .await;
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn websocket_handshake_errors_refuse_the_upgrade() {
    let server = TestServer::start(test_config()).await;
    let base = format!("ws://{}/engine.io/", server.addr);
    for query in [
        "?transport=websocket",
        "?EIO=abc&transport=websocket",
        "?EIO=4",
        "?EIO=4&transport=abc",
    ] {
        let err = try_ws_connect(&format!("{base}{query}"), &[])
            .await
            .unwrap_err();
        match err {
            tokio_tungstenite::tungstenite::Error::Http(res) => {
                assert_eq!(res.status(), 400, "{query}");
            }
            other => panic!("{query}: expected an HTTP refusal, got {other:?}"),
        }
    }
    // An upgrade with an unknown sid is code 1.
    let res = request(
        server.addr,
        "GET",
        "/engine.io/?EIO=4&transport=websocket&sid=nope",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
}

#[tokio::test]
async fn raw_websocket_upgrade_answers_101_with_the_accept_key() {
    let server = TestServer::start(test_config()).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let req = raw_request(
        "GET",
        "/engine.io/?EIO=4&transport=websocket",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
        false,
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, &req)
        .await
        .unwrap();
    let res = read_response(&mut stream).await;
    assert_eq!(res.status, 101);
    // RFC 6455's own example key and answer.
    assert_eq!(
        res.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(res.header("upgrade"), Some("websocket"));
    // Missing version: not a WebSocket handshake we accept.
    let res = request(
        server.addr,
        "GET",
        "/engine.io/?EIO=4&transport=websocket",
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "x"),
        ],
        b"",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":3,"message":"Bad request"}"#);
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let server = TestServer::start(test_config()).await;
    let res = get(server.addr, "/health").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), r#"{"status":"ok"}"#);
    let res = get(server.addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 404);
    // The path without its trailing slash is the same endpoint.
    let res = get(server.addr, "/engine.io?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("0{"));
}

#[tokio::test]
async fn a_prefixed_path_serves_behind_a_reverse_proxy() {
    let server = TestServer::start(EngineConfig {
        path: "/chat/socket.io".into(),
        ..test_config()
    })
    .await;
    assert_eq!(server.engine.config().path, "/chat/socket.io/");
    let res = get(server.addr, "/chat/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("0{"));
    let res = get(server.addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 404);
}
