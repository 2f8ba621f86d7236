//! The crate's JSON plumbing: a fast string escaper, a one-pass serializer into
//! `BytesMut` that turns bytes into binary placeholders, the event/ack argument
//! writer, the allocation-free validator (`scan`), and the depth-limited,
//! placeholder-aware deserializer that reads untrusted payloads into typed
//! values (`de`).

pub(crate) mod args;
pub(crate) mod de;
pub(crate) mod escape;
pub(crate) mod scan;
pub(crate) mod ser;
pub(crate) mod size;
