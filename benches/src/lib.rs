//! Shared inputs for Huddle's codec benchmarks and their parity tests.
//!
//! The benchmarks (`benches/codec.rs`) put the same traffic through Huddle's
//! codec and through socketioxide's, side by side; the parity tests
//! (`tests/parity.rs`) prove that both sides turn these inputs into the same
//! packets and the same bytes, so the timings compare the same work.
//! `RESULTS.md` beside this crate defines "decode" and "encode" and holds the numbers.
//!
//! # Map
//!
//! | module | what it is |
//! | --- | --- |
//! | [`traffic`] | the typed payloads of the Task Tracker events (spec, "Event Definitions") |
//! | [`text`] | the deterministic 10,000-character chat message |
//! | [`wire`] | socket.io packet text and polling bodies, written independently of both codecs |
//! | [`cases`] | the benchmark cases: [`cases::Case`] and [`cases::PollingCase`] |
//!
//! Beside it: `benches/ops/` (each codec's calls, shared by the targets below),
//! `benches/codec.rs` (criterion, both codecs side by side), `benches/count.rs`
//! (one operation N times, for callgrind instruction counts), `tests/parity.rs`,
//! and `scripts/criterion-runs.sh` / `scripts/instructions.sh`, which produce the
//! tables of `RESULTS.md`.

pub mod cases;
pub mod text;
pub mod traffic;
pub mod wire;
