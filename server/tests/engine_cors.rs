//! Browser reality: CORS headers for allowed origins (with credentials), preflight,
//! and the Origin check on polling and on WebSocket upgrades.

mod engine_support;

use engine_support::*;
use huddle_server::http::{AllowedOrigins, HttpConfig};

const APP: &str = "https://app.example.com";

async fn server() -> TestServer {
    TestServer::start_with(
        test_config(),
        AllowedOrigins::parse(APP).unwrap(),
        HttpConfig::default(),
    )
    .await
}

#[tokio::test]
async fn allowed_origin_gets_cors_headers_with_credentials() {
    let server = server().await;
    let res = request(
        server.addr,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[("Origin", APP)],
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("vary"), Some("Origin"));
    let sid = sid_of(&res.text());
    let res = request(
        server.addr,
        "POST",
        &server.url(&format!("sid={sid}")),
        &[
            ("Origin", APP),
            ("Content-Type", "text/plain;charset=UTF-8"),
        ],
        b"4hi",
    )
    .await;
    assert_eq!(res.text(), "ok");
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    // Error answers carry them too, so the browser can read the JSON.
    let res = request(
        server.addr,
        "GET",
        "/engine.io/?EIO=4",
        &[("Origin", APP)],
        b"",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn preflight_is_answered_for_allowed_origins() {
    let server = server().await;
    let res = request(
        server.addr,
        "OPTIONS",
        "/engine.io/?EIO=4&transport=polling",
        &[
            ("Origin", APP),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn other_origins_are_forbidden_on_polling_and_preflight() {
    let server = server().await;
    for method in ["GET", "OPTIONS"] {
        let res = request(
            server.addr,
            method,
            "/engine.io/?EIO=4&transport=polling",
            &[("Origin", "https://evil.example.com")],
            b"",
        )
        .await;
        assert_eq!(res.status, 403, "{method}");
        assert_eq!(res.text(), r#"{"code":4,"message":"Forbidden"}"#);
        assert_eq!(res.header("access-control-allow-origin"), None);
    }
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn the_origin_is_checked_on_websocket_upgrades() {
    let server = server().await;
    let err = try_ws_connect(
        &server.ws_url(""),
        &[("Origin", "https://evil.example.com")],
    )
    .await
    .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => {
            assert_eq!(res.status(), 403);
            let body = res.body().as_deref().unwrap_or_default();
            assert_eq!(body, br#"{"code":4,"message":"Forbidden"}"#);
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    // The allowed origin, and a client that sends none (not a browser), get through.
    let mut ws = ws_connect(&server.ws_url(""), &[("Origin", APP)]).await;
    assert!(ws_text(&mut ws).await.starts_with("0{"));
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    assert!(ws_text(&mut ws).await.starts_with("0{"));
    // An upgrade of a polling session is checked the same way.
    let sid = server.open_polling().await;
    let err = try_ws_connect(
        &server.ws_url(&format!("&sid={sid}")),
        &[("Origin", "https://evil.example.com")],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(ref r) if r.status() == 403));
}

#[tokio::test]
async fn any_origin_is_reflected_in_development_mode() {
    let server = TestServer::start(test_config()).await;
    let res = request(
        server.addr,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[("Origin", "http://localhost:5173")],
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    // Requests without Origin get no CORS headers at all.
    let res = get(server.addr, "/engine.io/?EIO=4&transport=polling").await;
    assert_eq!(res.header("access-control-allow-origin"), None);
}
