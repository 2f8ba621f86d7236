//! `SocketIoConfig`: the settings and limits of the Socket.IO layer.
//!
//! The Engine.IO layer bounds what one message may weigh (`maxPayload`) and how many
//! frames wait for one client; these bound what the Socket.IO layer itself holds per
//! client: the protocol decoder's limits, how long a session may stay without a
//! namespace, and how many received events may wait for a socket's handlers.

use std::time::Duration;

use huddle_protocol::Limits;

/// Settings of one [`super::SocketIo`] server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketIoConfig {
    /// Time a new Engine.IO session has to connect to a namespace (a CONNECT packet that
    /// is accepted) before it is closed with "connect timeout". Default 45 s, the
    /// reference server's `connectTimeout`.
    pub connect_timeout: Duration,
    /// Bounds the Socket.IO decoder enforces on every received packet (payload size,
    /// binary attachments count and total size, JSON nesting depth, namespace and event
    /// name length, ack id range). `limits.max_payload` should equal the engine's
    /// `maxPayload`. Default: [`Limits::default`].
    pub limits: Limits,
    /// Most received events that may wait for one socket's handlers (handlers of one
    /// socket run one at a time, in the order received). A client that sends faster than
    /// its handlers complete, past this many, has its session closed with a logged
    /// reason, so a flood never makes memory grow. Each waiting event holds at most
    /// `limits.max_payload` bytes plus its attachments. Default 256.
    pub max_pending_events: usize,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            connect_timeout: Duration::from_secs(45),
            limits: Limits::default(),
            max_pending_events: 256,
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Socket.IO setting {setting}: {reason}")]
pub struct SocketIoConfigError {
    /// The setting's name.
    pub setting: &'static str,
    /// Why the value is refused.
    pub reason: &'static str,
}

impl SocketIoConfig {
    /// Checks that every setting can work.
    pub fn validate(&self) -> Result<(), SocketIoConfigError> {
        if self.connect_timeout.is_zero() {
            return Err(SocketIoConfigError {
                setting: "connect_timeout",
                reason: "must be greater than zero",
            });
        }
        if self.max_pending_events == 0 {
            return Err(SocketIoConfigError {
                setting: "max_pending_events",
                reason: "must be at least 1",
            });
        }
        if self.limits.max_payload == 0 {
            return Err(SocketIoConfigError {
                setting: "limits.max_payload",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_values_and_valid() {
        let c = SocketIoConfig::default();
        assert_eq!(c.connect_timeout, Duration::from_secs(45));
        assert_eq!(c.max_pending_events, 256);
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn zero_values_are_refused_with_the_setting_named() {
        let c = SocketIoConfig {
            connect_timeout: Duration::ZERO,
            ..SocketIoConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().setting, "connect_timeout");
        let c = SocketIoConfig {
            max_pending_events: 0,
            ..SocketIoConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().setting, "max_pending_events");
        let mut c = SocketIoConfig::default();
        c.limits.max_payload = 0;
        assert_eq!(c.validate().unwrap_err().setting, "limits.max_payload");
    }
}
