//! What a namespace's connect middleware sees and answers (socket.io v5 CONNECT and
//! CONNECT_ERROR; the reference server's `namespace.use(fn)` and `socket.handshake`).
//!
//! The middleware receives a [`ConnectRequest`]: the CONNECT packet's auth payload
//! plus the HTTP request that opened the Engine.IO session (headers, query, peer
//! address). It answers with the socket's application state (accepted) or a
//! [`ConnectError`] (refused: the client receives CONNECT_ERROR
//! `{"message":...,"data":...}` and its `connect_error` event fires).

use std::sync::{Arc, OnceLock};

use huddle_protocol::Str;

use crate::engine::{Handshake, SessionHandle, Transport};

/// A client's request to connect to a namespace; also the connected socket's
/// [`super::Socket::handshake`].
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    namespace: Str,
    auth: Arc<Auth>,
    session: SessionHandle,
}

/// The CONNECT auth payload as JSON text, and as a value once someone asks for it.
///
/// Why not just the value: a socket keeps its request for as long as it is connected,
/// and a parsed JSON object costs about 0.8 KB (a B-tree node and its strings, a JWT
/// among them) where the text costs its length. The middleware reads the value; the
/// socket keeps a [`ConnectRequest::without_parsed_auth`] copy that parses again only
/// if asked.
#[derive(Debug)]
struct Auth {
    json: Arc<str>,
    value: OnceLock<serde_json::Value>,
}

impl ConnectRequest {
    pub(crate) fn new(namespace: Str, auth: &serde_json::Value, session: SessionHandle) -> Self {
        ConnectRequest {
            namespace,
            auth: Arc::new(Auth {
                // Serializing a `Value` cannot fail (its map keys are strings).
                json: serde_json::to_string(auth).unwrap_or_default().into(),
                value: OnceLock::new(),
            }),
            session,
        }
    }

    /// The same request, sharing the auth text but not its parsed value.
    pub(crate) fn without_parsed_auth(&self) -> Self {
        ConnectRequest {
            namespace: self.namespace.clone(),
            auth: Arc::new(Auth {
                json: self.auth.json.clone(),
                value: OnceLock::new(),
            }),
            session: self.session.clone(),
        }
    }

    /// The namespace asked for (`/`, `/custom`, ...).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The CONNECT packet's auth payload (the client's `auth` option), or `{}` when
    /// the packet carried none. Always a JSON object.
    pub fn auth(&self) -> &serde_json::Value {
        self.auth.value.get_or_init(|| {
            // The text was serialized from a value, so it parses back to the same one.
            serde_json::from_str(&self.auth.json)
                .unwrap_or_else(|_| serde_json::Value::Object(Default::default()))
        })
    }

    /// The HTTP request that opened the Engine.IO session: headers, query, peer
    /// address, time.
    pub fn handshake(&self) -> &Handshake {
        self.session.handshake()
    }

    /// A request header as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.handshake().header(name)
    }

    /// The first value of a query parameter of the opening request.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.handshake().query_param(key)
    }

    /// The Engine.IO session id (not the socket id).
    pub fn session_id(&self) -> &str {
        self.session.sid()
    }

    /// The transport the session uses now.
    pub fn transport(&self) -> Transport {
        self.session.transport()
    }
}

/// A connect middleware's refusal: sent to the client as CONNECT_ERROR
/// `{"message": message, "data": data}` (`data` omitted when `None`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("connection refused: {message}")]
pub struct ConnectError {
    /// The client's `err.message`.
    pub message: String,
    /// The client's `err.data` (e.g. `{"code":"BAD_TOKEN"}`).
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with a message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds the `data` the client receives with the error.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}
