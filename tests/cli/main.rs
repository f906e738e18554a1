//! The command-line tool, run as the real binary.

mod lint;
mod promql;
mod query;
