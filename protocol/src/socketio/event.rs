//! Reading an event's name and arguments from a packet's raw JSON payload, lazily
//! (socket.io-protocol v5, "Sending and receiving data" and "Acknowledgement").
//!
//! An EVENT payload is `["name", …args]`, an ACK payload `[…args]`. The name is read
//! without a JSON parser when it has no escapes (a zero-copy slice of the packet);
//! arguments are deserialised straight from the payload text into any
//! `serde::Deserialize` type, in one pass that also enforces the nesting-depth
//! limit (`json::de`). [`Packet::check`] validates a payload without reading it.
//!
//! Argument shape, mirroring [`super::encode_event`]: [`Packet::args`] hands the
//! arguments to `T` as a sequence (use a tuple, a tuple struct or a `Vec`);
//! [`Packet::first_arg`] deserialises only the first argument (the common
//! "one payload object" handler).

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, IntoDeserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::packet::Packet;
use crate::json::de as json_de;
use crate::json::scan::{NoPlaceholders, scan};
use crate::{Error, Limits, Result, Str};

/// Event names a socket.io peer must not use: the reference implementation
/// reserves them for its own lifecycle events and refuses packets that carry them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// Serialises a slice as spread arguments: `encode_event(out, "/", "e",
/// &Spread(&values), None)` sends each element as its own argument.
#[derive(Debug, Clone, Copy)]
pub struct Spread<'a, T>(pub &'a [T]);

impl<T: Serialize> Serialize for Spread<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(self.0.len())?;
        for v in self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

#[inline]
fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Reads the event name, the first element of an EVENT payload `["name", …]`.
///
/// Returns a slice of `data` when the name has no escapes, an unescaped copy
/// otherwise. The scan never goes further than the longest raw spelling of a name
/// within [`Limits::max_event_name_len`].
pub fn read_event_name(data: &Str, limits: &Limits) -> Result<Str> {
    let bytes = data.as_bytes();
    let open = skip_ws(bytes, 0);
    if bytes.get(open) != Some(&b'[') {
        return Err(Error::InvalidEventName { offset: open });
    }
    let quote = skip_ws(bytes, open + 1);
    if bytes.get(quote) != Some(&b'"') {
        return Err(Error::InvalidEventName { offset: quote });
    }
    let start = quote + 1;
    let max = limits.max_event_name_len;
    // An escape spells at most one byte in six (`\u00XX`).
    let window_end = bytes.len().min(
        start
            .saturating_add(max.saturating_mul(6))
            .saturating_add(1),
    );
    let window = &bytes[start..window_end];
    match memchr::memchr2(b'"', b'\\', window) {
        Some(at) if window[at] == b'"' => {
            if at > max {
                return Err(Error::EventNameTooLong { max });
            }
            // `start..start+at` lies between two ASCII quotes: char boundaries.
            Ok(data.slice_ascii(start, start + at))
        }
        Some(_) => read_escaped_name(data, start, window, limits),
        None if window_end < bytes.len() => Err(Error::EventNameTooLong { max }),
        None => Err(Error::InvalidEventName {
            offset: bytes.len(),
        }),
    }
}

/// Slow path: the name contains escapes. Find the closing quote, then let the
/// JSON parser unescape exactly that token.
fn read_escaped_name(data: &Str, start: usize, window: &[u8], limits: &Limits) -> Result<Str> {
    let max = limits.max_event_name_len;
    let mut i = 0;
    let end = loop {
        match memchr::memchr2(b'"', b'\\', &window[i.min(window.len())..]) {
            Some(at) if window[i + at] == b'\\' => i += at + 2,
            Some(at) => break i + at,
            None if start + window.len() < data.len() => {
                return Err(Error::EventNameTooLong { max });
            }
            None => {
                return Err(Error::InvalidEventName { offset: data.len() });
            }
        }
    };
    // Token including both quotes.
    let token = &data.as_bytes()[start - 1..start + end + 1];
    let name: String =
        serde_json::from_slice(token).map_err(|_| Error::InvalidEventName { offset: start })?;
    if name.len() > max {
        return Err(Error::EventNameTooLong { max });
    }
    Ok(Str::from(name))
}

