//! The client side of the chat over Socket.IO v5 / Engine.IO v4, sans-IO: the
//! drivers ([`crate::ws`], [`crate::polling`]) feed it every Engine.IO packet they
//! receive and send the text packets it writes. It uses `huddle-protocol`'s codec in
//! both directions.
//!
//! The conversation, as the standard `socket.io-client` has it with the chat:
//! 1. the server's OPEN (`0{"sid":…}`); the client answers CONNECT with its token,
//!    `40{"token":"…"}` (the handshake's `auth.token`);
//! 2. the server's CONNECT (`40{"sid":…}`) and `auth:success`; a CONNECT_ERROR is a
//!    refused token;
//! 3. `room:join {type:"project", id}` for each room; each is answered by
//!    `room:joined` (then `message:history`) or `room:error`; when every room is
//!    joined the client is ready;
//! 4. `message:send {roomType, roomId, content, type:"text"}` with an ack id; the
//!    ack is `{ok:true, message}` or `{ok:false, error:{code}}`, and every member
//!    of the room, the sender included, gets `message:new {message}`.
//!
//! Heartbeats: the server's PING is answered with PONG.

use bytes::{Bytes, BytesMut};
use huddle_protocol::engine::{self, Data, Handshake};
use huddle_protocol::socketio::{self, PacketType};
use huddle_protocol::{Limits, Str};
use serde::{Deserialize, Serialize};

use crate::marker::Marker;

/// What one received packet meant.
#[derive(Debug, PartialEq)]
pub enum Incoming {
    /// Nothing the driver needs to act on.
    Nothing,
    /// The Engine.IO handshake (the polling driver needs the sid).
    Opened(Handshake),
    /// Connected, authenticated and every room joined.
    Ready,
    /// A `message:new` carrying a marker.
    /// A marked `message:new`, and the size of its Socket.IO packet on the wire in
    /// bytes (the engine.io `4` included).
    Delivered(Marker, usize),
    /// A `message:new` without a marker (not sent by this generator).
    DeliveredUnmarked,
    /// The ack of a `message:send`.
    Ack(AckOutcome),
    /// An `error {message, code}` event.
    ServerError(String),
    /// The server refused the client: CONNECT_ERROR or `room:error`.
    Refused(String),
    /// The server closed the session (Engine.IO CLOSE or Socket.IO DISCONNECT).
    Closed,
}

/// The ack of one `message:send`.
#[derive(Debug, PartialEq)]
pub struct AckOutcome {
    /// The ack id.
    pub id: u64,
    /// `ok: true`.
    pub ok: bool,
    /// The stored message's id, when the ack carries it.
    pub message_id: Option<u64>,
    /// The error code of a refusal.
    pub code: Option<String>,
}

/// A packet the client cannot make sense of.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("undecodable packet: {0}")]
    Protocol(#[from] huddle_protocol::Error),
    #[error("unexpected {0}")]
    Unexpected(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the Engine.IO OPEN.
    Opening,
    /// CONNECT sent, waiting for the server's CONNECT.
    Connecting,
    /// Joins sent; counting `room:joined`.
    Joining,
    /// Every room joined.
    Ready,
}

#[derive(Serialize)]
struct Auth<'a> {
    token: &'a str,
}

#[derive(Serialize)]
struct Join {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Send<'a> {
    room_type: &'static str,
    room_id: u64,
    content: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Deserialize)]
struct AckReply {
    ok: bool,
    message: Option<IdOnly>,
    error: Option<CodeOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: u64,
}

