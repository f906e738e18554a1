//! `promgate query`: evaluate an expression over the series of a fixture file.

use anyhow::{Context as _, Result, bail};
use promgate::eval::{Engine, EngineOptions, Semantics, Value, format_timestamp};
use promgate::explain::{ExplainOptions, explain};
use promgate::model::{FloatHistogram, format_float};
use promgate::promql::{ParseOptions, parse_with};
use promgate::syntax::lex::parse_duration;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `promgate query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// A promqltest script (its `load` blocks) or a promtool test file (its `input_series`).
    #[arg(long)]
    pub fixture: PathBuf,
    /// With a promtool test file: the test group whose series to load, by name or by 1-based
    /// position (`#2`, for unnamed groups; default: the first group). Times are relative to
    /// its `start_timestamp`, as `eval_time` is.
    #[arg(long)]
    pub test: Option<String>,
    /// Evaluate at this time (a duration since the epoch, e.g. `5m`, or seconds; negative
    /// values such as `-5m` are accepted).
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["start", "end", "step"])]
    pub time: Option<String>,
    /// Range query start.
    #[arg(long, allow_hyphen_values = true, requires_all = ["end", "step"])]
    pub start: Option<String>,
    /// Range query end.
    #[arg(long, allow_hyphen_values = true)]
    pub end: Option<String>,
    /// Range query step.
    #[arg(long)]
    pub step: Option<String>,
    /// Query semantics.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Prometheus3)]
    pub semantics: SemanticsArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,
    /// Enable experimental PromQL syntax and functions.
    #[arg(long)]
    pub experimental: bool,
    /// Explain the result (why it is empty): a tree over the expression with what each part
    /// produced and what was found there. Instant queries only (`--time`).
    #[arg(long, conflicts_with_all = ["start", "end", "step"])]
    pub explain: bool,
    /// Fail a query that runs longer than this (a duration, e.g. `30s`), as Prometheus's
    /// `--query.timeout`.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub query_timeout: String,
    /// The most samples a query may hold in memory at once (a native histogram counts as its
    /// size), as Prometheus's `--query.max-samples`.
    #[arg(long, value_name = "N", default_value_t = EngineOptions::default().max_samples)]
    pub max_samples: usize,
    /// The PromQL expression.
    pub expr: String,
}

/// `--semantics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SemanticsArg {
    /// Prometheus 3.x (left-open windows).
    Prometheus3,
    /// Prometheus 2.x (left-closed windows).
    Prometheus2,
}

impl From<SemanticsArg> for Semantics {
    fn from(arg: SemanticsArg) -> Semantics {
        match arg {
            SemanticsArg::Prometheus3 => Semantics::Prometheus3,
            SemanticsArg::Prometheus2 => Semantics::Prometheus2,
        }
    }
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// A readable table.
    Text,
    /// The Prometheus HTTP API response shape.
    Json,
}

/// A time argument: a Prometheus duration since the epoch (`5m`) or plain seconds (`300`,
/// `1.5`).
pub fn parse_time(text: &str) -> Result<i64> {
    if let Some(rest) = text.strip_prefix('-')
        && let Ok(ms) = parse_duration(rest)
    {
        return Ok(-ms);
    }
    if let Ok(ms) = parse_duration(text) {
        return Ok(ms);
    }
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds.abs() < 9.2e15 => {
            Ok((seconds * 1000.0).round() as i64)
        }
        _ => bail!("invalid time {text:?}: expected a duration like 5m or seconds like 300"),
    }
}

