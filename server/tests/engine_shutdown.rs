//! Graceful shutdown: sessions are closed at the Engine.IO level (close packet /
//! WebSocket close, never a Socket.IO DISCONNECT, so clients reconnect elsewhere),
//! new connections are refused, and the process exits 0 on SIGTERM. Also the
//! binary's start-up line and its one-line refusal of bad settings.

mod engine_support;

use std::process::Stdio;
use std::time::Duration;

use engine_support::*;
use huddle_server::engine::CloseReason;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

#[tokio::test]
async fn shutdown_closes_every_session_with_an_engine_close() {
    let mut server = TestServer::start(test_config()).await;
    // A polling session with a GET waiting.
    let polling = server.open_polling().await;
    let mut pending = TcpStream::connect(server.addr).await.unwrap();
    pending
        .write_all(&raw_request(
            "GET",
            &server.url(&format!("sid={polling}")),
            &[],
            b"",
            true,
        ))
        .await
        .unwrap();
    // A WebSocket session, with a frame still queued for it.
    let mut ws = ws_connect(&server.ws_url(""), &[]).await;
    let websocket = sid_of(&ws_text(&mut ws).await);
    // Make sure the GET is parked before shutting down: an echo through it.
    let res = post(
        server.addr,
        &server.url(&format!("sid={polling}")),
        b"4parked",
    )
    .await;
    assert_eq!(res.text(), "ok");
    let echoed = read_response(&mut pending).await;
    assert_eq!(echoed.text(), "4parked");
    let mut pending = TcpStream::connect(server.addr).await.unwrap();
    pending
        .write_all(&raw_request(
            "GET",
            &server.url(&format!("sid={polling}")),
            &[],
            b"",
            true,
        ))
        .await
        .unwrap();
    ws_send(&mut ws, "4sync").await;
    assert_eq!(ws_text(&mut ws).await, "4sync");
    server.wait_parked(1).await;

    server.shutdown.cancel();

    let res = read_response(&mut pending).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "1");
    assert_eq!(ws_text(&mut ws).await, "1");
    assert_eq!(ws_until_closed(&mut ws).await, Some(1000));
    tokio::time::timeout(LIMIT, &mut server.task)
        .await
        .expect("server did not stop in time")
        .unwrap();
    let mut closed = Vec::new();
    while closed.len() < 2 {
        if let Event::Close(sid, reason) = server.event().await {
            assert_eq!(reason, CloseReason::ServerShutdown);
            closed.push(sid);
        }
    }
    closed.sort();
    let mut expected = vec![polling, websocket];
    expected.sort();
    assert_eq!(closed, expected);
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn a_session_without_a_pending_get_does_not_hold_up_shutdown() {
    let mut server = TestServer::start(test_config()).await;
    let sid = server.open_polling().await;
    server.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(2), &mut server.task)
        .await
        .expect("server did not stop in time")
        .unwrap();
    assert_eq!(server.close_reason(&sid).await, CloseReason::ServerShutdown);
}

fn huddle() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huddle"));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn the_binary_exits_0_on_sigterm_after_closing_sessions() {
    let mut child = huddle()
        .args(["conformance", "--addr", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(LIMIT, lines.next_line())
        .await
        .expect("no start-up line")
        .unwrap()
        .expect("stdout closed");
    let url = line
        .strip_prefix("huddle listening on http://")
        .unwrap_or_else(|| panic!("unexpected start-up line {line:?}"));
    let addr: std::net::SocketAddr = url.parse().unwrap();
    assert_ne!(addr.port(), 0);

    // The raw Engine.IO echo endpoint of conformance mode.
    let mut ws = ws_connect(
        &format!("ws://{addr}/engine.io/?EIO=4&transport=websocket"),
        &[],
    )
    .await;
    let open = ws_text(&mut ws).await;
    assert!(
        open.contains(r#""pingInterval":300,"pingTimeout":200,"maxPayload":1000000"#),
        "{open}"
    );
    ws_send(&mut ws, "4echo").await;
    assert_eq!(ws_text(&mut ws).await, "4echo");
    // The Socket.IO endpoint answers a handshake too.
    let res = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("0{"));

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    // Engine.IO close, not a Socket.IO DISCONNECT.
    assert_eq!(ws_text(&mut ws).await, "1");
    ws_until_closed(&mut ws).await;
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("the server did not exit in time")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn bad_settings_stop_start_up_with_one_line_naming_the_setting() {
    for (args, setting) in [
        (vec!["--max-sessions", "0"], "max-sessions"),
        (vec!["--cors-origins", "example.com"], "cors-origins"),
        (vec!["conformance", "--path", "no-slash"], "path"),
        (vec!["--ping-interval-ms", "0"], "ping-interval-ms"),
    ] {
        let out = huddle().args(&args).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(setting), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    // A value clap cannot parse names the flag on its first line.
    let out = huddle().args(["--addr", "nowhere"]).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.lines().next().unwrap().contains("--addr"),
        "{stderr}"
    );
}