#[derive(Deserialize)]
struct CodeOnly {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEvent {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ConnectError {
    message: Option<String>,
}

/// One client's Socket.IO session.
pub struct Session {
    limits: Limits,
    token: String,
    rooms: Vec<u64>,
    joined: usize,
    stage: Stage,
    next_ack: u64,
    buf: BytesMut,
}

/// Limits for what the generator reads: the servers under test are trusted, and a
/// polling response may hold many packets.
pub fn client_limits() -> Limits {
    Limits {
        max_payload: 64 << 20,
        max_packets_per_payload: 1 << 20,
        ..Limits::default()
    }
}

impl Session {
    /// A session that will authenticate with `token` and join the project `rooms`.
    pub fn new(token: String, rooms: Vec<u64>) -> Self {
        Self {
            limits: client_limits(),
            token,
            rooms,
            joined: 0,
            stage: Stage::Opening,
            next_ack: 0,
            buf: BytesMut::with_capacity(256),
        }
    }

    /// The decoding limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the session is waiting for (for error messages).
    pub fn waiting_for(&self) -> &'static str {
        match self.stage {
            Stage::Opening => "the Engine.IO OPEN",
            Stage::Connecting => "the Socket.IO CONNECT",
            Stage::Joining => "room:joined",
            Stage::Ready => "nothing",
        }
    }

    /// Whether every room is joined.
    pub fn is_ready(&self) -> bool {
        self.stage == Stage::Ready
    }

    /// A received WebSocket text frame or polling record.
    pub fn on_text(&mut self, text: Str, out: &mut Vec<Bytes>) -> Result<Incoming, SessionError> {
        let packet = engine::decode_text(text, &self.limits)?;
        self.on_packet(packet, out)
    }

    /// A received Engine.IO packet; packets to send are pushed on `out`.
    pub fn on_packet(
        &mut self,
        packet: engine::Packet,
        out: &mut Vec<Bytes>,
    ) -> Result<Incoming, SessionError> {
        match packet {
            engine::Packet::Open(handshake) => {
                if self.stage != Stage::Opening {
                    return Err(SessionError::Unexpected("second OPEN"));
                }
                engine::write_message_prefix(&mut self.buf);
                socketio::encode_connect(&mut self.buf, "/", Some(&Auth { token: &self.token }))?;
                out.push(self.buf.split().freeze());
                self.stage = Stage::Connecting;
                Ok(Incoming::Opened(handshake))
            }
            engine::Packet::Ping(data) => {
                let pong = engine::Packet::Pong(data);
                pong.encode(&mut self.buf);
                out.push(self.buf.split().freeze());
                Ok(Incoming::Nothing)
            }
            engine::Packet::Close => Ok(Incoming::Closed),
            engine::Packet::Pong(_) | engine::Packet::Noop | engine::Packet::Upgrade => {
                Ok(Incoming::Nothing)
            }
            engine::Packet::Message(Data::Text(text)) => self.on_socketio(text, out),
            engine::Packet::Message(Data::Binary(_)) => {
                Err(SessionError::Unexpected("binary message"))
            }
        }
    }

