//! Data to seed a store with: the demo data (issue: "Demo data") and the generated
//! load-test fixture (issue: "Benchmarks run with the access rules on").
//!
//! Loading is idempotent in both stores: a row whose id already exists is kept as it
//! is, so loading twice changes nothing.

mod dataset;
mod demo;
mod fixture;

pub use dataset::{Dataset, Grant, Project, Study, Task};
pub use demo::demo_dataset;
pub use fixture::{FixtureError, FixtureLimits, FixtureSpec};
