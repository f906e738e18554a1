//! The command-line tool, run as the real binary.

mod diff;
mod lint;
mod promql;
mod query;
mod report;
mod robust;
mod stats;
mod test_rules;

use std::process::{Command, Output};

/// Runs the binary with `args` from the crate's root.
fn promgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run promgate")
}

/// The run's standard output.
fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The run's standard error.
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
