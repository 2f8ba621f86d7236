//! The binary reassembly state machine (socket.io-protocol v5, binary packets):
//! a BINARY_EVENT / BINARY_ACK header announces `N` attachments, and the next `N`
//! binary frames are those attachments, which replace the placeholders
//! `{"_placeholder":true,"num":i}` of the header's payload.
//!
//! Pure and clock-free: the caller feeds it what the transport received, in order.
//! Each connection owns one [`Reassembler`]. It refuses, with a typed error and a
//! reset to the idle state:
//! - more attachments than [`Limits::max_attachments`], or attachments adding up
//!   to more than [`Limits::max_attachments_size`] bytes (checked before anything
//!   is held);
//! - a text packet while attachments are pending, a binary frame while none is.
//!
//! Like the text path, collection is lazy: the completed [`BinaryPacket`] keeps
//! the payload as raw JSON plus the attachments, and its placeholders are checked
//! (out of range, duplicated, malformed, nested in one another, an announced
//! attachment no placeholder uses, malformed JSON, nesting deeper than
//! [`Limits::max_depth`]) by one allocation-free pass when it is read:
//! [`BinaryPacket::check`], or implicitly by [`BinaryPacket::value`],
//! [`BinaryPacket::args`] and friends. `value` then builds the tree with the
//! binary parts put back; `args` / `first_arg` deserialise the typed arguments
//! straight from the text, each placeholder read as its attachment (`json::de`).
//! A server that wants to refuse a bad packet on arrival calls `check` right
//! away; nothing is ever built from an unchecked payload.

use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{DeserializeOwned, DeserializeSeed};

use super::event::{ArgsSeed, NthSeed, SeqSeed, read_event_name};
use super::packet::{Packet, PacketType};
use super::placeholders;
use super::value::Value;
use crate::json::de as json_de;
use crate::{Error, Limits, Result, Str};

/// A binary packet whose attachments have all arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryPacket {
    /// BINARY_EVENT or BINARY_ACK.
    pub kind: PacketType,
    /// The namespace.
    pub nsp: Str,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The payload as received: JSON with placeholders, not yet checked
    /// (reading it through this packet's methods checks it; see
    /// [`BinaryPacket::check`]).
    pub data: Str,
    /// The attachments, in placeholder order.
    pub attachments: Vec<Bytes>,
    /// The depth limit of the reassembler that collected it.
    max_depth: usize,
}

impl BinaryPacket {
    /// The event name (first element) of a BINARY_EVENT, read without parsing
    /// the rest (see [`read_event_name`]).
    pub fn event_name(&self, limits: &Limits) -> Result<Str> {
        if self.kind != PacketType::BinaryEvent {
            return Err(Error::InvalidPayload {
                kind: self.kind,
                offset: 0,
                expected: "a BINARY_EVENT packet",
            });
        }
        read_event_name(&self.data, limits)
    }

    /// Checks the payload: JSON syntax, nesting depth, and placeholders against
    /// the attachments (in range, no duplicate, none missing, none nested in
    /// another). One pass, no allocation.
    pub fn check(&self) -> Result<()> {
        placeholders::check(self.data.as_str(), self.attachments.len(), self.max_depth)
    }

    /// The whole payload array with every placeholder replaced by
    /// [`Value::Binary`] (a cheap `Bytes` clone of the attachment), after
    /// [`BinaryPacket::check`].
    pub fn value(&self) -> Result<Value> {
        self.check()?;
        let mut value: Value = serde_json::from_str(self.data.as_str())?;
        fill(&mut value, &self.attachments);
        Ok(value)
    }

