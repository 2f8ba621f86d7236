//! Engine.IO v4 packet model: the seven packet types, message data, and the open
//! packet's handshake (engine.io-protocol v4, "Protocol" and "Handshake").

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::Str;

/// The Engine.IO packet type, sent as one ASCII digit before the packet data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: sent by the server with the handshake when a session opens.
    Open = 0,
    /// `1`: a transport can be closed.
    Close = 1,
    /// `2`: heartbeat request (server to client), or upgrade probe (`2probe`, client to server).
    Ping = 2,
    /// `3`: heartbeat answer, or probe answer (`3probe`).
    Pong = 3,
    /// `4`: application data (the socket.io layer rides on these).
    Message = 4,
    /// `5`: the client completes the upgrade to WebSocket.
    Upgrade = 5,
    /// `6`: no operation, used to end a pending long-polling request during an upgrade.
    Noop = 6,
}

impl PacketType {
    /// The type for an ASCII digit `'0'..='6'`.
    #[inline]
    pub const fn from_ascii(byte: u8) -> Option<Self> {
        Some(match byte {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }

    /// The ASCII digit that encodes this type.
    #[inline]
    pub const fn as_ascii(self) -> u8 {
        b'0' + self as u8
    }
}

/// Data of a `message` packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Text (a WebSocket text frame, or a plain polling record after the type byte).
    Text(Str),
    /// Binary (a WebSocket binary frame as is, or a `b`+base64 polling record decoded).
    Binary(Bytes),
}

/// The open packet's JSON payload, serialised exactly as the reference server does:
/// `{"sid":"…","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The session id the client sends back in `sid=` on every later request.
    pub sid: String,
    /// Transports the client may upgrade to (`["websocket"]` over polling, `[]` over WebSocket).
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong (and the client adds to the interval).
    pub ping_timeout: u64,
    /// Largest polling body, in bytes, the client may send.
    pub max_payload: u64,
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0{handshake}`.
    Open(Handshake),
    /// `1`.
    Close,
    /// `2` with optional data (`2probe` during an upgrade; empty for a heartbeat).
    Ping(Str),
    /// `3` with optional data (`3probe` answers `2probe`).
    Pong(Str),
    /// `4<text>`, a WebSocket binary frame, or a `b<base64>` polling record.
    Message(Data),
    /// `5`.
    Upgrade,
    /// `6`.
    Noop,
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Open(_) => PacketType::Open,
            Packet::Close => PacketType::Close,
            Packet::Ping(_) => PacketType::Ping,
            Packet::Pong(_) => PacketType::Pong,
            Packet::Message(_) => PacketType::Message,
            Packet::Upgrade => PacketType::Upgrade,
            Packet::Noop => PacketType::Noop,
        }
    }

    /// A text message packet.
    pub fn text(text: impl Into<Str>) -> Self {
        Packet::Message(Data::Text(text.into()))
    }

    /// A binary message packet.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Packet::Message(Data::Binary(data.into()))
    }
}
