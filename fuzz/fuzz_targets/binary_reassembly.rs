//! Fuzz target: the binary reassembly state machine (`socketio::Reassembler`),
//! driven by a sequence of steps (see `huddle_fuzz::steps`): packet texts, binary
//! frames, batches of frames, resets, and values split with `socketio::split`.
//!
//! A model runs beside the reassembler and predicts every answer:
//! - a header's payload gets the verdict of a tree-based reference check
//!   (`huddle_fuzz::json`: JSON syntax, nesting depth, placeholders in range,
//!   unique, not nested, every announced index used). The codec may enforce it
//!   when the header arrives or when the completed packet is read
//!   (`BinaryPacket::check` / `value`), but it enforces it: a valid payload is
//!   never refused, an invalid one never read (by `value`, `args` or `first_arg`),
//!   and the error is the first violation in document order (or `NestingTooDeep`
//!   if the payload is too deep); JSON that `serde_json` cannot hold is refused;
//! - a header announcing more than `max_attachments`, or with no payload, is
//!   refused on arrival;
//! - a completed packet carries exactly the announced number of attachments, the
//!   frames fed (the same buffers, zero-copy), within `max_attachments` and
//!   `max_attachments_size`; a valid one reads with every placeholder resolved and
//!   each binary part where its placeholder was, the same through the tree
//!   (`value`) and straight from the text (`args`, `first_arg`);
//! - a frame with nothing pending, a text packet while frames are pending, and a
//!   frame past the size limit are refused with their typed errors and reset;
//!   `pending()` always equals what the model expects;
//! - a value split into a header and attachments (`split`) encodes, decodes,
//!   reassembles and reads back (`BinaryPacket::value`) to the value it was.
#![no_main]

use bytes::{Bytes, BytesMut};
use huddle_fuzz::json::{self, Placeholders};
use huddle_fuzz::limits;
use huddle_fuzz::steps::{self, Built, Step};
use huddle_protocol::socketio::{
    self, Assembled, BinaryPacket, Packet, PacketType, Reassembler, Value, decode,
};
use huddle_protocol::{Error, Limits, Str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = steps::parse(data);
    let mut run = Run {
        limits: input.limits,
        r: Reassembler::new(input.limits),
        pending: None,
    };
    for step in input.steps {
        match step {
            Step::Text(text) => {
                if let Ok(p) = decode(Str::from(text), &run.limits) {
                    run.header(p);
                }
            }
            Step::Attachment(frame) => {
                let result = run.r.feed_attachment(frame.clone());
                let outcome = run.model_feed(frame);
                outcome.check(result, &run.limits);
            }
            Step::Batch(frames) => run.batch(frames),
            Step::Reset => {
                run.r.reset();
                run.pending = None;
            }
            Step::Built(built) => run.built(&built),
        }
        assert_eq!(
            run.r.pending(),
            run.expected_pending(),
            "pending() disagrees with the model"
        );
    }
});

/// What the reference check says about a binary header's payload.
#[derive(Debug, Clone)]
enum Verdict {
    /// Valid; the placeholder indexes in document order.
    Valid(Vec<usize>),
    /// Invalid for the first violation in document order, `first`; a codec that
    /// checks depth before anything else may instead report `NestingTooDeep`
    /// when `too_deep`.
    Invalid { first: Placeholders, too_deep: bool },
    /// Not JSON: refused for the syntax or an earlier violation.
    NotJson,
    /// Valid JSON syntax that `serde_json` cannot represent (a lone surrogate, a
    /// number beyond `f64`): refused by the check like malformed JSON.
    Unrepresentable,
}

impl Verdict {
    fn of(p: &Packet, data: &str, limits: &Limits) -> Verdict {
        let Ok(value) = serde_json::from_str::<Value>(data) else {
            return if json::is_valid_syntax(data) {
                Verdict::Unrepresentable
            } else {
                Verdict::NotJson
            };
        };
        match json::placeholders(&value, p.attachments, limits.max_depth) {
            Placeholders::Valid(order) => Verdict::Valid(order),
            first => Verdict::Invalid {
                first,
                too_deep: json::value_depth(&value) > limits.max_depth,
            },
        }
    }

