//! The input format of the `binary_reassembly` target: a few bytes choosing the
//! limits, then a sequence of framed steps fed to one `Reassembler`.
//!
//! ```text
//! limits: [max_attachments] [max_attachments_size: u16 LE] [max_depth] [max_namespace_len] [max_event_name_len]
//! step:   [tag] ([len: u16 LE] [len bytes])?
//!   tag % 5 = 0  Text        a socket.io packet text (a header, or any text packet)
//!             1  Attachment  one binary frame
//!             2  Reset       (no length, no payload)
//!             3  Batch       binary frames, each [len: u8] [bytes], fed with `feed_attachments`
//!             4  Built       bytes read with `arbitrary` into a `Built` value that is split
//!                            into a header plus its own attachments
//! ```
//!
//! A length running past the end takes what is left. The format is framed rather
//! than derived with `arbitrary` so that the seed corpus can be written from the
//! protocol documents' examples ([`write_seed`]).

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use huddle_protocol::socketio::{PacketType, Value};
use huddle_protocol::{JS_MAX_SAFE_INTEGER, Limits};

/// Limit selector bytes that decode to [`Limits::default`].
pub const DEFAULT_LIMITS: [u8; 6] = [10, 0xff, 0xff, 31, 0, 255];

/// One step of the input.
#[derive(Debug)]
pub enum Step {
    /// A socket.io packet text (lossily made UTF-8).
    Text(String),
    /// One binary frame, a slice of the input buffer.
    Attachment(Bytes),
    /// `Reassembler::reset`.
    Reset,
    /// Several binary frames fed at once.
    Batch(Vec<Bytes>),
    /// A value split into a binary packet and its attachments.
    Built(Built),
}

/// A decoded input.
#[derive(Debug)]
pub struct Input {
    /// The limits the reassembler and decoder enforce.
    pub limits: Limits,
    /// What to feed, in order.
    pub steps: Vec<Step>,
}

/// A BINARY_EVENT / BINARY_ACK built from an arbitrary value.
#[derive(Debug, Arbitrary)]
pub struct Built {
    /// BINARY_ACK rather than BINARY_EVENT.
    pub ack: bool,
    /// The namespace.
    pub nsp: Nsp,
    /// The ack id (forced for an ack).
    pub id: Option<u64>,
    /// The event name (unused for an ack).
    pub name: String,
    /// The arguments.
    pub args: Vec<Arb>,
}

/// A namespace choice.
#[derive(Debug, Arbitrary)]
pub enum Nsp {
    /// `/`.
    Default,
    /// `/admin`.
    Admin,
    /// `/` followed by any text (a `,` makes it invalid).
    Custom(String),
}

/// An arbitrary JSON value with binary parts.
#[derive(Debug, Arbitrary)]
pub enum Arb {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (non-finite becomes `null`).
    Float(f64),
    /// A string.
    Str(String),
    /// A binary part.
    Bin(Vec<u8>),
    /// An array.
    Array(Vec<Arb>),
    /// An object (duplicate keys allowed).
    Object(Vec<(String, Arb)>),
}

/// Deepest value [`Arb::to_value`] builds; deeper parts become `null`.
pub const MAX_BUILT_DEPTH: usize = 48;

