//! The limit sets inputs are decoded under.
//!
//! Every input is decoded twice: with [`Limits::default`] and with [`tight`]
//! limits small enough that fuzzed inputs reach every limit branch. Limits may
//! only refuse more, never change an answer: whatever the tight decoder accepts,
//! the default decoder accepts identically ([`check_monotonic`]).

use std::fmt::Debug;

use huddle_protocol::{Error, Limits};

/// Small limits that fuzzed inputs (a few KB) easily exceed.
pub fn tight() -> Limits {
    Limits {
        max_payload: 256,
        max_packets_per_payload: 4,
        max_attachments: 2,
        max_attachments_size: 16,
        max_depth: 3,
        max_namespace_len: 8,
        max_event_name_len: 8,
        max_ack_id: 1000,
    }
}

/// `[default, tight]`.
pub fn sets() -> [Limits; 2] {
    [Limits::default(), tight()]
}

/// `limits` with no bound on the size of one unit of input: used to decode a
/// re-encoding, which may be a few bytes longer than the input it came from.
pub fn unbounded_payload(limits: &Limits) -> Limits {
    Limits {
        max_payload: usize::MAX,
        ..*limits
    }
}

/// Panics unless the tight result is the default result, or a refusal of something
/// the default limits refuse too or that exceeds a tight limit.
pub fn check_monotonic<T: PartialEq + Debug>(default: &Result<T, Error>, tight: &Result<T, Error>) {
    match (default, tight) {
        (Ok(d), Ok(t)) => assert_eq!(d, t, "tight limits changed a decoded value"),
        (Err(d), Ok(t)) => panic!("tight limits accepted {t:?} that default limits refuse: {d}"),
        (Ok(_), Err(t)) => assert!(
            crate::errors::is_limit_error(t),
            "tight limits refused with a non-limit error {t:?} what default limits accept"
        ),
        (Err(_), Err(_)) => {}
    }
}
