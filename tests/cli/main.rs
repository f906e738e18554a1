//! The command-line tool, run as the real binary.

mod diff;
mod lint;
mod promql;
mod query;
mod report;
mod stats;
mod robust;
