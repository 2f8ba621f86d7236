//! Both codecs do the same work on every benchmark input (see `benches/ops/parity.rs`).
//! If this fails, the benchmark numbers compare different work and mean nothing.

#[path = "../benches/ops/mod.rs"]
mod ops;

use huddle_benches::cases;

#[test]
fn small_event_decodes_and_encodes_alike() {
    ops::parity::check_case(&cases::small_event());
}

#[test]
fn kilobyte_event_decodes_and_encodes_alike() {
    ops::parity::check_case(&cases::kilobyte_event());
}

#[test]
fn chat_10k_decodes_and_encodes_alike() {
    ops::parity::check_case(&cases::chat_10k());
}

#[test]
fn binary_event_decodes_and_encodes_alike() {
    ops::parity::check_case(&cases::binary_event());
}

#[test]
fn polling_body_decodes_and_encodes_alike() {
    ops::parity::check_polling(&cases::polling_case());
}
