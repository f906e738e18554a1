//! The dry-run report as files: `report.md` (verdict first, the gates, residual risks, the
//! pass probability, drift alarms, early stop, grade and action) and one SVG chart per gate
//! under `charts/`: the gate's value over the run with its threshold, the steps where it
//! failed shaded, stretches where the fallback gave the value or no value came marked, drift
//! change points, the decision time and the early stop as vertical markers. Operators look at
//! the curve before they read numbers.
//!
//! Needs the `report` cargo feature (on by default); the charts are drawn with `plotters`'
//! SVG backend, without font files, so the bytes are the same on every machine.
//!
//! ```no_run
//! use promgate::decision::dryrun::run_dir;
//! use promgate::decision::report::write_report;
//! let report = run_dir(std::path::Path::new("testdata/l4"), None).unwrap();
//! let written = write_report(std::path::Path::new("target/l4-report"), &report).unwrap();
//! assert_eq!(written[0].file_name().unwrap(), "report.md");
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::dryrun::{DryRunReport, GateReport};
use super::{Check, Op, Path as CheckPath};
use crate::model::format_float_g;
use crate::syntax::lex::format_duration;

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("chart of gate {gate:?}: {message}")]
    Chart {
        /// The gate.
        gate: String,
        /// The drawing library's message.
        message: String,
    },
    /// The report has no gate of that index.
    #[error("no gate {index} in the report (it has {count})")]
    NoGate {
        /// The index asked for.
        index: usize,
        /// The gates in the report.
        count: usize,
    },
}

/// Drift episodes listed per gate in the Markdown (the charts mark every alarm).
const SHOWN_EPISODES: usize = 10;

/// The chart's size in pixels: the plot, then the legend to its right.
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 340;
const LEGEND_WIDTH: u32 = 170;
/// Past this many points per series the line is thinned to each pixel column's minimum and
/// maximum, which keeps spikes visible and the file small.
const MAX_POINTS: usize = 1600;

const SERIES_COLOR: RGBColor = RGBColor(31, 119, 180);
const THRESHOLD_COLOR: RGBColor = RGBColor(214, 39, 40);
const BREACH_COLOR: RGBColor = RGBColor(255, 152, 150);
const MISSING_COLOR: RGBColor = RGBColor(160, 160, 160);
const FALLBACK_COLOR: RGBColor = RGBColor(255, 221, 113);
const CHANGE_COLOR: RGBColor = RGBColor(255, 127, 14);
const DECISION_COLOR: RGBColor = RGBColor(44, 160, 44);
const STOP_COLOR: RGBColor = RGBColor(0, 0, 0);

/// The file name of a gate's chart (under `charts/`): its name with anything but letters,
/// digits, `_` and `-` replaced by `_`.
///
/// ```
/// assert_eq!(promgate::decision::report::chart_file_name("canary:ratio"), "canary_ratio.svg");
/// ```
pub fn chart_file_name(gate: &str) -> String {
    let stem: String = gate
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.svg")
}

/// Writes `report.md` and `charts/<gate>.svg` for every gate into `dir` (created if needed)
/// and returns the paths written, the Markdown first.
///
/// # Errors
/// [`ReportError`]: a file that cannot be written, a chart that cannot be drawn.
pub fn write_report(dir: &Path, report: &DryRunReport) -> Result<Vec<PathBuf>, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts).map_err(io(&charts))?;
    let markdown_path = dir.join("report.md");
    std::fs::write(&markdown_path, markdown(report)).map_err(io(&markdown_path))?;
    let mut written = vec![markdown_path];
    for (index, gate) in report.gates.iter().enumerate() {
        let path = charts.join(chart_file_name(&gate.name));
        let svg = gate_chart_svg(report, index)?;
        std::fs::write(&path, svg).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}

