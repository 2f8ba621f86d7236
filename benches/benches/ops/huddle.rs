//! Huddle's side: `huddle-protocol` used the way the server uses it.

use bytes::{Bytes, BytesMut};
use huddle_benches::cases::PollingCase;
use huddle_benches::wire::Record;
use huddle_protocol::engine::{self, Frame};
use huddle_protocol::socketio::{self, Assembled, BinaryPacket, Packet, Reassembler};
use huddle_protocol::{Limits, Str};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Dispatch;

/// One connection's decoding state: the limits and the binary reassembler.
pub struct Huddle {
    limits: Limits,
    reassembler: Reassembler,
}

impl Default for Huddle {
    fn default() -> Self {
        let limits = Limits::default();
        Huddle {
            limits,
            reassembler: Reassembler::new(limits),
        }
    }
}

/// A decoded packet, text or binary, with its event name read.
enum Decoded {
    Text(Packet, Str),
    Binary(BinaryPacket, Str),
}

impl Decoded {
    fn view(&self) -> Dispatch<'_> {
        match self {
            Decoded::Text(p, event) => Dispatch {
                binary: false,
                nsp: &p.nsp,
                id: p.id,
                event,
                payload: p.data.as_deref().unwrap_or_default(),
                attachments: (&[], &[]),
            },
            Decoded::Binary(p, event) => Dispatch {
                binary: true,
                nsp: &p.nsp,
                id: p.id,
                event,
                payload: &p.data,
                attachments: (&p.attachments, &[]),
            },
        }
    }
}

impl Huddle {
    /// Header, then (for a binary packet) the reassembler fed with the header and
    /// each attachment, then the event name.
    fn decode_packet(&mut self, text: &Str, attachments: &[Bytes]) -> Decoded {
        let packet = socketio::decode(text.clone(), &self.limits).expect("valid input");
        match self.reassembler.feed_packet(packet).expect("valid input") {
            Some(Assembled::Packet(p)) => {
                let event = p.event_name(&self.limits).expect("an event");
                Decoded::Text(p, event)
            }
            Some(Assembled::Binary(p)) => {
                let event = p.event_name(&self.limits).expect("an event");
                Decoded::Binary(p, event)
            }
            None => {
                let p = self
                    .reassembler
                    .feed_attachments(attachments.iter().cloned())
                    .expect("valid input")
                    .expect("all attachments announced were given");
                let event = p.event_name(&self.limits).expect("an event");
                Decoded::Binary(p, event)
            }
        }
    }

    /// Decode: packet text (+ attachments) → a packet ready to dispatch.
    pub fn decode<R>(
        &mut self,
        text: &Str,
        attachments: &[Bytes],
        then: impl FnOnce(Dispatch<'_>) -> R,
    ) -> R {
        then(self.decode_packet(text, attachments).view())
    }

    /// Decode, then check the whole payload (JSON syntax, depth limit; for a
    /// binary packet also the placeholders) with the one-pass validator, as
    /// socketioxide's `read_event` checks the JSON syntax as a side effect.
    pub fn decode_validated<R>(
        &mut self,
        text: &Str,
        attachments: &[Bytes],
        then: impl FnOnce(Dispatch<'_>) -> R,
    ) -> R {
        let decoded = self.decode_packet(text, attachments);
        match &decoded {
            Decoded::Text(p, _) => p.check(&self.limits).expect("valid JSON"),
            Decoded::Binary(p, _) => p.check().expect("valid payload"),
        }
        then(decoded.view())
    }

    /// Decode, then deserialise the handler's (first) argument into `T`.
    pub fn decode_typed<T: DeserializeOwned>(&mut self, text: &Str, attachments: &[Bytes]) -> T {
        match self.decode_packet(text, attachments) {
            Decoded::Text(p, event) => {
                std::hint::black_box(&event);
                p.first_arg(&self.limits).expect("typed argument")
            }
            Decoded::Binary(p, event) => {
                std::hint::black_box(&event);
                p.first_arg().expect("typed argument")
            }
        }
    }

    /// Encode: (namespace, event, argument, ack id) → packet text and attachments,
    /// in one pass into a fresh buffer, frozen to be queued.
    pub fn encode<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        event: &str,
        arg: &T,
        id: Option<u64>,
    ) -> (Bytes, Vec<Bytes>) {
        let mut out = BytesMut::new();
        let attachments = socketio::encode_event(&mut out, nsp, event, arg, id).expect("encodes");
        (out.freeze(), attachments)
    }

    /// A polling body → its engine.io packets.
    pub fn decode_payload(&self, body: &Bytes) -> Vec<engine::Packet> {
        engine::decode_payload(body.clone(), &self.limits).expect("valid body")
    }
}

/// The frames a session has queued for the polling case: each text packet already
/// carries its `4` (encode once, send anywhere), binary data stays raw.
pub fn frames(case: &PollingCase) -> Vec<Frame> {
    case.records()
        .map(|record| match record {
            Record::Text(text) => Frame::Text(Bytes::from(format!("4{text}"))),
            Record::Binary(data) => Frame::Binary(data.clone()),
        })
        .collect()
}

/// Queued frames → one polling body.
pub fn encode_payload(frames: Vec<Frame>) -> Bytes {
    let mut out = BytesMut::new();
    engine::encode_payload(&frames, &mut out);
    out.freeze()
}

/// A decoded engine.io packet in codec-neutral form (`None` for other than messages).
pub fn to_record(packet: &engine::Packet) -> Option<Record> {
    match packet {
        engine::Packet::Message(engine::Data::Text(text)) => Some(Record::Text(text.to_string())),
        engine::Packet::Message(engine::Data::Binary(data)) => Some(Record::Binary(data.clone())),
        _ => None,
    }
}
