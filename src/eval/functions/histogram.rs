//! The `histogram_*` functions: `histogram_count`, `histogram_sum`, `histogram_avg`,
//! `histogram_stddev`, `histogram_stdvar` over native histograms, and `histogram_quantile`,
//! `histogram_quantiles` and `histogram_fraction` over native histograms and classic
//! (`le`-bucketed) histograms.

use super::hist_ops::{self, BucketQuantile, ClassicBucket, NanObservationsInfo};
use super::instant::{scalar, vector};
use super::{go_quote, metric_name, string_arg};
use crate::eval::AnnotationLevel;
use crate::eval::annotations::Merge;
use crate::eval::engine::{Evaluator, drop_metric_name};
use crate::eval::error::EvalError;
use crate::eval::value::{Sample, Val};
use crate::model::fxhash::FxHashMap;
use crate::model::{FloatHistogram, Labels, METRIC_NAME, Timestamp, format_float_g};
use crate::promql::Call;
use crate::syntax::Span;

/// Applies `f` to every native histogram of the first argument (floats are ignored); the name
/// is dropped. Without delayed name removal Prometheus drops only `__name__` here.
pub(super) fn simple<'s>(
    ev: &mut Evaluator<'s>,
    args: Vec<Val<'s>>,
    f: impl Fn(&FloatHistogram) -> f64,
) -> Val<'s> {
    let mut out = Vec::new();
    for s in vector(args.into_iter().next()) {
        let Some(h) = &s.h else { continue };
        let value = f(h);
        let metric = if ev.delayed_name_removal() {
            s.metric
        } else {
            s.metric.drop(&[METRIC_NAME])
        };
        out.push(Sample {
            metric,
            f: value,
            h: None,
            drop_name: true,
        });
    }
    Val::Vector(out)
}

/// The estimated variance of the observations in a native histogram (Prometheus's
/// `histogram_stdvar`).
pub(super) fn variance(h: &FloatHistogram) -> f64 {
    hist_ops::histogram_stdvar(h)
}

/// A classic histogram assembled from `le`-labelled float samples: the labels without `le`
/// and the buckets.
struct Classic {
    metric: Labels,
    buckets: Vec<ClassicBucket>,
}

/// The input of `histogram_quantile` and friends, split as Prometheus's `resetHistograms`
/// does: native histograms (`None` where a classic histogram with the same labels conflicts)
/// and classic histograms grouped by their labels without `le`, in order of first appearance.
struct Split {
    natives: Vec<(Labels, Option<std::sync::Arc<FloatHistogram>>)>,
    classics: Vec<Classic>,
}

/// Go's `strconv.ParseFloat` for the values `le` labels hold.
fn parse_bound(text: &str) -> Option<f64> {
    if let Ok(v) = text.parse::<f64>() {
        return Some(v);
    }
    parse_hex_float(text)
}

/// Go also accepts hexadecimal floats (`0x1p-2`, `0x1.8p1`, `-0X10p0`), with their binary
/// exponent.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let hex = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))?
        .to_ascii_lowercase();
    if !hex.contains('p') {
        return None;
    }
    let value = crate::syntax::lex::parse_hex_float(&hex)?;
    Some(if negative { -value } else { value })
}

/// Appends " for metric name %q" when the name is known (Prometheus's `maybeAddMetricName`).
fn with_metric_name(message: &str, name: &str) -> String {
    if name.is_empty() {
        message.to_string()
    } else {
        format!("{message} for metric name {}", go_quote(name))
    }
}

fn split_histograms(ev: &mut Evaluator<'_>, input: Vec<Sample>, pos: Span) -> Split {
    let delayed = ev.delayed_name_removal();
    let mut natives = Vec::new();
    let mut classics: Vec<Classic> = Vec::new();
    let mut index: FxHashMap<Labels, usize> = FxHashMap::default();
    for s in input {
        if let Some(h) = s.h {
            natives.push((s.metric, Some(h)));
            continue;
        }
        let le = s.metric.get_or_empty("le");
        let Some(upper_bound) = parse_bound(le) else {
            let name = if delayed { metric_name(&s.metric) } else { "" };
            let message = with_metric_name(
                &format!(
                    "bucket label \"le\" is missing or has a malformed value of {}",
                    go_quote(le)
                ),
                name,
            );
            ev.annotations.warn(message, pos);
            continue;
        };
        let key = s.metric.drop(&["le"]);
        let slot = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), classics.len());
                classics.push(Classic {
                    metric: key,
                    buckets: Vec::new(),
                });
                classics.len() - 1
            }
        };
        classics[slot].buckets.push(ClassicBucket {
            upper_bound,
            count: s.f,
        });
    }
    // A native histogram with the same labels as a classic one at this time: neither is used.
    for (metric, h) in &mut natives {
        if let Some(&i) = index.get(metric) {
            if !classics[i].buckets.is_empty() {
                let name = if delayed { metric_name(metric) } else { "" };
                ev.annotations.warn(
                    with_metric_name(
                        "vector contains a mix of classic and native histograms",
                        name,
                    ),
                    pos,
                );
                classics[i].buckets.clear();
                *h = None;
            }
        }
    }
    Split { natives, classics }
}