    /// The arguments as values: the payload without the event name for a
    /// BINARY_EVENT, the whole array for a BINARY_ACK.
    pub fn values(&self) -> Result<Vec<Value>> {
        let skip = usize::from(self.kind == PacketType::BinaryEvent);
        match self.value()? {
            Value::Array(mut items) => {
                items.drain(..skip.min(items.len()));
                Ok(items)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Deserialises the arguments into `T` as a sequence (tuple, tuple struct,
    /// `Vec`); binary parts are offered as bytes (`bytes::Bytes`,
    /// `serde_bytes::ByteBuf`, [`Value::Binary`]) or as a sequence of `u8`
    /// (`Vec<u8>`). Extra arguments are ignored. Checked as
    /// [`BinaryPacket::check`] does first; no value tree is built.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T> {
        let seed = ArgsSeed::<T> {
            skip: self.skipped(),
            marker: PhantomData,
        };
        match self.read(seed)? {
            Some(value) => Ok(value),
            // Not an array (a packet built by hand): no arguments, as `values`.
            None => Ok(T::deserialize(serde::de::value::SeqDeserializer::<
                _,
                serde_json::Error,
            >::new(std::iter::empty::<()>()))?),
        }
    }

    /// Deserialises the first argument into `T` (an `Option` accepts a missing one).
    pub fn first_arg<T: DeserializeOwned>(&self) -> Result<T> {
        let seed = SeqSeed(NthSeed::<T> {
            skip: self.skipped(),
            marker: PhantomData,
        });
        match self.read(seed)?.flatten() {
            Some(value) => Ok(value),
            None => T::deserialize(
                serde::de::IntoDeserializer::<serde::de::value::Error>::into_deserializer(()),
            )
            .map_err(|_| Error::MissingArgument { index: 0 }),
        }
    }

    /// Leading payload elements that are not arguments (the event name).
    fn skipped(&self) -> usize {
        usize::from(self.kind == PacketType::BinaryEvent)
    }

    /// Checks the payload, then deserialises it with `seed` if it is an array.
    fn read<'a, S: DeserializeSeed<'a>>(&'a self, seed: S) -> Result<Option<S::Value>> {
        let json = self.data.as_str();
        let slots = placeholders::locate(json, self.attachments.len(), self.max_depth)?;
        if !json.trim_start().starts_with('[') {
            return Ok(None);
        }
        let binary = Some((&self.attachments[..], &slots[..]));
        json_de::parse(json, self.max_depth, binary, seed).map(Some)
    }
}

/// What feeding the reassembler produced.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    data: Str,
    expected: usize,
    received: Vec<Bytes>,
    size: usize,
    max_depth: usize,
}

impl Pending {
    fn finish(self) -> BinaryPacket {
        BinaryPacket {
            kind: self.kind,
            nsp: self.nsp,
            id: self.id,
            data: self.data,
            attachments: self.received,
            max_depth: self.max_depth,
        }
    }
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

    fn refuse_text(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(p) => Err(Error::UnexpectedTextPacket {
                pending: p.expected - p.received.len(),
            }),
            None => Ok(()),
        }
    }

    /// Feeds a decoded text packet.
    ///
    /// Non-binary packets pass through as [`Assembled::Packet`]; a binary header
    /// starts collection (`Ok(None)`), or completes at once when it announces no
    /// attachment.
    pub fn feed_packet(&mut self, packet: Packet) -> Result<Option<Assembled>> {
        self.refuse_text()?;
        if !packet.kind.is_binary() {
            return Ok(Some(Assembled::Packet(packet)));
        }
        self.start(packet).map(|done| done.map(Assembled::Binary))
    }

    /// Starts collecting for a BINARY_EVENT / BINARY_ACK header: checks the
    /// announced count against [`Limits::max_attachments`] before reserving
    /// room for it.
    pub fn start(&mut self, packet: Packet) -> Result<Option<BinaryPacket>> {
        self.refuse_text()?;
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
            .ok_or(Error::MissingPayload { kind: packet.kind })?;
        let pending = Pending {
            kind: packet.kind,
            nsp: packet.nsp,
            id: packet.id,
            data,
            expected,
            // Bounded by the limit checked above, and by a small constant in case
            // the limit was configured very high.
            received: Vec::with_capacity(expected.min(64)),
            size: 0,
            max_depth: self.limits.max_depth,
        };
        if expected == 0 {
            return Ok(Some(pending.finish()));
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
        Ok(self.pending.take().map(Pending::finish))
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

/// The index of a placeholder object (`_placeholder` is `true`, `num` an integer).
fn placeholder_num(fields: &[(String, Value)]) -> Option<usize> {
    let (_, flag) = fields.iter().rev().find(|(k, _)| k == "_placeholder")?;
    if *flag != Value::Bool(true) {
        return None;
    }
    let (_, num) = fields.iter().rev().find(|(k, _)| k == "num")?;
    match num {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
}

/// Replaces each placeholder (checked by `placeholders::check`) by its attachment.
fn fill(value: &mut Value, attachments: &[Bytes]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, attachments)),
        Value::Object(fields) => match placeholder_num(fields).and_then(|n| attachments.get(n)) {
            Some(data) => *value = Value::Binary(data.clone()),
            None => fields.iter_mut().for_each(|(_, v)| fill(v, attachments)),
        },
        _ => {}
    }
}