/// Hands the elements of the payload array (after `skip` leading ones) to `T`
/// as a sequence; extra elements `T` does not consume are ignored, as a JavaScript
/// handler ignores extra arguments.
pub(crate) struct ArgsSeed<T> {
    pub(crate) skip: usize,
    pub(crate) marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ArgsSeed<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of arguments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<T, A::Error> {
        for _ in 0..self.skip {
            seq.next_element::<IgnoredAny>()?;
        }
        let value = T::deserialize(de::value::SeqAccessDeserializer::new(&mut seq))?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

/// Deserialises the argument at position `skip` (if present) and ignores the rest.
pub(crate) struct NthSeed<T> {
    pub(crate) skip: usize,
    pub(crate) marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for NthSeed<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of arguments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Option<T>, A::Error> {
        for _ in 0..self.skip {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(None);
            }
        }
        let value = seq.next_element::<T>()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ArgsSeed<T> {
    type Value = T;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        d.deserialize_seq(self)
    }
}

/// Deserialises a text payload with `seed`, within [`Limits::max_depth`].
pub(crate) fn parse_with<'de, S: DeserializeSeed<'de>>(
    json: &'de str,
    limits: &Limits,
    seed: S,
) -> Result<S::Value> {
    json_de::parse(json, limits.max_depth, None, seed)
}

/// Hands the payload array to a visitor of the arguments.
pub(crate) struct SeqSeed<V>(pub(crate) V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for SeqSeed<V> {
    type Value = V::Value;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<V::Value, D::Error> {
        d.deserialize_seq(self.0)
    }
}

impl Packet {
    /// How many leading payload elements are not arguments (the event name).
    fn skipped(&self) -> usize {
        usize::from(self.kind.is_event())
    }

    fn payload_str(&self) -> Result<&str> {
        self.data
            .as_ref()
            .map(|d| d.as_str())
            .ok_or(Error::MissingPayload { kind: self.kind })
    }

    /// The event name of an EVENT / BINARY_EVENT packet (see [`read_event_name`]).
    pub fn event_name(&self, limits: &Limits) -> Result<Str> {
        if !self.kind.is_event() {
            return Err(Error::InvalidPayload {
                kind: self.kind,
                offset: 0,
                expected: "an EVENT packet",
            });
        }
        let data = self
            .data
            .as_ref()
            .ok_or(Error::MissingPayload { kind: self.kind })?;
        read_event_name(data, limits)
    }

    /// Deserialises the arguments (the payload array without the event name for
    /// events; the whole array for acks) into `T`, which receives them as a
    /// sequence: a tuple, tuple struct or `Vec`. Extra arguments are ignored.
    ///
    /// The whole payload is read in the same pass, the parts `T` ignores
    /// included: it must be valid JSON (strings and numbers serde_json can hold)
    /// nested at most [`Limits::max_depth`] deep ([`Error::NestingTooDeep`]).
    pub fn args<'de, T: Deserialize<'de>>(&'de self, limits: &Limits) -> Result<T> {
        let seed = ArgsSeed {
            skip: self.skipped(),
            marker: PhantomData,
        };
        parse_with(self.payload_str()?, limits, seed)
    }

    /// Deserialises the first argument into `T`. A missing argument is an error
    /// unless `T` accepts nothing (an `Option` becomes `None`).
    pub fn first_arg<'de, T: Deserialize<'de>>(&'de self, limits: &Limits) -> Result<T> {
        let seed = SeqSeed(NthSeed::<T> {
            skip: self.skipped(),
            marker: PhantomData,
        });
        match parse_with(self.payload_str()?, limits, seed)? {
            Some(value) => Ok(value),
            None => T::deserialize(().into_deserializer())
                .map_err(|_: de::value::Error| Error::MissingArgument { index: 0 }),
        }
    }

    /// Deserialises the whole payload (e.g. a CONNECT auth object, a
    /// CONNECT_ERROR body) into `T`, within [`Limits::max_depth`]. `Ok(None)`
    /// when the packet has no payload.
    pub fn payload<'de, T: Deserialize<'de>>(&'de self, limits: &Limits) -> Result<Option<T>> {
        let Some(data) = &self.data else {
            return Ok(None);
        };
        parse_with(data.as_str(), limits, PhantomData::<T>).map(Some)
    }

    /// Checks the payload without reading it into anything: JSON syntax,
    /// strings and numbers serde_json can hold (no unpaired surrogate escape, no
    /// number beyond `f64`), nesting within [`Limits::max_depth`]. One pass, no
    /// allocation. A payload that passes fails [`Packet::args`] /
    /// [`Packet::first_arg`] only for its shape or type; one that fails is refused
    /// by them too. `Ok` when the packet has no payload.
    ///
    /// For a server that refuses bad input on arrival rather than when a handler
    /// reads it; the counterpart of [`super::BinaryPacket::check`].
    pub fn check(&self, limits: &Limits) -> Result<()> {
        match &self.data {
            Some(data) => scan(data.as_bytes(), limits.max_depth, NoPlaceholders),
            None => Ok(()),
        }
    }
}
