//! When a sender may send its next message.
//!
//! - `ack`: one message in flight, the next one after the server's ack of the
//!   previous one ("as fast as acks allow"). Socket.IO only.
//! - `echo`: one message in flight, the next one after the sender itself received
//!   the previous one as `message:new` (the server broadcasts to the sender too). The
//!   floor has no acks, so this is the mode that treats every server alike.
//! - `window:N`: at most N messages of the sender not yet delivered to every member
//!   of its room. This bounds every queue in the server whatever its acks do, so a
//!   fast-acking server cannot pile up frames for slow readers; it is the default for
//!   throughput.
//! - `rate:D`: open loop, D deliveries per second in total; each of the S senders of a
//!   room of M members sends every S·M/D seconds. Used to compare latency at one fixed
//!   load.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A pacing rule (see the module header).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// After the ack of the previous message.
    Ack,
    /// After the sender's own copy of the previous message.
    Echo,
    /// At most N messages not yet delivered everywhere.
    Window(u32),
    /// This many deliveries per second in total.
    Rate(f64),
}

/// Why a pace was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaceParseError {
    #[error("{0:?} is not ack, echo, window:N or rate:D")]
    Unknown(String),
    #[error("window:N needs N from 1 to 10000, got {0:?}")]
    Window(String),
    #[error("rate:D needs D deliveries per second from 1 to 100000000, got {0:?}")]
    Rate(String),
}

impl FromStr for Pace {
    type Err = PaceParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "ack" => Ok(Pace::Ack),
            None if s == "echo" => Ok(Pace::Echo),
            Some(("window", n)) => match n.parse::<u32>() {
                Ok(n @ 1..=10_000) => Ok(Pace::Window(n)),
                _ => Err(PaceParseError::Window(n.to_owned())),
            },
            Some(("rate", d)) => match d.parse::<f64>() {
                Ok(d) if (1.0..=1e8).contains(&d) => Ok(Pace::Rate(d)),
                _ => Err(PaceParseError::Rate(d.to_owned())),
            },
            _ => Err(PaceParseError::Unknown(s.to_owned())),
        }
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::Ack => f.write_str("ack"),
            Pace::Echo => f.write_str("echo"),
            Pace::Window(n) => write!(f, "window:{n}"),
            Pace::Rate(d) => write!(f, "rate:{d}"),
        }
    }
}

/// The interval between two sends of one sender under `rate:D`: the total rate is
/// shared evenly by the `senders`, and each message makes `room_size` deliveries.
pub fn rate_interval(deliveries_per_s: f64, senders: usize, room_size: usize) -> Duration {
    let messages_per_s_each =
        deliveries_per_s / (senders.max(1) as f64) / (room_size.max(1) as f64);
    Duration::from_secs_f64(1.0 / messages_per_s_each)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for text in ["ack", "echo", "window:1", "window:10000", "rate:20000"] {
            let pace: Pace = text.parse().unwrap();
            assert_eq!(pace.to_string(), text);
        }
        assert_eq!("rate:2.5".parse::<Pace>(), Ok(Pace::Rate(2.5)));
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        assert_eq!(
            "fast".parse::<Pace>(),
            Err(PaceParseError::Unknown("fast".into()))
        );
        assert_eq!(
            "window:0".parse::<Pace>(),
            Err(PaceParseError::Window("0".into()))
        );
        assert_eq!(
            "window:x".parse::<Pace>(),
            Err(PaceParseError::Window("x".into()))
        );
        assert_eq!(
            "rate:0".parse::<Pace>(),
            Err(PaceParseError::Rate("0".into()))
        );
        assert_eq!(
            "rate:NaN".parse::<Pace>(),
            Err(PaceParseError::Rate("NaN".into()))
        );
        assert!("ack:1".parse::<Pace>().is_err());
    }

    #[test]
    fn rate_is_shared_by_senders_and_multiplied_by_the_room() {
        // 20,000 deliveries/s, 10 senders, rooms of 100: 20 messages/s each.
        assert_eq!(rate_interval(20_000.0, 10, 100), Duration::from_millis(50));
        assert_eq!(rate_interval(1000.0, 1, 1), Duration::from_millis(1));
    }
}
