//! Rooms and broadcasts: join, leave, broadcast with and without the sender, room
//! listings from the application's per-socket state, fan-out to many clients (each
//! receives a broadcast exactly once), and a recipient whose queue overflows.

mod socketio_common;

use std::collections::HashSet;
use std::time::Duration;

use huddle_server::engine::EngineConfig;
use huddle_server::socketio::{ConnectError, SocketIo, SocketIoConfig};
use socketio_common::*;

/// A conformance session connected to `/` that joined `room` (ack id 1).
async fn member(server: &TestServer, room: &str) -> Ws {
    let mut ws = server.ws_connected().await;
    ws.expect(r#"42["auth",{}]"#).await;
    ws.send(&format!(r#"421["join","{room}"]"#)).await;
    ws.expect(r#"431[{"ok":true}]"#).await;
    ws
}

/// Proves nothing else was queued for `ws`: its next message answers a fresh echo.
async fn nothing_pending(ws: &mut Ws) {
    ws.send(r#"42["message","probe"]"#).await;
    ws.expect(r#"42["message-back","probe"]"#).await;
}

#[tokio::test]
async fn broadcast_reaches_every_member_sender_included_and_nobody_else() {
    let server = conformance().await;
    let mut a = member(&server, "r").await;
    let mut b = member(&server, "r").await;
    let mut outsider = member(&server, "other").await;
    a.send(r#"422["broadcast","r",{"hi":1}]"#).await;
    a.expect(r#"42["broadcast",{"hi":1}]"#).await;
    a.expect(r#"432[{"ok":true}]"#).await;
    b.expect(r#"42["broadcast",{"hi":1}]"#).await;
    nothing_pending(&mut outsider).await;
    nothing_pending(&mut b).await;
}

#[tokio::test]
async fn broadcast_to_others_leaves_the_sender_out() {
    let server = conformance().await;
    let mut a = member(&server, "r").await;
    let mut b = member(&server, "r").await;
    a.send(r#"422["broadcast-others","r","psst"]"#).await;
    a.expect(r#"432[{"ok":true}]"#).await;
    b.expect(r#"42["broadcast","psst"]"#).await;
    nothing_pending(&mut a).await;
}

#[tokio::test]
async fn binary_broadcast_sends_the_attachments_to_each_member() {
    let server = conformance().await;
    let mut a = member(&server, "r").await;
    let mut b = member(&server, "r").await;
    a.send(r#"451-2["broadcast","r",{"_placeholder":true,"num":0}]"#)
        .await;
    a.send_binary(&[1, 2]).await;
    for ws in [&mut a, &mut b] {
        ws.expect(r#"451-["broadcast",{"_placeholder":true,"num":0}]"#)
            .await;
        ws.expect_binary(&[1, 2]).await;
    }
    a.expect(r#"432[{"ok":true}]"#).await;
}

#[tokio::test]
async fn leave_stops_broadcasts_and_room_size_follows_membership() {
    let server = conformance().await;
    let mut a = member(&server, "r").await;
    let mut b = member(&server, "r").await;
    a.send(r#"423["room-size","r"]"#).await;
    a.expect("433[2]").await;
    b.send(r#"422["leave","r"]"#).await;
    b.expect(r#"432[{"ok":true}]"#).await;
    a.send(r#"424["room-size","r"]"#).await;
    a.expect("434[1]").await;
    a.send(r#"425["broadcast","r","only a"]"#).await;
    a.expect(r#"42["broadcast","only a"]"#).await;
    a.expect(r#"435[{"ok":true}]"#).await;
    nothing_pending(&mut b).await;
}

#[tokio::test]
async fn a_vanished_client_leaves_its_rooms() {
    let server = conformance().await;
    let mut a = member(&server, "r").await;
    let b = member(&server, "r").await;
    b.close().await;
    let mut size = String::new();
    for attempt in 0..200 {
        a.send(&format!(r#"42{}["room-size","r"]"#, 100 + attempt))
            .await;
        size = a.recv_text().await;
        if size == format!("43{}[1]", 100 + attempt) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(size.ends_with("[1]"), "room size stayed {size}");
}

#[tokio::test]
async fn fan_out_to_many_clients_delivers_each_broadcast_exactly_once() {
    let server = conformance().await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        clients.push(member(&server, "crowd").await);
    }
    let mut sender = member(&server, "crowd").await;
    for n in 0..3 {
        sender
            .send(&format!(r#"42{}["broadcast-others","crowd",{n}]"#, 10 + n))
            .await;
        sender
            .expect(&format!(r#"43{}[{{"ok":true}}]"#, 10 + n))
            .await;
    }
    for ws in &mut clients {
        for n in 0..3 {
            ws.expect(&format!(r#"42["broadcast",{n}]"#)).await;
        }
        nothing_pending(ws).await;
    }
}

#[derive(Debug)]
struct User {
    id: u64,
}

/// The chat's use: memberCount = distinct users in a room, read from socket state.
#[tokio::test]
async fn room_members_are_listed_with_their_state() {
    let io = SocketIo::new(SocketIoConfig::default());
    let root = io
        .namespace("/", |req| async move {
            let id = req
                .auth()
                .get("user")
                .and_then(|u| u.as_u64())
                .ok_or_else(|| ConnectError::new("no user"))?;
            Ok(User { id })
        })
        .unwrap();
    root.on("join", |socket, event, ack| async move {
        let room: String = event.first_arg().unwrap();
        assert!(socket.join(&room));
        let users: HashSet<u64> = socket
            .namespace_handle()
            .room_sockets(&room)
            .iter()
            .map(|s| s.state().id)
            .collect();
        let mut rooms = socket.rooms();
        rooms.sort();
        let mut expected = vec![room.clone(), socket.id().to_owned()];
        expected.sort();
        assert_eq!(rooms, expected);
        assert!(socket.in_room(&room));
        if let Some(ack) = ack {
            let _ = ack.send(&serde_json::json!({
                "memberCount": users.len(),
                "sockets": socket.namespace_handle().room_size(&room),
            }));
        }
    });
    let server = serve(io, engine_config()).await;
    let mut answers = Vec::new();
    let mut clients = Vec::new();
    // User 1 twice (two tabs), user 2 once.
    for user in [1, 1, 2] {
        let mut ws = server.ws().await;
        ws.connect_ns("/", Some(&format!(r#"{{"user":{user}}}"#)))
            .await;
        ws.send(r#"421["join","project:1"]"#).await;
        answers.push(ws.recv_text().await);
        clients.push(ws);
    }
    assert_eq!(
        answers,
        vec![
            r#"431[{"memberCount":1,"sockets":1}]"#,
            r#"431[{"memberCount":1,"sockets":2}]"#,
            r#"431[{"memberCount":2,"sockets":3}]"#,
        ]
    );
}

#[tokio::test]
async fn namespace_broadcasts_and_except() {
    let io = SocketIo::new(SocketIoConfig::default());
    let ns = io.of("/").unwrap();
    ns.on("join", |socket, event, ack| async move {
        let room: String = event.first_arg().unwrap();
        socket.join(&room);
        if let Some(ack) = ack {
            let _ = ack.send(&());
        }
    });
    let server = serve(io, engine_config()).await;
    let mut a = server.ws_connected().await;
    let mut b = server.ws_connected().await;
    a.send(r#"421["join","muted"]"#).await;
    a.expect("431[]").await;
    b.send(r#"421["join","loud"]"#).await;
    b.expect("431[]").await;
    assert_eq!(ns.sockets().len(), 2);
    // Everyone but the muted room.
    assert_eq!(ns.except("muted").emit("news", &1).unwrap(), 1);
    b.expect(r#"42["news",1]"#).await;
    // The whole namespace.
    assert_eq!(ns.emit("all", &()).unwrap(), 2);
    a.expect(r#"42["all"]"#).await;
    b.expect(r#"42["all"]"#).await;
    // Several rooms: each member once, even one in both.
    let a_socket = ns
        .sockets()
        .into_iter()
        .find(|s| s.in_room("muted"))
        .unwrap();
    assert!(a_socket.join("loud"));
    assert_eq!(ns.to("muted").to("loud").emit("both", &()).unwrap(), 2);
    a.expect(r#"42["both"]"#).await;
    b.expect(r#"42["both"]"#).await;
    // A socket id is a room too.
    assert_eq!(ns.to(a_socket.id()).emit("direct", &()).unwrap(), 1);
    a.expect(r#"42["direct"]"#).await;
    assert!(ns.socket(a_socket.id()).is_some());
    let mut rooms = ns.rooms();
    rooms.retain(|r| r == "muted" || r == "loud");
    rooms.sort();
    assert_eq!(rooms, vec!["loud", "muted"]);
}

/// A member that does not read (a polling client that never GETs) overflows its
/// bounded queue and is closed; the broadcast goes on to the others.
#[tokio::test]
async fn a_recipient_whose_queue_overflows_is_closed_and_the_others_still_receive() {
    let engine = EngineConfig {
        outbound_queue_capacity: 8,
        ..engine_config()
    };
    let server = conformance_with(SocketIoConfig::default(), engine).await;
    let mut reader = member(&server, "r").await;

    let slow = Polling::open(server.addr).await;
    assert_eq!(slow.post("40\u{1e}421[\"join\",\"r\"]").await, 200);
    // Take the CONNECT answer, the auth packet and the join ack, then stop reading.
    let records = slow.get_records(3).await;
    assert_eq!(records[1], r#"42["auth",{}]"#);
    assert_eq!(records[2], r#"431[{"ok":true}]"#);
    assert_eq!(server.io.session_count(), 2);

    for n in 0..20 {
        reader
            .send(&format!(r#"42{}["broadcast-others","r",{n}]"#, 100 + n))
            .await;
        reader
            .expect(&format!(r#"43{}[{{"ok":true}}]"#, 100 + n))
            .await;
    }
    eventually("the slow session is closed", || {
        server.io.session_count() == 1
    })
    .await;

    // The reader is unaffected.
    reader.send(r#"42["message","still here"]"#).await;
    reader.expect(r#"42["message-back","still here"]"#).await;
}
