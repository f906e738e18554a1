//! `promgate dryrun DIR`: preflight, the GO/NO-GO decision, the 24 h monitor, statistics and
//! the grade, on a folder laid out as `testdata/l4`.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::IsTerminal as _;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use promgate::decision::Verdict;
use promgate::decision::dryrun::{DryRunReport, run_dir, run_dir_with_progress};
use promgate::decision::report::write_report;
use promgate::syntax::lex::format_duration;

/// Arguments of `promgate dryrun`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder with `gates.yml` (its `dryrun:` section names the rule files, unit tests and
    /// default scenario).
    pub dir: PathBuf,
    /// The timeline to run instead of the default scenario (a promtool test file).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Also write the report as Markdown (`report.md`) with one SVG chart per gate
    /// (`charts/*.svg`) into this folder.
    #[arg(long, value_name = "OUTDIR")]
    pub report: Option<PathBuf>,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A readable report, verdict first.
    Text,
    /// JSON.
    Json,
}

/// Runs the command. Exit codes: 0 GO, 1 NO-GO (or an error), 3 inconclusive.
pub fn run(args: &Args) -> Result<ExitCode> {
    // A progress bar only for a person watching: text output, both streams on a terminal.
    let watched = args.output == Output::Text
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal();
    let report = if watched {
        let mut bar: Option<ProgressBar> = None;
        let report = run_dir_with_progress(&args.dir, args.scenario.as_deref(), &mut |p| {
            let bar = bar.get_or_insert_with(|| progress_bar(p.end_ms));
            bar.set_position((p.fraction() * 1000.0) as u64);
            bar.set_message(format_duration(p.time_ms));
        });
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        report?
    } else {
        run_dir(&args.dir, args.scenario.as_deref())?
    };
    if let Some(dir) = &args.report {
        write_report(dir, &report)?;
    }
    match args.output {
        Output::Text => out!("{report}"),
        Output::Json => outln!("{}", serde_json::to_string_pretty(&json(&report))?),
    }
    Ok(match report.verdict {
        Verdict::Go => ExitCode::SUCCESS,
        Verdict::NoGo => ExitCode::from(1),
        Verdict::Inconclusive => ExitCode::from(3),
    })
}

/// A bar over the simulated time, on standard error.
fn progress_bar(end_ms: i64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(&format!(
        "simulating {{msg:>9}} of {} [{{bar:40}}] {{percent:>3}}% eta {{eta}}",
        format_duration(end_ms)
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

pub(crate) fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// The report as JSON (shared with `monitor`).
pub(crate) fn json(r: &DryRunReport) -> serde_json::Value {
    serde_json::json!({
        "verdict": r.verdict.to_string(),
        "preflight": r.preflight.iter().map(|p| serde_json::json!({"name": p.name, "passed": p.passed, "detail": p.detail})).collect::<Vec<_>>(),
        "decision": {
            "time_ms": r.decision.time,
            "verdict": r.decision.verdict.to_string(),
            "checks": r.decision.checks.iter().map(|c| serde_json::json!({
                "gate": c.gate,
                "value": c.value.map(num),
                "op": c.op.to_string(),
                "threshold": num(c.threshold),
                "status": c.status.to_string(),
                "path": c.path.to_string(),
                "severity": format!("{:?}", c.severity).to_lowercase(),
                "reason": c.reason,
            })).collect::<Vec<_>>(),
        },
        "probability": r.probability.as_ref().map(|p| serde_json::json!({
            "method": "beta-binomial, uniform prior, effective sample size from lag-1 autocorrelation",
            "mean": num(p.mean), "lower": num(p.lower), "upper": num(p.upper), "level": num(p.level),
            "trials": p.trials, "successes": p.successes, "effective_trials": num(p.effective_trials), "rho": num(p.rho),
        })),
        "gates": r.gates.iter().map(|g| serde_json::json!({
            "name": g.name,
            "pass_fraction": num(g.pass_fraction),
            "missing_fraction": num(g.missing_fraction),
            "fallback_fraction": num(g.fallback_fraction),
            "mean": g.summary.as_ref().map(|s| num(s.mean)),
            "min": g.summary.as_ref().map(|s| num(s.min)),
            "max": g.summary.as_ref().map(|s| num(s.max)),
            "p95": g.summary.as_ref().map(|s| num(s.quantiles.p95)),
            "change_points": g.change_points.iter().map(|c| c.alarm_index).collect::<Vec<_>>(),
            "drift_episodes": g.drift_episodes().iter().map(|e| serde_json::json!({
                "shift": match e.shift { promgate::stats::Shift::Up => "up", promgate::stats::Shift::Down => "down" },
                "start_step": e.start_index,
                "first_alarm_step": e.first_alarm_index,
                "last_alarm_step": e.last_alarm_index,
                "alarms": e.alarms,
            })).collect::<Vec<_>>(),
            "first_missing": g.first_missing.as_ref().map(|(t, why)| serde_json::json!({"time_ms": t, "why": why})),
        })).collect::<Vec<_>>(),
        "early_stop": r.stop.as_ref().map(|s| serde_json::json!({"time_ms": s.time_ms, "step": s.step, "reason": s.reason.to_string()})),
        "grade": r.grade.as_ref().map(|(g, a, v)| serde_json::json!({"grade": g, "action": a, "value": v.map(num)})),
        "risks": r.risks.iter().map(|k| serde_json::json!({"subject": k.subject, "message": k.message})).collect::<Vec<_>>(),
        "rule_errors": r.rule_errors,
        "steps": r.steps,
        "step_ms": r.step_ms,
        "start_ms": r.start_ms,
    })
}
