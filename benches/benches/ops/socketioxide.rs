//! socketioxide's side: `socketioxide-parser-common` (its default parser) and
//! `engineioxide-core` (its polling payload codec), called the way the
//! socketioxide server calls them.

use std::collections::VecDeque;

use bytes::Bytes;
use engineioxide_core::payload;
use engineioxide_core::{Packet as EioPacket, PacketBuf, ProtocolVersion};
use futures_util::{FutureExt as _, StreamExt as _};
use http_body_util::Full;
use huddle_benches::cases::PollingCase;
use huddle_benches::wire::Record;
use serde::Serialize;
use serde::de::DeserializeOwned;
use socketioxide_core::Value;
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_parser_common::CommonParser;

pub use socketioxide_core::Str;

use super::Dispatch;

/// The largest polling body accepted, as on Huddle's side (`Limits::max_payload`).
const MAX_PAYLOAD: u64 = 1_000_000;

/// One connection's parser state, with the default configuration.
#[derive(Default)]
pub struct Socketioxide {
    config: ParseConfig,
    state: ParserState,
}

/// The payload value of an event packet, its ack id, and whether it is binary.
fn event_value(packet: &Packet) -> (&Value, Option<i64>, bool) {
    match &packet.inner {
        PacketData::Event(value, ack) => (value, *ack, false),
        PacketData::BinaryEvent(value, ack) => (value, *ack, true),
        other => panic!("not an event: {other:?}"),
    }
}

impl Socketioxide {
    /// `decode_str`, then `decode_bin` for each attachment until the packet is
    /// complete (what `socketioxide::Client` does as frames arrive).
    fn decode_packet(&self, text: &Str, attachments: &[Bytes]) -> Packet {
        match CommonParser.decode_str(&self.config, &self.state, text.clone()) {
            Ok(packet) => packet,
            Err(ParseError::NeedsMoreBinaryData) => {
                for (i, data) in attachments.iter().enumerate() {
                    match CommonParser.decode_bin(&self.config, &self.state, data.clone()) {
                        Ok(packet) if i + 1 == attachments.len() => return packet,
                        Err(ParseError::NeedsMoreBinaryData) if i + 1 < attachments.len() => {}
                        other => panic!("attachment {i}: {other:?}"),
                    }
                }
                panic!("fewer attachments than announced")
            }
            Err(e) => panic!("invalid input: {e:?}"),
        }
    }

    /// Decode: packet text (+ attachments) → a packet ready to dispatch, the event
    /// name read with `read_event` (what `Socket::recv_event` does).
    pub fn decode<R>(
        &self,
        text: &Str,
        attachments: &[Bytes],
        then: impl FnOnce(Dispatch<'_>) -> R,
    ) -> R {
        let packet = self.decode_packet(text, attachments);
        let (value, id, binary) = event_value(&packet);
        let event = CommonParser.read_event(value).expect("an event");
        let Value::Str(payload, bins) = value else {
            panic!("the common parser yields text values")
        };
        then(Dispatch {
            binary,
            nsp: &packet.ns,
            id: id.map(|id| u64::try_from(id).expect("non-negative ack id")),
            event,
            payload,
            attachments: bins.as_ref().map_or((&[], &[]), VecDeque::as_slices),
        })
    }

    /// Decode, then deserialise the handler's (first) argument into `T` with
    /// `decode_value` (what the `Data<T>` extractor does).
    pub fn decode_typed<T: DeserializeOwned>(&self, text: &Str, attachments: &[Bytes]) -> T {
        let mut packet = self.decode_packet(text, attachments);
        std::hint::black_box(
            CommonParser
                .read_event(event_value(&packet).0)
                .expect("an event"),
        );
        let (PacketData::Event(value, _) | PacketData::BinaryEvent(value, _)) = &mut packet.inner
        else {
            unreachable!("event_value checked the packet type")
        };
        CommonParser
            .decode_value(value, true)
            .expect("typed argument")
    }

    /// Encode: `encode_value(&arg, Some(event))`, `Packet::event`, the ack id, then
    /// `encode` (what `Socket::emit` / `emit_with_ack` do).
    pub fn encode<T: Serialize + ?Sized>(
        &self,
        nsp: &'static str,
        event: &str,
        arg: &T,
        id: Option<u64>,
    ) -> (Str, Option<VecDeque<Bytes>>) {
        let value = CommonParser
            .encode_value(arg, Some(event))
            .expect("encodes");
        let mut packet = Packet::event(nsp, value);
        if let Some(id) = id {
            packet
                .inner
                .set_ack_id(i64::try_from(id).expect("ack id fits"));
        }
        match CommonParser.encode(packet) {
            Value::Str(text, bins) => (text, bins),
            Value::Bytes(_) => panic!("the common parser yields text"),
        }
    }
}

/// A polling body → its engine.io packets, through engineioxide-core's v4
/// payload decoder. The body is one ready chunk, so the stream never waits and is
/// driven without a runtime.
pub fn decode_payload(body: &Bytes) -> Vec<EioPacket> {
    let stream = payload::decoder(
        Full::new(body.clone()),
        None,
        ProtocolVersion::V4,
        MAX_PAYLOAD,
    );
    let mut stream = std::pin::pin!(stream);
    let mut packets = Vec::new();
    loop {
        match stream.next().now_or_never() {
            Some(Some(packet)) => packets.push(packet.expect("valid body")),
            Some(None) => return packets,
            None => panic!("a ready body never makes the decoder wait"),
        }
    }
}

/// What a socketioxide session has queued for the polling case: one `PacketBuf`
/// per emit (a text packet and its attachments together).
pub fn packet_bufs(case: &PollingCase) -> Vec<PacketBuf> {
    case.messages
        .iter()
        .map(|message| {
            message
                .iter()
                .map(|record| match record {
                    Record::Text(text) => EioPacket::Message(Str::from(text.clone())),
                    Record::Binary(data) => EioPacket::Binary(data.clone()),
                })
                .collect()
        })
        .collect()
}

/// Queued packets → one polling body, through engineioxide-core's v4 payload
/// encoder (the queue is a ready stream, driven without a runtime).
pub fn encode_payload(bufs: Vec<PacketBuf>) -> Bytes {
    let rx = futures_util::stream::iter(bufs);
    payload::encoder(rx, ProtocolVersion::V4, true, MAX_PAYLOAD)
        .now_or_never()
        .expect("a ready queue never makes the encoder wait")
        .data
}

/// A decoded engine.io packet in codec-neutral form (`None` for other than messages).
pub fn to_record(packet: &EioPacket) -> Option<Record> {
    match packet {
        EioPacket::Message(text) => Some(Record::Text(text.to_string())),
        EioPacket::Binary(data) => Some(Record::Binary(data.clone())),
        _ => None,
    }
}
