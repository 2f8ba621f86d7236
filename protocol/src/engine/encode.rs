//! Encoding Engine.IO packets into `BytesMut` (engine.io-protocol v4, "Packet encoding").
//!
//! A packet has one text form (`4hello`, `2probe`, `3`, `6`, `0{…}`); a binary
//! message is a raw WebSocket binary frame, or `b`+base64 inside a polling body.
//! [`Frame`] is the unit a session queues: the same `Bytes` serves both transports.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::decode::BASE64;
use super::packet::{Data, Packet, PacketType};

/// The Engine.IO record separator joining packets in a polling body.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// An encoded packet as a session queues it.
///
/// `Text` holds the packet's complete text form (type digit included, UTF-8);
/// `Binary` holds a binary message's data. Over WebSocket each is sent as one frame
/// of the same kind; over polling, [`encode_payload`] joins them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text packet, e.g. `42["chat",{…}]`; always valid UTF-8.
    Text(Bytes),
    /// A binary message's data (no type byte).
    Binary(Bytes),
}

impl Frame {
    /// Bytes this frame takes inside a polling body (without separators).
    #[inline]
    pub fn polling_len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => 1 + base64_len(b.len()),
        }
    }
}

#[inline]
fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Writes the message type digit (`4`); follow it with the socket.io packet text to
/// build a message packet in one buffer, then freeze it into a [`Frame::Text`].
#[inline]
pub fn write_message_prefix(out: &mut BytesMut) {
    out.put_u8(PacketType::Message.as_ascii());
}

impl Packet {
    /// Bytes [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Packet::Open(h) => 1 + handshake_len(h),
            Packet::Close | Packet::Upgrade | Packet::Noop => 1,
            Packet::Ping(d) | Packet::Pong(d) => 1 + d.len(),
            Packet::Message(Data::Text(t)) => 1 + t.len(),
            Packet::Message(Data::Binary(b)) => 1 + base64_len(b.len()),
        }
    }

    /// Appends the packet's text form: `<type digit>[data]`, or for binary message
    /// data `b<base64>` (the polling form).
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.encoded_len());
        match self {
            Packet::Message(Data::Binary(b)) => {
                out.put_u8(b'b');
                put_base64(out, b);
            }
            Packet::Message(Data::Text(t)) => {
                out.put_u8(PacketType::Message.as_ascii());
                out.put_slice(t.as_bytes());
            }
            Packet::Ping(d) | Packet::Pong(d) => {
                out.put_u8(self.packet_type().as_ascii());
                out.put_slice(d.as_bytes());
            }
            Packet::Open(h) => {
                out.put_u8(PacketType::Open.as_ascii());
                write_handshake(out, h);
            }
            Packet::Close | Packet::Upgrade | Packet::Noop => {
                out.put_u8(self.packet_type().as_ascii());
            }
        }
    }

    /// The packet as a [`Frame`]: binary message data stays raw (a WebSocket binary
    /// frame), everything else is its text form.
    pub fn to_frame(&self) -> Frame {
        match self {
            Packet::Message(Data::Binary(b)) => Frame::Binary(b.clone()),
            _ => {
                let mut out = BytesMut::with_capacity(self.encoded_len());
                self.encode(&mut out);
                Frame::Text(out.freeze())
            }
        }
    }
}

/// Appends base64 of `data` (standard alphabet, padded), writing straight into `out`.
pub(crate) fn put_base64(out: &mut BytesMut, data: &[u8]) {
    let n = base64_len(data.len());
    let start = out.len();
    out.resize(start + n, 0);
    let written = BASE64
        .encode_slice(data, &mut out[start..])
        .expect("buffer sized by base64_len");
    debug_assert_eq!(written, n);
}

fn write_handshake(out: &mut BytesMut, h: &super::Handshake) {
    // Handshake has only strings and integers: serialisation cannot fail.
    serde_json::to_writer(out.writer(), h).expect("handshake serialises");
}

fn handshake_len(h: &super::Handshake) -> usize {
    // Once per session: exactness matters more than speed here.
    serde_json::to_vec(h).map(|v| v.len()).unwrap_or(0)
}

/// Bytes [`encode_payload`] writes for `frames`.
pub fn payload_len(frames: &[Frame]) -> usize {
    frames.iter().map(Frame::polling_len).sum::<usize>() + frames.len().saturating_sub(1)
}

/// Appends an HTTP long-polling body: the frames' text forms joined by `0x1e`, each
/// binary frame written as `b`+base64. The output is pre-sized exactly.
pub fn encode_payload(frames: &[Frame], out: &mut BytesMut) {
    out.reserve(payload_len(frames));
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.put_u8(RECORD_SEPARATOR);
        }
        match frame {
            Frame::Text(t) => out.put_slice(t),
            Frame::Binary(b) => {
                out.put_u8(b'b');
                put_base64(out, b);
            }
        }
    }
}
