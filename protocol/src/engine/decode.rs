//! Decoding one Engine.IO packet: a WebSocket text frame, a WebSocket binary frame,
//! or one HTTP long-polling record (engine.io-protocol v4, "Packet encoding").
//!
//! Text data is returned as a slice of the input (`Str::advance`, no copy, no
//! reference-count traffic); only `b`+base64 records allocate, for the decoded bytes.

use base64::Engine as _;
use bytes::Bytes;

use super::packet::{Data, Handshake, Packet, PacketType};
use crate::{Error, Limits, Result, Str};

/// base64 as the reference client writes it (standard alphabet, padded), read
/// leniently about padding as the reference server's `Buffer.from(…, "base64")` is.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Decodes a WebSocket text frame (or one polling record) into a packet.
///
/// `text` is consumed: message and ping/pong data are the same buffer advanced
/// past the type byte. A text packet starting with `b` is a base64 binary message,
/// as in a polling body.
pub fn decode_text(text: Str, limits: &Limits) -> Result<Packet> {
    limits.check_payload_size(text.len())?;
    decode_record(text, 0)
}

/// Decodes a WebSocket binary frame: in Engine.IO v4 it is a message packet's
/// data as is, with no type byte.
pub fn decode_binary(data: Bytes, limits: &Limits) -> Result<Packet> {
    limits.check_payload_size(data.len())?;
    Ok(Packet::Message(Data::Binary(data)))
}

/// Decodes one record; `record` is its index in a polling body, for errors.
pub(crate) fn decode_record(mut text: Str, record: usize) -> Result<Packet> {
    let Some(&first) = text.as_bytes().first() else {
        return Err(Error::EmptyPacket { record });
    };
    if first == b'b' {
        let raw = &text.as_bytes()[1..];
        // The decoded length is at most 3/4 of the text actually present, never a
        // length the peer claims.
        let decoded = BASE64
            .decode(raw)
            .map_err(|_| Error::InvalidBase64 { record })?;
        return Ok(Packet::Message(Data::Binary(Bytes::from(decoded))));
    }
    let kind = PacketType::from_ascii(first).ok_or(Error::UnknownPacketType {
        byte: first,
        offset: 0,
    })?;
    text.advance(1);
    Ok(match kind {
        PacketType::Message => Packet::Message(Data::Text(text)),
        PacketType::Ping => Packet::Ping(text),
        PacketType::Pong => Packet::Pong(text),
        PacketType::Open => Packet::Open(
            serde_json::from_str::<Handshake>(text.as_str()).map_err(Error::InvalidHandshake)?,
        ),
        PacketType::Close | PacketType::Upgrade | PacketType::Noop => {
            if !text.is_empty() {
                return Err(Error::UnexpectedEngineData { kind, offset: 1 });
            }
            match kind {
                PacketType::Close => Packet::Close,
                PacketType::Upgrade => Packet::Upgrade,
                _ => Packet::Noop,
            }
        }
    })
}
