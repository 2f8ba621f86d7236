//! Decoding a Socket.IO packet's text form (socket.io-protocol v5, "Format"):
//! `<type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]`.
//!
//! Only the header is parsed. The payload stays raw JSON (a slice of the input);
//! its first byte is checked against what the packet type requires so that an
//! obviously malformed packet is refused here, and the full JSON is validated when
//! a handler reads it. Decoding is O(header) whatever the payload size.

use nom::Parser;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::sequence::terminated;

use super::packet::{DEFAULT_NAMESPACE, Packet, PacketType};
use crate::{Error, Limits, Result, Str};

type NomResult<'a, O> = nom::IResult<&'a [u8], O, ()>;

fn digits(input: &[u8]) -> NomResult<'_, &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(input)
}

fn attachment_count(input: &[u8]) -> NomResult<'_, &[u8]> {
    terminated(digits, tag(&b"-"[..])).parse(input)
}

fn optional_digits(input: &[u8]) -> NomResult<'_, &[u8]> {
    take_while(|b: u8| b.is_ascii_digit()).parse(input)
}

/// Parses decimal digits; `None` when the number does not fit in a `u64`.
#[inline]
fn parse_u64(digits: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

#[inline]
fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Decodes a socket.io packet from its text form (the data of an engine.io message).
///
/// `text` is consumed: the payload is the same buffer advanced past the header.
pub fn decode(mut text: Str, limits: &Limits) -> Result<Packet> {
    let total = text.len();
    limits.check_payload_size(total)?;
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Err(Error::EmptyPacket { record: 0 });
    };
    let kind = PacketType::from_ascii(first).ok_or(Error::UnknownPacketType {
        byte: first,
        offset: 0,
    })?;
    let mut rest = &bytes[1..];
    let offset = |rest: &[u8]| total - rest.len();

    // <attachments>-
    let mut attachments = 0;
    if kind.is_binary() {
        let (after, count) = attachment_count(rest).map_err(|_| Error::InvalidAttachmentCount {
            offset: offset(rest),
        })?;
        // Beyond u64 is reported as usize::MAX: over any limit but usize::MAX.
        let count = parse_u64(count)
            .and_then(|c| usize::try_from(c).ok())
            .unwrap_or(usize::MAX);
        if count > limits.max_attachments || count == usize::MAX {
            return Err(Error::TooManyAttachments {
                count,
                max: limits.max_attachments,
            });
        }
        attachments = count;
        rest = after;
    }

    // <nsp>, — a namespace starts with '/' and runs to ',' or the end of the packet.
    let mut nsp = None;
    if rest.first() == Some(&b'/') {
        let start = offset(rest);
        // Look for the comma only within the limit: a hostile megabyte-long
        // namespace is refused after max+1 bytes.
        let window = &rest[..rest.len().min(limits.max_namespace_len.saturating_add(1))];
        let len = match memchr::memchr(b',', window) {
            Some(at) => at,
            None if rest.len() <= limits.max_namespace_len => rest.len(),
            None => {
                return Err(Error::NamespaceTooLong {
                    len: window.len(),
                    max: limits.max_namespace_len,
                });
            }
        };
        if len > limits.max_namespace_len {
            return Err(Error::NamespaceTooLong {
                len,
                max: limits.max_namespace_len,
            });
        }
        nsp = Some((start, start + len));
        rest = &rest[len..];
        if let Some((b',', after)) = rest.split_first() {
            rest = after;
        }
    }

    // <ack id>
    let id_offset = offset(rest);
    let (after, id_digits) = optional_digits(rest).unwrap_or((rest, &[][..]));
    let id = if id_digits.is_empty() {
        None
    } else {
        match parse_u64(id_digits) {
            Some(id) if id <= limits.max_ack_id => Some(id),
            _ => {
                return Err(Error::AckIdOutOfRange {
                    offset: id_offset,
                    max: limits.max_ack_id,
                });
            }
        }
    };
    rest = after;
    match (kind, id) {
        (PacketType::Ack | PacketType::BinaryAck, None) => {
            return Err(Error::MissingAckId { kind });
        }
        (PacketType::Connect | PacketType::Disconnect | PacketType::ConnectError, Some(_)) => {
            return Err(Error::UnexpectedAckId {
                kind,
                offset: id_offset,
            });
        }
        _ => {}
    }

    // <payload>: check the shape its first bytes announce.
    let data_start = offset(rest);
    check_payload_shape(kind, bytes, data_start)?;

    let nsp = match nsp {
        Some((start, end)) => text.slice_ascii(start, end),
        None => DEFAULT_NAMESPACE,
    };
    let data = if data_start == total {
        None
    } else {
        text.advance(data_start);
        Some(text)
    };
    Ok(Packet {
        kind,
        nsp,
        id,
        attachments,
        data,
    })
}

fn check_payload_shape(kind: PacketType, bytes: &[u8], start: usize) -> Result<()> {
    if start == bytes.len() {
        return match kind {
            PacketType::Connect | PacketType::Disconnect => Ok(()),
            _ => Err(Error::MissingPayload { kind }),
        };
    }
    let i = skip_ws(bytes, start);
    let first = bytes.get(i).copied();
    let invalid = |offset: usize, expected: &'static str| {
        Err(Error::InvalidPayload {
            kind,
            offset,
            expected,
        })
    };
    match kind {
        PacketType::Disconnect => invalid(start, "no payload"),
        PacketType::Connect => match first {
            Some(b'{') => Ok(()),
            _ => invalid(i, "a JSON object"),
        },
        PacketType::ConnectError => match first {
            Some(b'{' | b'"') => Ok(()),
            _ => invalid(i, "a JSON object or string"),
        },
        PacketType::Ack | PacketType::BinaryAck => match first {
            Some(b'[') => Ok(()),
            _ => invalid(i, "a JSON array"),
        },
        PacketType::Event | PacketType::BinaryEvent => {
            if first != Some(b'[') {
                return invalid(i, "a JSON array");
            }
            let j = skip_ws(bytes, i + 1);
            match bytes.get(j) {
                Some(b'"') => Ok(()),
                _ => invalid(j, "the event name (a string) as first element"),
            }
        }
    }
}
