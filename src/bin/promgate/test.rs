//! `promgate test rules`: run promtool rule unit tests.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::eval::Semantics;
use promgate::promql::ParseOptions;
use promgate::unittest::{
    AlertMatch, Coverage, DiffStyle, Failure, FileReport, RuleUsage, Stream, StrictFinding,
    TestOptions, run_path,
};

use crate::query::SemanticsArg;

/// Arguments of `promgate test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write a JUnit XML report to this file.
    #[arg(long, global = true)]
    junit: Option<PathBuf>,
    #[command(subcommand)]
    command: TestCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TestCommand {
    /// Run rule unit-test files, as `promtool test rules`.
    Rules(RulesArgs),
}

/// Arguments of `promgate test rules`.
#[derive(Debug, clap::Args)]
struct RulesArgs {
    /// Run only test groups whose name matches this regex (repeatable; unanchored).
    #[arg(long)]
    run: Vec<String>,
    /// Accept and drop keys rule files do not know (test files stay strict).
    #[arg(long)]
    ignore_unknown_fields: bool,
    /// Prometheus feature flags: `promql-experimental-functions`,
    /// `promql-extended-range-selectors`, `promql-binop-fill-modifiers`,
    /// `promql-delayed-name-removal`, `promql-duration-expr` (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',')]
    enable_feature: Vec<String>,
    /// Follow this Prometheus version's semantics (windows, notation, messages).
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    semantics: SemanticsArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Test groups to run at once (0: one per core). Output order never changes.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Evaluate rules one step at a time as promtool does, instead of in blocks of steps
    /// (which give the same results faster; this is for comparing the two).
    #[arg(long)]
    step_by_step: bool,
    /// Print each test group's start and time, and a dump of every series after its
    /// assertions, on stderr (as promtool 3.x).
    #[arg(long)]
    debug: bool,
    /// Show alert mismatches as a JSON diff (as promtool 3.x; coloured on a terminal).
    #[arg(long)]
    diff: bool,
    /// Fail on what promtool lets pass: rule-file patterns matching no file, query warnings
    /// and infos on test expressions, eval_times after every input series read has ended,
    /// and input series nothing reads.
    #[arg(long)]
    strict: bool,
    /// Print which rules the tests exercise, as a table after the results (stdout).
    #[arg(long)]
    coverage: bool,
    /// Write the rule coverage as JSON to this file.
    #[arg(long, value_name = "FILE")]
    coverage_output: Option<PathBuf>,
    /// Fail when fewer than this share of the rules (in percent) are exercised.
    #[arg(long, value_name = "PERCENT")]
    coverage_min: Option<f64>,
    /// The test files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    /// promtool's text.
    Text,
    /// A JSON report.
    Json,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let TestCommand::Rules(rules) = &args.command;
    let semantics = Semantics::from(rules.semantics);
    let mut parse = ParseOptions::default();
    let mut delayed_name_removal = false;
    for feature in &rules.enable_feature {
        match feature.as_str() {
            "promql-experimental-functions" => parse.experimental_functions = true,
            "promql-extended-range-selectors" => parse.extended_range_selectors = true,
            "promql-binop-fill-modifiers" => parse.binop_fill_modifiers = true,
            "promql-duration-expr" => parse.duration_expressions = true,
            "promql-delayed-name-removal" => delayed_name_removal = true,
            other => eprintln!("WARNING: unknown feature {other:?} ignored"),
        }
    }
    let run = if rules.run.is_empty() {
        None
    } else {
        let pattern = rules.run.join("|");
        Some(regex::Regex::new(&pattern).with_context(|| format!("--run {pattern:?}"))?)
    };
    let options = TestOptions {
        semantics,
        parse,
        delayed_name_removal,
        run,
        ignore_unknown_fields: rules.ignore_unknown_fields,
        jobs: rules.jobs,
        step_by_step: rules.step_by_step,
        debug: rules.debug,
        diff: rules.diff.then(|| {
            use std::io::IsTerminal as _;
            if std::io::stderr().is_terminal() {
                DiffStyle::Ansi
            } else {
                DiffStyle::Plain
            }
        }),
        strict: rules.strict,
        coverage: rules.coverage || rules.coverage_output.is_some() || rules.coverage_min.is_some(),
    };
    if let Some(min) = rules.coverage_min
        && !(0.0..=100.0).contains(&min)
    {
        bail!("--coverage-min {min}: expected a percentage from 0 to 100");
    }
    for path in &rules.files {
        if !path.exists() {
            bail!("path {:?} does not exist", path.display().to_string());
        }
        if path.is_dir() {
            bail!("{:?} is a directory", path.display().to_string());
        }
    }
    let reports: Vec<FileReport> = rules.files.iter().map(|p| run_path(p, &options)).collect();
    let mut failed = reports.iter().any(|r| !r.is_success());
    let coverage = options.coverage.then(|| Coverage::from_reports(&reports));
    match rules.output {
        Output::Text => {
            let header = semantics == Semantics::Prometheus2;
            for report in &reports {
                for (stream, text) in report.promtool_chunks(header) {
                    match stream {
                        Stream::Stdout => out!("{text}"),
                        Stream::Stderr => {
                            let _ = std::io::stdout().flush();
                            eprint!("{text}");
                        }
                    }
                }
                // promgate's own warnings go to stderr, so stdout stays promtool's.
                for w in &report.order_warnings {
                    let _ = std::io::stdout().flush();
                    eprintln!("  WARNING (evaluation order): {w}");
                }
            }
        }
        Output::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&reports, coverage.as_ref()))?
        ),
    }
    if let Some(coverage) = &coverage {
        if rules.coverage && rules.output == Output::Text {
            out!("{}", coverage.table());
        }
        if let Some(path) = &rules.coverage_output {
            let text = serde_json::to_string_pretty(&coverage_json(coverage))?;
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        if let Some(min) = rules.coverage_min
            && coverage.percent() < min
        {
            let _ = std::io::stdout().flush();
            eprintln!(
                "FAILED: rule coverage {:.1}% ({} of {} rules exercised) is below --coverage-min {min}%",
                coverage.percent(),
                coverage.exercised(),
                coverage.total()
            );
            failed = true;
        }
    }
    if let Some(junit) = &args.junit {
        std::fs::write(junit, junit_xml(&reports))
            .with_context(|| format!("writing {}", junit.display()))?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn json(reports: &[FileReport], coverage: Option<&Coverage>) -> serde_json::Value {
    let mut value = serde_json::json!({
        "success": reports.iter().all(|r| r.is_success()),
        "files": reports.iter().map(|r| {
            let mut file = serde_json::json!({
                "file": r.path,
                "success": r.is_success(),
                "error": r.error,
                "warnings": r.warnings,
                "order_warnings": r.order_warnings,
                "groups": r.groups.iter().map(|g| {
                    let mut group = serde_json::json!({
                        "name": g.name,
                        "index": g.index,
                        "skipped": g.skipped,
                        "success": g.failures.is_empty(),
                        "failures": g.failures.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                        "details": g.failures.iter().map(failure_json).collect::<Vec<_>>(),
                    });
                    // The flags' fields appear only with their flags, so plain output stays as it was.
                    if !g.strict.is_empty() {
                        group["success"] = false.into();
                        group["strict"] = g.strict.iter().map(finding_json).collect();
                    }
                    if let Some(debug) = &g.debug {
                        group["debug"] = serde_json::json!({
                            "elapsed_seconds": debug.elapsed.as_secs_f64(),
                            "dump": debug.dump,
                        });
                    }
                    group
                }).collect::<Vec<_>>(),
            });
            if !r.strict.is_empty() {
                file["strict"] = r.strict.iter().map(finding_json).collect();
            }
            file
        }).collect::<Vec<_>>(),
    });
    if let Some(coverage) = coverage {
        value["coverage"] = coverage_json(coverage);
    }
    value
}

/// A strict finding: its kind, its message and its fields.
fn finding_json(finding: &StrictFinding) -> serde_json::Value {
    let mut value = match finding {
        StrictFinding::UnmatchedRuleFiles { pattern } => {
            serde_json::json!({"kind": "unmatched_rule_files", "pattern": pattern})
        }
        StrictFinding::QueryAnnotation {
            case,
            expr,
            eval_time,
            annotation,
        } => serde_json::json!({
            "kind": "query_annotation",
            "case": case.to_string(),
            "expr": expr,
            "eval_time": promgate::format_duration(*eval_time),
            "annotation": annotation,
        }),
        StrictFinding::InputEnded {
            case,
            what,
            eval_time,
            last_sample,
        } => serde_json::json!({
            "kind": "input_ended",
            "case": case.to_string(),
            "what": what,
            "eval_time": promgate::format_duration(*eval_time),
            "last_sample": promgate::format_duration(*last_sample),
        }),
        StrictFinding::UnreadInputSeries { index, series } => serde_json::json!({
            "kind": "unread_input_series",
            "index": index,
            "series": series,
        }),
        _ => serde_json::json!({"kind": "other"}),
    };
    value["message"] = finding.to_string().into();
    value
}

/// The coverage report: totals, then one object per rule.
fn coverage_json(coverage: &Coverage) -> serde_json::Value {
    serde_json::json!({
        "exercised": coverage.exercised(),
        "total": coverage.total(),
        "percent": coverage.percent(),
        "rules": coverage.rules.iter().map(|r| {
            let mut rule = serde_json::json!({
                "file": r.file,
                "group": r.group,
                "index": r.index,
                "name": r.name,
                "exercised": r.exercised,
            });
            match r.usage {
                RuleUsage::Recording { produced, read } => {
                    rule["kind"] = "recording".into();
                    rule["produced"] = produced.into();
                    rule["read"] = read.into();
                }
                RuleUsage::Alerting { active, fired, .. } => {
                    rule["kind"] = "alerting".into();
                    rule["asserted"] = r.usage.asserted().into();
                    rule["active"] = active.into();
                    rule["fired"] = fired.into();
                }
            }
            rule
        }).collect::<Vec<_>>(),
    })
}

/// A failure as data: its kind and, for alert and PromQL assertions, what promgate's
/// test-file extensions add (alert state, match mode, regexes, keep-firing, tolerance).
fn failure_json(failure: &Failure) -> serde_json::Value {
    let labels = |l: &promgate::Labels| -> serde_json::Map<String, serde_json::Value> {
        l.iter()
            .map(|l| (l.name().to_string(), l.value().into()))
            .collect()
    };
    let pairs = |p: &[(String, String)]| -> serde_json::Map<String, serde_json::Value> {
        p.iter()
            .map(|(k, v)| (k.clone(), v.as_str().into()))
            .collect()
    };
    match failure {
        Failure::Setup(_) => serde_json::json!({"kind": "setup"}),
        Failure::RuleEval(_) => serde_json::json!({"kind": "rule_eval"}),
        Failure::Alert(a) => {
            let extension = a.extension.as_ref();
            let expected: Vec<serde_json::Value> = match extension {
                Some(e) => e
                    .expected
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "labels": labels(&p.labels),
                            "labels_re": pairs(&p.labels_re),
                            "annotations": labels(&p.annotations),
                            "annotations_re": pairs(&p.annotations_re),
                            "keep_firing": p.keep_firing,
                        })
                    })
                    .collect(),
                None => a
                    .expected
                    .iter()
                    .map(|(l, an)| serde_json::json!({"labels": labels(l), "annotations": labels(an)}))
                    .collect(),
            };
            let got: Vec<serde_json::Value> = a
                .got
                .iter()
                .enumerate()
                .map(|(i, (l, an))| {
                    let mut item =
                        serde_json::json!({"labels": labels(l), "annotations": labels(an)});
                    if let Some(k) = extension.and_then(|e| e.got_keep_firing.get(i)) {
                        item["keep_firing"] = (*k).into();
                    }
                    item
                })
                .collect();
            serde_json::json!({
                "kind": "alert",
                "alertname": a.alertname,
                "eval_time_ms": a.eval_time,
                "state": if extension.is_some_and(|e| e.pending) { "pending" } else { "firing" },
                "match": extension.map_or(AlertMatch::Exact, |e| e.match_mode).to_string(),
                "expected": expected,
                "got": got,
            })
        }
        Failure::Promql(p) => serde_json::json!({
            "kind": "promql",
            "expr": p.expr,
            "eval_time_ms": p.eval_time,
            "epsilon": p.epsilon.map(|e| serde_json::json!({"absolute": e.absolute, "relative": e.relative})),
        }),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// promtool's JUnit report: a suite per file, a case per test group.
