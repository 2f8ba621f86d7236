//! Encoding Socket.IO packets into `BytesMut` (socket.io-protocol v5, "Format").
//!
//! Every function appends to `out`, so a caller can first write the engine.io
//! message digit ([`crate::engine::write_message_prefix`]) and get one buffer that is
//! both the WebSocket frame and the polling record: encode once, fan out many.
//!
//! Event and ack arguments are serialised in one pass straight into `out` (see
//! [`encode_event`] for how arguments are spread). Byte data inside the arguments
//! (`serialize_bytes`, e.g. `bytes::Bytes`) becomes binary attachments: the packet
//! is then written as BINARY_EVENT / BINARY_ACK with placeholders, and the
//! attachments are returned, to be sent as binary frames right after the packet.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use super::packet::{Packet, PacketType};
use crate::json::args::write_args;
use crate::json::escape::write_str;
use crate::json::ser::{JsonWriter, to_writer};
use crate::json::size::measure;
use crate::{Error, Result};

/// Binary attachments produced while encoding, in placeholder order.
pub type Attachments = Vec<Bytes>;

/// Checks that `nsp` can be written with the standard parser: `/`-prefixed, no `,`.
pub fn check_namespace(nsp: &str) -> Result<()> {
    if nsp.starts_with('/') && !nsp.contains(',') {
        Ok(())
    } else {
        Err(Error::InvalidNamespace {
            nsp: nsp.to_owned(),
        })
    }
}

#[inline]
fn digits_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Bytes of `<type>[<n>-][<nsp>,][<id>]`.
#[inline]
pub(crate) fn header_len(
    kind: PacketType,
    attachments: usize,
    nsp: &str,
    id: Option<u64>,
) -> usize {
    let mut len = 1;
    if kind.is_binary() {
        len += digits_len(attachments as u64) + 1;
    }
    if nsp != "/" {
        len += nsp.len() + 1;
    }
    if let Some(id) = id {
        len += digits_len(id);
    }
    len
}

/// Writes `<type>[<n>-][<nsp>,][<id>]`.
#[inline]
pub(crate) fn write_header(
    out: &mut BytesMut,
    kind: PacketType,
    attachments: usize,
    nsp: &str,
    id: Option<u64>,
) {
    out.put_u8(kind.as_ascii());
    if kind.is_binary() {
        out.put_slice(itoa::Buffer::new().format(attachments).as_bytes());
        out.put_u8(b'-');
    }
    if nsp != "/" {
        out.put_slice(nsp.as_bytes());
        out.put_u8(b',');
    }
    if let Some(id) = id {
        out.put_slice(itoa::Buffer::new().format(id).as_bytes());
    }
}

/// Rewrites the header of the packet at `out[start..header_end]` for `count`
/// attachments. Only taken if a `Serialize` impl wrote a different number of byte
/// parts than it measured (a non-deterministic impl): correctness over speed.
fn rewrite_header(
    out: &mut BytesMut,
    start: usize,
    header_end: usize,
    kind: PacketType,
    count: usize,
    nsp: &str,
    id: Option<u64>,
) {
    let body = out.split_off(header_end);
    out.truncate(start);
    write_header(out, kind, count, nsp, id);
    out.extend_from_slice(&body);
}

/// EVENT/ACK, or their binary forms when there are attachments.
fn kind_for(plain: PacketType, binary: PacketType, count: usize) -> PacketType {
    if count > 0 { binary } else { plain }
}

impl Packet {
    /// Bytes [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        header_len(self.kind, self.attachments, &self.nsp, self.id)
            + self.data.as_ref().map_or(0, |d| d.len())
    }

    /// Appends the packet's text form. `data` is written as is (it is already JSON).
    pub fn encode(&self, out: &mut BytesMut) -> Result<()> {
        check_namespace(&self.nsp)?;
        out.reserve(self.encoded_len());
        write_header(out, self.kind, self.attachments, &self.nsp, self.id);
        if let Some(data) = &self.data {
            out.put_slice(data.as_bytes());
        }
        Ok(())
    }
}

/// Appends an EVENT packet `2[<nsp>,][<id>]["<event>",…args]`, serialising `args`
/// in the same pass.
///
/// Arguments: a tuple is spread (`&("a", 1)` → `["event","a",1]`), and so is a
/// fixed-size array (serde treats `[T; N]` as a tuple); `&()` sends none
/// (`["event"]`); any other value is the single argument (`&vec![1, 2]` →
/// `["event",[1,2]]`). Use [`super::Spread`] to spread a slice.
///
/// If the arguments hold bytes, the packet is written as BINARY_EVENT
/// `5<n>-…` with placeholders and the attachments are returned (otherwise the
/// returned vector is empty and did not allocate).
pub fn encode_event<T: ?Sized + Serialize>(
    out: &mut BytesMut,
    nsp: &str,
    event: &str,
    args: &T,
    id: Option<u64>,
) -> Result<Attachments> {
    check_namespace(nsp)?;
    // One measuring pass: the buffer is sized once, and the header knows the
    // attachment count before it is written.
    let size = measure(args)?;
    let kind = kind_for(PacketType::Event, PacketType::BinaryEvent, size.binaries);
    let start = out.len();
    // `["` event `"` args `]`: exact unless strings need escapes.
    out.reserve(header_len(kind, size.binaries, nsp, id) + event.len() + 4 + size.args_len(true));
    write_header(out, kind, size.binaries, nsp, id);
    let header_end = out.len();
    out.put_u8(b'[');
    write_str(out, event);
    let mut attachments = Vec::with_capacity(size.binaries);
    let mut w = JsonWriter {
        out,
        attachments: &mut attachments,
    };
    if let Err(e) = write_args(&mut w, args, true) {
        out.truncate(start);
        return Err(e);
    }
    out.put_u8(b']');
    if attachments.len() != size.binaries {
        let kind = kind_for(
            PacketType::Event,
            PacketType::BinaryEvent,
            attachments.len(),
        );
        rewrite_header(out, start, header_end, kind, attachments.len(), nsp, id);
    }
    Ok(attachments)
}

