//! Checking the binary placeholders of a BINARY_EVENT / BINARY_ACK payload
//! (socket.io-protocol v5, binary packets) in the same pass that validates its
//! JSON, without building a tree (see `json::scan`).
//!
//! Each placeholder's `num` must be a non-negative integer below the announced
//! count, no index may appear twice, every announced index must appear, and a
//! placeholder may not contain placeholders (it is replaced whole, so they would
//! be lost).
//!
//! [`locate`] also records where each placeholder is, for the typed readers that
//! deserialise straight from the text (`json::de`).

use crate::Error;
use crate::json::de::Slot;
use crate::json::scan::{Found, Placeholders, scan};

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
    slots: Option<&'a mut Vec<Slot>>,
}

impl Placeholders for Checker<'_> {
    fn placeholder(&mut self, found: Found) -> Result<(), Error> {
        let Some(num) = found.num.filter(|_| found.nested == 0) else {
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
        if let Some(slots) = self.slots.as_deref_mut() {
            slots.push(Slot {
                object: found.object,
                index,
            });
        }
        Ok(())
    }
}

/// Validates `json` (syntax, depth ≤ `max_depth`) and checks its placeholders
/// against `count` announced attachments. `count` is already bounded by the
/// attachment limit.
pub(crate) fn check(json: &str, count: usize, max_depth: usize) -> Result<(), Error> {
    run(json, count, max_depth, None)
}

/// [`check`], returning where the placeholders are, in document order.
pub(crate) fn locate(json: &str, count: usize, max_depth: usize) -> Result<Vec<Slot>, Error> {
    // Placeholders never outnumber the announced (limited) count once checked.
    let mut slots = Vec::with_capacity(count.min(64));
    run(json, count, max_depth, Some(&mut slots))?;
    Ok(slots)
}

fn run(
    json: &str,
    count: usize,
    max_depth: usize,
    slots: Option<&mut Vec<Slot>>,
) -> Result<(), Error> {
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
            slots,
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
