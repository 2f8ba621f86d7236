//! The `huddle` binary.
fn main() {}
