//! `promgate decide`: evaluate a gates file at one time over a fixture and print the decision.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use promgate::decision::dryrun::load_rule_groups;
use promgate::decision::{GatePlan, StoreSource, Verdict};
use promgate::eval::Semantics;
use promgate::model::format_float_g;
use promgate::rules::{GroupEvaluator, RuleEvalOptions};
use promgate::syntax::lex::format_duration;
use promgate::unittest::{FileLoader, FsLoader};

use crate::query::SemanticsArg;

/// Arguments of `promgate decide`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The gates file.
    #[arg(long)]
    pub gates: PathBuf,
    /// A promqltest script (its `load` blocks) or a promtool test file (its `input_series`).
    #[arg(long)]
    pub fixture: PathBuf,
    /// With a promtool test file: the test group, by name or `#N`.
    #[arg(long)]
    pub test: Option<String>,
    /// When to decide (a duration after the fixture's start, e.g. `10m`).
    #[arg(long, allow_hyphen_values = true)]
    pub time: String,
    /// Rule files to evaluate before deciding (default: the gates file's `dryrun.rule_files`,
    /// relative to it). Their groups run from the fixture's start to `--time`, each at its
    /// interval (default: the fixture's evaluation interval, else 1m).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// Query semantics.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    pub semantics: SemanticsArg,
}

/// Runs the command. Exit codes: 0 GO, 1 NO-GO (or an error), 3 inconclusive.
pub fn run(args: &Args) -> Result<ExitCode> {
    let semantics = Semantics::from(args.semantics);
    let text = crate::fixtures::read_file(&args.gates)?;
    let plan = GatePlan::parse(&args.gates.display().to_string(), &text)?;
    let fixture = crate::fixtures::load_fixture(&args.fixture, args.test.as_deref(), semantics)?;
    let t = fixture.start + crate::query::parse_time(&args.time)?;
    let options = promgate::EngineOptions {
        semantics,
        default_subquery_step: fixture.default_step.unwrap_or(60_000),
        ..promgate::EngineOptions::default()
    };
    let mut rule_files = Vec::new();
    if args.rules.is_empty() {
        let dir = args.gates.parent().unwrap_or(std::path::Path::new(""));
        for pattern in &plan.dryrun.rule_files {
            let pattern = dir.join(pattern).display().to_string();
            rule_files.extend(FsLoader.glob(&pattern).map_err(anyhow::Error::msg)?);
        }
    } else {
        rule_files.extend(args.rules.iter().map(|p| p.display().to_string()));
    }
    let mut texts = Vec::new();
    for f in rule_files {
        let text = crate::fixtures::read_file(std::path::Path::new(&f))?;
        texts.push((f, text));
    }
    let groups = load_rule_groups(&texts)?;
    let step = options.default_subquery_step;
    let mut store = fixture.store;
    let mut rules = GroupEvaluator::new(
        groups,
        RuleEvalOptions {
            engine: options.clone(),
            ..RuleEvalOptions::default()
        },
    );
    let mut ts = fixture.start;
    while ts <= t {
        for e in rules.eval_due(&mut store, ts, fixture.start, step) {
            eprintln!("warning: {e}");
        }
        ts += step;
    }
    let decision = plan.decide(&StoreSource::with_options(&store, options), t)?;
    outln!(
        "{} at {}",
        decision.verdict,
        format_duration(t - fixture.start)
    );
    for c in &decision.checks {
        let value = c.value.map_or("-".to_string(), format_float_g);
        outln!(
            "  {:<7} {:<28} {:>12} {} {:<8} [{}] {}",
            c.status.to_string().to_uppercase(),
            c.gate,
            value,
            c.op,
            format_float_g(c.threshold),
            c.path,
            c.reason
        );
    }
    Ok(match decision.verdict {
        Verdict::Go => ExitCode::SUCCESS,
        Verdict::NoGo => ExitCode::from(1),
        Verdict::Inconclusive => ExitCode::from(3),
    })
}