fn junit_xml(reports: &[FileReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r
            .groups
            .iter()
            .filter(|g| !g.failures.is_empty() || !g.strict.is_empty())
            .count();
        let skipped = r.groups.iter().filter(|g| g.skipped).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{skipped}\">\n",
            xml_escape(&r.path),
            r.groups.len(),
            usize::from(r.error.is_some()) + r.strict.len()
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!("    <error>{}</error>\n", xml_escape(e)));
        }
        // --strict: file-level findings as errors, a group's as failures of its case.
        for f in &r.strict {
            out.push_str(&format!(
                "    <error>strict: {}</error>\n",
                xml_escape(&f.to_string())
            ));
        }
        for g in &r.groups {
            let name = g
                .name
                .clone()
                .unwrap_or_else(|| format!("unnamed#{}", g.index));
            out.push_str(&format!("    <testcase name=\"{}\">", xml_escape(&name)));
            if g.skipped {
                out.push_str("<skipped/>");
            }
            for f in &g.failures {
                out.push_str(&format!(
                    "<failure>{}</failure>",
                    xml_escape(&f.to_string())
                ));
            }
            for f in &g.strict {
                out.push_str(&format!(
                    "<failure>strict: {}</failure>",
                    xml_escape(&f.to_string())
                ));
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
