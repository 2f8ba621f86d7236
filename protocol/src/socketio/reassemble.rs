//! The binary reassembly state machine (socket.io-protocol v5, binary packets):
//! a BINARY_EVENT / BINARY_ACK header announces `N` attachments, the next `N`
//! binary frames are those attachments, and the placeholders
//! `{"_placeholder":true,"num":i}` in the header's payload are replaced by them.
//!
//! Pure and clock-free: the caller feeds it what the transport received, in order.
//! Each connection owns one [`Reassembler`]. It refuses, with a typed error and a
//! reset to the idle state:
//! - more attachments than [`Limits::max_attachments`], or attachments adding up
//!   to more than [`Limits::max_attachments_size`] bytes;
//! - placeholders out of range, duplicated, malformed, or an announced attachment
//!   that no placeholder uses (checked when the header arrives, before any
//!   attachment is stored);
//! - a text packet while attachments are pending, a binary frame while none is.

use bytes::Bytes;

use super::packet::{Packet, PacketType};
use super::value::Value;
use crate::json::depth::check_depth;
use crate::{Error, Limits, Result, Str};

/// A binary packet with its attachments put back into its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryPacket {
    /// BINARY_EVENT or BINARY_ACK.
    pub kind: PacketType,
    /// The namespace.
    pub nsp: Str,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The payload array with every placeholder replaced by [`Value::Binary`].
    pub data: Value,
}

impl BinaryPacket {
    /// The event name (first element) of a BINARY_EVENT.
    pub fn event_name(&self) -> Option<&str> {
        if self.kind != PacketType::BinaryEvent {
            return None;
        }
        self.data.as_array()?.first()?.as_str()
    }

    /// Deserialises the arguments (see [`BinaryPacket::values`]) into `T` as a
    /// sequence (tuple, tuple struct, `Vec`); binary parts are offered as bytes
    /// (`bytes::Bytes`, `serde_bytes::ByteBuf`) or as a sequence of `u8`
    /// (`Vec<u8>`). Extra arguments are ignored.
    pub fn args<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        let items = Value::Array(self.values().to_vec());
        let seed = super::event::ArgsSeed::<T> {
            skip: 0,
            marker: std::marker::PhantomData,
        };
        Ok(serde::Deserializer::deserialize_seq(items, seed)?)
    }

    /// Deserialises the first argument into `T` (an `Option` accepts a missing one).
    pub fn first_arg<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        match self.values().first() {
            Some(v) => v.clone().deserialize_into(),
            None => T::deserialize(
                serde::de::IntoDeserializer::<serde::de::value::Error>::into_deserializer(()),
            )
            .map_err(|_| Error::MissingArgument { index: 0 }),
        }
    }

    /// Consumes the packet, returning its arguments as values.
    pub fn into_values(self) -> Vec<Value> {
        let skip = usize::from(self.kind == PacketType::BinaryEvent);
        match self.data {
            Value::Array(mut items) => {
                items.drain(..skip.min(items.len()));
                items
            }
            _ => Vec::new(),
        }
    }

    /// The arguments: the payload array without the event name for a
    /// BINARY_EVENT, the whole array for a BINARY_ACK.
    pub fn values(&self) -> &[Value] {
        let items = self.data.as_array().unwrap_or(&[]);
        if self.kind == PacketType::BinaryEvent {
            items.get(1..).unwrap_or(&[])
        } else {
            items
        }
    }
}

/// What feeding the reassembler produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Assembled {
    /// A packet without attachments, passed through unchanged (payload still lazy).
    Packet(Packet),
    /// A binary packet whose attachments have all arrived.
    Binary(BinaryPacket),
}

#[derive(Debug)]
struct Pending {
    kind: PacketType,
    nsp: Str,
    id: Option<u64>,
    data: Value,
    expected: usize,
    received: Vec<Bytes>,
    size: usize,
}

/// Collects the attachments announced by binary packet headers.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    pending: Option<Pending>,
}