/// The labels of an output sample: without delayed name removal the name goes now.
fn output_metric(ev: &Evaluator<'_>, metric: Labels) -> Labels {
    if ev.delayed_name_removal() {
        metric
    } else {
        drop_metric_name(&metric)
    }
}

fn invalid_quantile_check(ev: &mut Evaluator<'_>, q: f64, pos: Span) {
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        ev.annotations.warn(
            format!(
                "quantile value should be between 0 and 1, got {}",
                format_float_g(q)
            ),
            pos,
        );
    }
}

fn nan_note(ev: &mut Evaluator<'_>, note: Option<NanObservationsInfo>, name: &str, pos: Span) {
    let Some(note) = note else { return };
    let message = match note {
        NanObservationsInfo::QuantileNaNResult => {
            "input to histogram_quantile has NaN observations, result is NaN"
        }
        NanObservationsInfo::QuantileNaNSkew => {
            "input to histogram_quantile has NaN observations, result is skewed higher"
        }
        NanObservationsInfo::FractionNaNs => {
            "input to histogram_fraction has NaN observations, which are excluded from all fractions"
        }
    };
    ev.annotations.info(with_metric_name(message, name), pos);
}

fn forced_monotonicity_note(
    ev: &mut Evaluator<'_>,
    metric: &Labels,
    t: Timestamp,
    m: &BucketQuantile,
    pos: Span,
) {
    let name = if ev.delayed_name_removal() {
        metric_name(metric)
    } else {
        ""
    };
    let base = with_metric_name(
        "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
        name,
    );
    ev.annotations.add_merging(
        AnnotationLevel::Info,
        base,
        pos,
        Merge::ForcedMonotonicity {
            min_ts: t,
            max_ts: t,
            min_bucket: m.min_bucket,
            max_bucket: m.max_bucket,
            max_diff: m.max_diff,
            occurrences: 1,
        },
    );
}

fn arg_span(call: &Call, i: usize, fallback: Span) -> Span {
    call.args.get(i).map(|a| a.span).unwrap_or(fallback)
}

/// `histogram_quantile(φ, v)`.
pub(super) fn histogram_quantile<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    span: Span,
    t: Timestamp,
    args: Vec<Val<'s>>,
) -> Result<Val<'s>, EvalError> {
    let q = scalar(&args, 0);
    let input = vector(args.into_iter().nth(1));
    invalid_quantile_check(ev, q, arg_span(call, 0, span));
    let pos = arg_span(call, 1, span);
    let split = split_histograms(ev, input, pos);
    let mut out = Vec::new();
    for (metric, h) in split.natives {
        let Some(h) = h else { continue };
        let metric = output_metric(ev, metric);
        let (value, note) = hist_ops::histogram_quantile_with_info(q, &h);
        nan_note(ev, note, metric_name(&metric), pos);
        out.push(quantile_sample(metric, value));
    }
    for mut classic in split.classics {
        if classic.buckets.is_empty() {
            continue;
        }
        if ev.opts.semantics == crate::eval::Semantics::Prometheus2 {
            let value = crate::eval::prometheus2::bucket_quantile(q, &mut classic.buckets);
            out.push(quantile_sample(output_metric(ev, classic.metric), value));
            continue;
        }
        let result = hist_ops::bucket_quantile(q, &mut classic.buckets);
        if result.forced_monotonicity {
            forced_monotonicity_note(ev, &classic.metric, t, &result, pos);
        }
        out.push(quantile_sample(
            output_metric(ev, classic.metric),
            result.quantile,
        ));
    }
    Ok(Val::Vector(out))
}

fn quantile_sample(metric: Labels, f: f64) -> Sample {
    Sample {
        metric,
        f,
        h: None,
        drop_name: true,
    }
}

/// Prometheus's `labels.FormatOpenMetricsFloat`: the quantile label value.
pub(super) fn format_openmetrics_float(f: f64) -> String {
    if f == 1.0 {
        return "1.0".to_string();
    }
    if f == 0.0 {
        return "0.0".to_string();
    }
    if f == -1.0 {
        return "-1.0".to_string();
    }
    let text = format_float_g(f);
    if f.is_nan() || f.is_infinite() || text.contains(['e', '.']) {
        return text;
    }
    format!("{text}.0")
}

