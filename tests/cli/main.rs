//! The command-line tool, run as the real binary.

mod diff;
mod lint;
mod promql;
mod query;
mod report;
mod robust;
mod stats;
