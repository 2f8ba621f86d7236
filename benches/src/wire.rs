//! The expected wire form of each input, written here with `serde_json` and the
//! format rules of the protocol documents, independently of both codecs under
//! test: socket.io packet text (socket.io-protocol v5, "Packet encoding":
//! `<type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]`) and HTTP
//! long-polling bodies (engine.io-protocol v4: records joined by `0x1e`, binary
//! records as `b` + base64).

use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;

/// The `{"_placeholder":true,"num":N}` object that stands for attachment `N`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Placeholder {
    /// Always `true`.
    #[serde(rename = "_placeholder")]
    pub placeholder: bool,
    /// The attachment's index.
    pub num: usize,
}

impl Placeholder {
    /// The placeholder for attachment `num`.
    pub fn new(num: usize) -> Self {
        Placeholder {
            placeholder: true,
            num,
        }
    }
}

/// The header `<type>[<attachments>-][<nsp>,][<ack id>]`.
fn header(kind: u8, attachments: Option<usize>, nsp: &str, id: Option<u64>) -> String {
    let mut out = String::new();
    out.push(char::from(kind));
    if let Some(n) = attachments {
        out.push_str(&format!("{n}-"));
    }
    if nsp != "/" {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        out.push_str(&id.to_string());
    }
    out
}

/// `2[<nsp>,][<id>]["<event>",<arg>]`: an EVENT with one argument.
pub fn event_text<T: Serialize>(nsp: &str, event: &str, arg: &T, id: Option<u64>) -> String {
    let payload = serde_json::to_string(&(event, arg)).expect("bench input serialises");
    header(b'2', None, nsp, id) + &payload
}

/// `5<n>-[<nsp>,][<id>]["<event>",<arg>]`: a BINARY_EVENT header whose `arg`
/// already holds [`Placeholder`]s for its `attachments`.
pub fn binary_event_text<T: Serialize>(
    nsp: &str,
    event: &str,
    arg: &T,
    attachments: usize,
    id: Option<u64>,
) -> String {
    let payload = serde_json::to_string(&(event, arg)).expect("bench input serialises");
    header(b'5', Some(attachments), nsp, id) + &payload
}

/// One record of a polling body, before the engine.io encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A message packet's text (a socket.io packet, without the `4`).
    Text(String),
    /// A binary message's data.
    Binary(Bytes),
}

/// The polling body carrying `records`: `4<text>` or `b<base64>`, joined by `0x1e`.
pub fn polling_body(records: &[Record]) -> Bytes {
    let mut body = String::new();
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            body.push('\u{1e}');
        }
        match record {
            Record::Text(text) => {
                body.push('4');
                body.push_str(text);
            }
            Record::Binary(data) => {
                body.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(data, &mut body);
            }
        }
    }
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_text_follows_the_protocol_examples() {
        // socket.io-protocol v5, "Sending and receiving data".
        assert_eq!(event_text("/", "foo", &"bar", None), r#"2["foo","bar"]"#);
        assert_eq!(
            event_text("/admin", "bar", &"baz", Some(13)),
            r#"2/admin,13["bar","baz"]"#
        );
        assert_eq!(
            binary_event_text("/", "baz", &Placeholder::new(0), 1, None),
            r#"51-["baz",{"_placeholder":true,"num":0}]"#
        );
    }

    #[test]
    fn polling_body_joins_records_with_the_separator() {
        // engine.io-protocol v4, "HTTP long-polling": `4hello\x1e4€\x1ebAQIDBA==`.
        let body = polling_body(&[
            Record::Text("hello".into()),
            Record::Text("€".into()),
            Record::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ]);
        assert_eq!(&body[..], "4hello\u{1e}4€\u{1e}bAQIDBA==".as_bytes());
    }
}
