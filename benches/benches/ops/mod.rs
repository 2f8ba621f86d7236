//! The operations the benchmarks time, written once for each codec so that the
//! benchmarks (`benches/codec.rs`) and the parity tests (`tests/parity.rs`, which
//! include this module by path) run exactly the same code.
//!
//! Both sides expose the same operations with the same meaning (defined in
//! `RESULTS.md`):
//! - `decode`: packet text (+ attachments) → a packet ready to dispatch, seen
//!   through a [`Dispatch`] view: type, namespace, ack id, the event name as a
//!   string, and the arguments (raw JSON plus attachments) for the handler;
//! - `decode_typed`: the same, then the handler's argument deserialised into `T`;
//! - `encode`: (namespace, event, argument, ack id) → packet text + attachments;
//! - `decode_payload` / `encode_payload`: a polling body ↔ engine.io packets.

pub mod huddle;
pub mod parity;
pub mod socketioxide;

use bytes::Bytes;

/// A decoded packet as a dispatcher sees it; both codecs fill it with borrows of
/// their own packet, so building it costs a few moves.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch<'a> {
    /// BINARY_EVENT rather than EVENT.
    pub binary: bool,
    /// The namespace.
    pub nsp: &'a str,
    /// The ack id, if the sender wants an acknowledgement.
    pub id: Option<u64>,
    /// The event name.
    pub event: &'a str,
    /// The payload as received (`["event", …args]`, placeholders included).
    pub payload: &'a str,
    /// The attachments, as the two halves of a ring buffer (the second may be empty).
    pub attachments: (&'a [Bytes], &'a [Bytes]),
}

/// A [`Dispatch`] that owns its parts, for comparing the two codecs in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedDispatch {
    /// See [`Dispatch::binary`].
    pub binary: bool,
    /// See [`Dispatch::nsp`].
    pub nsp: String,
    /// See [`Dispatch::id`].
    pub id: Option<u64>,
    /// See [`Dispatch::event`].
    pub event: String,
    /// See [`Dispatch::payload`].
    pub payload: String,
    /// See [`Dispatch::attachments`].
    pub attachments: Vec<Bytes>,
}

impl Dispatch<'_> {
    /// Copies the view out, for assertions.
    pub fn to_owned(self) -> OwnedDispatch {
        OwnedDispatch {
            binary: self.binary,
            nsp: self.nsp.to_owned(),
            id: self.id,
            event: self.event.to_owned(),
            payload: self.payload.to_owned(),
            attachments: self
                .attachments
                .0
                .iter()
                .chain(self.attachments.1)
                .cloned()
                .collect(),
        }
    }
}