    /// Whether `e` is a refusal this verdict allows.
    fn allows(&self, e: &Error, limits: &Limits) -> bool {
        match self {
            Verdict::Valid(_) => false,
            Verdict::Invalid { too_deep: true, .. } if matches!(e, Error::NestingTooDeep { max } if *max == limits.max_depth) => {
                true
            }
            Verdict::Invalid { first, .. } => match (first, e) {
                (Placeholders::Invalid, Error::InvalidPlaceholder) => true,
                (
                    Placeholders::OutOfRange { num, count },
                    Error::PlaceholderOutOfRange { num: n, count: c },
                ) => (num, count) == (n, c),
                (Placeholders::Duplicate { num }, Error::DuplicatePlaceholder { num: n }) => {
                    num == n
                }
                (Placeholders::Missing { num }, Error::MissingPlaceholder { num: n }) => num == n,
                (Placeholders::TooDeep, Error::NestingTooDeep { max }) => *max == limits.max_depth,
                _ => false,
            },
            Verdict::NotJson => matches!(
                e,
                Error::Json(_)
                    | Error::InvalidJson { .. }
                    | Error::NestingTooDeep { .. }
                    | Error::InvalidPlaceholder
                    | Error::PlaceholderOutOfRange { .. }
                    | Error::DuplicatePlaceholder { .. }
            ),
            Verdict::Unrepresentable => matches!(
                e,
                Error::Json(_)
                    | Error::InvalidJson { .. }
                    | Error::NestingTooDeep { .. }
                    | Error::InvalidPlaceholder
                    | Error::PlaceholderOutOfRange { .. }
                    | Error::DuplicatePlaceholder { .. }
                    | Error::MissingPlaceholder { .. }
            ),
        }
    }
}

/// A header the model is collecting attachments for.
#[derive(Debug, Clone)]
struct Pending {
    header: Packet,
    verdict: Verdict,
    received: Vec<Bytes>,
    size: usize,
}

struct Run {
    limits: Limits,
    r: Reassembler,
    pending: Option<Pending>,
}

/// What the model predicts for one fed frame (or batch).
#[derive(Debug)]
enum Outcome {
    NeedMore,
    Done(Pending),
    Unexpected,
    TooLarge { size: usize, max: usize },
}

