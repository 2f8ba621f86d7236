//! Proof that both codecs do the same work on every benchmark input: the same
//! dispatch view, the same typed argument, the same bytes out. The benchmarks
//! assert it before timing anything; `tests/parity.rs` runs it under `cargo test`.

use std::fmt::Debug;

use huddle_benches::cases::{Case, PollingCase};
use huddle_benches::wire::Record;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::OwnedDispatch;
use super::huddle::{self, Huddle};
use super::socketioxide::{self, Socketioxide};

/// What decoding `case` must yield.
fn expected<T>(case: &Case<T>) -> OwnedDispatch {
    let binary = !case.attachments.is_empty();
    // The payload is what follows the header `<type>[<n>-][<nsp>,][<id>]`.
    let start = case.wire.find('[').expect("an event payload");
    OwnedDispatch {
        binary,
        nsp: case.nsp.to_owned(),
        id: case.id,
        event: case.event.to_owned(),
        payload: case.wire[start..].to_owned(),
        attachments: case.attachments.clone(),
    }
}

/// Panics unless both codecs decode and encode `case` to the same, expected result.
pub fn check_case<T>(case: &Case<T>)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let want = expected(case);
    let mut ours = Huddle::default();
    let theirs = Socketioxide::default();
    let ours_text = huddle_protocol::Str::from(case.wire.clone());
    let theirs_text = socketioxide::Str::from(case.wire.clone());
    let attachments = &case.attachments;

    let got = ours.decode(&ours_text, attachments, |d| d.to_owned());
    assert_eq!(got, want, "{}: huddle decode", case.name);
    let got = ours.decode_validated(&ours_text, attachments, |d| d.to_owned());
    assert_eq!(got, want, "{}: huddle decode (validated)", case.name);
    let got = theirs.decode(&theirs_text, attachments, |d| d.to_owned());
    assert_eq!(got, want, "{}: socketioxide decode", case.name);

    let got: T = ours.decode_typed(&ours_text, attachments);
    assert_eq!(got, case.arg, "{}: huddle typed decode", case.name);
    let got: T = theirs.decode_typed(&theirs_text, attachments);
    assert_eq!(got, case.arg, "{}: socketioxide typed decode", case.name);

    let (text, bins) = ours.encode(case.nsp, case.event, &case.arg, case.id);
    assert_eq!(
        std::str::from_utf8(&text).expect("UTF-8"),
        case.wire,
        "{}: huddle encode",
        case.name
    );
    assert_eq!(&bins, attachments, "{}: huddle attachments", case.name);
    let (text, bins) = theirs.encode(case.nsp, case.event, &case.arg, case.id);
    assert_eq!(
        text.as_str(),
        case.wire,
        "{}: socketioxide encode",
        case.name
    );
    let bins: Vec<_> = bins.unwrap_or_default().into();
    assert_eq!(
        &bins, attachments,
        "{}: socketioxide attachments",
        case.name
    );
}

/// Panics unless both payload codecs decode and encode the polling body alike.
pub fn check_polling(case: &PollingCase) {
    let want: Vec<Record> = case.records().cloned().collect();
    let ours: Vec<Record> = Huddle::default()
        .decode_payload(&case.body)
        .iter()
        .map(|p| huddle::to_record(p).expect("message packets only"))
        .collect();
    assert_eq!(ours, want, "huddle payload decode");
    let theirs: Vec<Record> = socketioxide::decode_payload(&case.body)
        .iter()
        .map(|p| socketioxide::to_record(p).expect("message packets only"))
        .collect();
    assert_eq!(theirs, want, "socketioxide payload decode");

    assert_eq!(
        huddle::encode_payload(huddle::frames(case)),
        case.body,
        "huddle payload encode"
    );
    assert_eq!(
        socketioxide::encode_payload(socketioxide::packet_bufs(case)),
        case.body,
        "socketioxide payload encode"
    );
}
