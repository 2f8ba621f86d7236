//! Checking the binary placeholders of a BINARY_EVENT / BINARY_ACK payload
//! (socket.io-protocol v5, binary packets) in the same pass that validates its
//! JSON, without building a tree (see `json::scan`).
//!
//! Each placeholder's `num` must be a non-negative integer below the announced
//! count, no index may appear twice, every announced index must appear, and a
//! placeholder may not contain placeholders (it is replaced whole, so they would
//! be lost).

use crate::Error;
use crate::json::scan::{Placeholders, scan};

/// Which announced attachments a placeholder has referred to.
enum Seen {
    /// Up to 128 attachments: a bit set, no allocation.
    Small(u128),
    /// More (only with a raised [`crate::Limits::max_attachments`]).
    Large(Vec<bool>),
}

struct Checker<'a> {
    count: usize,
    seen: &'a mut Seen,
}

impl Placeholders for Checker<'_> {
    fn placeholder(&mut self, num: Option<u64>, nested: usize) -> Result<(), Error> {
        let Some(num) = num.filter(|_| nested == 0) else {
            return Err(Error::InvalidPlaceholder);
        };
        let count = self.count;
        let Some(index) = usize::try_from(num).ok().filter(|&i| i < count) else {
            return Err(Error::PlaceholderOutOfRange { num, count });
        };
        let already = match self.seen {
            Seen::Small(bits) => {
                let bit = 1u128 << index;
                let already = *bits & bit != 0;
                *bits |= bit;
                already
            }
            Seen::Large(v) => std::mem::replace(&mut v[index], true),
        };
        if already {
            return Err(Error::DuplicatePlaceholder { num: index });
        }
        Ok(())
    }
}

/// Validates `json` (syntax, depth ≤ `max_depth`) and checks its placeholders
/// against `count` announced attachments. `count` is already bounded by the
/// attachment limit.
pub(crate) fn check(json: &str, count: usize, max_depth: usize) -> Result<(), Error> {
    let mut seen = if count <= 128 {
        Seen::Small(0)
    } else {
        Seen::Large(vec![false; count])
    };
    scan(
        json.as_bytes(),
        max_depth,
        Checker {
            count,
            seen: &mut seen,
        },
    )?;
    let missing = (0..count).find(|&i| match &seen {
        Seen::Small(bits) => bits & (1u128 << i) == 0,
        Seen::Large(v) => !v[i],
    });
    match missing {
        Some(num) => Err(Error::MissingPlaceholder { num }),
        None => Ok(()),
    }
}
