//! `promgate promql`: format expressions and show their syntax trees.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use promgate::Diagnostic;
use promgate::promql::{ParseError, ParseErrorKind, ParseOptions, parse_with};

/// Arguments of `promgate promql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print expressions in canonical form.
    Fmt(FmtArgs),
    /// Print the syntax tree of an expression.
    Ast(AstArgs),
}

#[derive(Debug, clap::Args)]
struct FmtArgs {
    /// The expression to format.
    #[arg(
        required_unless_present = "file",
        conflicts_with = "file",
        allow_hyphen_values = true
    )]
    expr: Option<String>,
    /// Format every line of a file instead: one expression per line; blank lines and lines
    /// starting with `#` are copied as they are.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    #[command(flatten)]
    options: OptionArgs,
}

#[derive(Debug, clap::Args)]
struct AstArgs {
    /// The expression to parse.
    #[arg(allow_hyphen_values = true)]
    expr: String,
    #[command(flatten)]
    options: OptionArgs,
}

#[derive(Debug, clap::Args)]
struct OptionArgs {
    /// Accept every experimental feature, as Prometheus's PromQL test engine does.
    #[arg(long)]
    experimental: bool,
}

impl OptionArgs {
    fn parse_options(&self) -> ParseOptions {
        match self.experimental {
            true => ParseOptions::all_features(),
            false => ParseOptions::default(),
        }
    }
}

/// Runs `promgate promql ...`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Fmt(args) => fmt(args),
        Command::Ast(args) => ast(args),
    }
}

fn fmt(args: FmtArgs) -> anyhow::Result<ExitCode> {
    let options = args.options.parse_options();
    if let Some(path) = &args.file {
        return fmt_file(path, &options);
    }
    let expr = args.expr.unwrap_or_default();
    match parse_with(&expr, &options) {
        Ok(parsed) => {
            outln!("{parsed}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{}", crate::parse_error_text(&error));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Formats each line of a file; reports every invalid line and fails if there was one.
fn fmt_file(path: &std::path::Path, options: &ParseOptions) -> anyhow::Result<ExitCode> {
    let text = promgate::syntax::read_text_file(path).map_err(anyhow::Error::msg)?;
    // One index for the whole file: each error renders in the time of its own line.
    let index = promgate::LineIndex::new(&text);
    let origin = path.display().to_string();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut failed = false;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            writeln!(stdout, "{content}")?;
            continue;
        }
        match parse_with(content, options) {
            Ok(parsed) => writeln!(stdout, "{parsed}")?,
            Err(error) => {
                failed = true;
                let diagnostic = in_file(&error, start).with_origin(origin.clone());
                write!(stderr, "{}", diagnostic.render_indexed(&text, &index))?;
                // Keep the line so the output still lines up with the input.
                writeln!(stdout, "{content}")?;
            }
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The error as a diagnostic positioned in the whole file.
fn in_file(error: &ParseError, line_start: usize) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(error.kind.to_string(), error.span.shifted(line_start));
    let hint = match error.kind {
        ParseErrorKind::FeatureNotEnabled { .. }
        | ParseErrorKind::FunctionNotEnabled { .. }
        | ParseErrorKind::AggregatorNotEnabled { .. } => {
            Some("pass --experimental to enable it".to_string())
        }
        _ => error.kind.hint(),
    };
    if let Some(hint) = hint {
        diagnostic = diagnostic.with_hint(hint);
    }
    diagnostic
}

fn ast(args: AstArgs) -> anyhow::Result<ExitCode> {
    match parse_with(&args.expr, &args.options.parse_options()) {
        Ok(parsed) => {
            outln!("{}", promgate::promql::tree(&parsed));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{}", crate::parse_error_text(&error));
            Ok(ExitCode::FAILURE)
        }
    }
}
