//! Splitting a [`Value`] with binary parts into a text packet plus attachments
//! (socket.io-protocol v5, binary packets): each binary part is replaced by
//! `{"_placeholder":true,"num":N}` in order of appearance, the packet type becomes
//! BINARY_EVENT / BINARY_ACK with the `N-` count in its header, and the parts are
//! returned to be sent as binary frames right after the packet.
//!
//! The reverse, collecting the frames and rebuilding the value, is
//! [`super::reassemble`].

use bytes::{BufMut, BytesMut};

use super::encode::{Attachments, check_namespace, header_len, write_header};
use super::event::Spread;
use super::packet::{Packet, PacketType};
use super::value::Value;
use crate::json::escape::write_str;
use crate::json::ser::write_placeholder;
use crate::json::size::measure;
use crate::{Result, Str};

/// Appends `value` as JSON, writing a placeholder for each binary part and pushing
/// the part (a cheap `Bytes` clone) onto `attachments`.
pub fn write_value(out: &mut BytesMut, value: &Value, attachments: &mut Attachments) {
    match value {
        Value::Null => out.put_slice(b"null"),
        Value::Bool(true) => out.put_slice(b"true"),
        Value::Bool(false) => out.put_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.put_slice(itoa::Buffer::new().format(u).as_bytes());
            } else if let Some(i) = n.as_i64() {
                out.put_slice(itoa::Buffer::new().format(i).as_bytes());
            } else {
                // serde_json's own float text, so the bytes match `serde_json::to_vec`.
                let _ = serde_json::to_writer(out.writer(), n);
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Binary(b) => {
            write_placeholder(out, attachments.len());
            attachments.push(b.clone());
        }
        Value::Array(items) => {
            out.put_u8(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_value(out, item, attachments);
            }
            out.put_u8(b']');
        }
        Value::Object(fields) => {
            out.put_u8(b'{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_str(out, k);
                out.put_u8(b':');
                write_value(out, v, attachments);
            }
            out.put_u8(b'}');
        }
    }
}

/// The binary counterpart of `kind` when `binary` (EVENT → BINARY_EVENT, ACK →
/// BINARY_ACK), and the plain counterpart otherwise.
fn kind_for(kind: PacketType, binary: bool) -> PacketType {
    match (kind, binary) {
        (PacketType::Event | PacketType::BinaryEvent, true) => PacketType::BinaryEvent,
        (PacketType::Event | PacketType::BinaryEvent, false) => PacketType::Event,
        (PacketType::Ack | PacketType::BinaryAck, true) => PacketType::BinaryAck,
        (PacketType::Ack | PacketType::BinaryAck, false) => PacketType::Ack,
        (other, _) => other,
    }
}

/// Splits `data` into a packet and its attachments.
///
/// `kind` EVENT/ACK (or their binary forms) is set to the binary form exactly when
/// `data` holds binary parts; the returned packet's `data` is the placeholder JSON
/// and `attachments` its count. Other kinds are kept, and binary parts in their
/// data are an error (only events and acks carry attachments).
pub fn split(
    kind: PacketType,
    nsp: Str,
    id: Option<u64>,
    data: &Value,
) -> Result<(Packet, Attachments)> {
    check_namespace(&nsp)?;
    let size = measure(data)?;
    let mut out = BytesMut::with_capacity(size.len);
    let mut attachments = Vec::with_capacity(size.binaries);
    write_value(&mut out, data, &mut attachments);
    let kind = kind_for(kind, !attachments.is_empty());
    if !attachments.is_empty() && !kind.is_binary() {
        return Err(crate::Error::BinaryInJson);
    }
    // SAFETY: `write_value` writes only ASCII punctuation, digits and JSON strings
    // escaped from `&str` (UTF-8).
    let data = unsafe { Str::from_utf8_unchecked(out.freeze()) };
    Ok((
        Packet {
            kind,
            nsp,
            id,
            attachments: attachments.len(),
            data: Some(data),
        },
        attachments,
    ))
}

/// Appends the text form of an EVENT (or BINARY_EVENT when `args` hold binary
/// parts) `["event", …args]` built from [`Value`]s, returning the attachments.
/// The header's `N-` count is known before writing by counting the binary parts.
pub fn encode_event_values(
    out: &mut BytesMut,
    nsp: &str,
    event: &str,
    args: &[Value],
    id: Option<u64>,
) -> Result<Attachments> {
    check_namespace(nsp)?;
    let size = measure(&Spread(args))?;
    let count = size.binaries;
    let kind = kind_for(PacketType::Event, count > 0);
    out.reserve(header_len(kind, count, nsp, id) + event.len() + 4 + size.args_len(true));
    write_header(out, kind, count, nsp, id);
    out.put_u8(b'[');
    write_str(out, event);
    let mut attachments = Vec::with_capacity(count);
    for arg in args {
        out.put_u8(b',');
        write_value(out, arg, &mut attachments);
    }
    out.put_u8(b']');
    Ok(attachments)
}

/// Appends the text form of an ACK (or BINARY_ACK) `[…args]` built from
/// [`Value`]s, returning the attachments.
pub fn encode_ack_values(
    out: &mut BytesMut,
    nsp: &str,
    id: u64,
    args: &[Value],
) -> Result<Attachments> {
    check_namespace(nsp)?;
    let size = measure(&Spread(args))?;
    let count = size.binaries;
    let kind = kind_for(PacketType::Ack, count > 0);
    out.reserve(header_len(kind, count, nsp, Some(id)) + 2 + size.args_len(false));
    write_header(out, kind, count, nsp, Some(id));
    out.put_u8(b'[');
    let mut attachments = Vec::with_capacity(count);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        write_value(out, arg, &mut attachments);
    }
    out.put_u8(b']');
    Ok(attachments)
}