impl Run {
    fn expected_pending(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.header.attachments - p.received.len())
    }

    /// Feeds a decoded packet and checks the answer against the model.
    fn header(&mut self, p: Packet) -> Option<BinaryPacket> {
        let result = self.r.feed_packet(p.clone());
        if let Some(pending) = self.pending.take() {
            let left = pending.header.attachments - pending.received.len();
            assert!(
                matches!(result, Err(Error::UnexpectedTextPacket { pending }) if pending == left),
                "text packet while {left} attachments pending: {result:?}"
            );
            return None;
        }
        if !p.kind.is_binary() {
            assert_eq!(
                result.unwrap(),
                Some(Assembled::Packet(p)),
                "plain packet passes through"
            );
            return None;
        }
        if p.attachments > self.limits.max_attachments {
            assert!(
                matches!(result, Err(Error::TooManyAttachments { count, max })
                    if (count, max) == (p.attachments, self.limits.max_attachments)),
                "{result:?}"
            );
            return None;
        }
        let Some(data) = &p.data else {
            assert!(
                matches!(result, Err(Error::MissingPayload { .. })),
                "{result:?}"
            );
            return None;
        };
        let verdict = Verdict::of(&p, data, &self.limits);
        let pending = Pending {
            header: p.clone(),
            verdict: verdict.clone(),
            received: Vec::new(),
            size: 0,
        };
        match result {
            Ok(None) => {
                assert!(
                    p.attachments > 0,
                    "a header announcing 0 attachments must complete"
                );
                self.pending = Some(pending);
                None
            }
            Ok(Some(Assembled::Binary(bp))) => {
                assert_eq!(p.attachments, 0, "completed before its attachments arrived");
                check_complete(&bp, &pending, &self.limits);
                Some(bp)
            }
            Ok(Some(Assembled::Packet(other))) => panic!("binary header passed through: {other:?}"),
            Err(e) => {
                assert!(
                    verdict.allows(&e, &self.limits),
                    "header {p:?}: {verdict:?}, got {e:?}"
                );
                None
            }
        }
    }

    /// The model's answer to one binary frame; updates the model's state.
    fn model_feed(&mut self, frame: Bytes) -> Outcome {
        let Some(p) = self.pending.as_mut() else {
            return Outcome::Unexpected;
        };
        let size = p.size.saturating_add(frame.len());
        if size > self.limits.max_attachments_size {
            self.pending = None;
            return Outcome::TooLarge {
                size,
                max: self.limits.max_attachments_size,
            };
        }
        p.size = size;
        p.received.push(frame);
        if p.received.len() < p.header.attachments {
            return Outcome::NeedMore;
        }
        Outcome::Done(self.pending.take().expect("pending"))
    }

    fn batch(&mut self, frames: Vec<Bytes>) {
        let result = self.r.feed_attachments(frames.clone());
        let mut outcome = Outcome::NeedMore;
        for frame in frames {
            if matches!(outcome, Outcome::Done(_)) {
                // A frame left over after the packet completed.
                outcome = Outcome::Unexpected;
                break;
            }
            outcome = self.model_feed(frame);
            if matches!(outcome, Outcome::Unexpected | Outcome::TooLarge { .. }) {
                break;
            }
        }
        outcome.check(result, &self.limits);
    }

    /// Splits a built value, checks the split, then feeds the header and its own
    /// attachments and checks the value reads back unchanged.
    fn built(&mut self, built: &Built) {
        let nsp = built.nsp();
        let value = built.value();
        let split = socketio::split(built.kind(), Str::from(nsp.clone()), built.id(), &value);
        if nsp.contains(',') {
            assert!(
                matches!(split, Err(Error::InvalidNamespace { .. })),
                "{split:?}"
            );
            return;
        }
        let (packet, parts) = split.unwrap_or_else(|e| panic!("split refused {value:?}: {e}"));
        assert_eq!(
            parts,
            json::binaries(&value),
            "attachments in order of appearance"
        );
        assert_eq!(packet.attachments, parts.len());
        let plain = if built.ack {
            PacketType::Ack
        } else {
            PacketType::Event
        };
        let expected_kind = if parts.is_empty() {
            plain
        } else {
            built.kind()
        };
        assert_eq!(packet.kind, expected_kind);
        assert_eq!((packet.nsp.as_str(), packet.id), (nsp.as_str(), built.id()));
        if !json::has_placeholder_key(&value) {
            let data: Value = serde_json::from_str(packet.data.as_ref().unwrap()).unwrap();
            assert_eq!(
                json::placeholders(&data, parts.len(), usize::MAX),
                Placeholders::Valid((0..parts.len()).collect()),
                "split numbers placeholders in order"
            );
        }

        let mut out = BytesMut::new();
        packet.encode(&mut out).expect("split packet encodes");
        let text = Str::from_utf8(out.freeze()).expect("encoder writes UTF-8");
        let decoded = match decode(text, &limits::unbounded_payload(&self.limits)) {
            Ok(d) => d,
            Err(Error::NamespaceTooLong { .. }) => {
                assert!(nsp.len() > self.limits.max_namespace_len);
                return;
            }
            Err(Error::TooManyAttachments { count, max }) => {
                assert_eq!((count, max), (parts.len(), self.limits.max_attachments));
                // `start` enforces the limit itself for a packet that did not
                // come through the decoder.
                if self.pending.is_none() {
                    let r = self.r.start(packet);
                    assert!(matches!(r, Err(Error::TooManyAttachments { .. })), "{r:?}");
                }
                return;
            }
            Err(e) => panic!("split packet {packet:?} does not decode: {e}"),
        };
        assert_eq!(decoded, packet, "decode(encode(split)) != split");
        if parts.is_empty() && self.pending.is_none() {
            let r = self.r.start(packet.clone());
            assert!(matches!(r, Err(Error::NotBinaryPacket { .. })), "{r:?}");
        }

        let mut done = self.header(decoded);
        if self.pending.is_some() {
            for part in &parts {
                let result = self.r.feed_attachment(part.clone());
                let outcome = self.model_feed(part.clone());
                done = outcome.check(result, &self.limits);
                if self.pending.is_none() {
                    break;
                }
            }
        }
        if let Some(bp) = done
            && !json::has_placeholder_key(&value)
            && json::wire_depth(&value) <= self.limits.max_depth
        {
            assert_eq!(
                bp.value().unwrap(),
                value,
                "split + reassembly changed the value"
            );
        }
    }
}

impl Outcome {
    fn check(
        self,
        result: Result<Option<BinaryPacket>, Error>,
        limits: &Limits,
    ) -> Option<BinaryPacket> {
        match (self, result) {
            (Outcome::NeedMore, Ok(None)) => None,
            (Outcome::Done(p), Ok(Some(bp))) => {
                check_complete(&bp, &p, limits);
                Some(bp)
            }
            (Outcome::Unexpected, Err(Error::UnexpectedAttachment)) => None,
            (
                Outcome::TooLarge { size, max },
                Err(Error::AttachmentsTooLarge { size: s, max: m }),
            ) => {
                assert_eq!((size, max), (s, m));
                None
            }
            (outcome, result) => panic!("model expected {outcome:?}, reassembler said {result:?}"),
        }
    }
}