    fn on_socketio(&mut self, text: Str, out: &mut Vec<Bytes>) -> Result<Incoming, SessionError> {
        let packet_len = text.len();
        let packet = socketio::decode(text, &self.limits)?;
        match packet.kind {
            PacketType::Event => {
                let name = packet.event_name(&self.limits)?;
                match name.as_str() {
                    "message:new" => {
                        let data = packet.data.as_ref().map_or(&b""[..], |d| d.as_bytes());
                        let wire = packet_len + 1;
                        Ok(match Marker::find_in_json(data) {
                            Some(marker) => Incoming::Delivered(marker, wire),
                            None => Incoming::DeliveredUnmarked,
                        })
                    }
                    "room:joined" => {
                        if self.stage != Stage::Joining {
                            return Err(SessionError::Unexpected("room:joined before CONNECT"));
                        }
                        self.joined += 1;
                        if self.joined == self.rooms.len() {
                            self.stage = Stage::Ready;
                            Ok(Incoming::Ready)
                        } else {
                            Ok(Incoming::Nothing)
                        }
                    }
                    "room:error" => {
                        let e: ErrorEvent = packet.first_arg(&self.limits)?;
                        Ok(Incoming::Refused(format!(
                            "room:error: {}",
                            e.message.unwrap_or_default()
                        )))
                    }
                    "error" => {
                        let e: ErrorEvent = packet.first_arg(&self.limits)?;
                        Ok(Incoming::ServerError(
                            e.code.or(e.message).unwrap_or_else(|| "unknown".into()),
                        ))
                    }
                    // auth:success, message:history, typing and read events.
                    _ => Ok(Incoming::Nothing),
                }
            }
            PacketType::Ack => {
                let id = packet
                    .id
                    .ok_or(SessionError::Unexpected("ack without id"))?;
                let (reply,): (AckReply,) = packet.args(&self.limits)?;
                let code = reply
                    .error
                    .map(|e| e.code.or(e.message).unwrap_or_else(|| "unknown".into()));
                Ok(Incoming::Ack(AckOutcome {
                    id,
                    ok: reply.ok,
                    message_id: reply.message.map(|m| m.id),
                    code,
                }))
            }
            PacketType::Connect => {
                if self.stage != Stage::Connecting {
                    return Err(SessionError::Unexpected("CONNECT"));
                }
                for &id in &self.rooms {
                    engine::write_message_prefix(&mut self.buf);
                    socketio::encode_event(
                        &mut self.buf,
                        "/",
                        "room:join",
                        &Join {
                            kind: "project",
                            id,
                        },
                        None,
                    )?;
                    out.push(self.buf.split().freeze());
                }
                self.stage = Stage::Joining;
                Ok(Incoming::Nothing)
            }
            PacketType::ConnectError => {
                let e: Option<ConnectError> = packet.payload(&self.limits)?;
                Ok(Incoming::Refused(format!(
                    "connect_error: {}",
                    e.and_then(|e| e.message).unwrap_or_default()
                )))
            }
            PacketType::Disconnect => Ok(Incoming::Closed),
            PacketType::BinaryEvent | PacketType::BinaryAck => {
                Err(SessionError::Unexpected("binary packet"))
            }
        }
    }

    /// Writes `message:send` for project `room_id` with an ack id; returns the id.
    pub fn send_message(
        &mut self,
        room_id: u64,
        content: &str,
        out: &mut Vec<Bytes>,
    ) -> Result<u64, SessionError> {
        let id = self.next_ack;
        self.next_ack += 1;
        engine::write_message_prefix(&mut self.buf);
        socketio::encode_event(
            &mut self.buf,
            "/",
            "message:send",
            &Send {
                room_type: "project",
                room_id,
                content,
                kind: "text",
            },
            Some(id),
        )?;
        out.push(self.buf.split().freeze());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut Session, text: &str, out: &mut Vec<Bytes>) -> Incoming {
        s.on_text(Str::from(text.to_owned()), out).unwrap()
    }