/// Appends an ACK packet `3[<nsp>,]<id>[…args]`, serialising `args` in the same
/// pass, with the same argument rule as [`encode_event`] (`&()` → `[]`). Becomes
/// BINARY_ACK when the arguments hold bytes.
pub fn encode_ack<T: ?Sized + Serialize>(
    out: &mut BytesMut,
    nsp: &str,
    id: u64,
    args: &T,
) -> Result<Attachments> {
    check_namespace(nsp)?;
    let size = measure(args)?;
    let kind = kind_for(PacketType::Ack, PacketType::BinaryAck, size.binaries);
    let start = out.len();
    out.reserve(header_len(kind, size.binaries, nsp, Some(id)) + 2 + size.args_len(false));
    write_header(out, kind, size.binaries, nsp, Some(id));
    let header_end = out.len();
    out.put_u8(b'[');
    let mut attachments = Vec::with_capacity(size.binaries);
    let mut w = JsonWriter {
        out,
        attachments: &mut attachments,
    };
    if let Err(e) = write_args(&mut w, args, false) {
        out.truncate(start);
        return Err(e);
    }
    out.put_u8(b']');
    if attachments.len() != size.binaries {
        let kind = kind_for(PacketType::Ack, PacketType::BinaryAck, attachments.len());
        rewrite_header(
            out,
            start,
            header_end,
            kind,
            attachments.len(),
            nsp,
            Some(id),
        );
    }
    Ok(attachments)
}

/// Appends a CONNECT packet: `0[<nsp>,][<data>]`. The server answers a successful
/// connection with `data = {"sid":"…"}`; a client sends its auth object.
pub fn encode_connect<T: ?Sized + Serialize>(
    out: &mut BytesMut,
    nsp: &str,
    data: Option<&T>,
) -> Result<()> {
    check_namespace(nsp)?;
    let start = out.len();
    write_header(out, PacketType::Connect, 0, nsp, None);
    if let Some(data) = data {
        write_plain_json(out, start, data)?;
    }
    Ok(())
}

/// Appends the server's CONNECT answer `0[<nsp>,]{"sid":"<sid>"}`.
pub fn encode_connect_sid(out: &mut BytesMut, nsp: &str, sid: &str) -> Result<()> {
    check_namespace(nsp)?;
    out.reserve(header_len(PacketType::Connect, 0, nsp, None) + sid.len() + 10);
    write_header(out, PacketType::Connect, 0, nsp, None);
    out.put_slice(br#"{"sid":"#);
    write_str(out, sid);
    out.put_u8(b'}');
    Ok(())
}

/// Appends a CONNECT_ERROR packet `4[<nsp>,]{"message":"…"[,"data":…]}`.
pub fn encode_connect_error<T: ?Sized + Serialize>(
    out: &mut BytesMut,
    nsp: &str,
    message: &str,
    data: Option<&T>,
) -> Result<()> {
    check_namespace(nsp)?;
    let start = out.len();
    out.reserve(header_len(PacketType::ConnectError, 0, nsp, None) + message.len() + 14);
    write_header(out, PacketType::ConnectError, 0, nsp, None);
    out.put_slice(br#"{"message":"#);
    write_str(out, message);
    if let Some(data) = data {
        out.put_slice(br#","data":"#);
        write_plain_json(out, start, data)?;
    }
    out.put_u8(b'}');
    Ok(())
}

/// Appends a DISCONNECT packet `1[<nsp>,]`.
pub fn encode_disconnect(out: &mut BytesMut, nsp: &str) -> Result<()> {
    check_namespace(nsp)?;
    write_header(out, PacketType::Disconnect, 0, nsp, None);
    Ok(())
}

/// Serialises `data` where bytes are not allowed (CONNECT / CONNECT_ERROR payloads
/// cannot carry attachments); on failure `out` is truncated back to `start`.
fn write_plain_json<T: ?Sized + Serialize>(
    out: &mut BytesMut,
    start: usize,
    data: &T,
) -> Result<()> {
    let mut attachments = Vec::new();
    let mut w = JsonWriter {
        out,
        attachments: &mut attachments,
    };
    let mut result = to_writer(&mut w, data);
    if result.is_ok() && !attachments.is_empty() {
        result = Err(Error::BinaryInJson);
    }
    if result.is_err() {
        out.truncate(start);
    }
    result
}