/// `histogram_quantiles(v, label, φ...)`: one output series per histogram and φ, with `label`
/// set to φ.
pub(super) fn histogram_quantiles<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    span: Span,
    t: Timestamp,
    args: Vec<Val<'s>>,
) -> Result<Val<'s>, EvalError> {
    let label = call.args.get(1).map(string_arg).unwrap_or_default();
    let mut qs = Vec::new();
    for i in 2..args.len() {
        let q = scalar(&args, i);
        invalid_quantile_check(ev, q, arg_span(call, i, span));
        qs.push(q);
    }
    let input = vector(args.into_iter().next());
    let pos = arg_span(call, 0, span);
    let mut split = split_histograms(ev, input, pos);
    let mut out = Vec::new();
    for &q in &qs {
        let q_label = format_openmetrics_float(q);
        for (metric, h) in &split.natives {
            let Some(h) = h else { continue };
            let metric = output_metric(ev, metric.clone());
            let (value, note) = hist_ops::histogram_quantile_with_info(q, h);
            nan_note(ev, note, metric_name(&metric), pos);
            out.push(quantile_sample(
                metric
                    .builder()
                    .set(label.as_str(), q_label.as_str())
                    .build(),
                value,
            ));
        }
        for classic in &mut split.classics {
            if classic.buckets.is_empty() {
                continue;
            }
            // Prometheus sorts and fixes the same bucket slice in place for every φ.
            let result = hist_ops::bucket_quantile(q, &mut classic.buckets);
            if result.forced_monotonicity {
                forced_monotonicity_note(ev, &classic.metric, t, &result, pos);
            }
            let value = result.quantile;
            let metric = output_metric(ev, classic.metric.clone());
            out.push(quantile_sample(
                metric
                    .builder()
                    .set(label.as_str(), q_label.as_str())
                    .build(),
                value,
            ));
        }
    }
    Ok(Val::Vector(out))
}

/// `histogram_fraction(lower, upper, v)`.
pub(super) fn histogram_fraction<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    span: Span,
    _t: Timestamp,
    args: Vec<Val<'s>>,
) -> Result<Val<'s>, EvalError> {
    let lower = scalar(&args, 0);
    let upper = scalar(&args, 1);
    let input = vector(args.into_iter().nth(2));
    let pos = arg_span(call, 2, span);
    let split = split_histograms(ev, input, pos);
    let mut out = Vec::new();
    for (metric, h) in split.natives {
        let Some(h) = h else { continue };
        let metric = output_metric(ev, metric);
        let (value, note) = hist_ops::histogram_fraction_with_info(lower, upper, &h);
        nan_note(ev, note, metric_name(&metric), pos);
        out.push(quantile_sample(metric, value));
    }
    for mut classic in split.classics {
        if classic.buckets.is_empty() {
            continue;
        }
        let value = hist_ops::bucket_fraction(lower, upper, &mut classic.buckets);
        out.push(quantile_sample(output_metric(ev, classic.metric), value));
    }
    Ok(Val::Vector(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_label_values() {
        assert_eq!(format_openmetrics_float(0.0), "0.0");
        assert_eq!(format_openmetrics_float(1.0), "1.0");
        assert_eq!(format_openmetrics_float(0.25), "0.25");
        assert_eq!(format_openmetrics_float(2.0), "2.0");
        assert_eq!(format_openmetrics_float(-0.1), "-0.1");
        assert_eq!(format_openmetrics_float(1e-5), "1e-05");
        assert_eq!(format_openmetrics_float(f64::NAN), "NaN");
        assert_eq!(format_openmetrics_float(f64::INFINITY), "+Inf");
    }

    #[test]
    fn bounds_parse_as_go_does() {
        assert_eq!(parse_bound("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_bound("0.1"), Some(0.1));
        assert_eq!(parse_bound("1e3"), Some(1000.0));
        assert_eq!(parse_bound("0x1p-2"), Some(0.25));
        assert_eq!(parse_bound("-0X10p0"), Some(-16.0));
        assert_eq!(parse_bound("0x10"), None);
        assert!(parse_bound("NaN").unwrap().is_nan());
        assert_eq!(parse_bound(""), None);
        assert_eq!(parse_bound("Hello World"), None);
    }

    #[test]
    fn variance_of_an_exponential_histogram() {
        use crate::model::BucketSpan;
        // Two observations in (1, 2] and two in (2, 4]: values at √2 and √8 around mean 2.
        let h = FloatHistogram {
            count: 4.0,
            sum: 8.0,
            positive_spans: vec![BucketSpan {
                offset: 1,
                length: 2,
            }],
            positive_buckets: vec![2.0, 2.0],
            ..FloatHistogram::default()
        };
        let expected =
            (2.0 * (2f64.sqrt() - 2.0).powi(2) + 2.0 * (8f64.sqrt() - 2.0).powi(2)) / 4.0;
        assert!((variance(&h) - expected).abs() < 1e-12);
    }
}
