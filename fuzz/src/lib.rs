//! Shared oracles for the fuzz targets of `huddle-protocol`.
//!
//! The targets in `fuzz_targets/` assert invariants, not only "no panic"; the
//! reference answers they compare the codec with live here so that every target
//! uses the same definition:
//!
//! | module | what it is |
//! | --- | --- |
//! | [`limits`] | the two limit sets every input is decoded under (default and tight) and the monotonicity rule between them |
//! | [`slices`] | "decoded text is a slice of the input": pointer-range checks for zero-copy fields |
//! | [`json`] | tree-based reference answers for JSON nesting depth and binary placeholders |
//! | [`steps`] | the framed input format of the `binary_reassembly` target, reader and writer |
//! | [`errors`] | comparing `huddle_protocol::Error`s by variant |

pub mod errors;
pub mod json;
pub mod limits;
pub mod slices;
pub mod steps;
