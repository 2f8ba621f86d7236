//! `Range` and conditional request headers for downloads (issue 5 item 3; RFC 9110
//! §13-14): a single byte range (206 / 416), `If-Range`, `If-None-Match` and
//! `If-Modified-Since` (304). Several ranges are answered with the whole file, which the
//! RFC allows.

use std::time::SystemTime;

use http::{HeaderMap, header};

/// What to send for a `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole file (no usable range).
    Full,
    /// Bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// The answer to `Range: value` for a file of `size` bytes.
pub fn parse_range(value: &str, size: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        // Another unit, or garbage: ignored.
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if first.is_empty() {
        // Suffix: the last N bytes.
        return match number(last) {
            None => RangeAnswer::Full,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        };
    }
    let Some(start) = number(first) else {
        return RangeAnswer::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match number(last) {
            Some(end) if end >= start => Some(end),
            _ => return RangeAnswer::Full,
        }
    };
    if start >= size {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Partial {
        start,
        end: end.map_or(size - 1, |e| e.min(size - 1)),
    }
}

/// The validators of one stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// A strong ETag (stored files never change).
    pub etag: String,
    /// When it was stored (second precision, as HTTP dates are).
    pub last_modified: SystemTime,
}

impl Validators {
    /// Whether the request's conditions say the client's copy is current (→ 304).
    pub fn not_modified(&self, headers: &HeaderMap) -> bool {
        if let Some(value) = headers.get(header::IF_NONE_MATCH) {
            let Ok(value) = value.to_str() else {
                return false;
            };
            // Weak comparison (RFC 9110 §13.1.2).
            return value
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag);
        }
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| self.last_modified <= since)
    }

    /// Whether a `Range` may be honoured: no `If-Range`, or one that matches (strong).
    pub fn range_applies(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::IF_RANGE) else {
            return true;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        let value = value.trim();
        if value.starts_with('"') {
            return value == self.etag;
        }
        if value.starts_with("W/") {
            return false;
        }
        httpdate::parse_http_date(value).is_ok_and(|date| date == self.last_modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn single_ranges() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-9", 100), Partial { start: 0, end: 9 });
        assert_eq!(
            parse_range("bytes=90-", 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=90-500", 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=-500", 100),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
    }

    #[test]
    fn unusable_ranges_are_ignored() {
        use RangeAnswer::*;
        assert_eq!(parse_range("items=0-9", 100), Full);
        assert_eq!(parse_range("bytes=9-0", 100), Full);
        assert_eq!(parse_range("bytes=a-b", 100), Full);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse_range("bytes=+1-2", 100), Full);
        assert_eq!(parse_range("bytes=", 100), Full);
    }

    fn validators() -> Validators {
        Validators {
            etag: "\"abc\"".into(),
            last_modified: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        }
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn conditional_requests() {
        let v = validators();
        assert!(!v.not_modified(&HeaderMap::new()));
        assert!(v.not_modified(&headers(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")])));
        assert!(v.not_modified(&headers(&[(header::IF_NONE_MATCH, "*")])));
        assert!(!v.not_modified(&headers(&[(header::IF_NONE_MATCH, "\"x\"")])));
        let date = httpdate::fmt_http_date(v.last_modified);
        assert!(v.not_modified(&headers(&[(header::IF_MODIFIED_SINCE, &date)])));
        let earlier = httpdate::fmt_http_date(v.last_modified - Duration::from_secs(1));
        assert!(!v.not_modified(&headers(&[(header::IF_MODIFIED_SINCE, &earlier)])));
        // If-None-Match wins over If-Modified-Since.
        assert!(!v.not_modified(&headers(&[
            (header::IF_NONE_MATCH, "\"x\""),
            (header::IF_MODIFIED_SINCE, &date)
        ])));
    }

    #[test]
    fn if_range() {
        let v = validators();
        assert!(v.range_applies(&HeaderMap::new()));
        assert!(v.range_applies(&headers(&[(header::IF_RANGE, "\"abc\"")])));
        assert!(!v.range_applies(&headers(&[(header::IF_RANGE, "\"old\"")])));
        assert!(!v.range_applies(&headers(&[(header::IF_RANGE, "W/\"abc\"")])));
        let date = httpdate::fmt_http_date(v.last_modified);
        assert!(v.range_applies(&headers(&[(header::IF_RANGE, &date)])));
    }
}
