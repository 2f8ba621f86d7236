//! `DisconnectReason`: why a namespace socket ended, named as Socket.IO names it in
//! its `disconnect` event (socket.io v4 `DisconnectReason`).
//!
//! Two reasons belong to the Socket.IO layer (a DISCONNECT packet for one namespace,
//! from either side); every other one is the end of the whole Engine.IO session and
//! is carried as the engine's [`CloseReason`].

use std::fmt;

use crate::engine::CloseReason;

/// Why a socket was disconnected from its namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The client sent a DISCONNECT packet for this namespace (`socket.disconnect()`
    /// on the client).
    ClientNamespaceDisconnect,
    /// The server called [`super::Socket::disconnect`]; a DISCONNECT packet was sent.
    ServerNamespaceDisconnect,
    /// The Engine.IO session ended (transport closed, ping timeout, server shutdown,
    /// parse error, outbound overflow, ...); every socket of the session ends with it.
    Session(CloseReason),
}

impl DisconnectReason {
    /// The reason as Socket.IO names it: "client namespace disconnect",
    /// "server namespace disconnect", "transport close", "ping timeout",
    /// "server shutting down", "parse error", ...
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::Session(reason) => reason.as_str(),
        }
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> Self {
        DisconnectReason::Session(reason)
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_socket_io_names() {
        let cases = [
            (
                DisconnectReason::ClientNamespaceDisconnect,
                "client namespace disconnect",
            ),
            (
                DisconnectReason::ServerNamespaceDisconnect,
                "server namespace disconnect",
            ),
            (CloseReason::TransportClose.into(), "transport close"),
            (CloseReason::TransportError.into(), "transport error"),
            (CloseReason::PingTimeout.into(), "ping timeout"),
            (CloseReason::ServerShutdown.into(), "server shutting down"),
            (CloseReason::ForcedClose.into(), "forced close"),
            (CloseReason::ParseError.into(), "parse error"),
        ];
        for (reason, name) in cases {
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.to_string(), name);
        }
    }
}
