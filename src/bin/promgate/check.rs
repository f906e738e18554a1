//! `promgate check rules`: validate rule files as `promtool check rules` does.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::eval::Semantics;
use promgate::promql::ParseOptions;
use promgate::rules::{RuleFile, RuleLoadOptions};

use crate::query::SemanticsArg;

/// Arguments of `promgate check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CheckCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CheckCommand {
    /// Check rule files (Prometheus rule files or Prometheus-operator `PrometheusRule`
    /// manifests). With no file, reads standard input.
    Rules(RulesArgs),
}

/// Arguments of `promgate check rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Lint checks to run, comma-separated: `all`, `duplicate-rules`, `none`.
    #[arg(long, default_value = "duplicate-rules")]
    lint: String,
    /// Make lint problems fatal (exit code 3).
    #[arg(long)]
    lint_fatal: bool,
    /// Accept and drop keys the rule-file format does not know.
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// Validate as this Prometheus version does (2.x: legacy metric and label names).
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    semantics: SemanticsArg,
    /// Accept experimental PromQL syntax and functions.
    #[arg(long)]
    experimental: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// The rule files.
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    /// promtool's text.
    Text,
    /// One JSON object per run.
    Json,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        CheckCommand::Rules(rules) => check_rules(rules),
    }
}

fn check_rules(args: &RulesArgs) -> Result<ExitCode> {
    let semantics = Semantics::from(args.semantics);
    let mut lint_duplicates = false;
    for word in args.lint.split(',') {
        match word {
            "all" | "duplicate-rules" => lint_duplicates = true,
            "none" => lint_duplicates = false,
            other => match semantics {
                Semantics::Prometheus2 => outln!("WARNING: unknown lint option {other}"),
                Semantics::Prometheus3 => outln!("WARNING: unknown lint option: {other:?}"),
            },
        }
    }
    if args.lint.split(',').any(|w| w == "none") {
        lint_duplicates = false;
    }
    let options = RuleLoadOptions {
        semantics,
        parse: if args.experimental {
            ParseOptions::all_features()
        } else {
            ParseOptions::default()
        },
        ignore_unknown_fields: args.ignore_unknown_fields,
    };
    let mut inputs: Vec<(String, Result<String, String>)> = Vec::new();
    if args.files.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading rules from standard input")?;
        inputs.push(("standard input".into(), Ok(text)));
    } else {
        for path in &args.files {
            if path.is_dir() {
                bail!("{:?} is a directory", path.display().to_string());
            }
            // A file that cannot be read fails on its own; the other files are still checked.
            let text = crate::fixtures::read_file(path).map_err(|e| format!("{e:#}"));
            inputs.push((path.display().to_string(), text));
        }
    }
    let mut failed = false;
    let mut lint_failed = false;
    let mut json = Vec::new();
    for (name, text) in &inputs {
        let mut record = serde_json::json!({ "file": name });
        if args.output == Output::Text {
            outln!("Checking {name}");
        }
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                failed = true;
                record["success"] = false.into();
                record["problems"] = serde_json::json!([{ "message": e }]);
                if args.output == Output::Text {
                    eprintln!("  FAILED:");
                    eprintln!("{e}");
                }
                json.push(record);
                continue;
            }
        };
        let result = RuleFile::parse(name, text, &options);
        match result {
            Ok(file) => {
                if file.ignored_documents > 0 && semantics == Semantics::Prometheus3 {
                    eprintln!(
                        "WARNING: {name}: multiple YAML documents; only the first is read, as Prometheus does"
                    );
                }
                let lint = if lint_duplicates {
                    file.duplicate_rules()
                } else {
                    None
                };
                record["rules"] = file.rule_count().into();
                match &lint {
                    None => {
                        if args.output == Output::Text {
                            outln!("  SUCCESS: {} rules found", file.rule_count());
                        }
                    }
                    Some(lint) => {
                        lint_failed = true;
                        if args.output == Output::Text {
                            eprintln!("  FAILED:");
                            eprintln!("{lint}");
                        }
                        record["lint"] = serde_json::json!([{
                            "check": "duplicate-rules",
                            "message": lint.to_string(),
                            "duplicates": lint.keys.iter().map(|(n, l)| serde_json::json!({"name": n, "labels": l.to_string()})).collect::<Vec<_>>(),
                        }]);
                    }
                }
                record["success"] = lint.is_none().into();
                if args.output == Output::Text {
                    outln!();
                }
            }
            Err(err) => {
                failed = true;
                record["success"] = false.into();
                record["problems"] = err
                    .problems
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "message": p.message,
                            "line": p.pos.map(|p| p.line),
                            "column": p.pos.map(|p| p.column),
                            "group": p.group,
                            "rule": p.rule,
                        })
                    })
                    .collect::<Vec<_>>()
                    .into();
                if args.output == Output::Text {
                    eprintln!("  FAILED:");
                    eprint!("{}", err.render());
                    if semantics == Semantics::Prometheus2 {
                        outln!();
                    }
                }
            }
        }
        json.push(record);
    }
    if args.output == Output::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "files": json }))?
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else if lint_failed && args.lint_fatal {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
