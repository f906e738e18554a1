//! `promgate lint`: check rule files (and a gates file) for coalescing, heartbeat and PromQL
//! pitfalls. Exit codes: 0 no finding at or above `--fail-on`, 1 findings, 2 usage errors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::explain::lint::{
    LINT_RULES, LintConfig, Severity, lint_paths, lint_rule, render_checkstyle, render_text, sarif,
};
use promgate::parse_duration;

use crate::query::SemanticsArg;

/// Arguments of `promgate lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule files, or folders of them (`*.yml`, `*.yaml`, `*.rules`, recursively).
    pub paths: Vec<PathBuf>,
    /// A gates file to lint with the rules (its gates read the rules' recorded series).
    #[arg(long)]
    pub gates: Option<PathBuf>,
    /// A YAML lint configuration (`scrape_interval`, `enable`, `disable`, `severity`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Turn on a rule, a group (`coalesce`) or `all`; repeatable.
    #[arg(long, value_name = "ID")]
    pub enable: Vec<String>,
    /// Turn off a rule, a group or `all`; repeatable.
    #[arg(long, value_name = "ID")]
    pub disable: Vec<String>,
    /// Override a severity: `ID=info|warning|error`; repeatable.
    #[arg(long, value_name = "ID=LEVEL")]
    pub severity: Vec<String>,
    /// The scrape interval the `rate` window check assumes (default: 1m, or a shorter group
    /// interval).
    #[arg(long, value_name = "DURATION")]
    pub scrape_interval: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// List the lint rules and exit.
    #[arg(long)]
    pub list: bool,
    /// Print a lint rule's documentation and exit.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
    /// Read rule files as this Prometheus version does.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    pub semantics: SemanticsArg,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line:col: severity [id] message`, then the fix.
    Text,
    /// The report as JSON.
    Json,
    /// Checkstyle XML.
    Checkstyle,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any finding fails.
    Info,
    /// Warnings and errors fail.
    Warning,
    /// Only errors fail.
    Error,
    /// Never fail on findings.
    Never,
}

/// Runs the command. Usage errors (a bad flag value, configuration or path) exit with 2.
pub fn run(args: &Args) -> Result<ExitCode> {
    match lint(args) {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn config(args: &Args) -> Result<LintConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = crate::fixtures::read_file(path)?;
            LintConfig::from_yaml(&path.display().to_string(), &text)?
        }
        None => LintConfig::default(),
    };
    for id in &args.enable {
        config.enable(id)?;
    }
    for id in &args.disable {
        config.disable(id)?;
    }
    for item in &args.severity {
        let Some((id, level)) = item.split_once('=') else {
            bail!("--severity {item:?}: expected ID=LEVEL");
        };
        config.set_severity(id, level.parse()?)?;
    }
    if let Some(d) = &args.scrape_interval {
        let ms = parse_duration(d).with_context(|| format!("--scrape-interval {d:?}"))?;
        if ms <= 0 {
            bail!("--scrape-interval {d:?}: must be positive");
        }
        config.scrape_interval = Some(ms);
    }
    config.load.semantics = args.semantics.into();
    Ok(config)
}

fn list() {
    for r in LINT_RULES {
        let off = if r.enabled { "" } else { " (off by default)" };
        outln!("{:<36} {:<8} {}{off}", r.id, r.severity, r.summary);
    }
}

fn explain(id: &str) -> Result<()> {
    let Some(r) = lint_rule(id) else {
        bail!("unknown lint rule {id:?} (see `promgate lint --list`)");
    };
    outln!("{}: {}", r.id, r.summary);
    outln!(
        "severity: {}{}",
        r.severity,
        if r.enabled { "" } else { " (off by default)" }
    );
    outln!();
    outln!("{}", r.rationale);
    outln!();
    outln!("fix: {}", r.fix);
    Ok(())
}

fn lint(args: &Args) -> Result<ExitCode> {
    if args.list {
        list();
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = &args.explain {
        explain(id)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.paths.is_empty() && args.gates.is_none() {
        bail!("no rule files given (see `promgate lint --help`)");
    }
    let config = config(args)?;
    let report = lint_paths(&args.paths, args.gates.as_deref(), &config)?;
    match args.format {
        Format::Text => {
            out!("{}", render_text(&report));
            let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
            eprintln!(
                "{} findings ({} errors, {} warnings, {} info) in {} files, {} rules, {} gates{}",
                report.findings.len(),
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info),
                report.files,
                report.rules,
                report.gates,
                match report.suppressed {
                    0 => String::new(),
                    n => format!("; {n} disabled by comments"),
                }
            );
        }
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Format::Checkstyle => out!("{}", render_checkstyle(&report)),
        Format::Sarif => outln!("{}", serde_json::to_string_pretty(&sarif(&report))?),
    }
    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    Ok(match threshold {
        Some(t) if report.fails(t) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}
