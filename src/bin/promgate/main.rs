//! The `promgate` command-line tool.
//!
//! Exit codes follow promtool: 0 success, 1 failure.

mod promql;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Test Prometheus rules and PromQL expressions.
#[derive(Debug, Parser)]
#[command(name = "promgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with PromQL expressions.
    Promql(promql::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Promql(args) => promql::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