impl Reassembler {
    /// An idle reassembler enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Reassembler {
            limits,
            pending: None,
        }
    }

    /// Attachments still expected (0 when idle).
    pub fn pending(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.expected - p.received.len())
    }

    /// Drops any partially received packet.
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Feeds a decoded text packet.
    ///
    /// Non-binary packets pass through as [`Assembled::Packet`]; a binary header
    /// starts collection (`Ok(None)`), or completes at once when it announces no
    /// attachment.
    pub fn feed_packet(&mut self, packet: Packet) -> Result<Option<Assembled>> {
        if let Some(p) = &self.pending {
            let pending = p.expected - p.received.len();
            self.pending = None;
            return Err(Error::UnexpectedTextPacket { pending });
        }
        if !packet.kind.is_binary() {
            return Ok(Some(Assembled::Packet(packet)));
        }
        self.start(packet).map(|done| done.map(Assembled::Binary))
    }

    /// Starts collecting for a BINARY_EVENT / BINARY_ACK header.
    ///
    /// Parses and checks its payload now (depth, placeholders), so a bad header is
    /// refused before any attachment is held.
    pub fn start(&mut self, packet: Packet) -> Result<Option<BinaryPacket>> {
        if let Some(p) = &self.pending {
            let pending = p.expected - p.received.len();
            self.pending = None;
            return Err(Error::UnexpectedTextPacket { pending });
        }
        if !packet.kind.is_binary() {
            return Err(Error::NotBinaryPacket { kind: packet.kind });
        }
        let expected = packet.attachments;
        if expected > self.limits.max_attachments {
            return Err(Error::TooManyAttachments {
                count: expected,
                max: self.limits.max_attachments,
            });
        }
        let data = packet
            .data
            .as_ref()
            .ok_or(Error::MissingPayload { kind: packet.kind })?;
        check_depth(data.as_bytes(), self.limits.max_depth)?;
        let value: Value = serde_json::from_slice(data.as_bytes())?;
        // `expected` is bounded by the limit checked above.
        let mut seen = vec![false; expected];
        check_placeholders(&value, &mut seen)?;
        if let Some(num) = seen.iter().position(|s| !s) {
            return Err(Error::MissingPlaceholder { num });
        }
        let pending = Pending {
            kind: packet.kind,
            nsp: packet.nsp,
            id: packet.id,
            data: value,
            expected,
            received: Vec::with_capacity(expected),
            size: 0,
        };
        if expected == 0 {
            return Ok(Some(finish(pending)));
        }
        self.pending = Some(pending);
        Ok(None)
    }

    /// Feeds one binary frame. Returns the packet once its last attachment arrived.
    pub fn feed_attachment(&mut self, data: Bytes) -> Result<Option<BinaryPacket>> {
        let Some(p) = self.pending.as_mut() else {
            return Err(Error::UnexpectedAttachment);
        };
        let size = p.size.saturating_add(data.len());
        if size > self.limits.max_attachments_size {
            self.pending = None;
            return Err(Error::AttachmentsTooLarge {
                size,
                max: self.limits.max_attachments_size,
            });
        }
        p.size = size;
        p.received.push(data);
        if p.received.len() < p.expected {
            return Ok(None);
        }
        let done = self.pending.take().expect("pending checked above");
        Ok(Some(finish(done)))
    }

    /// Feeds several binary frames in order; the same as calling
    /// [`Reassembler::feed_attachment`] for each. A frame left over after the
    /// packet completed is an [`Error::UnexpectedAttachment`].
    pub fn feed_attachments(
        &mut self,
        frames: impl IntoIterator<Item = Bytes>,
    ) -> Result<Option<BinaryPacket>> {
        let mut done = None;
        for frame in frames {
            if done.is_some() {
                return Err(Error::UnexpectedAttachment);
            }
            done = self.feed_attachment(frame)?;
        }
        Ok(done)
    }
}

/// What a placeholder object is, if `fields` is one: `Some(Ok(num))`,
/// `Some(Err(..))` when it claims to be one but is malformed, `None` otherwise.
fn placeholder_num(fields: &[(String, Value)]) -> Option<Result<u64>> {
    let flag = fields.iter().find(|(k, _)| k == "_placeholder")?;
    if flag.1 != Value::Bool(true) {
        return None;
    }
    let num = fields
        .iter()
        .find(|(k, _)| k == "num")
        .and_then(|(_, v)| match v {
            Value::Number(n) => n.as_u64(),
            _ => None,
        });
    Some(num.ok_or(Error::InvalidPlaceholder))
}

fn check_placeholders(value: &Value, seen: &mut [bool]) -> Result<()> {
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| check_placeholders(v, seen)),
        Value::Object(fields) => match placeholder_num(fields) {
            Some(num) => {
                let num = num?;
                let count = seen.len();
                let slot = usize::try_from(num)
                    .ok()
                    .and_then(|i| seen.get_mut(i))
                    .ok_or(Error::PlaceholderOutOfRange { num, count })?;
                if *slot {
                    return Err(Error::DuplicatePlaceholder { num: num as usize });
                }
                *slot = true;
                Ok(())
            }
            None => fields
                .iter()
                .try_for_each(|(_, v)| check_placeholders(v, seen)),
        },
        _ => Ok(()),
    }
}

/// Replaces each (already validated) placeholder by its attachment.
fn fill(value: &mut Value, attachments: &mut [Option<Bytes>]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, attachments)),
        Value::Object(fields) => match placeholder_num(fields) {
            Some(Ok(num)) => {
                let data = attachments[num as usize].take().unwrap_or_default();
                *value = Value::Binary(data);
            }
            _ => fields.iter_mut().for_each(|(_, v)| fill(v, attachments)),
        },
        _ => {}
    }
}

fn finish(p: Pending) -> BinaryPacket {
    let mut attachments: Vec<Option<Bytes>> = p.received.into_iter().map(Some).collect();
    let mut data = p.data;
    fill(&mut data, &mut attachments);
    BinaryPacket {
        kind: p.kind,
        nsp: p.nsp,
        id: p.id,
        data,
    }
}
