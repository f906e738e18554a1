//! `promgate diff OLD NEW`: reload safety of a new rule set against the old one.
//!
//! Exit codes: 0 safe, 1 unsafe findings, 2 usage or load errors (a rule file that does not
//! pass `check rules`, a missing file).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::decision::GatePlan;
use promgate::eval::{EngineOptions, Semantics};
use promgate::explain::diff::{
    DiffFixture, DiffGate, DiffOptions, ReloadSimulation, diff_rule_sets,
};
use promgate::rules::{RestoreOptions, RuleFile, RuleLoadOptions};
use promgate::syntax::lex::parse_duration;

use crate::query::{SemanticsArg, parse_time};

/// Arguments of `promgate diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old rule set: a rule file or a folder of them (`*.yml`, `*.yaml`).
    pub old: PathBuf,
    /// The new rule set: a rule file or a folder of them.
    pub new: PathBuf,
    /// A gates file whose expressions read recorded series.
    #[arg(long)]
    pub gates: Option<PathBuf>,
    /// A fixture to evaluate both rule sets over: a promtool test file (its first group's
    /// input_series) or a promqltest script (its load blocks). Repeatable.
    #[arg(long)]
    pub fixture: Vec<PathBuf>,
    /// The interval of groups that set none.
    #[arg(long, default_value = "1m")]
    pub evaluation_interval: String,
    /// Simulate a reload at this time (after the first fixture's start).
    #[arg(long, allow_hyphen_values = true)]
    pub reload_at: Option<String>,
    /// No evaluation for this long at the reload (a restart).
    #[arg(long, default_value = "0s", requires = "reload_at")]
    pub gap: String,
    /// Prometheus's --rules.alert.for-grace-period.
    #[arg(long, default_value = "10m")]
    pub for_grace_period: String,
    /// Prometheus's --rules.alert.for-outage-tolerance.
    #[arg(long, default_value = "1h")]
    pub outage_tolerance: String,
    /// How long after the restart to watch for missing values.
    #[arg(long, default_value = "1h")]
    pub horizon: String,
    /// Query semantics.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    pub semantics: SemanticsArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A verdict and one line per finding.
    Text,
    /// The report as JSON.
    Json,
}

/// The rule files of a path: the file, or the `*.yml`/`*.yaml` files of a folder (sorted).
fn rule_paths(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no rule files (*.yml, *.yaml)", path.display());
    }
    Ok(files)
}

/// Loads a rule set; files that do not pass `check rules` are printed and make it fail.
fn load_rules(path: &Path, options: &RuleLoadOptions) -> Result<Option<Vec<RuleFile>>> {
    let mut files = Vec::new();
    let mut ok = true;
    for p in rule_paths(path)? {
        let text = crate::fixtures::read_file(&p)?;
        match RuleFile::parse(&p.display().to_string(), &text, options) {
            Ok(f) => files.push(f),
            Err(e) => {
                eprint!("{}", e.render());
                ok = false;
            }
        }
    }
    Ok(ok.then_some(files))
}

fn duration(name: &str, text: &str) -> Result<i64> {
    parse_duration(text).map_err(|e| anyhow::anyhow!("--{name} {text:?}: {e}"))
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    match run_inner(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn run_inner(args: &Args) -> Result<ExitCode> {
    let semantics = Semantics::from(args.semantics);
    let rule_options = RuleLoadOptions {
        semantics,
        ..RuleLoadOptions::default()
    };
    let (Some(old), Some(new)) = (
        load_rules(&args.old, &rule_options)?,
        load_rules(&args.new, &rule_options)?,
    ) else {
        bail!("both rule sets must pass check rules");
    };
    let plan = match &args.gates {
        Some(path) => {
            let text = crate::fixtures::read_file(path)?;
            Some(GatePlan::parse(&path.display().to_string(), &text)?)
        }
        None => None,
    };
    let fixtures = args
        .fixture
        .iter()
        .map(|p| {
            crate::fixtures::load_fixture(p, None, semantics).map(|f| (p.display().to_string(), f))
        })
        .collect::<Result<Vec<_>>>()?;
    let reload = match &args.reload_at {
        Some(at) => Some(ReloadSimulation {
            at: parse_time(at)?,
            gap: duration("gap", &args.gap)?,
            restore: RestoreOptions {
                for_grace_period: duration("for-grace-period", &args.for_grace_period)?,
                outage_tolerance: duration("outage-tolerance", &args.outage_tolerance)?,
            },
            horizon: duration("horizon", &args.horizon)?,
        }),
        None => None,
    };
    let options = DiffOptions {
        gates: plan
            .iter()
            .flat_map(|p| &p.gates)
            .map(|g| DiffGate {
                name: &g.name,
                expr: &g.expr,
                fallback: g.fallback.as_ref(),
            })
            .collect(),
        fixtures: fixtures
            .iter()
            .map(|(name, f)| DiffFixture {
                name,
                store: &f.store,
                start: f.start,
                end: None,
            })
            .collect(),
        reload,
        evaluation_interval: duration("evaluation-interval", &args.evaluation_interval)?,
        engine: EngineOptions {
            semantics,
            ..EngineOptions::default()
        },
    };
    let report = diff_rule_sets(&old, &new, &options)?;
    match args.output {
        Output::Text => out!("{report}"),
        Output::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "verdict": report.verdict(),
                "findings": report.findings.iter().map(|f| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    v["severity"] = serde_json::to_value(f.severity()).unwrap_or_default();
                    v["message"] = serde_json::Value::String(f.to_string());
                    v
                }).collect::<Vec<_>>(),
                "reload": report.reload,
            }))?
        ),
    }
    Ok(match report.verdict() {
        promgate::explain::diff::Verdict::Safe => ExitCode::SUCCESS,
        promgate::explain::diff::Verdict::Unsafe => ExitCode::from(1),
    })
}
