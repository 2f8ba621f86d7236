//! Engine.IO v4: packets, their text and binary forms, and HTTP long-polling payloads.
//!
//! - [`packet`]: [`PacketType`], [`Packet`], [`Data`], [`Handshake`].
//! - [`decode`](mod@decode): one WebSocket frame or polling record → [`Packet`]
//!   ([`decode_text`], [`decode_binary`]).
//! - [`payload`]: a polling body → packets ([`PayloadDecoder`], [`decode_payload`]).
//! - [`encode`](mod@encode): [`Packet::encode`], [`Frame`], [`encode_payload`].
//!
//! Encode once, send anywhere: build a message with [`write_message_prefix`] followed
//! by the socket.io packet text in one `BytesMut`, freeze it into a [`Frame::Text`],
//! and the same `Bytes` is a WebSocket text frame and a polling record.

pub mod decode;
pub mod encode;
pub mod packet;
pub mod payload;

pub use decode::{decode_binary, decode_text};
pub use encode::{Frame, RECORD_SEPARATOR, encode_payload, payload_len, write_message_prefix};
pub use packet::{Data, Handshake, Packet, PacketType};
pub use payload::{PayloadDecoder, decode_payload};
