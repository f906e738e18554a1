//! Explanations: why a PromQL result is empty at a time.
//!
//! The test runner prints the reason under `got: nil`, and the decision module attaches it
//! to gates that had no value. [`lint`] checks rule files and gates files for the pitfalls
//! that make results empty, or alerts and gates wrong, without data.

mod empty;
pub mod lint;

pub(crate) use empty::{why_empty, why_empty_with_rules};
