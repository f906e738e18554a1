//! `promgate fixture`: real series from a Prometheus-compatible HTTP API written as a promtool
//! test file's `input_series` (compressed series notation), so an incident becomes a test.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use promgate::fixture::{SeriesValue, format_series_descriptor, format_series_values};
use promgate::source::http::ApiData;
use promgate::syntax::lex::{format_duration, parse_duration};

use crate::monitor::{ApiArgs, parse_time};

/// Arguments of `promgate fixture`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The series to export: a selector (`{job="api"}`) or any expression giving a range of
    /// series (repeatable).
    #[arg(long = "match", value_name = "SELECTOR", required = true)]
    pub selectors: Vec<String>,
    /// The window's start (unix seconds, RFC 3339, `now` or `-1h`); it becomes time 0.
    #[arg(long, allow_hyphen_values = true)]
    pub from: String,
    /// The window's end.
    #[arg(long, allow_hyphen_values = true)]
    pub to: String,
    /// The sample interval of the fixture.
    #[arg(long, default_value = "1m")]
    pub step: String,
    /// The most series written; more is an error (narrow the selector).
    #[arg(long, default_value_t = 1000)]
    pub max_series: usize,
    /// Write here instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

/// Runs the command. Exit codes: 0 written, 2 an error.
pub fn run(args: &Args) -> Result<ExitCode> {
    match export(args) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn export(args: &Args) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (from, to) = (parse_time(&args.from, now)?, parse_time(&args.to, now)?);
    let step = parse_duration(&args.step).map_err(|e| anyhow::anyhow!("--step: {e}"))?;
    if step <= 0 {
        bail!("--step: must be positive");
    }
    if to < from {
        bail!("--to is before --from");
    }
    let steps = promgate::source::range_steps(from, to, step)?;
    let end = from + (steps - 1) * step;
    let source = args.api.source()?;
    let mut series = std::collections::BTreeMap::new();
    for selector in &args.selectors {
        promgate::parse(selector).map_err(|e| anyhow::anyhow!("--match {selector:?}: {e}"))?;
        let mut first = 0;
        while first < steps {
            let last = (first + promgate::source::http::MAX_POINTS_PER_QUERY - 1).min(steps - 1);
            let data =
                source.query_range(selector, from + first * step, from + last * step, step)?;
            let ApiData::Matrix(matrix) = data else {
                bail!("--match {selector:?}: the API did not answer with a range of series");
            };
            for (labels, points) in matrix {
                let values = series
                    .entry(labels)
                    .or_insert_with(|| vec![SeriesValue::Omitted; steps as usize]);
                for (t, v) in points {
                    if (t - from) % step != 0 || t < from || t > end {
                        bail!("the API returned a point at {t} ms, off the requested steps");
                    }
                    values[((t - from) / step) as usize] = SeriesValue::Float(v);
                }
            }
            if series.len() > args.max_series {
                bail!(
                    "more than {} series match: narrow --match or raise --max-series",
                    args.max_series
                );
            }
            first = last + 1;
        }
    }
    for w in promgate::source::Source::take_warnings(&source) {
        eprintln!("warning: {w}");
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut text = format!(
        "# Exported by promgate fixture from {}: {} from unix {:.3} to {:.3} at {}.\n# Time 0 of the test is unix {:.3}.\nevaluation_interval: {}\ntests:\n  - interval: {}\n    input_series:\n",
        args.api.url,
        args.selectors.join(", "),
        from as f64 / 1000.0,
        end as f64 / 1000.0,
        format_duration(step),
        from as f64 / 1000.0,
        format_duration(step),
        format_duration(step)
    );
    if series.is_empty() {
        eprintln!("warning: no series matched");
        text.push_str("      []\n");
    }
    for (labels, values) in &series {
        text.push_str(&format!(
            "      - series: {}\n        values: {}\n",
            quote(&format_series_descriptor(labels)),
            quote(&format_series_values(values))
        ));
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => out!("{text}"),
    }
    Ok(())
}
