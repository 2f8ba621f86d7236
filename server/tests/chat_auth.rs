//! The handshake (issue 4 item 3): a valid JWT gets `auth:success {userId, userRole}`; every
//! refusal is a CONNECT_ERROR `{message, data: {code}}` with the documented code.

mod chat_support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chat_support::*;
use serde_json::{Value, json};

use huddle_server::chat::auth::JwtSigner;
use huddle_server::chat::clock::{Clock, SharedClock};

/// The CONNECT_ERROR of a refused handshake: `(message, code)`.
fn refusal(answer: &str) -> (String, String) {
    let json = answer
        .strip_prefix("44")
        .unwrap_or_else(|| panic!("expected CONNECT_ERROR, got {answer}"));
    let v: Value = serde_json::from_str(json).expect("CONNECT_ERROR JSON");
    let message = v["message"].as_str().expect("message").to_owned();
    assert!(!message.is_empty());
    (
        message,
        v["data"]["code"].as_str().expect("data.code").to_owned(),
    )
}

#[tokio::test]
async fn a_valid_token_gets_auth_success_with_user_and_role() {
    let server = start().await;
    for (user, role) in [
        (1, "manager"),
        (2, "manager"),
        (3, "researcher"),
        (5, "researcher"),
    ] {
        let auth = json!({ "token": server.token(user) }).to_string();
        let (ws, answer) = server.connect_raw(Some(&auth)).await;
        assert!(answer.starts_with("40{\"sid\":"), "{answer}");
        let mut client = Client::new(ws, user);
        let success = client.event("auth:success").await;
        assert_eq!(success, json!({ "userId": user, "userRole": role }));
        client.close().await;
    }
}

#[tokio::test]
async fn the_token_may_come_in_an_authorization_header() {
    let server = start().await;
    let bearer = format!("Bearer {}", server.token(4));
    let mut ws = Ws::open(server.addr, Some(&bearer)).await;
    ws.send("40").await;
    let answer = ws.recv_text().await;
    assert!(answer.starts_with("40{\"sid\":"), "{answer}");
    let mut client = Client::new(ws, 4);
    assert_eq!(client.event("auth:success").await["userId"], 4);
}

fn forged(header: Value, claims: Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let server = start().await;
    let clock: SharedClock = server.clock.clone();
    let signer = JwtSigner::hs256(SECRET).unwrap();
    let exp = (server.clock.now() + chrono::Duration::hours(1)).timestamp();
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no auth at all", None, "AUTH_REQUIRED"),
        ("empty auth", Some("{}".into()), "AUTH_REQUIRED"),
        ("empty token", Some(json!({"token": ""}).to_string()), "AUTH_REQUIRED"),
        ("not a string", Some(json!({"token": 12}).to_string()), "AUTH_REQUIRED"),
        ("garbage", Some(json!({"token": "abc.def"}).to_string()), "AUTH_INVALID"),
        (
            "wrong secret",
            Some(
                json!({"token": JwtSigner::hs256(b"other").unwrap().mint(1, chrono::Duration::hours(1), &clock)})
                    .to_string(),
            ),
            "AUTH_INVALID",
        ),
        (
            "alg none",
            Some(json!({"token": forged(json!({"alg": "none"}), json!({"sub": "1", "exp": exp}))}).to_string()),
            "AUTH_INVALID",
        ),
        (
            "expired",
            Some(json!({"token": signer.mint(1, chrono::Duration::seconds(-1), &clock)}).to_string()),
            "AUTH_EXPIRED",
        ),
        (
            "unknown user",
            Some(json!({"token": signer.mint(99, chrono::Duration::hours(1), &clock)}).to_string()),
            "USER_NOT_FOUND",
        ),
    ];
    for (name, auth, code) in cases {
        let (ws, answer) = server.connect_raw(auth.as_deref()).await;
        let (message, got) = refusal(&answer);
        assert_eq!(got, code, "{name}: {message}");
        ws.close().await;
    }
    assert_eq!(
        server.io.socket_count("/"),
        0,
        "no refused socket connected"
    );
}

#[tokio::test]
async fn a_token_expires_on_the_server_clock() {
    let server = start().await;
    let token = server.token(3);
    server.clock.advance(chrono::Duration::hours(2));
    let (_, answer) = server
        .connect_raw(Some(&json!({ "token": token }).to_string()))
        .await;
    assert_eq!(refusal(&answer).1, "AUTH_EXPIRED");
}
