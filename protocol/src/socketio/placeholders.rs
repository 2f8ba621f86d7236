//! Checking the binary placeholders of a BINARY_EVENT / BINARY_ACK payload without
//! building a JSON tree (socket.io-protocol v5, binary packets).
//!
//! The payload is walked once by serde_json with no allocation. An object whose
//! `_placeholder` is `true` is a placeholder; its `num` must be a non-negative
//! integer below the announced count, no index may appear twice, every announced
//! index must appear, and a placeholder may not itself contain placeholders (it is
//! replaced whole, so they would be lost). Objects whose `_placeholder` is anything
//! but `true` are ordinary data, as in the reference parser.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::Error;

/// Which announced attachments a placeholder has referred to.
enum Seen {
    /// Up to 128 attachments: a bit set, no allocation.
    Small(u128),
    /// More (only with a raised [`crate::Limits::max_attachments`]).
    Large(Vec<bool>),
}

struct State {
    count: usize,
    seen: Seen,
    marked: usize,
    error: Option<Error>,
}

impl State {
    fn fail<E: de::Error>(&mut self, error: Error) -> E {
        self.error = Some(error);
        E::custom("invalid placeholder")
    }

    fn mark<E: de::Error>(&mut self, num: u64) -> Result<(), E> {
        let count = self.count;
        let Some(index) = usize::try_from(num).ok().filter(|&i| i < count) else {
            return Err(self.fail(Error::PlaceholderOutOfRange { num, count }));
        };
        let already = match &mut self.seen {
            Seen::Small(bits) => {
                let bit = 1u128 << index;
                let already = *bits & bit != 0;
                *bits |= bit;
                already
            }
            Seen::Large(v) => std::mem::replace(&mut v[index], true),
        };
        if already {
            return Err(self.fail(Error::DuplicatePlaceholder { num: index }));
        }
        self.marked += 1;
        Ok(())
    }

    fn first_missing(&self) -> Option<usize> {
        (0..self.count).find(|&i| match &self.seen {
            Seen::Small(bits) => bits & (1u128 << i) == 0,
            Seen::Large(v) => !v[i],
        })
    }
}

/// Walks `json` and checks its placeholders against `count` announced attachments.
/// The caller has already bounded the nesting depth and `count`.
pub(crate) fn check(json: &str, count: usize) -> Result<(), Error> {
    let mut state = State {
        count,
        seen: if count <= 128 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; count])
        },
        marked: 0,
        error: None,
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let walked = Walk { st: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(error) = state.error.take() {
        return Err(error);
    }
    walked?;
    match state.first_missing() {
        Some(num) => Err(Error::MissingPlaceholder { num }),
        None => Ok(()),
    }
}

struct Walk<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Walk { st: &mut *self.st })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let marked_before = self.st.marked;
        let mut flag = false;
        let mut num: Option<Option<u64>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Placeholder => flag = map.next_value_seed(Flag { st: &mut *self.st })?,
                Key::Num => num = Some(map.next_value_seed(Num { st: &mut *self.st })?),
                Key::Other => map.next_value_seed(Walk { st: &mut *self.st })?,
            }
        }
        if !flag {
            return Ok(());
        }
        // A placeholder is replaced whole: placeholders inside it would be lost.
        if self.st.marked != marked_before {
            return Err(self.st.fail(Error::InvalidPlaceholder));
        }
        match num {
            Some(Some(n)) => self.st.mark(n),
            _ => Err(self.st.fail(Error::InvalidPlaceholder)),
        }
    }
}

enum Key {
    Placeholder,
    Num,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "_placeholder" => Key::Placeholder,
            "num" => Key::Num,
            _ => Key::Other,
        })
    }
}

/// The value of `_placeholder`: `true` makes the object a placeholder; any other
/// value is walked as ordinary data.
struct Flag<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Flag<'_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Flag<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        Walk { st: self.st }.visit_seq(seq).map(|()| false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        Walk { st: self.st }.visit_map(map).map(|()| false)
    }
}

/// The value of `num`: `Some(n)` for a non-negative integer, `None` otherwise
/// (still walked, in case it is an object holding placeholders).
struct Num<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Num<'_> {
    type Value = Option<u64>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Num<'_> {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<u64>, E> {
        Ok(u64::try_from(v).ok())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<u64>, A::Error> {
        Walk { st: self.st }.visit_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<u64>, A::Error> {
        Walk { st: self.st }.visit_map(map).map(|()| None)
    }
}
