//! `Error`: one variant per protocol rule a peer can break, with where it broke it.
//!
//! Offsets are byte offsets into the unit being decoded (the frame, the polling
//! record, or the socket.io packet text). The enum is `#[non_exhaustive]`: match
//! the variants you act on and log the rest with their `Display` text.

use crate::{engine, socketio};

/// Everything that can go wrong while decoding or encoding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- sizes and counts -------------------------------------------------------
    /// The input is larger than [`crate::Limits::max_payload`].
    #[error("payload of {size} bytes exceeds the limit of {max} bytes")]
    PayloadTooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// A polling body holds more records than [`crate::Limits::max_packets_per_payload`].
    #[error("polling payload holds more than {max} packets")]
    TooManyPackets {
        /// The configured limit.
        max: usize,
    },

    // ---- Engine.IO ----------------------------------------------------------------
    /// A packet (or polling record) with no bytes at all.
    #[error("empty packet (record {record})")]
    EmptyPacket {
        /// Index of the record in a polling body (0 for a WebSocket frame).
        record: usize,
    },
    /// The packet type byte is not one the protocol defines.
    #[error("unknown packet type byte {byte:#04x} at offset {offset}")]
    UnknownPacketType {
        /// The offending byte.
        byte: u8,
        /// Its byte offset in the packet.
        offset: usize,
    },
    /// Text that is not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        offset: usize,
    },
    /// A `b`-prefixed polling record whose base64 does not decode.
    #[error("polling record {record}: invalid base64")]
    InvalidBase64 {
        /// Index of the record in the polling body.
        record: usize,
    },
    /// An Engine.IO packet that carries data although its type never does
    /// (close, upgrade, noop).
    #[error("engine.io {kind:?} packet must not carry data (found at offset {offset})")]
    UnexpectedEngineData {
        /// The packet type.
        kind: engine::PacketType,
        /// Offset of the first unexpected byte.
        offset: usize,
    },
    /// The open packet's handshake JSON is malformed.
    #[error("invalid open packet handshake: {0}")]
    InvalidHandshake(#[source] serde_json::Error),

    // ---- Socket.IO header -----------------------------------------------------------
    /// The `<count>-` prefix of a binary packet is missing or malformed.
    #[error("binary packet: attachment count must be digits followed by '-' (offset {offset})")]
    InvalidAttachmentCount {
        /// Offset where the count was expected or went wrong.
        offset: usize,
    },
    /// A binary packet announces more attachments than [`crate::Limits::max_attachments`].
    #[error("packet announces {count} attachments, the limit is {max}")]
    TooManyAttachments {
        /// The announced count (saturated at `usize::MAX`).
        count: usize,
        /// The configured limit.
        max: usize,
    },
    /// A namespace longer than [`crate::Limits::max_namespace_len`].
    #[error("namespace of {len} bytes exceeds the limit of {max} bytes")]
    NamespaceTooLong {
        /// Bytes of namespace seen (at least `max + 1`).
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// An acknowledgement id above [`crate::Limits::max_ack_id`] (or beyond `u64`).
    #[error("ack id at offset {offset} exceeds the maximum of {max}")]
    AckIdOutOfRange {
        /// Offset of the ack id's first digit.
        offset: usize,
        /// The configured limit.
        max: u64,
    },
    /// ACK and BINARY_ACK packets must carry the id they acknowledge.
    #[error("{kind:?} packet without an ack id")]
    MissingAckId {
        /// The packet type.
        kind: socketio::PacketType,
    },
    /// An ack id on a packet type that never carries one (CONNECT, DISCONNECT, CONNECT_ERROR).
    #[error("{kind:?} packet must not carry an ack id (offset {offset})")]
    UnexpectedAckId {
        /// The packet type.
        kind: socketio::PacketType,
        /// Offset of the id.
        offset: usize,
    },
    /// A packet type that requires a payload arrived without one.
    #[error("{kind:?} packet without a payload")]
    MissingPayload {
        /// The packet type.
        kind: socketio::PacketType,
    },
    /// The payload does not have the shape its packet type requires
    /// (EVENT: non-empty array starting with a string; ACK: array; CONNECT: object;
    /// CONNECT_ERROR: object or string; DISCONNECT: nothing).
    #[error("{kind:?} payload at offset {offset}: expected {expected}")]
    InvalidPayload {
        /// The packet type.
        kind: socketio::PacketType,
        /// Offset where the payload went wrong.
        offset: usize,
        /// What the rule requires.
        expected: &'static str,
    },

    // ---- Socket.IO payload ----------------------------------------------------------
    /// The event name (first array element) is longer than
    /// [`crate::Limits::max_event_name_len`].
    #[error("event name exceeds the limit of {max} bytes")]
    EventNameTooLong {
        /// The configured limit.
        max: usize,
    },
    /// The event name is not a well-formed JSON string.
    #[error("event name is not a valid JSON string (offset {offset})")]
    InvalidEventName {
        /// Offset in the payload where it went wrong.
        offset: usize,
    },
    /// Malformed JSON in a payload being read or checked, or JSON serde_json
    /// cannot hold (an unpaired surrogate escape, a number beyond `f64`).
    #[error("malformed JSON at offset {offset}")]
    InvalidJson {
        /// Byte offset in the payload.
        offset: usize,
    },
    /// JSON nested deeper than [`crate::Limits::max_depth`].
    #[error("JSON nesting deeper than {max} levels")]
    NestingTooDeep {
        /// The configured limit.
        max: usize,
    },
    /// An event or ack carries fewer arguments than the handler asked for.
    #[error("missing argument {index}")]
    MissingArgument {
        /// Zero-based index of the missing argument (after the event name).
        index: usize,
    },
    /// The JSON payload does not match the requested type (serde's message), or
    /// a handshake / `Value` conversion failed in serde_json.
    #[error("JSON payload: {0}")]
    Json(#[from] serde_json::Error),

    // ---- binary attachments -----------------------------------------------------------
    /// A text packet arrived while the attachments of a binary packet were still pending.
    #[error("text packet received while {pending} binary attachment(s) are still expected")]
    UnexpectedTextPacket {
        /// Attachments still expected.
        pending: usize,
    },
    /// A binary frame arrived while no binary packet was waiting for attachments.
    #[error("binary attachment received while none was expected")]
    UnexpectedAttachment,
    /// The reassembler was given a packet that is not BINARY_EVENT / BINARY_ACK.
    #[error("{kind:?} is not a binary packet type")]
    NotBinaryPacket {
        /// The packet type given.
        kind: socketio::PacketType,
    },
    /// The attachments of one packet add up to more than
    /// [`crate::Limits::max_attachments_size`] bytes.
    #[error("attachments total {size} bytes, the limit is {max}")]
    AttachmentsTooLarge {
        /// Bytes received so far including the one refused.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// A placeholder object that is not `{"_placeholder":true,"num":<integer>}`.
    #[error("malformed binary placeholder")]
    InvalidPlaceholder,
    /// A placeholder refers to an attachment index the packet did not announce.
    #[error("placeholder refers to attachment {num}, but the packet announces {count}")]
    PlaceholderOutOfRange {
        /// The index in the placeholder.
        num: u64,
        /// The announced attachment count.
        count: usize,
    },
    /// Two placeholders refer to the same attachment.
    #[error("attachment {num} is referenced by more than one placeholder")]
    DuplicatePlaceholder {
        /// The repeated index.
        num: usize,
    },
    /// An announced attachment that no placeholder refers to.
    #[error("attachment {num} is announced but no placeholder refers to it")]
    MissingPlaceholder {
        /// The unreferenced index.
        num: usize,
    },
    /// A value with binary parts cannot be represented as plain JSON.
    #[error("value holds binary data, which plain JSON cannot represent")]
    BinaryInJson,

    // ---- encoding -----------------------------------------------------------------------
    /// A namespace that cannot be encoded: it must start with `/` and, with the
    /// standard parser, contain no `,`.
    #[error("namespace {nsp:?} cannot be encoded: it must start with '/' and contain no ','")]
    InvalidNamespace {
        /// The namespace given.
        nsp: String,
    },
    /// An event name the protocol reserves or that is empty.
    #[error("event name {name:?} cannot be sent")]
    ReservedEventName {
        /// The event name given.
        name: String,
    },
    /// A value could not be serialized (e.g. a map key that is not a string).
    #[error("cannot serialize payload: {message}")]
    Serialize {
        /// What the serializer reported.
        message: String,
    },
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Serialize {
            message: msg.to_string(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
