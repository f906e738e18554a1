//! `promgate stats`: statistics of one series over a fixture: an expression's value, or each
//! gate's value, at every step of a range, with rules evaluated as the dry-run does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::decision::dryrun::load_rule_groups;
use promgate::decision::series::{Probe, SampleOptions, SampledSeries, sample_series};
use promgate::decision::{Gate, GatePlan, Op};
use promgate::eval::Semantics;
use promgate::model::format_float_g;
use promgate::promql::{ParseOptions, parse_with};
use promgate::stats::{
    ChangePoint, DriftOptions, GradeLadder, Summary, SummaryOptions, Threshold, detect_changes,
    summarize,
};
use promgate::syntax::lex::format_duration;
use promgate::unittest::{FileLoader, FsLoader};

use crate::query::SemanticsArg;

/// Arguments of `promgate stats`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["expr", "gates"])))]
pub struct Args {
    /// A promqltest script (its `load` blocks) or a promtool test file (its `input_series`).
    #[arg(long)]
    pub fixture: PathBuf,
    /// With a promtool test file: the test group, by name or `#N`.
    #[arg(long)]
    pub test: Option<String>,
    /// The expression to read at each step; it must give at most one series.
    #[arg(long)]
    pub expr: Option<String>,
    /// A gates file: each gate's value (through its fallback) at each step. Its
    /// `dryrun.drift` and `dryrun.grade` entries for a gate apply to it.
    #[arg(long)]
    pub gates: Option<PathBuf>,
    /// With `--gates`: only this gate (default: every gate).
    #[arg(long, requires = "gates")]
    pub gate: Option<String>,
    /// Rule files to evaluate (default with `--gates`: its `dryrun.rule_files`). Groups run
    /// from the fixture's start, each at its interval (default: the fixture's evaluation
    /// interval, else 1m).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// The first step, after the fixture's start (e.g. `6m`).
    #[arg(long, allow_hyphen_values = true, default_value = "0s")]
    pub from: String,
    /// The last step at most, after the fixture's start (e.g. `24h`).
    #[arg(long, allow_hyphen_values = true)]
    pub to: String,
    /// The time between steps (default: the fixture's evaluation interval, else 1m).
    #[arg(long)]
    pub step: Option<String>,
    /// Count and time the breaches: `--threshold '>' 0.2` (samples strictly above 0.2) or
    /// `--threshold '<' 0.92`. Default for a gate with `<=`/`<`: above its threshold; with
    /// `>=`/`>`: below it.
    #[arg(long, num_args = 2, value_names = ["OP", "VALUE"], allow_hyphen_values = true)]
    pub threshold: Vec<String>,
    /// A drift detector as YAML, e.g. `{method: cusum, baseline: {mean: 0.1, sigma: 0.02}}`
    /// (overrides the gates file's).
    #[arg(long)]
    pub drift: Option<String>,
    /// A grade ladder: `l4`, or a YAML file (overrides the gates file's).
    #[arg(long)]
    pub ladder: Option<String>,
    /// Query semantics.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    pub semantics: SemanticsArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::dryrun::Output::Text)]
    pub output: crate::dryrun::Output,
}

/// Change points printed in text output; JSON lists them all.
const SHOWN_CHANGE_POINTS: usize = 10;

/// One series' figures.
struct SeriesStats {
    name: String,
    expr: String,
    sampled: SampledSeries,
    summary: Option<Summary>,
    drift: Option<(DriftOptions, Vec<ChangePoint>)>,
    grade: Option<(String, String, Option<f64>)>,
    no_summary: Option<String>,
}

