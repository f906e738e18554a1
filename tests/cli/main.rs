//! The command-line tool, run as the real binary.

mod promql;
mod query;
mod robust;