/// Runs the command.
pub fn run(args: &QueryArgs) -> Result<ExitCode> {
    let semantics = Semantics::from(args.semantics);
    let crate::fixtures::Fixture {
        store,
        default_step,
        start,
    } = crate::fixtures::load_fixture(&args.fixture, args.test.as_deref(), semantics)?;
    let parse_options = if args.experimental {
        ParseOptions::all_features()
    } else {
        ParseOptions {
            legacy_holt_winters: semantics == Semantics::Prometheus2,
            ..ParseOptions::default()
        }
    };
    let expr = match parse_with(&args.expr, &parse_options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}", crate::parse_error_text(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let timeout = parse_duration(&args.query_timeout)
        .ok()
        .filter(|ms| *ms > 0)
        .with_context(|| {
            format!(
                "invalid --query-timeout {:?}: expected a positive duration like 30s",
                args.query_timeout
            )
        })?;
    let engine = Engine::new(EngineOptions {
        semantics,
        default_subquery_step: default_step.unwrap_or(60_000),
        max_samples: args.max_samples,
        timeout: Some(std::time::Duration::from_millis(timeout as u64)),
        ..EngineOptions::default()
    });
    let (result, eval_time) = match (&args.time, &args.start, &args.end, &args.step) {
        (Some(t), None, None, None) => {
            let t = start + parse_time(t)?;
            (engine.instant_query(&store, &expr, t), t)
        }
        (None, Some(s), Some(e), Some(st)) => {
            let (s, e, st) = (
                start + parse_time(s)?,
                start + parse_time(e)?,
                parse_time(st)?,
            );
            if e < s {
                bail!("--end must not be before --start");
            }
            if st <= 0 {
                bail!("--step must be positive");
            }
            if (e - s) / st > 11_000 {
                bail!("too many steps: at most 11000 points per series, as Prometheus");
            }
            (engine.range_query(&store, &expr, s, e, st), e)
        }
        (None, None, None, None) => bail!("give --time, or --start, --end and --step"),
        _ => bail!("give either --time or all of --start, --end and --step"),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            match args.output {
                OutputArg::Json => outln!(
                    "{{\"status\":\"error\",\"errorType\":\"execution\",\"error\":{}}}",
                    json_string(&e.to_string())
                ),
                OutputArg::Text if e.span().is_none() && e.hint().is_some() => {
                    eprintln!("error: {e}");
                    if let Some(hint) = e.hint() {
                        eprintln!("  = hint: {hint}");
                    }
                }
                OutputArg::Text => match e.span() {
                    Some(span) => {
                        let mut diagnostic = promgate::Diagnostic::new(e.to_string(), span);
                        if let Some(hint) = e.hint() {
                            diagnostic = diagnostic.with_hint(hint);
                        }
                        eprint!("error: {}", diagnostic.render(&args.expr));
                    }
                    None => eprintln!("error: {e}"),
                },
            }
            return Ok(ExitCode::from(1));
        }
    };
    let explanation = args.explain.then(|| {
        let options = ExplainOptions {
            engine: engine.options().clone(),
            ..ExplainOptions::default()
        };
        explain(&store, &expr, eval_time, &options)
    });
    match args.output {
        OutputArg::Text => {
            out!("{}", result.value);
            for a in result.annotations.iter() {
                eprintln!("{}", a.with_position(&args.expr));
            }
            if let Some(explanation) = &explanation {
                outln!();
                match explanation.reason() {
                    Some(why) => outln!("why: {why}\n"),
                    None if explanation.root.result.is_empty() => {
                        outln!("why: nothing found explains the empty result\n")
                    }
                    None => {}
                }
                out!("{explanation}");
            }
        }
        OutputArg::Json => {
            let mut json = to_json(&result.value, eval_time, &result.annotations, &args.expr);
            if let Some(explanation) = &explanation {
                json.pop();
                json.push_str(",\"explanation\":");
                json.push_str(&serde_json::to_string(explanation)?);
                json.push_str(",\"why\":");
                json.push_str(&serde_json::to_string(&explanation.reason())?);
                json.push('}');
            }
            outln!("{json}")
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn json_labels(labels: &promgate::Labels) -> String {
    let fields: Vec<String> = labels
        .iter()
        .map(|l| format!("{}:{}", json_string(l.name()), json_string(l.value())))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// A native histogram as Prometheus's API writes it: count, sum and the non-empty buckets as
/// `[boundary rule, lower, upper, count]` (rule 0: (a,b], 1: [a,b), 2: (a,b), 3: [a,b]).
fn json_histogram(h: &FloatHistogram) -> String {
    let buckets: Vec<String> = h
        .all_bucket_iter()
        .filter(|b| b.count != 0.0)
        .map(|b| {
            let rule = match (b.lower_inclusive, b.upper_inclusive) {
                (true, true) => 3,
                (true, false) => 1,
                (false, true) => 0,
                (false, false) => 2,
            };
            format!(
                "[{rule},{},{},{}]",
                json_string(&format_float(b.lower)),
                json_string(&format_float(b.upper)),
                json_string(&format_float(b.count))
            )
        })
        .collect();
    let mut out = format!(
        "{{\"count\":{},\"sum\":{}",
        json_string(&format_float(h.count)),
        json_string(&format_float(h.sum))
    );
    if !buckets.is_empty() {
        let _ = write!(out, ",\"buckets\":[{}]", buckets.join(","));
    }
    out.push('}');
    out
}

/// The Prometheus HTTP API response for a query result.
fn to_json(
    value: &Value,
    t: i64,
    annotations: &promgate::eval::Annotations,
    query: &str,
) -> String {
    let ts = format_timestamp(t);
    let (kind, result) = match value {
        Value::Scalar(f) => (
            "scalar",
            format!("[{ts},{}]", json_string(&format_float(*f))),
        ),
        Value::String(s) => ("string", format!("[{ts},{}]", json_string(s))),
        Value::Vector(samples) => {
            let items: Vec<String> = samples
                .iter()
                .map(|s| match &s.h {
                    Some(h) => format!(
                        "{{\"metric\":{},\"histogram\":[{ts},{}]}}",
                        json_labels(&s.metric),
                        json_histogram(h)
                    ),
                    None => format!(
                        "{{\"metric\":{},\"value\":[{ts},{}]}}",
                        json_labels(&s.metric),
                        json_string(&format_float(s.f))
                    ),
                })
                .collect();
            ("vector", format!("[{}]", items.join(",")))
        }
        Value::Matrix(series) => {
            let items: Vec<String> = series
                .iter()
                .map(|s| {
                    let mut out = format!("{{\"metric\":{}", json_labels(&s.metric));
                    if !s.floats.is_empty() {
                        let points: Vec<String> = s
                            .floats
                            .iter()
                            .map(|p| {
                                format!(
                                    "[{},{}]",
                                    format_timestamp(p.t),
                                    json_string(&format_float(p.f))
                                )
                            })
                            .collect();
                        let _ = write!(out, ",\"values\":[{}]", points.join(","));
                    }
                    if !s.histograms.is_empty() {
                        let points: Vec<String> = s
                            .histograms
                            .iter()
                            .map(|p| {
                                format!("[{},{}]", format_timestamp(p.t), json_histogram(&p.h))
                            })
                            .collect();
                        let _ = write!(out, ",\"histograms\":[{}]", points.join(","));
                    }
                    out.push('}');
                    out
                })
                .collect();
            ("matrix", format!("[{}]", items.join(",")))
        }
    };
    let mut out = format!(
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"{kind}\",\"result\":{result}}}"
    );
    let warnings: Vec<String> = annotations
        .warnings()
        .map(|a| json_string(&a.with_position(query)))
        .collect();
    let infos: Vec<String> = annotations
        .infos()
        .map(|a| json_string(&a.with_position(query)))
        .collect();
    if !warnings.is_empty() {
        let _ = write!(out, ",\"warnings\":[{}]", warnings.join(","));
    }
    if !infos.is_empty() {
        let _ = write!(out, ",\"infos\":[{}]", infos.join(","));
    }
    out.push('}');
    out
}
