//! Tree-based reference answers for the JSON checks the codec makes without
//! building a tree: nesting depth (`Limits::max_depth`) and the binary
//! placeholders of a BINARY_EVENT / BINARY_ACK payload.
//!
//! The codec checks both with single-pass scanners; these walk a parsed tree, in
//! document order, with the semantics the protocol crate documents: an object is a
//! placeholder when its last `_placeholder` key is `true`; its last `num` must be a
//! non-negative integer below the announced count, used once; no placeholder may
//! sit inside another; every announced index must be used; no container may open
//! deeper than the depth limit. Violations are reported in document order (a
//! container's depth when it opens, an object's placeholder rules when it closes),
//! the first one wins, and an unused index is reported only after the whole walk.

use huddle_protocol::socketio::Value;

/// Nesting depth as `Limits::max_depth` counts it: a scalar is 0, `[]` is 1.
pub fn depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// [`depth`] of a protocol [`Value`] (which keeps duplicate object keys).
pub fn value_depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        Value::Object(fields) => {
            1 + fields
                .iter()
                .map(|(_, v)| value_depth(v))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// Whether `json` is one JSON text by `serde_json`'s syntax alone: strings are
/// not unescaped and numbers not converted, so a lone surrogate escape or a
/// number beyond `f64` passes here while a `serde_json::Value` refuses it.
pub fn is_valid_syntax(json: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(json).is_ok()
}

/// Nesting depth of `v` once written to the wire, where each binary part
/// becomes a placeholder object (one level).
pub fn wire_depth(v: &Value) -> usize {
    match v {
        Value::Binary(_) => 1,
        Value::Array(items) => 1 + items.iter().map(wire_depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.iter().map(|(_, v)| wire_depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// The verdict the placeholder check must reach, as the reference walk found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholders {
    /// Valid: the placeholder indexes in document order (a permutation of `0..count`).
    Valid(Vec<usize>),
    /// `Error::InvalidPlaceholder`.
    Invalid,
    /// `Error::PlaceholderOutOfRange { num, count }`.
    OutOfRange { num: u64, count: usize },
    /// `Error::DuplicatePlaceholder { num }`.
    Duplicate { num: usize },
    /// `Error::MissingPlaceholder { num }` (the first unused index).
    Missing { num: usize },
    /// `Error::NestingTooDeep`.
    TooDeep,
}

struct Walk {
    count: usize,
    max_depth: usize,
    used: Vec<bool>,
    order: Vec<usize>,
}

/// Checks the placeholders of `payload` against `count` announced attachments,
/// and its nesting against `max_depth`.
pub fn placeholders(payload: &Value, count: usize, max_depth: usize) -> Placeholders {
    let mut w = Walk {
        count,
        max_depth,
        used: vec![false; count],
        order: Vec::new(),
    };
    if let Err(verdict) = walk(payload, &mut w, 1) {
        return verdict;
    }
    match w.used.iter().position(|u| !u) {
        Some(num) => Placeholders::Missing { num },
        None => Placeholders::Valid(w.order),
    }
}

/// `level` is the nesting level `v` opens if it is a container (1 at the top).
fn walk(v: &Value, w: &mut Walk, level: usize) -> Result<(), Placeholders> {
    if matches!(v, Value::Array(_) | Value::Object(_)) && level > w.max_depth {
        return Err(Placeholders::TooDeep);
    }
    match v {
        Value::Array(items) => items.iter().try_for_each(|item| walk(item, w, level + 1)),
        Value::Object(fields) => {
            let marked_before = w.order.len();
            let mut flag = false;
            let mut num = None;
            for (k, v) in fields {
                match k.as_str() {
                    "_placeholder" => flag = *v == Value::Bool(true),
                    "num" => num = Some(as_index(v)),
                    _ => {}
                }
                walk(v, w, level + 1)?;
            }
            if !flag {
                return Ok(());
            }
            if w.order.len() != marked_before {
                return Err(Placeholders::Invalid);
            }
            let Some(Some(n)) = num else {
                return Err(Placeholders::Invalid);
            };
            let Some(index) = usize::try_from(n).ok().filter(|&i| i < w.count) else {
                return Err(Placeholders::OutOfRange {
                    num: n,
                    count: w.count,
                });
            };
            if std::mem::replace(&mut w.used[index], true) {
                return Err(Placeholders::Duplicate { num: index });
            }
            w.order.push(index);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A placeholder's `num`: a JSON integer that is not negative.
fn as_index(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Whether any object in `v` has a last `_placeholder` key equal to `true`.
pub fn has_placeholder_object(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(has_placeholder_object),
        Value::Object(fields) => {
            fields
                .iter()
                .rev()
                .find(|(k, _)| k == "_placeholder")
                .is_some_and(|(_, v)| *v == Value::Bool(true))
                || fields.iter().any(|(_, v)| has_placeholder_object(v))
        }
        _ => false,
    }
}

/// Whether any object in `v` has a key `_placeholder`, whatever its value.
pub fn has_placeholder_key(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(has_placeholder_key),
        Value::Object(fields) => fields
            .iter()
            .any(|(k, v)| k == "_placeholder" || has_placeholder_key(v)),
        _ => false,
    }
}

/// The binary parts of `v` in document order.
pub fn binaries(v: &Value) -> Vec<bytes::Bytes> {
    fn go(v: &Value, out: &mut Vec<bytes::Bytes>) {
        match v {
            Value::Binary(b) => out.push(b.clone()),
            Value::Array(items) => items.iter().for_each(|i| go(i, out)),
            Value::Object(fields) => fields.iter().for_each(|(_, v)| go(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn reference_walk_reaches_the_documented_verdicts() {
        let ph = |s: &str, n| placeholders(&parse(s), n, 32);
        assert_eq!(
            ph(
                r#"["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#,
                2
            ),
            Placeholders::Valid(vec![1, 0])
        );
        assert_eq!(
            ph(r#"[{"_placeholder":true,"num":2}]"#, 2),
            Placeholders::OutOfRange { num: 2, count: 2 }
        );
        assert_eq!(
            ph(
                r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
                1
            ),
            Placeholders::Duplicate { num: 0 }
        );
        assert_eq!(
            ph(r#"[{"_placeholder":true,"num":0}]"#, 2),
            Placeholders::Missing { num: 1 }
        );
        assert_eq!(
            ph(r#"[{"_placeholder":true,"num":-1}]"#, 1),
            Placeholders::Invalid
        );
        assert_eq!(ph(r#"[{"_placeholder":true}]"#, 1), Placeholders::Invalid);
        assert_eq!(
            ph(
                r#"[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":1}}]"#,
                2
            ),
            Placeholders::Invalid
        );
        // Depth is checked where a container opens, before later placeholders.
        assert_eq!(
            placeholders(&parse(r#"[[[1]],{"_placeholder":true,"num":5}]"#), 1, 2),
            Placeholders::TooDeep
        );
        assert_eq!(
            placeholders(&parse(r#"[{"_placeholder":true,"num":5},[[1]]]"#), 1, 2),
            Placeholders::OutOfRange { num: 5, count: 1 }
        );
        // Not a placeholder: `_placeholder` is not `true` (last key wins).
        assert_eq!(
            ph(r#"[{"_placeholder":true,"num":0,"_placeholder":1}]"#, 0),
            Placeholders::Valid(vec![])
        );
    }

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&serde_json::json!(1)), 0);
        assert_eq!(depth(&serde_json::json!([])), 1);
        assert_eq!(depth(&serde_json::json!([[{"a": []}]])), 4);
        assert_eq!(value_depth(&parse(r#"{"a":[{}]}"#)), 3);
        let with_binary = Value::Array(vec![Value::Binary(bytes::Bytes::from_static(b"x"))]);
        assert_eq!(value_depth(&with_binary), 1);
        assert_eq!(wire_depth(&with_binary), 2);
    }
}
