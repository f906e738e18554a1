//! The `promgate` command-line tool.
//!
//! Exit codes follow promtool: 0 success, 1 failure.

mod fixtures;
mod promql;
mod promqltest;
mod query;

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
    /// Run Prometheus's PromQL test scripts (`load`/`eval` files).
    Promqltest(promqltest::PromqltestArgs),
    /// Evaluate an expression over the series of a fixture file.
    Query(query::QueryArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Promql(args) => promql::run(args),
        Command::Promqltest(args) => promqltest::run(&args),
        Command::Query(args) => query::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
