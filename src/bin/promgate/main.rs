//! The `promgate` command-line tool.
//!
//! Exit codes follow promtool: 0 success, 1 failure. The decision commands (`decide`,
//! `dryrun`, `monitor`) exit 0 GO, 1 NO-GO, 3 inconclusive; `monitor` and `fixture` exit 2 on
//! an error (an unreachable API, a bad state file) so it never reads as NO-GO.

/// `println!` that ends the program quietly when standard output is closed early
/// (`promgate ... | head`), instead of panicking.
macro_rules! outln {
    () => {
        outln!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // Formatted first, then written at once: standard output is line-buffered, and a
        // large result written piece by piece costs a system call per line.
        let mut text = format!($($arg)*);
        text.push('\n');
        if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
            crate::output_failed(e);
        }
    }};
}

/// `print!` with [`outln!`]'s handling of a closed standard output.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
            crate::output_failed(e);
        }
    }};
}

mod check;
mod decide;
mod diff;
mod dryrun;
#[cfg(feature = "http")]
mod export;
mod fixtures;
mod lint;
#[cfg(feature = "http")]
mod monitor;
mod promql;
mod promqltest;
mod query;
mod stats;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Test Prometheus rules and PromQL expressions.
#[derive(Debug, Parser)]
#[command(name = "promgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    limits: Limits,
}

/// Limits on input, for every command (see the README's "Limits").
#[derive(Debug, clap::Args)]
struct Limits {
    /// The largest input file read, in bytes or with a binary suffix (`512MiB`, `2G`).
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
    /// The most samples a fixture's or test group's store holds (a histogram counts as its size).
    #[arg(long, global = true, value_name = "N")]
    max_store_samples: Option<usize>,
    /// The most series a fixture's or test group's store holds.
    #[arg(long, global = true, value_name = "N")]
    max_series: Option<usize>,
    /// The deepest nesting of a YAML file.
    #[arg(long, global = true, value_name = "N")]
    yaml_max_depth: Option<usize>,
    /// The most nodes a YAML file may have after expanding aliases.
    #[arg(long, global = true, value_name = "N")]
    yaml_max_nodes: Option<usize>,
}

impl Limits {
    /// Makes the limits given the process-wide defaults the library's loaders use.
    fn apply(&self) {
        if let Some(bytes) = self.max_file_size {
            promgate::syntax::set_max_file_bytes(bytes);
        }
        let store = promgate::store::StoreLimits::default();
        promgate::store::StoreLimits::set_default(promgate::store::StoreLimits {
            max_samples: self.max_store_samples.unwrap_or(store.max_samples),
            max_series: self.max_series.unwrap_or(store.max_series),
        });
        let yaml = promgate::yaml::YamlLimits::default();
        promgate::yaml::YamlLimits::set_default(promgate::yaml::YamlLimits {
            max_depth: self.yaml_max_depth.unwrap_or(yaml.max_depth),
            max_nodes: self.yaml_max_nodes.unwrap_or(yaml.max_nodes),
        });
    }
}

/// A size in bytes: digits with an optional `K`, `M`, `G` (binary: `KiB`, `MiB`, `GiB` too).
fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown unit {unit:?} (use K, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 512MiB)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check rule files.
    Check(check::Args),
    /// Decide GO/NO-GO with a gates file at one time over a fixture.
    Decide(decide::Args),
    /// Reload safety: compare a new rule set with the old one (exit 0 safe, 1 unsafe, 2 error).
    Diff(diff::Args),
    /// Run the dry-run of a gates folder: preflight, decision, monitor, statistics, grade.
    Dryrun(dryrun::Args),
    /// Lint rule files and a gates file: coalescing, heartbeat coverage and PromQL pitfalls.
    Lint(lint::Args),
    /// Export series from a Prometheus-compatible API as a promtool test file's input_series.
    #[cfg(feature = "http")]
    Fixture(export::Args),
    /// Run the gates against a Prometheus-compatible API: the 24 h monitor (resumable with
    /// --state and --once) or a backtest over a past window (--from/--to).
    #[cfg(feature = "http")]
    Monitor(monitor::Args),
    /// Work with PromQL expressions.
    Promql(promql::Args),
    /// Run Prometheus's PromQL test scripts (`load`/`eval` files).
    Promqltest(promqltest::PromqltestArgs),
    /// Evaluate an expression over the series of a fixture file.
    Query(query::QueryArgs),
    /// Statistics of an expression's or a gate's value over a fixture: summary, drift, grade.
    Stats(stats::Args),
    /// Run rule unit tests.
    Test(test::Args),
}

/// A PromQL parse error as the command line shows it: the library's diagnostic, with the hint
/// for a disabled feature naming the flag that enables it rather than the library option.
fn parse_error_text(error: &promgate::ParseError) -> String {
    use promgate::promql::ParseErrorKind;
    let mut diagnostic = error.diagnostic();
    if matches!(
        error.kind,
        ParseErrorKind::FeatureNotEnabled { .. }
            | ParseErrorKind::FunctionNotEnabled { .. }
            | ParseErrorKind::AggregatorNotEnabled { .. }
    ) {
        diagnostic = diagnostic.with_hint("pass --experimental to enable it");
    }
    diagnostic
        .render(error.source_text())
        .trim_end_matches('\n')
        .to_string()
}

/// Ends the program after a failed write to standard output: quietly with success when the
/// reader went away (a broken pipe), with an error otherwise.
fn output_failed(error: std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing output: {error}");
    std::process::exit(1);
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.limits.apply();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Decide(args) => decide::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Dryrun(args) => dryrun::run(&args),
        Command::Lint(args) => lint::run(&args),
        #[cfg(feature = "http")]
        Command::Fixture(args) => export::run(&args),
        #[cfg(feature = "http")]
        Command::Monitor(args) => monitor::run(&args),
        Command::Promql(args) => promql::run(args),
        Command::Promqltest(args) => promqltest::run(&args),
        Command::Query(args) => query::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Test(args) => test::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
