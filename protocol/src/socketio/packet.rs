//! Socket.IO v5 packet model (socket.io-protocol v5, "Exchange protocol").
//!
//! A decoded [`Packet`] keeps its payload as raw JSON text (`data`), a slice of the
//! received buffer: nothing is parsed until a handler asks for the event name or
//! the arguments (see [`super::event`]).

use crate::Str;

/// The Socket.IO packet type, the first character of an encoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: connect to a namespace (client, optional auth object) / accepted (server, `{"sid":…}`).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event, `["name", …args]`.
    Event = 2,
    /// `3`: an acknowledgement, `[…args]`.
    Ack = 3,
    /// `4`: namespace connection refused, `{"message":…,"data":…}`.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type for an ASCII digit `'0'..='6'`.
    #[inline]
    pub const fn from_ascii(byte: u8) -> Option<Self> {
        Some(match byte {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The ASCII digit that encodes this type.
    #[inline]
    pub const fn as_ascii(self) -> u8 {
        b'0' + self as u8
    }

    /// BINARY_EVENT or BINARY_ACK: the header carries an attachment count.
    #[inline]
    pub const fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// EVENT or BINARY_EVENT: the payload starts with the event name.
    #[inline]
    pub const fn is_event(self) -> bool {
        matches!(self, PacketType::Event | PacketType::BinaryEvent)
    }

    /// ACK or BINARY_ACK: the packet must carry an ack id.
    #[inline]
    pub const fn is_ack(self) -> bool {
        matches!(self, PacketType::Ack | PacketType::BinaryAck)
    }
}

/// The default namespace.
pub const DEFAULT_NAMESPACE: Str = Str::from_static("/");

/// One Socket.IO packet, as decoded from (or encoded to) its text form:
/// `<type>[<attachments>-][<nsp>,][<id>][<JSON data>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace, `/` by default.
    pub nsp: Str,
    /// The acknowledgement id, if any (always present on ACK / BINARY_ACK).
    pub id: Option<u64>,
    /// Attachments announced by a BINARY_EVENT / BINARY_ACK header; 0 otherwise.
    pub attachments: usize,
    /// The raw JSON payload, unparsed; `None` when the packet has none.
    pub data: Option<Str>,
}

impl Packet {
    /// A packet of `kind` on the default namespace with no id, attachments or data.
    pub fn new(kind: PacketType) -> Self {
        Packet {
            kind,
            nsp: DEFAULT_NAMESPACE,
            id: None,
            attachments: 0,
            data: None,
        }
    }
}
