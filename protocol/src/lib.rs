//! `huddle-protocol`: a sans-IO codec for Engine.IO v4 and Socket.IO v5.
//!
//! Bytes in, packets out; packets in, bytes out. No sockets, no clock, no tokio.
//! The references are the Engine.IO v4 and Socket.IO v5 protocol documents; the
//! peer that must understand every byte is the standard `socket.io-client` 4.x.
//!
//! # Map
//!
//! | item | what it is |
//! | --- | --- |
//! | [`Str`] | cheaply clonable UTF-8 string over `bytes::Bytes`; decoded text is zero-copy slices of the input |
//! | [`Limits`] | every bound on hostile input, with safe defaults |
//! | [`Error`] | one variant per rule broken, with offsets / limits |
//! | [`engine`] | Engine.IO packets: [`engine::decode_text`], [`engine::decode_binary`], [`engine::PayloadDecoder`] / [`engine::decode_payload`] (polling bodies), [`engine::Packet::encode`], [`engine::Frame`], [`engine::encode_payload`], [`engine::Handshake`] |
//! | [`socketio`] | Socket.IO packets: [`socketio::decode()`], [`socketio::Packet::encode`], one-pass [`socketio::encode_event`] / [`socketio::encode_ack`], connect / connect_error / disconnect encoders, lazy [`socketio::Packet::event_name`] / [`socketio::Packet::args`] / [`socketio::Packet::first_arg`] |
//! | [`socketio::Value`] | JSON with binary parts; [`socketio::split`] / [`socketio::encode_event_values`] write placeholders + attachments; [`socketio::Reassembler`] collects the attachments into a [`socketio::BinaryPacket`], whose [`socketio::BinaryPacket::check`] / [`socketio::BinaryPacket::value`] validate the placeholders and put the parts back |
//!
//! # The data path
//!
//! Inbound, over WebSocket: a text frame → [`engine::decode_text`] →
//! `engine::Packet::Message(Data::Text(s))` → [`socketio::decode()`]`(s)` →
//! [`socketio::Reassembler::feed_packet`]; a binary frame →
//! [`socketio::Reassembler::feed_attachment`]. Over polling, a POST body →
//! [`engine::PayloadDecoder`] → the same steps per packet. Every text field is a
//! slice of the received buffer, and decoding is O(header): a socket.io payload
//! is validated and parsed only when a handler asks for its name or arguments
//! (or calls [`socketio::Packet::check`] / [`socketio::BinaryPacket::check`]),
//! always under the [`Limits`] (the nesting depth is counted as the parser
//! descends, and it stops before going deeper).
//!
//! Decoders never panic and never allocate in proportion to a length or count
//! the input merely claims; every refusal is a typed [`Error`] naming the rule
//! and, where it helps, the offset.
//!
//! Outbound, encode once and fan out: write [`engine::write_message_prefix`]
//! then [`socketio::encode_event`] into one `BytesMut`, freeze it, and queue the
//! same `Bytes` as an [`engine::Frame::Text`] on every recipient; a WebSocket writer
//! sends it as a text frame, a polling writer joins frames with
//! [`engine::encode_payload`]. Attachments (if any) follow as
//! [`engine::Frame::Binary`].
//!
//! ```
//! use bytes::BytesMut;
//! use huddle_protocol::{engine, socketio, Limits, Str};
//!
//! let limits = Limits::default();
//!
//! // Inbound: `42["chat",{"text":"hi"}]` in a WebSocket text frame.
//! let frame = Str::from_static(r#"42["chat",{"text":"hi"}]"#);
//! let engine::Packet::Message(engine::Data::Text(text)) = engine::decode_text(frame, &limits)? else {
//!     unreachable!()
//! };
//! let packet = socketio::decode(text, &limits)?;
//! assert_eq!(packet.event_name(&limits)?, "chat");
//! #[derive(serde::Deserialize)]
//! struct Chat { text: String }
//! let chat: Chat = packet.first_arg(&limits)?;
//! assert_eq!(chat.text, "hi");
//!
//! // Outbound: encode once into an engine.io message.
//! let mut out = BytesMut::new();
//! engine::write_message_prefix(&mut out);
//! let attachments = socketio::encode_event(&mut out, "/", "chat", &("hello",), None)?;
//! assert!(attachments.is_empty());
//! assert_eq!(&out[..], br#"42["chat","hello"]"#);
//! # Ok::<(), huddle_protocol::Error>(())
//! ```
#![deny(missing_docs)]

pub mod engine;
mod error;
mod json;
mod limits;
pub mod socketio;
mod str;

pub use error::{Error, Result};
pub use limits::{JS_MAX_SAFE_INTEGER, Limits};
pub use str::{Str, Utf8Error};
