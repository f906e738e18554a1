//! The command-line tool, run as the real binary.

mod lint;
mod diff;
mod promql;
mod query;
mod report;
mod stats;
