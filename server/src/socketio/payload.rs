//! What a client sent with an event or an acknowledgement: [`Event`] (name and
//! arguments, with an optional ack to answer) and [`AckReply`] (the arguments a client
//! answered a server emit with).
//!
//! Arguments stay as the protocol crate decoded them: a plain EVENT/ACK keeps its raw
//! JSON text (parsed once, straight into the handler's type); a BINARY_EVENT/BINARY_ACK
//! is a [`Value`] tree with its attachments put back. Both read the same way:
//! [`Event::args`] for a tuple of typed arguments, [`Event::first_arg`] for the usual
//! single payload object, [`Event::values`] for handlers that forward what they got.

use huddle_protocol::socketio::{BinaryPacket, Packet, Value};
use huddle_protocol::{Error as ProtocolError, Limits, Str};
use serde::de::DeserializeOwned;

/// The arguments of one received EVENT or ACK, plain or binary.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// A plain packet: the payload is raw, already validated JSON.
    Text(Packet),
    /// A binary packet, its placeholders replaced by the attachments.
    Binary(BinaryPacket),
}

impl Body {
    pub(crate) fn has_binary(&self) -> bool {
        matches!(self, Body::Binary(_))
    }

    fn args<T: DeserializeOwned>(&self, limits: &Limits) -> Result<T, ProtocolError> {
        match self {
            Body::Text(packet) => packet.args(limits),
            Body::Binary(packet) => packet.args(),
        }
    }

    fn first_arg<T: DeserializeOwned>(&self, limits: &Limits) -> Result<T, ProtocolError> {
        match self {
            Body::Text(packet) => packet.first_arg(limits),
            Body::Binary(packet) => packet.first_arg(),
        }
    }

    fn values(&self, limits: &Limits) -> Result<Vec<Value>, ProtocolError> {
        match self {
            Body::Text(packet) => packet.args(limits),
            Body::Binary(packet) => packet.values(),
        }
    }
}

/// One event received from a client: its name and arguments.
///
/// ```no_run
/// # use huddle_server::socketio::{SocketIo, SocketIoConfig};
/// #[derive(serde::Deserialize)]
/// struct Join { id: u64 }
/// # let ns = SocketIo::new(SocketIoConfig::default()).of("/").unwrap();
/// ns.on("room:join", |_socket, event, ack| async move {
///     let reply = match event.first_arg::<Join>() {
///         Ok(join) => serde_json::json!({"ok": true, "id": join.id}),
///         Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
///     };
///     if let Some(ack) = ack {
///         let _ = ack.send(&reply);
///     }
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    name: Str,
    body: Body,
    limits: Limits,
}

impl Event {
    pub(crate) fn new(name: Str, body: Body, limits: Limits) -> Self {
        Event { name, body, limits }
    }

    /// The event name (the first element of the payload array).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All arguments as `T`, which receives them as a sequence: a tuple such as
    /// `(String, u32)`, a tuple struct or a `Vec`. Extra arguments are ignored, as a
    /// JavaScript handler ignores them. Binary parts are offered as bytes (read them
    /// into a [`Value`], a `Vec<u8>`, a `serde_bytes::ByteBuf`, or `bytes::Bytes`
    /// with its `serde` feature).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        self.body.args(&self.limits)
    }

    /// The first argument as `T` (the usual single payload object). A missing
    /// argument is [`ProtocolError::MissingArgument`] unless `T` is an `Option`.
    pub fn first_arg<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        self.body.first_arg(&self.limits)
    }

    /// The arguments as dynamic values, binary parts included: what a handler that
    /// forwards its arguments (an echo) re-emits with [`huddle_protocol::socketio::Spread`].
    pub fn values(&self) -> Result<Vec<Value>, ProtocolError> {
        self.body.values(&self.limits)
    }

    /// Whether the event arrived as a BINARY_EVENT (with attachments).
    pub fn has_binary(&self) -> bool {
        self.body.has_binary()
    }
}

/// The arguments a client answered a server emit with (see
/// [`super::Socket::emit_with_ack`]).
#[derive(Debug, Clone)]
pub struct AckReply {
    body: Body,
    limits: Limits,
}

impl AckReply {
    pub(crate) fn new(body: Body, limits: Limits) -> Self {
        AckReply { body, limits }
    }

    /// All arguments as `T` (a tuple, tuple struct or `Vec`); see [`Event::args`].
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        self.body.args(&self.limits)
    }

    /// The first argument as `T`; see [`Event::first_arg`].
    pub fn first_arg<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        self.body.first_arg(&self.limits)
    }

    /// The arguments as dynamic values, binary parts included.
    pub fn values(&self) -> Result<Vec<Value>, ProtocolError> {
        self.body.values(&self.limits)
    }

    /// Whether the reply arrived as a BINARY_ACK (with attachments).
    pub fn has_binary(&self) -> bool {
        self.body.has_binary()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use huddle_protocol::socketio::{Reassembler, decode};

    fn text_event(raw: &'static str) -> Event {
        let packet = decode(Str::from_static(raw), &Limits::default()).unwrap();
        let name = packet.event_name(&Limits::default()).unwrap();
        Event::new(name, Body::Text(packet), Limits::default())
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Join {
        #[serde(rename = "type")]
        kind: String,
        id: u64,
    }

    #[test]
    fn plain_event_arguments_read_typed_and_dynamic() {
        let event = text_event(r#"2["room:join",{"type":"project","id":1},"extra"]"#);
        assert_eq!(event.name(), "room:join");
        assert!(!event.has_binary());
        assert_eq!(
            event.first_arg::<Join>().unwrap(),
            Join {
                kind: "project".into(),
                id: 1
            }
        );
        let (join, extra): (Join, String) = event.args().unwrap();
        assert_eq!(join.id, 1);
        assert_eq!(extra, "extra");
        let values = event.values().unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(values[1], Value::from("extra"));
    }

    #[test]
    fn missing_argument_is_typed_and_option_accepts_it() {
        let event = text_event(r#"2["ping"]"#);
        assert!(matches!(
            event.first_arg::<Join>(),
            Err(ProtocolError::MissingArgument { index: 0 })
        ));
        assert_eq!(event.first_arg::<Option<Join>>().unwrap(), None);
        assert!(event.values().unwrap().is_empty());
    }

    #[test]
    fn wrong_shape_is_a_json_error() {
        let event = text_event(r#"2["room:join",{"type":"project"}]"#);
        assert!(matches!(
            event.first_arg::<Join>(),
            Err(ProtocolError::Json(_))
        ));
    }

    #[test]
    fn binary_event_arguments_read_as_bytes() {
        let limits = Limits::default();
        let mut reassembler = Reassembler::new(limits);
        let header = decode(
            Str::from_static(
                r#"51-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]"#,
            ),
            &limits,
        )
        .unwrap();
        assert!(reassembler.start(header).unwrap().is_none());
        let packet = reassembler
            .feed_attachment(Bytes::from_static(&[1, 2, 3]))
            .unwrap()
            .unwrap();
        let event = Event::new(Str::from("upload"), Body::Binary(packet), Limits::default());
        assert!(event.has_binary());
        #[derive(serde::Deserialize)]
        struct Upload {
            name: String,
            data: Value,
        }
        let upload: Upload = event.first_arg().unwrap();
        assert_eq!(upload.name, "a.bin");
        assert_eq!(upload.data, Value::Binary(Bytes::from_static(&[1, 2, 3])));
        let values = event.values().unwrap();
        assert_eq!(
            values[0].get("data"),
            Some(&Value::Binary(Bytes::from_static(&[1, 2, 3])))
        );
    }
}
