//! Shared inputs for the Huddle benchmarks.