/// The invariants of a completed binary packet.
fn check_complete(bp: &BinaryPacket, p: &Pending, limits: &Limits) {
    let header = &p.header;
    assert_eq!(
        (bp.kind, &bp.nsp, bp.id),
        (header.kind, &header.nsp, header.id),
        "header fields changed"
    );
    assert_eq!(Some(&bp.data), header.data.as_ref(), "payload changed");
    assert_eq!(
        bp.attachments.len(),
        header.attachments,
        "announced count not honoured"
    );
    assert!(bp.attachments.len() <= limits.max_attachments);
    let total: usize = bp.attachments.iter().map(Bytes::len).sum();
    assert!(
        total <= limits.max_attachments_size,
        "attachment size limit exceeded"
    );
    assert_eq!(
        bp.attachments, p.received,
        "attachments are the frames fed, in order"
    );
    for (a, f) in bp.attachments.iter().zip(&p.received) {
        if !a.is_empty() {
            assert_eq!(a.as_ptr(), f.as_ptr(), "attachment copied");
        }
    }

    let order = match &p.verdict {
        Verdict::Valid(order) => order,
        Verdict::Unrepresentable => {
            // The check refuses it (with the first violation in document order,
            // which may be a placeholder's), and nothing reads it.
            let e = bp
                .check()
                .expect_err("unrepresentable payload passed check()");
            assert!(p.verdict.allows(&e, limits), "{e:?}");
            let e = bp.value().expect_err("unrepresentable payload read");
            assert!(p.verdict.allows(&e, limits), "{e:?}");
            assert!(bp.values().is_err());
            assert!(bp.args::<Vec<Value>>().is_err());
            assert!(bp.first_arg::<Option<Value>>().is_err());
            return;
        }
        invalid => {
            // Not refused at the header: refused now, on read, for the same rule.
            let e = bp.check().expect_err("invalid payload passed check()");
            assert!(
                invalid.allows(&e, limits),
                "{bp:?}: {invalid:?}, check() said {e:?}"
            );
            let e = bp.value().expect_err("invalid payload read");
            assert!(
                invalid.allows(&e, limits),
                "{bp:?}: {invalid:?}, value() said {e:?}"
            );
            assert!(bp.values().is_err());
            let e = bp
                .args::<Vec<Value>>()
                .expect_err("invalid payload read by args");
            assert!(invalid.allows(&e, limits), "args() said {e:?}");
            let e = bp
                .first_arg::<Option<Value>>()
                .expect_err("invalid payload read by first_arg");
            assert!(invalid.allows(&e, limits), "first_arg() said {e:?}");
            return;
        }
    };
    bp.check()
        .unwrap_or_else(|e| panic!("valid payload refused by check(): {e}"));
    let value = bp
        .value()
        .unwrap_or_else(|e| panic!("valid payload refused by value(): {e}"));
    assert!(
        !json::has_placeholder_object(&value),
        "unresolved placeholder in {value:?}"
    );
    let expected: Vec<Bytes> = order.iter().map(|&n| p.received[n].clone()).collect();
    assert_eq!(
        json::binaries(&value),
        expected,
        "binary parts are not where their placeholders were"
    );

    let Value::Array(items) = &value else {
        panic!("binary packet payload is not an array: {value:?}");
    };
    let skip = usize::from(bp.kind == PacketType::BinaryEvent);
    let args = &items[skip.min(items.len())..];
    assert_eq!(bp.values().unwrap(), args);
    // The typed readers deserialise straight from the text: same values.
    assert_eq!(bp.args::<Vec<Value>>().unwrap(), args);
    let first = match args.first() {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.clone()),
    };
    assert_eq!(bp.first_arg::<Option<Value>>().unwrap(), first);
    let name = bp.event_name(limits);
    if bp.kind == PacketType::BinaryEvent {
        let Some(Value::String(reference)) = items.first() else {
            panic!("BINARY_EVENT without a name: {value:?}");
        };
        match name {
            Ok(n) => assert_eq!(n.as_str(), reference),
            Err(Error::EventNameTooLong { max }) => assert!(reference.len() > max),
            Err(e) => panic!("event_name of a valid BINARY_EVENT: {e}"),
        }
    } else {
        assert!(name.is_err(), "a BINARY_ACK has no event name");
    }
}
