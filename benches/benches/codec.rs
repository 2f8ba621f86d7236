//! Criterion benchmarks of the socket.io codec on typical Huddle traffic, Huddle
//! (`huddle-protocol`) side by side with socketioxide (`socketioxide-parser-common`,
//! `engineioxide-core`) in the same groups.
//!
//! Groups are `<direction>/<case>`, with one function per codec:
//! - `decode/<case>`: `huddle`, `huddle_validated` (plus a full JSON check of the
//!   payload, which socketioxide's `read_event` does as a side effect), `socketioxide`;
//! - `decode_typed/<case>`: decode, then the handler's argument as a typed struct;
//! - `encode/<case>`: (namespace, event, argument, ack id) → bytes to send;
//! - `decode/polling_50`, `encode/polling_50`: a 50-record polling body.
//!
//! `RESULTS.md` defines each operation and holds the numbers. Before timing a
//! case, the parity check (`ops/parity.rs`) proves both codecs produce the same
//! result from it.
//!
//! Run: `cargo bench -p huddle-benches --bench codec -- --warm-up-time 1 --measurement-time 3`.

mod ops;

use std::fmt::Debug;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use huddle_benches::cases::{self, Case};
use serde::Serialize;
use serde::de::DeserializeOwned;

use ops::huddle::{self, Huddle};
use ops::socketioxide::{self, Socketioxide};

fn bench_case<T>(c: &mut Criterion, case: &Case<T>)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    ops::parity::check_case(case);
    let ours_text = huddle_protocol::Str::from(case.wire.clone());
    let theirs_text = socketioxide::Str::from(case.wire.clone());
    let attachments = &case.attachments[..];
    let mut ours = Huddle::default();
    let theirs = Socketioxide::default();
    let bytes = Throughput::Bytes(case.wire_len() as u64);

    let mut group = c.benchmark_group(format!("decode/{}", case.name));
    group.throughput(bytes.clone());
    group.bench_function("huddle", |b| {
        b.iter(|| ours.decode(&ours_text, attachments, |d| black_box(d).id))
    });
    group.bench_function("huddle_validated", |b| {
        b.iter(|| ours.decode_validated(&ours_text, attachments, |d| black_box(d).id))
    });
    group.bench_function("socketioxide", |b| {
        b.iter(|| theirs.decode(&theirs_text, attachments, |d| black_box(d).id))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("decode_typed/{}", case.name));
    group.throughput(bytes.clone());
    group.bench_function("huddle", |b| {
        b.iter(|| ours.decode_typed::<T>(&ours_text, attachments))
    });
    group.bench_function("socketioxide", |b| {
        b.iter(|| theirs.decode_typed::<T>(&theirs_text, attachments))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("encode/{}", case.name));
    group.throughput(bytes);
    group.bench_function("huddle", |b| {
        b.iter(|| ours.encode(case.nsp, case.event, &case.arg, case.id))
    });
    group.bench_function("socketioxide", |b| {
        b.iter(|| theirs.encode(case.nsp, case.event, &case.arg, case.id))
    });
    group.finish();
}

fn events(c: &mut Criterion) {
    bench_case(c, &cases::small_event());
    bench_case(c, &cases::kilobyte_event());
    bench_case(c, &cases::chat_10k());
    bench_case(c, &cases::binary_event());
}

fn polling(c: &mut Criterion) {
    let case = cases::polling_case();
    ops::parity::check_polling(&case);
    let ours = Huddle::default();
    let bytes = Throughput::Bytes(case.body.len() as u64);

    let mut group = c.benchmark_group("decode/polling_50");
    group.throughput(bytes.clone());
    group.bench_function("huddle", |b| b.iter(|| ours.decode_payload(&case.body)));
    group.bench_function("socketioxide", |b| {
        b.iter(|| socketioxide::decode_payload(&case.body))
    });
    group.finish();

    // The queued frames are the input, built outside the timing; each side
    // consumes (and drops) its queue inside it.
    let frames = huddle::frames(&case);
    let bufs = socketioxide::packet_bufs(&case);
    let mut group = c.benchmark_group("encode/polling_50");
    group.throughput(bytes);
    group.bench_function("huddle", |b| {
        b.iter_batched(
            || frames.clone(),
            huddle::encode_payload,
            BatchSize::SmallInput,
        )
    });
    group.bench_function("socketioxide", |b| {
        b.iter_batched(
            || bufs.clone(),
            socketioxide::encode_payload,
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, events, polling);
criterion_main!(benches);
