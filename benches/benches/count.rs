//! Runs one benchmarked operation an exact number of times, for instruction
//! counting under `valgrind --tool=callgrind`: on a shared, noisy machine the
//! instruction count per operation is the stable companion of criterion's times.
//!
//! `cargo bench -p huddle-benches --bench count -- <direction>/<case>/<side> <iterations>`
//! with direction `decode`, `decode_validated`, `decode_typed` or `encode`, case
//! as in `codec.rs` (`polling_50` for decode / encode), side `huddle` or
//! `socketioxide`. Only the calls of [`measured`] are meant to be counted:
//! `valgrind --tool=callgrind --toggle-collect='count::measured*' …`, then
//! divide the total by the iterations. Without arguments (as under `cargo test
//! --benches`) it runs the parity checks and every operation once.

mod ops;

use std::fmt::Debug;
use std::hint::black_box;

use huddle_benches::cases::{self, Case};
use serde::Serialize;
use serde::de::DeserializeOwned;

use ops::huddle::{self, Huddle};
use ops::socketioxide::{self, Socketioxide};

/// The counted region: `iterations` runs of `op`.
#[inline(never)]
fn measured(iterations: u64, op: &mut dyn FnMut()) {
    for _ in 0..iterations {
        op();
    }
}

/// Runs the operation `name` of `case` if it is one; `true` if it was.
fn run_case<T>(case: &Case<T>, name: &str, iterations: u64) -> bool
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let ours_text = huddle_protocol::Str::from(case.wire.clone());
    let theirs_text = socketioxide::Str::from(case.wire.clone());
    let attachments = &case.attachments[..];
    let mut ours = Huddle::default();
    let theirs = Socketioxide::default();
    let Some((direction, side)) = name
        .strip_suffix(&format!("/{}/huddle", case.name))
        .map(|d| (d, "huddle"))
        .or_else(|| {
            name.strip_suffix(&format!("/{}/socketioxide", case.name))
                .map(|d| (d, "socketioxide"))
        })
    else {
        return false;
    };
    let mut op: Box<dyn FnMut()> = match (direction, side) {
        ("decode", "huddle") => Box::new(|| {
            black_box(ours.decode(&ours_text, attachments, |d| black_box(d).id));
        }),
        ("decode_validated", "huddle") => Box::new(|| {
            black_box(ours.decode_validated(&ours_text, attachments, |d| black_box(d).id));
        }),
        ("decode" | "decode_validated", "socketioxide") => Box::new(|| {
            black_box(theirs.decode(&theirs_text, attachments, |d| black_box(d).id));
        }),
        ("decode_typed", "huddle") => Box::new(|| {
            black_box(ours.decode_typed::<T>(&ours_text, attachments));
        }),
        ("decode_typed", "socketioxide") => Box::new(|| {
            black_box(theirs.decode_typed::<T>(&theirs_text, attachments));
        }),
        ("encode", "huddle") => Box::new(|| {
            black_box(ours.encode(case.nsp, case.event, &case.arg, case.id));
        }),
        ("encode", "socketioxide") => Box::new(|| {
            black_box(theirs.encode(case.nsp, case.event, &case.arg, case.id));
        }),
        _ => return false,
    };
    measured(iterations, &mut op);
    true
}

/// Runs a polling operation if `name` is one; `true` if it was. The encoders'
/// input queues are built inside the counted region here (a cheap clone of
/// reference-counted buffers, the same on both sides).
fn run_polling(name: &str, iterations: u64) -> bool {
    let case = cases::polling_case();
    let ours = Huddle::default();
    let frames = huddle::frames(&case);
    let bufs = socketioxide::packet_bufs(&case);
    let mut op: Box<dyn FnMut()> = match name {
        "decode/polling_50/huddle" => Box::new(|| {
            black_box(ours.decode_payload(&case.body));
        }),
        "decode/polling_50/socketioxide" => Box::new(|| {
            black_box(socketioxide::decode_payload(&case.body));
        }),
        "encode/polling_50/huddle" => Box::new(|| {
            black_box(huddle::encode_payload(frames.clone()));
        }),
        "encode/polling_50/socketioxide" => Box::new(|| {
            black_box(socketioxide::encode_payload(bufs.clone()));
        }),
        _ => return false,
    };
    measured(iterations, &mut op);
    true
}

fn run(name: &str, iterations: u64) -> bool {
    run_case(&cases::small_event(), name, iterations)
        || run_case(&cases::kilobyte_event(), name, iterations)
        || run_case(&cases::chat_10k(), name, iterations)
        || run_case(&cases::binary_event(), name, iterations)
        || run_polling(name, iterations)
}

fn main() {
    // `cargo bench` passes `--bench` (and `cargo test --benches` nothing or
    // test-harness flags): only plain words are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [name, iterations] => {
            let iterations: u64 = iterations.parse().expect("iterations: a number");
            assert!(run(name, iterations), "unknown operation {name}");
        }
        _ => {
            ops::parity::check_case(&cases::small_event());
            ops::parity::check_case(&cases::kilobyte_event());
            ops::parity::check_case(&cases::chat_10k());
            ops::parity::check_case(&cases::binary_event());
            ops::parity::check_polling(&cases::polling_case());
            for case in ["small_event", "kilobyte_event", "chat_10k", "binary_event"] {
                for direction in ["decode", "decode_validated", "decode_typed", "encode"] {
                    for side in ["huddle", "socketioxide"] {
                        assert!(run(&format!("{direction}/{case}/{side}"), 1));
                    }
                }
            }
            for direction in ["decode", "encode"] {
                for side in ["huddle", "socketioxide"] {
                    assert!(run(&format!("{direction}/polling_50/{side}"), 1));
                }
            }
            println!("count: both codecs agree on every input; every operation ran once");
        }
    }
}
