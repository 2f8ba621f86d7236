//! The crate's JSON plumbing: a fast string escaper, a one-pass serializer into
//! `BytesMut` that turns bytes into binary placeholders, the event/ack argument
//! writer, and the nesting-depth guard used before parsing untrusted JSON.

pub(crate) mod args;
pub(crate) mod depth;
pub(crate) mod escape;
pub(crate) mod scan;
pub(crate) mod ser;
pub(crate) mod size;
