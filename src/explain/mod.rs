//! Explanations: why a PromQL result is empty at a time.
//!
//! The test runner prints the reason under `got: nil`, and the decision module attaches it
//! to gates that had no value.

mod empty;

pub(crate) use empty::{why_empty, why_empty_with_rules};
