//! The PromQL parser: Prometheus's own cases, our data files, snapshots, round trips and limits.

#[path = "../common/mod.rs"]
mod common;

mod corpus;
mod depth;
mod invalid;
mod malformed;
mod prometheus;
mod roundtrip;
mod snapshots;
