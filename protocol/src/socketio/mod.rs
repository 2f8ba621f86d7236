//! Socket.IO v5: packets over Engine.IO messages, namespaces, acks and binary
//! attachments.
//!
//! - [`packet`]: [`PacketType`], [`Packet`] (payload kept as raw JSON, lazily read).
//! - [`decode`](mod@decode): text form → [`Packet`] ([`decode()`]).
//! - [`encode`](mod@encode): [`Packet::encode`], [`encode_event`], [`encode_ack`],
//!   [`encode_connect`], [`encode_connect_sid`], [`encode_connect_error`],
//!   [`encode_disconnect`].
//! - [`event`]: [`Packet::event_name`], [`Packet::args`], [`Packet::first_arg`],
//!   [`Packet::payload`], [`Spread`].
//! - [`value`]: [`Value`], JSON with binary parts.
//! - [`binary`]: [`split`], [`encode_event_values`], [`encode_ack_values`].
//! - [`reassemble`]: [`Reassembler`], [`BinaryPacket`] (lazy: [`BinaryPacket::check`],
//!   [`BinaryPacket::value`], [`BinaryPacket::args`]), [`Assembled`].
pub mod binary;
pub mod decode;
pub mod encode;
pub mod event;
pub mod packet;
pub(crate) mod placeholders;
pub mod reassemble;
pub mod value;

pub use binary::{encode_ack_values, encode_event_values, split, write_value};
pub use decode::decode;
pub use encode::{
    Attachments, check_namespace, encode_ack, encode_connect, encode_connect_error,
    encode_connect_sid, encode_disconnect, encode_event,
};
pub use event::{RESERVED_EVENTS, Spread, is_reserved_event, read_event_name};
pub use packet::{DEFAULT_NAMESPACE, Packet, PacketType};
pub use reassemble::{Assembled, BinaryPacket, Reassembler};
pub use value::Value;
