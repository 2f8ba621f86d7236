//! Comparing errors by variant: `huddle_protocol::Error` is not `PartialEq` (it
//! wraps `serde_json::Error`), and two decoders reaching the same verdict need
//! only agree on the rule broken.

use huddle_protocol::Error;

/// Whether `a` and `b` are the same variant.
pub fn same_variant(a: &Error, b: &Error) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Whether `e` is a refusal caused by a configured limit (and not by malformed input).
pub fn is_limit_error(e: &Error) -> bool {
    matches!(
        e,
        Error::PayloadTooLarge { .. }
            | Error::TooManyPackets { .. }
            | Error::TooManyAttachments { .. }
            | Error::NamespaceTooLong { .. }
            | Error::AckIdOutOfRange { .. }
            | Error::EventNameTooLong { .. }
            | Error::NestingTooDeep { .. }
            | Error::AttachmentsTooLarge { .. }
    )
}
