//! `EngineConfig`: every setting and limit of one Engine.IO server, with the reference
//! server's defaults where it has one (engine.io `ServerOptions`).

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Settings of one Engine.IO server (one path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The request path the engine answers, with a trailing slash. Default `/socket.io/`.
    /// Requests to the same path without the trailing slash are accepted too.
    pub path: String,
    /// Time between the server's pings. Default 25 s.
    pub ping_interval: Duration,
    /// Time the server waits for a pong (or any packet) after a ping before it closes
    /// the session. Default 20 s.
    pub ping_timeout: Duration,
    /// Time a client has to complete an upgrade to WebSocket (probe, then `5`) before
    /// the new WebSocket is closed and the session stays on polling. Default 10 s.
    pub upgrade_timeout: Duration,
    /// Longest time a closing session spends delivering its last frames and the close
    /// packet (waiting for the client's next long-polling GET, or for the WebSocket
    /// close handshake). Default 5 s.
    pub close_timeout: Duration,
    /// Largest polling POST body, WebSocket frame and WebSocket message, in bytes; also
    /// advertised as `maxPayload` in the handshake. Default 1,000,000.
    pub max_payload: usize,
    /// Most packets accepted in one polling POST body. Default 4096.
    pub max_packets_per_payload: usize,
    /// Most concurrent sessions; a handshake over the cap gets HTTP 503. Default 10,000.
    pub max_sessions: usize,
    /// Capacity of each session's outbound queue, in frames. When an application send
    /// finds it full, the session is closed (`outbound queue overflow`). Default 1024.
    pub outbound_queue_capacity: usize,
    /// Capacity of a WebSocket's read buffer, in bytes: allocated up front and kept for
    /// every connection, idle or not, and the most read from the socket in one call. A
    /// larger message is still read (the buffer grows for it, up to `max_payload`), in
    /// reads of this size. Default 1024: chat packets are a few hundred bytes, and an
    /// idle connection then costs about 3 KB less than with 4096, with no measurable
    /// change in fan-out throughput (reads are a small part of a server's work there).
    pub ws_read_buffer_size: usize,
    /// Bytes a WebSocket buffers before writing to the socket (it is always flushed
    /// after each batch of frames). Default 16384.
    pub ws_write_buffer_size: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/socket.io/".to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            close_timeout: Duration::from_millis(5_000),
            max_payload: 1_000_000,
            max_packets_per_payload: 4096,
            max_sessions: 10_000,
            outbound_queue_capacity: 1024,
            ws_read_buffer_size: 1024,
            ws_write_buffer_size: 16 * 1024,
        }
    }
}

/// A setting that cannot work, named as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {reason}")]
pub struct ConfigError {
    /// The setting's name.
    pub setting: &'static str,
    /// Why the value is refused.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            setting,
            reason: reason.into(),
        }
    }
}