impl Arb {
    /// The protocol value, truncated at [`MAX_BUILT_DEPTH`].
    pub fn to_value(&self, depth: usize) -> Value {
        if depth >= MAX_BUILT_DEPTH {
            return Value::Null;
        }
        match self {
            Arb::Null => Value::Null,
            Arb::Bool(b) => Value::Bool(*b),
            Arb::Int(i) => Value::Number((*i).into()),
            Arb::UInt(u) => Value::Number((*u).into()),
            Arb::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Arb::Str(s) => Value::String(s.clone()),
            Arb::Bin(b) => Value::Binary(Bytes::copy_from_slice(b)),
            Arb::Array(items) => {
                Value::Array(items.iter().map(|i| i.to_value(depth + 1)).collect())
            }
            Arb::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

impl Built {
    /// BINARY_EVENT or BINARY_ACK (what `split` is asked for).
    pub fn kind(&self) -> PacketType {
        if self.ack {
            PacketType::BinaryAck
        } else {
            PacketType::BinaryEvent
        }
    }

    /// The namespace text.
    pub fn nsp(&self) -> String {
        match &self.nsp {
            Nsp::Default => "/".to_owned(),
            Nsp::Admin => "/admin".to_owned(),
            Nsp::Custom(s) => format!("/{s}"),
        }
    }

    /// The ack id, within what a JavaScript peer can represent; always present on an ack.
    pub fn id(&self) -> Option<u64> {
        let id = self.id.map(|id| id % (JS_MAX_SAFE_INTEGER + 1));
        if self.ack { Some(id.unwrap_or(0)) } else { id }
    }

    /// The payload array: `[name, …args]` for an event, `[…args]` for an ack.
    pub fn value(&self) -> Value {
        let mut items = Vec::with_capacity(self.args.len() + 1);
        if !self.ack {
            items.push(Value::String(self.name.clone()));
        }
        items.extend(self.args.iter().map(|a| a.to_value(1)));
        Value::Array(items)
    }
}

fn limits_from(sel: [u8; 6]) -> Limits {
    let defaults = Limits::default();
    let size = u16::from_le_bytes([sel[1], sel[2]]);
    Limits {
        max_attachments: match sel[0] {
            b @ 0..=239 => usize::from(b % 13),
            // Beyond 128: the placeholder check's large-count path.
            b => 100 + usize::from(b - 240) * 10,
        },
        max_attachments_size: if size == u16::MAX {
            defaults.max_attachments_size
        } else {
            usize::from(size)
        },
        max_depth: 1 + usize::from(sel[3] % 40),
        max_namespace_len: if sel[4] == 0 {
            defaults.max_namespace_len
        } else {
            usize::from(sel[4])
        },
        max_event_name_len: if sel[5] == 255 {
            defaults.max_event_name_len
        } else {
            usize::from(sel[5])
        },
        ..defaults
    }
}

/// Reads an input; every byte string is a valid input.
pub fn parse(data: &[u8]) -> Input {
    let buf = Bytes::copy_from_slice(data);
    let mut sel = DEFAULT_LIMITS;
    let head = data.len().min(6);
    sel[..head].copy_from_slice(&data[..head]);
    let limits = limits_from(sel);
    let mut steps = Vec::new();
    let mut at = head;
    while at < data.len() {
        let tag = data[at] % 5;
        at += 1;
        if tag == 2 {
            steps.push(Step::Reset);
            continue;
        }
        let len = match data.get(at..at + 2) {
            Some(l) => usize::from(u16::from_le_bytes([l[0], l[1]])),
            None => data.len() - at,
        };
        at = (at + 2).min(data.len());
        let end = at.saturating_add(len).min(data.len());
        let payload = buf.slice(at..end);
        at = end;
        steps.push(match tag {
            0 => Step::Text(String::from_utf8_lossy(&payload).into_owned()),
            1 => Step::Attachment(payload),
            3 => {
                let mut frames = Vec::new();
                let mut i = 0;
                while i < payload.len() {
                    let n = usize::from(payload[i]);
                    let e = (i + 1 + n).min(payload.len());
                    frames.push(payload.slice(i + 1..e));
                    i = e;
                }
                Step::Batch(frames)
            }
            _ => match Built::arbitrary_take_rest(Unstructured::new(&payload)) {
                Ok(b) => Step::Built(b),
                Err(_) => continue,
            },
        });
    }
    Input { limits, steps }
}

/// A step to write into a seed.
#[derive(Debug, Clone, Copy)]
pub enum SeedStep<'a> {
    /// A packet text.
    Text(&'a str),
    /// One binary frame.
    Attachment(&'a [u8]),
    /// A reset.
    Reset,
    /// Binary frames fed at once (each at most 255 bytes).
    Batch(&'a [&'a [u8]]),
    /// Raw bytes for `arbitrary` to read a [`Built`] from.
    Built(&'a [u8]),
}

/// Writes an input that [`parse`] reads back as `steps` under the limits `sel`.
pub fn write_seed(sel: [u8; 6], steps: &[SeedStep<'_>]) -> Vec<u8> {
    let mut out = sel.to_vec();
    let framed = |out: &mut Vec<u8>, tag: u8, payload: &[u8]| {
        out.push(tag);
        let len = u16::try_from(payload.len()).expect("seed step under 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(payload);
    };
    for step in steps {
        match step {
            SeedStep::Text(t) => framed(&mut out, 0, t.as_bytes()),
            SeedStep::Attachment(a) => framed(&mut out, 1, a),
            SeedStep::Reset => out.push(2),
            SeedStep::Batch(frames) => {
                let mut payload = Vec::new();
                for f in *frames {
                    payload.push(u8::try_from(f.len()).expect("batch frame under 256 bytes"));
                    payload.extend_from_slice(f);
                }
                framed(&mut out, 3, &payload);
            }
            SeedStep::Built(raw) => framed(&mut out, 4, raw),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_seeds_read_back() {
        let seed = write_seed(
            DEFAULT_LIMITS,
            &[
                SeedStep::Text(r#"51-["baz",{"_placeholder":true,"num":0}]"#),
                SeedStep::Attachment(&[1, 2, 3, 4]),
                SeedStep::Reset,
                SeedStep::Batch(&[&[1], &[], &[2, 3]]),
            ],
        );
        let input = parse(&seed);
        assert_eq!(input.limits, Limits::default());
        assert_eq!(input.steps.len(), 4);
        assert!(matches!(&input.steps[0], Step::Text(t) if t.starts_with("51-")));
        assert!(matches!(&input.steps[1], Step::Attachment(a) if a[..] == [1, 2, 3, 4]));
        assert!(matches!(input.steps[2], Step::Reset));
        match &input.steps[3] {
            Step::Batch(frames) => {
                let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
                assert_eq!(frames, [&[1][..], &[][..], &[2, 3][..]]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn any_bytes_parse() {
        for data in [
            &b""[..],
            b"\x00",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
            b"123456\x00\xff\xff",
        ] {
            let _ = parse(data);
        }
    }
}
