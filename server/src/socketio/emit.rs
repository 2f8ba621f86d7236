//! Encoding outgoing Socket.IO packets into Engine.IO frames, once.
//!
//! Every packet is written in one pass into one buffer that starts with the Engine.IO
//! message digit `4`, then frozen: the resulting [`Frame::Text`] is at the same time the
//! WebSocket text frame and the polling record, and a broadcast hands the same `Bytes`
//! to every recipient. Binary arguments become attachments, sent as the
//! [`Frame::Binary`] frames that follow the text frame (socket.io-protocol v5, binary
//! packets); the engine queues the frames of one packet atomically.

use bytes::BytesMut;
use huddle_protocol::Error as ProtocolError;
use huddle_protocol::engine::write_message_prefix;
use huddle_protocol::socketio::{
    Attachments, encode_ack, encode_connect_error, encode_connect_sid, encode_disconnect,
    encode_event, is_reserved_event,
};
use serde::Serialize;

use crate::engine::{Frame, SendError};

/// Why an emit did not go out.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The event name is one Socket.IO reserves for its own lifecycle
    /// (`connect`, `disconnect`, ...); a client would not deliver it.
    #[error("event name {0:?} is reserved by Socket.IO")]
    ReservedEvent(String),
    /// The arguments could not be encoded (e.g. a map with non-string keys).
    #[error("cannot encode the packet: {0}")]
    Encode(#[from] ProtocolError),
    /// The socket is no longer connected to its namespace.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The session refused the frames (closed, or its outbound queue overflowed and the
    /// session was closed).
    #[error("cannot queue the packet: {0}")]
    Send(#[from] SendError),
}

/// The frames of one packet: the text frame, then one binary frame per attachment.
pub(crate) type Frames = Vec<Frame>;

fn frames(out: BytesMut, attachments: Attachments) -> Frames {
    let mut frames = Vec::with_capacity(1 + attachments.len());
    frames.push(Frame::Text(out.freeze()));
    frames.extend(attachments.into_iter().map(Frame::Binary));
    frames
}

fn message_buffer(capacity: usize) -> BytesMut {
    let mut out = BytesMut::with_capacity(capacity);
    write_message_prefix(&mut out);
    out
}

/// An EVENT (or BINARY_EVENT) `["event", ...args]` on namespace `nsp`, with ack id `id`.
/// `args` follows the protocol crate's rule: a tuple is spread into several
/// arguments, `&()` is none, anything else is one argument.
pub(crate) fn event<T: ?Sized + Serialize>(
    nsp: &str,
    event: &str,
    args: &T,
    id: Option<u64>,
) -> Result<Frames, EmitError> {
    if is_reserved_event(event) {
        return Err(EmitError::ReservedEvent(event.to_owned()));
    }
    let mut out = message_buffer(64 + event.len());
    let attachments = encode_event(&mut out, nsp, event, args, id)?;
    Ok(frames(out, attachments))
}

/// An ACK (or BINARY_ACK) answering ack id `id` with `args` (same rule as [`event`]).
pub(crate) fn ack<T: ?Sized + Serialize>(
    nsp: &str,
    id: u64,
    args: &T,
) -> Result<Frames, EmitError> {
    let mut out = message_buffer(64);
    let attachments = encode_ack(&mut out, nsp, id, args)?;
    Ok(frames(out, attachments))
}

/// The CONNECT answer `40[nsp,]{"sid":"..."}`.
pub(crate) fn connect_ok(nsp: &str, sid: &str) -> Result<Frame, EmitError> {
    let mut out = message_buffer(32 + nsp.len() + sid.len());
    encode_connect_sid(&mut out, nsp, sid)?;
    Ok(Frame::Text(out.freeze()))
}

/// A CONNECT_ERROR `44[nsp,]{"message":"...","data":...}`.
pub(crate) fn connect_error(
    nsp: &str,
    message: &str,
    data: Option<&serde_json::Value>,
) -> Result<Frame, EmitError> {
    let mut out = message_buffer(32 + nsp.len() + message.len());
    encode_connect_error(&mut out, nsp, message, data)?;
    Ok(Frame::Text(out.freeze()))
}

/// A DISCONNECT `41[nsp,]`.
pub(crate) fn disconnect(nsp: &str) -> Result<Frame, EmitError> {
    let mut out = message_buffer(4 + nsp.len());
    encode_disconnect(&mut out, nsp)?;
    Ok(Frame::Text(out.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use huddle_protocol::socketio::Spread;
    use huddle_protocol::socketio::Value;

    fn text(frame: &Frame) -> &[u8] {
        match frame {
            Frame::Text(b) => b,
            Frame::Binary(_) => panic!("expected a text frame"),
        }
    }

    #[test]
    fn event_frames_carry_the_engine_message_digit() {
        let f = event("/", "hi", &("a", 1), None).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(text(&f[0]), br#"42["hi","a",1]"#);
        let f = event("/custom", "hi", &(), Some(7)).unwrap();
        assert_eq!(text(&f[0]), br#"42/custom,7["hi"]"#);
    }

    #[test]
    fn binary_arguments_become_attachment_frames() {
        let values = vec![
            Value::Binary(Bytes::from_static(&[1, 2, 3])),
            Value::from("x"),
        ];
        let f = event("/", "message-back", &Spread(&values), None).unwrap();
        assert_eq!(
            text(&f[0]),
            br#"451-["message-back",{"_placeholder":true,"num":0},"x"]"#
        );
        assert_eq!(f[1], Frame::Binary(Bytes::from_static(&[1, 2, 3])));
        let f = ack("/", 789, &Spread(&values)).unwrap();
        assert_eq!(
            text(&f[0]),
            br#"461-789[{"_placeholder":true,"num":0},"x"]"#
        );
    }

    #[test]
    fn reserved_event_names_are_refused() {
        for name in ["connect", "disconnect", "connect_error"] {
            assert!(matches!(
                event("/", name, &(), None),
                Err(EmitError::ReservedEvent(_))
            ));
        }
    }

    #[test]
    fn control_packets() {
        assert_eq!(
            text(&connect_ok("/", "abc").unwrap()),
            br#"40{"sid":"abc"}"#
        );
        assert_eq!(
            text(&connect_ok("/custom", "abc").unwrap()),
            br#"40/custom,{"sid":"abc"}"#
        );
        assert_eq!(
            text(&connect_error("/random", "Invalid namespace", None).unwrap()),
            br#"44/random,{"message":"Invalid namespace"}"#
        );
        let data = serde_json::json!({"code": "BAD_TOKEN"});
        assert_eq!(
            text(&connect_error("/secure", "unauthorized", Some(&data)).unwrap()),
            br#"44/secure,{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}"#
        );
        assert_eq!(text(&disconnect("/").unwrap()), b"41");
        assert_eq!(text(&disconnect("/custom").unwrap()), b"41/custom,");
    }
}