/// A value for reading: at most 6 significant digits.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format_float_g(v);
    }
    format_float_g(format!("{v:.5e}").parse().unwrap_or(v))
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown: the verdict first, then the gates (value and status at the
/// decision, threshold, pass, missing and fallback shares over the run, a link to the chart),
/// residual risks, the pass probability with its method, drift alarms, the early stop, the
/// grade and action, and preflight. Charts are linked as `charts/<gate>.svg`
/// ([`chart_file_name`]).
pub fn markdown(report: &DryRunReport) -> String {
    let mut md = String::new();
    // Writing to a String cannot fail.
    let _ = write_markdown(&mut md, report);
    md
}

fn write_markdown(md: &mut String, r: &DryRunReport) -> std::fmt::Result {
    let at = |t: i64| format_duration(t);
    writeln!(md, "# Dry-run report\n")?;
    writeln!(md, "**Verdict: {}**\n", r.verdict)?;
    match &r.grade {
        Some((grade, action, value)) => writeln!(
            md,
            "- Grade: **{grade}**, action: **{action}** (graded value {})",
            value.map_or("n/a".into(), short)
        )?,
        None if r.stop.is_some() => writeln!(
            md,
            "- Grade: none (the run stopped early; only a run that reaches its end is graded)"
        )?,
        None => writeln!(md, "- Grade: none (no ladder, or the monitor did not run)")?,
    }
    writeln!(
        md,
        "- Decision at {}: {}",
        at(r.decision.time),
        r.decision.verdict
    )?;
    match &r.stop {
        Some(stop) => writeln!(
            md,
            "- Early stop at {}: {}",
            at(stop.time_ms),
            cell(&stop.reason.to_string())
        )?,
        None => writeln!(md, "- Early stop: none")?,
    }
    let failed: Vec<&str> = r
        .preflight
        .iter()
        .filter(|p| !p.passed)
        .map(|p| p.name.as_str())
        .collect();
    if !failed.is_empty() {
        writeln!(md, "- Preflight failed: {}", failed.join(", "))?;
    }
    let end = r.start_ms + (r.steps.max(1) as i64 - 1) * r.step_ms;
    writeln!(
        md,
        "- Monitor: {} steps of {}, from {} to {} (the warm-up before is left out)",
        r.steps,
        at(r.step_ms),
        at(r.start_ms),
        at(end)
    )?;

    writeln!(md, "\n## Gates\n")?;
    writeln!(
        md,
        "At the decision ({}), then over the monitor's steps.\n",
        at(r.decision.time)
    )?;
    writeln!(
        md,
        "| gate | value | threshold | status | path | pass | missing | fallback | mean | p95 | max | drift episodes | chart |"
    )?;
    writeln!(
        md,
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    )?;
    for (gate, check) in r.gates.iter().zip(&r.decision.checks) {
        let stat = |f: fn(&crate::stats::Summary) -> f64| {
            gate.summary
                .as_ref()
                .filter(|s| s.count > 0)
                .map_or("-".to_string(), |s| short(f(s)))
        };
        writeln!(
            md,
            "| {} | {} | {} {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | [chart](charts/{}) |",
            gate.name,
            check.value.map_or("-".into(), short),
            check.op,
            format_float_g(check.threshold),
            check.status,
            check.path,
            percent(gate.pass_fraction),
            percent(gate.missing_fraction),
            percent(gate.fallback_fraction),
            stat(|s| s.mean),
            stat(|s| s.quantiles.p95),
            stat(|s| s.max),
            gate.drift_episodes().len(),
            chart_file_name(&gate.name)
        )?;
    }

    writeln!(md, "\n## Residual risks\n")?;
    if r.risks.is_empty() && r.rule_errors.is_empty() {
        writeln!(md, "None found.")?;
    }
    for risk in &r.risks {
        writeln!(md, "- **{}**: {}", risk.subject, cell(&risk.message))?;
    }
    for e in &r.rule_errors {
        writeln!(md, "- rule error: {}", cell(e))?;
    }

    writeln!(md, "\n## Pass probability\n")?;
    match &r.probability {
        Some(p) => {
            writeln!(
                md,
                "P(GO at a step) = **{:.4}**, {}% credible interval [{:.4}, {:.4}]: {} GO of {} steps of {}.\n",
                p.mean,
                format_float_g(p.level * 100.0),
                p.lower,
                p.upper,
                p.successes,
                p.trials,
                at(r.step_ms)
            )?;
            writeln!(
                md,
                "Method: Beta-binomial with a uniform Beta(1, 1) prior; the steps are autocorrelated, so the posterior uses an effective sample size of {:.0} from the lag-1 autocorrelation {:.3}.",
                p.effective_trials, p.rho
            )?;
        }
        None => writeln!(md, "Not computed (no monitor steps).")?,
    }

    writeln!(md, "\n## Drift\n")?;
    let mut any = false;
    for g in &r.gates {
        let episodes = g.drift_episodes();
        for e in episodes.iter().take(SHOWN_EPISODES) {
            any = true;
            writeln!(md, "- {}: {}", g.name, r.describe_episode(e))?;
        }
        if episodes.len() > SHOWN_EPISODES {
            writeln!(md, "- {}: {} episodes in all", g.name, episodes.len())?;
        }
    }
    if !any {
        writeln!(md, "None.")?;
    }

    writeln!(md, "\n## Early stop\n")?;
    match &r.stop {
        Some(stop) => writeln!(
            md,
            "Stopped at {} (monitor step {}): {}",
            at(stop.time_ms),
            stop.step,
            cell(&stop.reason.to_string())
        )?,
        None => writeln!(md, "None: the monitor ran to its end.")?,
    }

    writeln!(md, "\n## Grade\n")?;
    match &r.grade {
        Some((grade, action, value)) => writeln!(
            md,
            "**{grade}**: {action} (graded value {})",
            value.map_or("n/a".into(), short)
        )?,
        None if r.stop.is_some() => writeln!(md, "None: the run stopped early.")?,
        None => writeln!(md, "None.")?,
    }

    writeln!(md, "\n## Preflight\n")?;
    if r.preflight.is_empty() {
        writeln!(md, "None run.")?;
    }
    for p in &r.preflight {
        let mark = if p.passed { "ok" } else { "FAILED" };
        writeln!(md, "- {mark}: {}: {}", p.name, cell(&p.detail))?;
    }

    writeln!(md, "\n## Charts\n")?;
    for g in &r.gates {
        writeln!(
            md,
            "### {}\n\n![{}](charts/{})\n",
            g.name,
            g.name,
            chart_file_name(&g.name)
        )?;
    }
    Ok(())
}

/// Runs of consecutive indices where `pick` holds, as `(first, last)`.
fn runs(len: usize, pick: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..len {
        match (pick(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, len - 1));
    }
    out
}

/// The points of a run of present values, thinned to the minimum and maximum of each bucket
/// (in time order) when there are more than `bucket` steps per pixel column.
fn thin(values: &[Option<f64>], (first, last): (usize, usize), bucket: usize) -> Vec<(usize, f64)> {
    let value = |i: usize| values[i].unwrap_or(f64::NAN);
    if bucket <= 1 {
        return (first..=last).map(|i| (i, value(i))).collect();
    }
    let mut out = Vec::new();
    let mut i = first;
    while i <= last {
        let end = (i + bucket - 1).min(last);
        let (mut lo, mut hi) = (i, i);
        for j in i..=end {
            if value(j) < value(lo) {
                lo = j;
            }
            if value(j) > value(hi) {
                hi = j;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((a, value(a)));
        if b != a {
            out.push((b, value(b)));
        }
        i = end + 1;
    }
    out
}

/// Does the value fail the gate's comparison?
fn fails(op: Op, threshold: f64, value: f64) -> bool {
    !op.holds(value, threshold)
}

/// The y range: the values and the threshold, with a margin.
fn y_range(values: &[Option<f64>], threshold: f64) -> (f64, f64) {
    let finite = values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((threshold, threshold), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.1
    } else {
        (hi.abs() * 0.1).max(0.5)
    };
    (lo - pad, hi + pad)
}

/// The x axis: hours for runs over two hours, else minutes.
fn time_unit(end_ms: i64) -> (f64, &'static str) {
    if end_ms > 2 * 3_600_000 {
        (3_600_000.0, "h")
    } else {
        (60_000.0, "min")
    }
}

struct LegendEntry {
    label: String,
    glyph: Glyph,
}

enum Glyph {
    Line(RGBColor),
    Dashed(RGBColor),
    Band(RGBColor),
    Marker(RGBColor),
    Tick(RGBColor),
}

/// One gate's chart as an SVG document: its value over the monitor (time since the start on
/// the x axis) with the threshold line, failing steps shaded, missing stretches marked, drift
/// change points, the decision time and the early stop as vertical lines, and a legend.
///
/// # Errors
/// [`ReportError::NoGate`] for an index past the report's gates, [`ReportError::Chart`] when
/// drawing fails.
///
/// ```
/// use promgate::decision::GatePlan;
/// use promgate::decision::dryrun::{DryRunInput, run};
/// use promgate::decision::report::gate_chart_svg;
/// let plan = GatePlan::parse("g.yml", "gates: [{name: load, expr: max(load), op: '<=', threshold: 0.8}]\ndryrun: {duration: 10m, decide_at: 1m, step: 30s}\n").unwrap();
/// let input = DryRunInput { plan, groups: vec![], series: vec![("load".into(), "0.1+0.01x20".into())], interval: 30_000, preflight: vec![] };
/// let report = run(&input).unwrap();
/// let svg = gate_chart_svg(&report, 0).unwrap();
/// assert!(svg.starts_with("<svg") && svg.contains("threshold"));
/// assert_eq!(svg, gate_chart_svg(&report, 0).unwrap());
/// ```
pub fn gate_chart_svg(report: &DryRunReport, index: usize) -> Result<String, ReportError> {
    let gate = report.gates.get(index).ok_or(ReportError::NoGate {
        index,
        count: report.gates.len(),
    })?;
    let check = report
        .decision
        .checks
        .get(index)
        .ok_or(ReportError::NoGate {
            index,
            count: report.decision.checks.len(),
        })?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_chart(&root, report, gate, check).map_err(|e| ReportError::Chart {
            gate: gate.name.clone(),
            message: e.to_string(),
        })?;
        root.present().map_err(|e| ReportError::Chart {
            gate: gate.name.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(svg)
}

type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn draw_chart(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    report: &DryRunReport,
    gate: &GateReport,
    check: &Check,
) -> DrawResult {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    let values = &gate.values;
    let n = values.len();
    let step = report.step_ms;
    let start = report.start_ms;
    let time = |i: usize| start + i as i64 * step;
    let end = time(n.max(1) - 1).max(report.decision.time);
    let (unit_ms, unit) = time_unit(end);
    let x = |t: i64| t as f64 / unit_ms;
    let (y0, y1) = y_range(values, check.threshold);
    // Each shaded step covers half a step either side of its time, and at least a pixel, so
    // that a short breach on a long run stays visible.
    let x_end = x(end).max(x(start) + step as f64 / unit_ms);
    let half = (step as f64 / 2.0 / unit_ms).max(x_end / f64::from(WIDTH - LEGEND_WIDTH));
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!(
                "{}  ({} {})",
                gate.name,
                check.op,
                format_float_g(check.threshold)
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_end, y0..y1)?;
    let x_format = |v: &f64| format_float_g((*v * 100.0).round() / 100.0);
    let y_format = |v: &f64| short(*v);
    chart
        .configure_mesh()
        .x_desc(format!("time since start ({unit})"))
        .y_desc("value")
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let mut legend = vec![LegendEntry {
        label: "value".into(),
        glyph: Glyph::Line(SERIES_COLOR),
    }];
    let band = |(a, b): (usize, usize), color: RGBColor, opacity: f64| {
        Rectangle::new(
            [
                ((x(time(a)) - half).max(0.0), y0),
                ((x(time(b)) + half).min(x_end), y1),
            ],
            color.mix(opacity).filled(),
        )
    };
    let failing = runs(n, |i| {
        values[i].is_some_and(|v| fails(check.op, check.threshold, v))
    });
    if !failing.is_empty() {
        chart.draw_series(failing.iter().map(|&r| band(r, BREACH_COLOR, 0.45)))?;
        legend.push(LegendEntry {
            label: "gate failing".into(),
            glyph: Glyph::Band(BREACH_COLOR),
        });
    }
    let fallback = runs(n, |i| gate.paths.get(i) == Some(&CheckPath::Fallback));
    if !fallback.is_empty() {
        chart.draw_series(fallback.iter().map(|&r| band(r, FALLBACK_COLOR, 0.45)))?;
        legend.push(LegendEntry {
            label: "from the fallback".into(),
            glyph: Glyph::Band(FALLBACK_COLOR),
        });
    }
    let missing = runs(n, |i| values[i].is_none());
    if !missing.is_empty() {
        chart.draw_series(missing.iter().map(|&r| band(r, MISSING_COLOR, 0.35)))?;
        legend.push(LegendEntry {
            label: "no value".into(),
            glyph: Glyph::Band(MISSING_COLOR),
        });
    }
    let bucket = n.div_ceil(MAX_POINTS / 2).max(1);
    for run in runs(n, |i| values[i].is_some_and(f64::is_finite)) {
        let points = thin(values, run, bucket);
        if points.len() == 1 {
            let (i, v) = points[0];
            chart.draw_series(std::iter::once(Circle::new(
                (x(time(i)), v),
                2,
                SERIES_COLOR.filled(),
            )))?;
            continue;
        }
        chart.draw_series(LineSeries::new(
            points.into_iter().map(|(i, v)| (x(time(i)), v)),
            SERIES_COLOR.stroke_width(2),
        ))?;
    }
    chart.draw_series(DashedLineSeries::new(
        [(0.0, check.threshold), (x_end, check.threshold)],
        8,
        5,
        THRESHOLD_COLOR.stroke_width(2),
    ))?;
    legend.push(LegendEntry {
        label: format!("threshold {} {}", check.op, format_float_g(check.threshold)),
        glyph: Glyph::Dashed(THRESHOLD_COLOR),
    });
    let vertical = |t: f64, color: RGBColor, width: u32| {
        PathElement::new([(t, y0), (t, y1)], color.stroke_width(width))
    };
    if !gate.change_points.is_empty() {
        // A detector restarts after each alarm, so a lasting shift raises one every few
        // steps. Each episode's first alarm gets a full line; every alarm a tick at the top.
        let gap = x_end / 40.0;
        let alarms: Vec<f64> = gate
            .change_points
            .iter()
            .map(|cp| x(time(cp.alarm_index)))
            .collect();
        let firsts: Vec<f64> = alarms
            .iter()
            .enumerate()
            .filter(|&(i, &at)| i == 0 || at - alarms[i - 1] > gap)
            .map(|(_, &at)| at)
            .collect();
        chart.draw_series(firsts.iter().map(|&at| vertical(at, CHANGE_COLOR, 2)))?;
        legend.push(LegendEntry {
            label: "drift alarm".into(),
            glyph: Glyph::Marker(CHANGE_COLOR),
        });
        if alarms.len() > firsts.len() {
            let tick = (y1 - y0) * 0.04;
            chart.draw_series(alarms.iter().map(|&at| {
                PathElement::new([(at, y1 - tick), (at, y1)], CHANGE_COLOR.stroke_width(1))
            }))?;
            legend.push(LegendEntry {
                label: format!("every alarm ({})", alarms.len()),
                glyph: Glyph::Tick(CHANGE_COLOR),
            });
        }
    }
    chart.draw_series(std::iter::once(vertical(
        x(report.decision.time),
        DECISION_COLOR,
        2,
    )))?;
    legend.push(LegendEntry {
        label: format!("decision ({})", report.decision.verdict),
        glyph: Glyph::Marker(DECISION_COLOR),
    });
    if let Some(stop) = &report.stop {
        chart.draw_series(std::iter::once(vertical(x(stop.time_ms), STOP_COLOR, 2)))?;
        legend.push(LegendEntry {
            label: "early stop".into(),
            glyph: Glyph::Marker(STOP_COLOR),
        });
    }
    draw_legend(&side, &legend, gate)
}

fn draw_legend(
    side: &DrawingArea<SVGBackend<'_>, Shift>,
    legend: &[LegendEntry],
    gate: &GateReport,
) -> DrawResult {
    let text = ("sans-serif", 13).into_font().color(&BLACK);
    let mut y = 48;
    for entry in legend {
        let (x0, x1, mid) = (8, 36, y + 7);
        match entry.glyph {
            Glyph::Line(c) => {
                side.draw(&PathElement::new([(x0, mid), (x1, mid)], c.stroke_width(2)))?
            }
            Glyph::Dashed(c) => {
                side.draw(&PathElement::new(
                    [(x0, mid), (x0 + 10, mid)],
                    c.stroke_width(2),
                ))?;
                side.draw(&PathElement::new(
                    [(x0 + 16, mid), (x1, mid)],
                    c.stroke_width(2),
                ))?;
            }
            Glyph::Band(c) => side.draw(&Rectangle::new(
                [(x0, y + 1), (x1, y + 13)],
                c.mix(0.6).filled(),
            ))?,
            Glyph::Marker(c) => side.draw(&PathElement::new(
                [(22, y), (22, y + 14)],
                c.stroke_width(2),
            ))?,
            Glyph::Tick(c) => {
                for tx in [14, 20, 26, 32] {
                    side.draw(&PathElement::new([(tx, y), (tx, y + 6)], c.stroke_width(1)))?;
                }
            }
        }
        side.draw(&Text::new(entry.label.clone(), (x1 + 8, y), text.clone()))?;
        y += 22;
    }
    y += 10;
    let facts = [
        format!("pass {}", percent(gate.pass_fraction)),
        format!("missing {}", percent(gate.missing_fraction)),
        format!("fallback {}", percent(gate.fallback_fraction)),
    ];
    for fact in facts {
        side.draw(&Text::new(fact, (8, y), text.clone()))?;
        y += 18;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_thinning() {
        let v = [Some(1.0), None, None, Some(2.0), Some(3.0)];
        assert_eq!(runs(v.len(), |i| v[i].is_none()), [(1, 2)]);
        assert_eq!(runs(v.len(), |i| v[i].is_some()), [(0, 0), (3, 4)]);
        let w: Vec<Option<f64>> = [5.0, 1.0, 9.0, 2.0, 4.0, 3.0, 0.0]
            .into_iter()
            .map(Some)
            .collect();
        // Buckets of three: [5 1 9] → 1 then 9; [2 4 3] → 2 then 4; [0] → 0.
        assert_eq!(
            thin(&w, (0, 6), 3),
            [(1, 1.0), (2, 9.0), (3, 2.0), (4, 4.0), (6, 0.0)]
        );
        assert_eq!(thin(&w, (2, 3), 1), [(2, 9.0), (3, 2.0)]);
    }

    #[test]
    fn y_range_holds_the_threshold_and_a_flat_line() {
        // A flat line at its threshold gets half a unit either side.
        assert_eq!(y_range(&[Some(1.0), None], 1.0), (0.5, 1.5));
        let (lo, hi) = y_range(&[Some(0.1), Some(0.2)], 0.35);
        assert!(lo < 0.1 && hi > 0.35);
        // Failing is the comparison not holding; equal to a `<=` threshold passes.
        assert!(fails(Op::Le, 0.5, 0.6));
        assert!(!fails(Op::Le, 0.5, 0.5));
    }
}