    fn texts(out: &mut Vec<Bytes>) -> Vec<String> {
        out.drain(..)
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn connects_authenticates_joins_and_sends() {
        let mut s = Session::new("tok".into(), vec![3, 4]);
        let mut out = Vec::new();
        let open = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert!(matches!(feed(&mut s, open, &mut out), Incoming::Opened(h) if h.sid == "abc"));
        assert_eq!(texts(&mut out), [r#"40{"token":"tok"}"#]);
        assert_eq!(
            feed(&mut s, r#"40{"sid":"x"}"#, &mut out),
            Incoming::Nothing
        );
        assert_eq!(
            texts(&mut out),
            [
                r#"42["room:join",{"type":"project","id":3}]"#,
                r#"42["room:join",{"type":"project","id":4}]"#
            ]
        );
        assert_eq!(
            feed(
                &mut s,
                r#"42["auth:success",{"userId":1,"userRole":"researcher"}]"#,
                &mut out
            ),
            Incoming::Nothing
        );
        let joined = r#"42["room:joined",{"roomType":"project","roomId":3,"memberCount":1}]"#;
        assert_eq!(feed(&mut s, joined, &mut out), Incoming::Nothing);
        assert!(!s.is_ready());
        assert_eq!(feed(&mut s, joined, &mut out), Incoming::Ready);
        assert!(s.is_ready());

        assert_eq!(s.send_message(3, "hi", &mut out).unwrap(), 0);
        assert_eq!(s.send_message(3, "yo", &mut out).unwrap(), 1);
        assert_eq!(
            texts(&mut out),
            [
                r#"420["message:send",{"roomType":"project","roomId":3,"content":"hi","type":"text"}]"#,
                r#"421["message:send",{"roomType":"project","roomId":3,"content":"yo","type":"text"}]"#
            ]
        );
        assert_eq!(
            feed(
                &mut s,
                r#"430[{"ok":true,"message":{"id":77,"content":"hi"}}]"#,
                &mut out
            ),
            Incoming::Ack(AckOutcome {
                id: 0,
                ok: true,
                message_id: Some(77),
                code: None
            })
        );
        assert_eq!(
            feed(
                &mut s,
                r#"431[{"ok":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}]"#,
                &mut out
            ),
            Incoming::Ack(AckOutcome {
                id: 1,
                ok: false,
                message_id: None,
                code: Some("RATE_LIMITED".into())
            })
        );
        let new = r#"42["message:new",{"message":{"id":77,"content":"lg 1 2 3 4 ..","sender":{"id":5}}}]"#;
        assert_eq!(
            feed(&mut s, new, &mut out),
            Incoming::Delivered(
                Marker {
                    run: 1,
                    sender: 2,
                    seq: 3,
                    sent_us: 4
                },
                new.len()
            )
        );
        assert_eq!(
            feed(
                &mut s,
                r#"42["message:new",{"message":{"content":"hello"}}]"#,
                &mut out
            ),
            Incoming::DeliveredUnmarked
        );
        assert_eq!(feed(&mut s, "2", &mut out), Incoming::Nothing);
        assert_eq!(texts(&mut out), ["3"]);
        assert_eq!(
            feed(
                &mut s,
                r#"42["error",{"message":"no","code":"NOT_IN_ROOM"}]"#,
                &mut out
            ),
            Incoming::ServerError("NOT_IN_ROOM".into())
        );
        assert_eq!(feed(&mut s, "1", &mut out), Incoming::Closed);
    }

    #[test]
    fn refusals_are_reported() {
        let mut s = Session::new("bad".into(), vec![1]);
        let mut out = Vec::new();
        feed(
            &mut s,
            r#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
            &mut out,
        );
        assert_eq!(
            feed(
                &mut s,
                r#"44{"message":"invalid token","data":{"code":"AUTH_INVALID"}}"#,
                &mut out
            ),
            Incoming::Refused("connect_error: invalid token".into())
        );
        let mut s = Session::new("ok".into(), vec![9]);
        feed(
            &mut s,
            r#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
            &mut out,
        );
        feed(&mut s, r#"40{"sid":"b"}"#, &mut out);
        assert_eq!(
            feed(
                &mut s,
                r#"42["room:error",{"message":"forbidden","roomType":"project","roomId":9}]"#,
                &mut out
            ),
            Incoming::Refused("room:error: forbidden".into())
        );
    }

    #[test]
    fn out_of_order_packets_are_errors_not_panics() {
        let mut s = Session::new("t".into(), vec![1]);
        let mut out = Vec::new();
        assert!(
            s.on_text(Str::from(r#"40{"sid":"b"}"#.to_owned()), &mut out)
                .is_err()
        );
        assert!(
            s.on_text(Str::from(r#"42["room:joined",{}]"#.to_owned()), &mut out)
                .is_err()
        );
        assert!(s.on_text(Str::from("9".to_owned()), &mut out).is_err());
        assert!(s.on_text(Str::from("43[]".to_owned()), &mut out).is_err());
    }
}