/// Runs the command. Exit codes: 0 done, 1 an error.
pub fn run(args: &Args) -> Result<ExitCode> {
    let semantics = Semantics::from(args.semantics);
    let fixture = crate::fixtures::load_fixture(&args.fixture, args.test.as_deref(), semantics)?;
    let interval = fixture.default_step.unwrap_or(60_000);
    let step = match &args.step {
        Some(s) => crate::query::parse_time(s)?,
        None => interval,
    };
    if step <= 0 {
        bail!("--step must be positive");
    }
    let options = SampleOptions {
        start: fixture.start,
        from: fixture.start + crate::query::parse_time(&args.from)?,
        to: fixture.start + crate::query::parse_time(&args.to)?,
        step,
        rule_interval: interval,
        engine: promgate::EngineOptions {
            semantics,
            default_subquery_step: interval,
            ..promgate::EngineOptions::default()
        },
        ..SampleOptions::default()
    };
    let plan = match &args.gates {
        Some(path) => {
            let text = crate::fixtures::read_file(path)?;
            Some(GatePlan::parse(&path.display().to_string(), &text)?)
        }
        None => None,
    };
    let groups = load_rule_groups(&read_rules(args, plan.as_ref())?)?;
    let threshold = threshold_arg(&args.threshold)?;
    let drift: Option<DriftOptions> = match &args.drift {
        Some(text) => Some(serde_yaml::from_str(text).context("--drift")?),
        None => None,
    };
    let ladder = match args.ladder.as_deref() {
        None => None,
        Some("l4") => Some(GradeLadder::l4()),
        Some(path) => {
            let text = crate::fixtures::read_file(Path::new(path))?;
            Some(serde_yaml::from_str::<GradeLadder>(&text).with_context(|| path.to_string())?)
        }
    };
    let summary_options = |threshold: Option<Threshold>| SummaryOptions {
        step_ms: Some(step),
        threshold,
        ..SummaryOptions::default()
    };
    let mut out = Vec::new();
    match (&plan, &args.expr) {
        (Some(plan), _) => {
            let gates: Vec<&Gate> = match &args.gate {
                Some(name) => vec![
                    plan.gates
                        .iter()
                        .find(|g| &g.name == name)
                        .with_context(|| format!("--gate {name:?}: no gate of that name"))?,
                ],
                None => plan.gates.iter().collect(),
            };
            for gate in gates {
                let sampled =
                    sample_series(fixture.store.clone(), &groups, Probe::Gate(gate), &options)
                        .with_context(|| format!("gate {}", gate.name))?;
                let threshold = threshold.or_else(|| gate_threshold(gate));
                let drift = drift.or_else(|| {
                    plan.dryrun
                        .drift
                        .iter()
                        .find(|d| d.signal == gate.name)
                        .map(|d| d.detector)
                });
                let ladder = ladder.clone().or_else(|| {
                    plan.dryrun
                        .grade
                        .as_ref()
                        .filter(|g| g.signal == gate.name)
                        .map(|g| g.ladder.clone().unwrap_or_else(GradeLadder::l4))
                });
                out.push(figures(
                    gate.name.clone(),
                    gate.expr_text.clone(),
                    sampled,
                    &summary_options(threshold),
                    drift,
                    ladder.as_ref(),
                )?);
            }
        }
        (None, Some(text)) => {
            let expr = parse_with(text, &ParseOptions::default())?;
            let sampled = sample_series(fixture.store, &groups, Probe::Expr(&expr), &options)?;
            out.push(figures(
                "expr".into(),
                text.clone(),
                sampled,
                &summary_options(threshold),
                drift,
                ladder.as_ref(),
            )?);
        }
        (None, None) => bail!("give --expr or --gates"),
    }
    match args.output {
        crate::dryrun::Output::Text => {
            for (i, s) in out.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                print_text(s, fixture.start, step);
            }
        }
        crate::dryrun::Output::Json => {
            let items: Vec<_> = out.iter().map(|s| json(s, fixture.start)).collect();
            outln!("{}", serde_json::to_string_pretty(&items)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The rule files: `--rules`, else the gates file's `dryrun.rule_files` relative to it.
fn read_rules(args: &Args, plan: Option<&GatePlan>) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    match (plan, &args.gates) {
        (Some(plan), Some(gates)) if args.rules.is_empty() => {
            let dir = gates.parent().unwrap_or(Path::new(""));
            for pattern in &plan.dryrun.rule_files {
                let pattern = dir.join(pattern).display().to_string();
                files.extend(FsLoader.glob(&pattern).map_err(anyhow::Error::msg)?);
            }
        }
        _ => files.extend(args.rules.iter().map(|p| p.display().to_string())),
    }
    files
        .into_iter()
        .map(|f| {
            let text = crate::fixtures::read_file(Path::new(&f))?;
            Ok((f, text))
        })
        .collect()
}

/// `--threshold OP VALUE`.
fn threshold_arg(words: &[String]) -> Result<Option<Threshold>> {
    let (op, value) = match words {
        [] => return Ok(None),
        [op, value] => (op, value),
        _ => bail!("--threshold is given once, as OP VALUE"),
    };
    let value: f64 = value
        .parse()
        .ok()
        .filter(|v: &f64| !v.is_nan())
        .with_context(|| format!("--threshold: {value:?} is not a number"))?;
    match op.as_str() {
        ">" => Ok(Some(Threshold::above(value))),
        "<" => Ok(Some(Threshold::below(value))),
        other => bail!(
            "--threshold: unknown operator {other:?}, expected '>' (samples above the value breach) or '<' (below)"
        ),
    }
}

/// The side of a gate's threshold where it fails, for the breach figures (strictly beyond the
/// threshold: with `<` and `>` a value equal to it fails the gate but is not counted).
fn gate_threshold(gate: &Gate) -> Option<Threshold> {
    match gate.op {
        Op::Le | Op::Lt => Some(Threshold::above(gate.threshold)),
        Op::Ge | Op::Gt => Some(Threshold::below(gate.threshold)),
        Op::Eq | Op::Ne => None,
    }
}

fn figures(
    name: String,
    expr: String,
    sampled: SampledSeries,
    options: &SummaryOptions,
    drift: Option<DriftOptions>,
    ladder: Option<&GradeLadder>,
) -> Result<SeriesStats> {
    let (summary, no_summary) = match summarize(&sampled.values, options) {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let drift = match drift {
        Some(d) => Some((d, detect_changes(&sampled.values, &d)?)),
        None => None,
    };
    let grade = match (ladder, &summary) {
        (Some(ladder), Some(summary)) => {
            let g = ladder.grade_summary(summary);
            Some((g.grade.to_string(), g.action.to_string(), g.value))
        }
        _ => None,
    };
    Ok(SeriesStats {
        name,
        expr,
        sampled,
        summary,
        drift,
        grade,
        no_summary,
    })
}

/// A value for reading: at most 6 significant digits.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format_float_g(v);
    }
    format_float_g(format!("{v:.5e}").parse().unwrap_or(v))
}

fn print_text(s: &SeriesStats, start: i64, step: i64) {
    let at = |t: i64| format_duration(t - start);
    let times = &s.sampled.times;
    let (first, last) = (times.first().copied(), times.last().copied());
    outln!("{}: {}", s.name, s.expr);
    outln!(
        "  steps      {} from {} to {} every {}",
        times.len(),
        first.map_or("-".into(), at),
        last.map_or("-".into(), at),
        format_duration(step)
    );
    for e in &s.sampled.rule_errors {
        outln!("  rule error {e}");
    }
    let Some(m) = &s.summary else {
        outln!("  {}", s.no_summary.as_deref().unwrap_or("no summary"));
        return;
    };
    outln!(
        "  count      {} present, {} missing ({:.2}%)",
        m.count,
        m.missing,
        m.missing_fraction() * 100.0
    );
    let ci = m.mean_ci.map_or(String::new(), |ci| {
        format!(
            "  {}% CI [{}, {}] (batch means: {} batches of {})",
            format_float_g(ci.level * 100.0),
            short(ci.lower),
            short(ci.upper),
            ci.batches,
            ci.batch_size
        )
    });
    outln!("  mean       {}{ci}", short(m.mean));
    outln!("  sd         {}", m.std_dev.map_or("-".into(), short));
    outln!("  min, max   {}, {}", short(m.min), short(m.max));
    let q = &m.quantiles;
    outln!(
        "  quantiles  p50 {}, p90 {}, p95 {}, p99 {}{}",
        short(q.p50),
        short(q.p90),
        short(q.p95),
        short(q.p99),
        if q.exact { "" } else { " (approximate)" }
    );
    if let Some(b) = &m.breach {
        let side = match b.threshold.direction {
            promgate::stats::Direction::Above => ">",
            promgate::stats::Direction::Below => "<",
        };
        let longest = b.longest.map_or("none".into(), |l| {
            format!(
                "{} steps ({}) from {}",
                l.len,
                format_duration(l.len as i64 * step),
                at(times[l.start])
            )
        });
        outln!(
            "  beyond {side} {}: {} steps ({}), longest {longest}",
            format_float_g(b.threshold.value),
            b.samples,
            format_duration(b.samples as i64 * step)
        );
    }
    if let Some((_, points)) = &s.drift {
        if points.is_empty() {
            outln!("  drift      no change point");
        }
        for cp in points.iter().take(SHOWN_CHANGE_POINTS) {
            outln!(
                "  drift      {:?} at {} (change from {})",
                cp.shift,
                at(times[cp.alarm_index]),
                cp.start_index.map_or("?".into(), |i| at(times[i]))
            );
        }
    }
    if let Some((_, points)) = &s.drift
        && points.len() > SHOWN_CHANGE_POINTS
    {
        outln!(
            "  drift      ... {} alarms in all (the detector restarts after each alarm while the shift lasts; --output json lists them)",
            points.len()
        );
    }
    if let Some((grade, action, value)) = &s.grade {
        outln!(
            "  grade      {grade} ({action}; graded value {})",
            value.map_or("n/a".into(), short)
        );
    }
}

fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn json(s: &SeriesStats, start: i64) -> serde_json::Value {
    let times = &s.sampled.times;
    let rel = |i: usize| times[i] - start;
    let summary = s.summary.as_ref().map(|m| {
        serde_json::json!({
            "count": m.count,
            "missing": m.missing,
            "mean": num(m.mean),
            "std_dev": m.std_dev.map(num),
            "min": num(m.min),
            "max": num(m.max),
            "p50": num(m.quantiles.p50),
            "p90": num(m.quantiles.p90),
            "p95": num(m.quantiles.p95),
            "p99": num(m.quantiles.p99),
            "quantiles_exact": m.quantiles.exact,
            "mean_ci": m.mean_ci.map(|ci| serde_json::json!({
                "lower": num(ci.lower), "upper": num(ci.upper), "level": num(ci.level),
                "batches": ci.batches, "batch_size": ci.batch_size,
                "method": "batch means",
            })),
            "breach": m.breach.map(|b| serde_json::json!({
                "threshold": num(b.threshold.value),
                "direction": format!("{:?}", b.threshold.direction).to_lowercase(),
                "samples": b.samples,
                "duration_ms": b.duration_ms,
                "longest": b.longest.map(|l| serde_json::json!({
                    "start_ms": rel(l.start), "steps": l.len, "duration_ms": l.duration_ms,
                })),
            })),
        })
    });
    serde_json::json!({
        "name": s.name,
        "expr": s.expr,
        "steps": times.len(),
        "from_ms": times.first().map(|t| t - start),
        "to_ms": times.last().map(|t| t - start),
        "summary": summary,
        "error": s.no_summary,
        "change_points": s.drift.as_ref().map(|(_, points)| points.iter().map(|cp| serde_json::json!({
            "alarm_ms": rel(cp.alarm_index),
            "start_ms": cp.start_index.map(rel),
            "shift": format!("{:?}", cp.shift).to_lowercase(),
        })).collect::<Vec<_>>()),
        "grade": s.grade.as_ref().map(|(g, a, v)| serde_json::json!({"grade": g, "action": a, "value": v.map(num)})),
        "rule_errors": s.sampled.rule_errors,
    })
}
