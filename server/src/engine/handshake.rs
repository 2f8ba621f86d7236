//! [`Handshake`]: the HTTP request that opened a session, kept for the session's whole
//! life (Socket.IO exposes it as `socket.handshake`).
//!
//! Why a compact copy and not the request's `HeaderMap`: hyper hands out header values
//! as slices of the connection's read buffer (8 KiB), so keeping even one of them keeps
//! the whole buffer alive for as long as the session lasts. Here every header and query
//! field is copied into one owned buffer, indexed by end offsets: three small
//! allocations per session, whatever the number of headers.

use std::fmt;
use std::net::SocketAddr;
use std::time::SystemTime;

use http::HeaderMap;

/// The HTTP request that opened a session, as Socket.IO exposes it in `socket.handshake`.
#[derive(Clone)]
pub struct Handshake {
    /// The request target as received (path and query).
    url: Box<str>,
    /// Header names (lowercase) and values, then query keys and values, back to back.
    fields: Box<[u8]>,
    /// End offset in `fields` of each name, then value, in order.
    ends: Box<[u32]>,
    /// How many of the pairs in `ends` are headers; the rest are query parameters.
    header_pairs: u32,
    remote_addr: SocketAddr,
    issued_at: SystemTime,
}

impl Handshake {
    /// Copies what a session keeps of its opening request: `query` is the decoded query
    /// string in order ([`super::request::parse_query`]).
    ///
    /// # Panics
    /// If the headers and query together exceed 4 GiB (hyper refuses far smaller heads).
    pub fn new(
        url: &str,
        headers: &HeaderMap,
        query: &[(String, String)],
        remote_addr: SocketAddr,
        issued_at: SystemTime,
    ) -> Self {
        let size: usize = headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .chain(query.iter().map(|(k, v)| k.len() + v.len()))
            .sum();
        let mut fields = Vec::with_capacity(size);
        let mut ends = Vec::with_capacity(2 * (headers.len() + query.len()));
        let mut push = |field: &[u8]| {
            fields.extend_from_slice(field);
            ends.push(u32::try_from(fields.len()).expect("handshake fields over 4 GiB"));
        };
        for (name, value) in headers {
            push(name.as_str().as_bytes());
            push(value.as_bytes());
        }
        for (key, value) in query {
            push(key.as_bytes());
            push(value.as_bytes());
        }
        Handshake {
            url: url.into(),
            fields: fields.into_boxed_slice(),
            header_pairs: headers.len() as u32,
            ends: ends.into_boxed_slice(),
            remote_addr,
            issued_at,
        }
    }

    /// Field `i` (names and values alternate).
    fn field(&self, i: usize) -> &[u8] {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        &self.fields[start..self.ends[i] as usize]
    }

    fn pairs(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = (&[u8], &[u8])> {
        range.map(|p| (self.field(2 * p), self.field(2 * p + 1)))
    }

    /// Every request header: lowercase name and raw value, names in the order they
    /// first appeared, the values of a repeated header together after its name.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.pairs(0..self.header_pairs as usize)
            // Names were copied from `HeaderName`s, which are ASCII.
            .map(|(k, v)| (std::str::from_utf8(k).unwrap_or_default(), v))
    }

    /// The first value of header `name` (any case), raw.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first value of header `name` (any case) as text; `None` when absent or not
    /// visible ASCII (the rule of `http::HeaderValue::to_str`).
    pub fn header(&self, name: &str) -> Option<&str> {
        let value = self.header_bytes(name)?;
        if value
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            std::str::from_utf8(value).ok()
        } else {
            None
        }
    }

    /// The query string, percent-decoded, in order (`EIO`, `transport` and `t` included).
    pub fn query(&self) -> impl Iterator<Item = (&str, &str)> {
        let pairs = self.ends.len() / 2;
        self.pairs(self.header_pairs as usize..pairs)
            // Copied from `String`s.
            .map(|(k, v)| {
                (
                    std::str::from_utf8(k).unwrap_or_default(),
                    std::str::from_utf8(v).unwrap_or_default(),
                )
            })
    }

    /// The first value of query parameter `key`, if present.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The request target as received (path and query).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The peer address of the TCP connection (the proxy's, behind a reverse proxy).
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote_addr
    }

    /// When the session was opened.
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("url", &self.url)
            .field("headers", &self.header_pairs)
            .field("remote_addr", &self.remote_addr)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn keeps_headers_and_query_in_order_as_owned_copies() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.com"));
        headers.append("x-tag", HeaderValue::from_static("one"));
        headers.append("x-tag", HeaderValue::from_static("two"));
        headers.insert("x-bin", HeaderValue::from_bytes(&[0xff, b'a']).unwrap());
        let query = vec![
            ("EIO".to_owned(), "4".to_owned()),
            ("k".to_owned(), "a b".to_owned()),
            ("k".to_owned(), "c".to_owned()),
        ];
        let h = Handshake::new(
            "/socket.io/?EIO=4&k=a+b&k=c",
            &headers,
            &query,
            "127.0.0.1:9".parse().unwrap(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(h.url(), "/socket.io/?EIO=4&k=a+b&k=c");
        assert_eq!(h.header("Host"), Some("example.com"));
        assert_eq!(h.header("x-tag"), Some("one"));
        assert_eq!(h.header("x-bin"), None);
        assert_eq!(h.header_bytes("x-bin"), Some(&[0xff, b'a'][..]));
        assert_eq!(h.header("absent"), None);
        let all: Vec<(&str, &[u8])> = h.headers().collect();
        assert_eq!(
            all,
            vec![
                ("host", &b"example.com"[..]),
                ("x-tag", b"one"),
                ("x-tag", b"two"),
                ("x-bin", &[0xff, b'a']),
            ]
        );
        assert_eq!(h.query_param("k"), Some("a b"));
        assert_eq!(h.query_param("EIO"), Some("4"));
        assert_eq!(h.query_param("nope"), None);
        assert_eq!(h.query().count(), 3);
        assert_eq!(h.remote_addr().port(), 9);
        assert_eq!(h.issued_at(), SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn empty_request() {
        let h = Handshake::new(
            "/",
            &HeaderMap::new(),
            &[],
            "127.0.0.1:1".parse().unwrap(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(h.headers().count(), 0);
        assert_eq!(h.query().count(), 0);
        assert_eq!(h.header("host"), None);
    }
}
