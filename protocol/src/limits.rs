//! `Limits`: every bound the decoders enforce on hostile input, in one place.
//!
//! Each field has a safe default. A decoder never allocates in proportion to a
//! length the input merely claims: counts are checked against these limits before
//! anything is reserved, and sizes are checked against the bytes actually present.

/// The largest integer a JavaScript peer can represent exactly (`Number.MAX_SAFE_INTEGER`).
pub const JS_MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Bounds enforced by the Engine.IO and Socket.IO decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted unit of input, in bytes: one WebSocket frame, one HTTP
    /// long-polling body, one socket.io packet text. Default `1_000_000`, the
    /// `maxPayload` a standard server advertises in its handshake. Memory per
    /// connection in flight is bounded by roughly this value.
    pub max_payload: usize,
    /// Most records accepted in one HTTP long-polling body. Default `4096`.
    /// Bounds the `Vec` built by [`crate::engine::decode_payload`] (about 40 bytes
    /// per packet) even when a body is full of one-byte records.
    pub max_packets_per_payload: usize,
    /// Most binary attachments one BINARY_EVENT / BINARY_ACK may announce.
    /// Default `10`. The reassembler reserves at most this many slots.
    pub max_attachments: usize,
    /// Most bytes of binary attachments (summed) one packet may carry.
    /// Default `1_000_000`. Checked as each attachment arrives, so a peer cannot make
    /// the reassembler hold more than this.
    pub max_attachments_size: usize,
    /// Deepest JSON nesting (arrays and objects) accepted when a payload is read
    /// or checked, skipped parts included. Default `32`. Counted as the parser
    /// descends and refused before it goes deeper, so hostile input cannot exhaust
    /// the stack. Values above 127 act as 127, serde_json's own limit.
    pub max_depth: usize,
    /// Longest socket.io namespace, in bytes (including the leading `/`).
    /// Default `256`.
    pub max_namespace_len: usize,
    /// Longest event name, in bytes after JSON unescaping. Default `256`.
    pub max_event_name_len: usize,
    /// Largest accepted acknowledgement id. Default [`JS_MAX_SAFE_INTEGER`]: a
    /// JavaScript peer cannot represent a larger id exactly, so a larger one is not
    /// something a real client sends.
    pub max_ack_id: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 1_000_000,
            max_packets_per_payload: 4096,
            max_attachments: 10,
            max_attachments_size: 1_000_000,
            max_depth: 32,
            max_namespace_len: 256,
            max_event_name_len: 256,
            max_ack_id: JS_MAX_SAFE_INTEGER,
        }
    }
}

impl Limits {
    /// Checks one unit of input (frame, body, packet) against [`Limits::max_payload`].
    #[inline]
    pub fn check_payload_size(&self, size: usize) -> Result<(), crate::Error> {
        if size > self.max_payload {
            Err(crate::Error::PayloadTooLarge {
                size,
                max: self.max_payload,
            })
        } else {
            Ok(())
        }
    }
}