impl EngineConfig {
    /// Checks that every setting can work, and normalises `path` to start and end with `/`.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        let path = self.path.trim();
        if !path.starts_with('/') {
            return Err(ConfigError::new("path", "must start with '/'"));
        }
        if path.contains(['?', '#', ' ']) {
            return Err(ConfigError::new(
                "path",
                "must be a plain path (no '?', '#' or spaces)",
            ));
        }
        self.path = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        if self.ping_interval.is_zero() {
            return Err(ConfigError::new("ping-interval-ms", "must be above 0"));
        }
        if self.ping_timeout.is_zero() {
            return Err(ConfigError::new("ping-timeout-ms", "must be above 0"));
        }
        // The handshake advertises both in milliseconds as JSON numbers.
        if self.ping_interval.as_millis() > u128::from(u32::MAX)
            || self.ping_timeout.as_millis() > u128::from(u32::MAX)
        {
            return Err(ConfigError::new(
                "ping-interval-ms/ping-timeout-ms",
                "must be at most 4294967295",
            ));
        }
        if self.upgrade_timeout.is_zero() {
            return Err(ConfigError::new("upgrade-timeout-ms", "must be above 0"));
        }
        if self.close_timeout.is_zero() {
            return Err(ConfigError::new("close-timeout-ms", "must be above 0"));
        }
        if self.max_payload < 16 {
            return Err(ConfigError::new("max-payload", "must be at least 16 bytes"));
        }
        if self.max_packets_per_payload == 0 {
            return Err(ConfigError::new(
                "max-packets-per-payload",
                "must be above 0",
            ));
        }
        if self.max_sessions == 0 {
            return Err(ConfigError::new("max-sessions", "must be above 0"));
        }
        if self.outbound_queue_capacity == 0 {
            return Err(ConfigError::new(
                "outbound-queue-capacity",
                "must be above 0",
            ));
        }
        if self.ws_read_buffer_size < 256 {
            return Err(ConfigError::new(
                "ws-read-buffer-size",
                "must be at least 256 bytes",
            ));
        }
        Ok(self)
    }

    /// The tungstenite settings this config implies: messages and frames capped at
    /// `max_payload` (instead of tungstenite's 64 MiB / 16 MiB defaults) and a small
    /// read buffer.
    pub fn websocket_config(&self) -> WebSocketConfig {
        let mut ws = WebSocketConfig::default();
        ws.read_buffer_size = self.ws_read_buffer_size;
        ws.write_buffer_size = self.ws_write_buffer_size;
        // Bounded backpressure: the write buffer holds at most the target size plus one
        // message before a send waits for the socket.
        ws.max_write_buffer_size = self
            .ws_write_buffer_size
            .saturating_add(self.max_payload.saturating_mul(2))
            .saturating_add(64);
        ws.max_message_size = Some(self.max_payload);
        ws.max_frame_size = Some(self.max_payload);
        ws
    }

    /// The codec limits this config implies.
    pub fn protocol_limits(&self) -> huddle_protocol::Limits {
        huddle_protocol::Limits {
            max_payload: self.max_payload,
            max_packets_per_payload: self.max_packets_per_payload,
            ..huddle_protocol::Limits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_reference_server() {
        let c = EngineConfig::default().validated().unwrap();
        assert_eq!(c.path, "/socket.io/");
        assert_eq!(c.ping_interval, Duration::from_secs(25));
        assert_eq!(c.ping_timeout, Duration::from_secs(20));
        assert_eq!(c.max_payload, 1_000_000);
    }

    #[test]
    fn path_is_normalised_and_checked() {
        let c = EngineConfig {
            path: "/chat/socket.io".into(),
            ..EngineConfig::default()
        };
        assert_eq!(c.validated().unwrap().path, "/chat/socket.io/");
        let bad = EngineConfig {
            path: "socket.io".into(),
            ..EngineConfig::default()
        };
        assert_eq!(bad.validated().unwrap_err().setting, "path");
    }

    #[test]
    fn zero_limits_are_refused_with_the_setting_name() {
        let c = EngineConfig {
            max_sessions: 0,
            ..EngineConfig::default()
        };
        assert_eq!(c.validated().unwrap_err().setting, "max-sessions");
        let c = EngineConfig {
            ping_interval: Duration::ZERO,
            ..EngineConfig::default()
        };
        assert_eq!(c.validated().unwrap_err().setting, "ping-interval-ms");
        let c = EngineConfig {
            outbound_queue_capacity: 0,
            ..EngineConfig::default()
        };
        assert_eq!(
            c.validated().unwrap_err().setting,
            "outbound-queue-capacity"
        );
    }

    #[test]
    fn websocket_limits_follow_max_payload() {
        let c = EngineConfig {
            max_payload: 5000,
            ..EngineConfig::default()
        };
        let ws = c.websocket_config();
        assert_eq!(ws.max_message_size, Some(5000));
        assert_eq!(ws.max_frame_size, Some(5000));
        assert_eq!(ws.read_buffer_size, 1024);
    }
}
