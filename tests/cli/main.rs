//! The command-line tool, run as the real binary.

mod diff;
mod promql;
mod query;
