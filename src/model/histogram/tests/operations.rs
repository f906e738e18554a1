//! Our own cases for the arithmetic, reset detection, validation and comparison, plus the
//! operator expectations of Prometheus's PromQL test corpus.

use serde::Deserialize;

use super::super::gomath::almost_equal;
use super::super::{
    BucketSide, CounterResetHint, FloatHistogram, HistogramError, HistogramMismatch,
};
use super::{F, H, assert_same, cases, exp, spans};

fn promql_equal(actual: f64, expected: f64) -> bool {
    almost_equal(actual, expected, 1e-6)
}

#[derive(Deserialize)]
struct OperatorCase {
    source: String,
    op: String,
    scalar: F,
    scalar_on_left: bool,
    histogram: H,
    expected: H,
    expected_hint_set: bool,
}

/// Every `h </ x`, `h >/ x`, `h * x`, `x * h`, `h / x` and `-h` expectation on a constant
/// native histogram in Prometheus's PromQL tests, evaluated as Prometheus's
/// `vectorElemBinop` does and compared as promqltest compares.
#[test]
fn promql_corpus_operator_expectations() {
    let cases: Vec<OperatorCase> = cases!("promql_operators");
    let mut failures = Vec::new();
    for c in &cases {
        let mut h = c.histogram.build();
        let x = c.scalar.0;
        match c.op.as_str() {
            "*" => {
                h.mul(x).compact(0);
            }
            "/" => {
                h.div(x).compact(0);
            }
            "</" => {
                h.trim_buckets(x, true);
            }
            ">/" => {
                h.trim_buckets(x, false);
            }
            "neg" => {
                h.negate();
            }
            other => panic!("{}: unexpected operator {other}", c.source),
        }
        let expected = c.expected.build();
        if let Some(mismatch) = expected.test_mismatch(&h, c.expected_hint_set, promql_equal) {
            failures.push(format!(
                "{} {}{} ({}): {mismatch}\n  got      {h:?}\n  expected {expected:?}",
                c.source,
                c.op,
                x,
                if c.scalar_on_left {
                    "scalar left"
                } else {
                    "scalar right"
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn counter_reset_hint_combinations() {
    use CounterResetHint::{Gauge, NotReset, Reset, Unknown};
    // (receiver, other, result, collision), Prometheus's adjustCounterReset.
    let table = [
        (Unknown, Unknown, Unknown, false),
        (Unknown, Reset, Unknown, false),
        (Unknown, NotReset, Unknown, false),
        (Unknown, Gauge, Gauge, false),
        (Reset, Unknown, Unknown, false),
        (Reset, Reset, Reset, false),
        (Reset, NotReset, Unknown, true),
        (Reset, Gauge, Gauge, false),
        (NotReset, Unknown, Unknown, false),
        (NotReset, Reset, Unknown, true),
        (NotReset, NotReset, NotReset, false),
        (NotReset, Gauge, Gauge, false),
        (Gauge, Unknown, Gauge, false),
        (Gauge, Reset, Gauge, false),
        (Gauge, NotReset, Gauge, false),
        (Gauge, Gauge, Gauge, false),
    ];
    for (mine, theirs, result, collision) in table {
        for negative in [false, true] {
            let mut a = exp(0, 1.0, 1.0, 0, &[1.0]);
            a.counter_reset_hint = mine;
            let mut b = exp(0, 1.0, 1.0, 0, &[1.0]);
            b.counter_reset_hint = theirs;
            let flags = if negative {
                a.sub_in_place(&b).unwrap()
            } else {
                a.add_in_place(&b).unwrap()
            };
            assert_eq!(a.counter_reset_hint, result, "{mine:?} with {theirs:?}");
            assert_eq!(
                flags.counter_reset_collision, collision,
                "{mine:?} with {theirs:?}"
            );
        }
    }
    // Subtraction does not make a gauge by itself; the `-` operator does.
    let a = exp(0, 2.0, 1.0, 0, &[2.0]);
    assert_eq!(
        a.sub(&a).unwrap().counter_reset_hint,
        CounterResetHint::Unknown
    );
}

#[test]
fn mixing_exponential_and_custom_buckets_fails_without_changes() {
    let mut a = exp(0, 1.0, 1.0, 0, &[1.0]);
    let b = FloatHistogram {
        schema: -53,
        custom_values: vec![1.0],
        ..FloatHistogram::default()
    };
    let before = a.clone();
    assert_eq!(a.add_in_place(&b), Err(HistogramError::MixedSchemas));
    assert_eq!(a.sub_in_place(&b), Err(HistogramError::MixedSchemas));
    let mut compensation = None;
    assert_eq!(
        a.kahan_add(&b, &mut compensation),
        Err(HistogramError::MixedSchemas)
    );
    assert_same(&a, &before, "unchanged");
    assert!(compensation.is_none());
}

#[test]
fn broken_layouts_are_errors_not_panics() {
    let good = exp(0, 1.0, 1.0, 0, &[1.0]);
    let mut too_few = exp(0, 1.0, 1.0, 0, &[1.0, 2.0]);
    too_few.positive_buckets.pop();
    assert_eq!(
        good.add(&too_few).unwrap_err().to_string(),
        "positive side: spans need 2 buckets, have 1 buckets: histogram spans specify different number of buckets than provided"
    );
    let negative_offset = FloatHistogram {
        positive_spans: spans(&[(0, 1), (-3, 1)]),
        positive_buckets: vec![1.0, 1.0],
        ..FloatHistogram::default()
    };
    assert_eq!(
        negative_offset.add(&good).unwrap_err().to_string(),
        "positive side: span number 2 with offset -3: histogram has a span whose offset is negative"
    );
    let bad_schema = FloatHistogram {
        schema: 9,
        ..good.clone()
    };
    assert_eq!(
        good.add(&bad_schema).unwrap_err().to_string(),
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema 9"
    );
    let uncovered = FloatHistogram {
        schema: -53,
        custom_values: vec![1.0],
        positive_spans: spans(&[(0, 3)]),
        positive_buckets: vec![1.0, 1.0, 1.0],
        ..FloatHistogram::default()
    };
    assert_eq!(
        uncovered.add(&uncovered).unwrap_err().to_string(),
        "custom buckets: only 1 custom bounds defined which is insufficient to cover total span length of 3: histogram custom bounds are too few"
    );
}

#[test]
fn nhcb_bounds_are_reconciled_to_the_shared_bounds() {
    let a = FloatHistogram {
        schema: -53,
        count: 6.0,
        sum: 10.0,
        custom_values: vec![1.0, 2.0, 3.0],
        positive_spans: spans(&[(0, 4)]),
        positive_buckets: vec![1.0, 2.0, 1.0, 2.0],
        ..FloatHistogram::default()
    };
    let b = FloatHistogram {
        schema: -53,
        count: 3.0,
        sum: 5.0,
        custom_values: vec![1.0, 3.0],
        positive_spans: spans(&[(0, 3)]),
        positive_buckets: vec![1.0, 1.0, 1.0],
        ..FloatHistogram::default()
    };
    let mut sum = a.clone();
    let flags = sum.add_in_place(&b).unwrap();
    assert!(flags.nhcb_bounds_reconciled);
    assert_eq!(sum.custom_values, vec![1.0, 3.0]);
    // (−Inf,1]: 1+1, (1,3]: 2+1+1, (3,+Inf]: 2+1.
    assert_eq!(sum.positive_spans, spans(&[(0, 3)]));
    assert_eq!(sum.positive_buckets, vec![2.0, 4.0, 3.0]);
    assert_eq!((sum.count, sum.sum), (9.0, 15.0));

    // Subtraction drops buckets that become zero.
    let mut difference = a.clone();
    let flags = difference.sub_in_place(&b).unwrap();
    assert!(flags.nhcb_bounds_reconciled);
    assert_eq!(difference.positive_spans, spans(&[(1, 2)]));
    assert_eq!(difference.positive_buckets, vec![2.0, 1.0]);

    // No shared bounds: everything lands in the +Inf bucket.
    let c = FloatHistogram {
        custom_values: vec![5.0],
        positive_spans: spans(&[(0, 1)]),
        positive_buckets: vec![4.0],
        ..b.clone()
    };
    let mut sum = a.clone();
    sum.add_in_place(&c).unwrap();
    assert!(sum.custom_values.is_empty());
    assert_eq!(sum.positive_spans, spans(&[(0, 1)]));
    assert_eq!(sum.positive_buckets, vec![10.0]);
}

#[test]
fn zero_buckets_are_widened_to_a_bucket_boundary() {
    // a: zero threshold 0, buckets (0.5,1] and (1,2]. b: threshold 0.7 cuts through a's
    // populated (0.5,1], so both zero buckets grow to 1.
    let a = exp(0, 3.0, 3.0, 0, &[1.0, 2.0]);
    let b = FloatHistogram {
        zero_threshold: 0.7,
        zero_count: 4.0,
        count: 4.0,
        ..FloatHistogram::default()
    };
    let sum = a.add(&b).unwrap();
    assert_eq!(sum.zero_threshold, 1.0);
    assert_eq!(sum.zero_count, 5.0);
    assert_eq!(sum.positive_spans, spans(&[(1, 1)]));
    assert_eq!(sum.positive_buckets, vec![2.0]);
    // The other way round gives the same.
    let sum = b.add(&a).unwrap();
    assert_eq!((sum.zero_threshold, sum.zero_count), (1.0, 5.0));
    assert_eq!(sum.positive_buckets, vec![2.0]);
}

#[test]
fn finer_schemas_are_reduced_in_both_directions() {
    let fine = exp(2, 4.0, 4.0, 1, &[1.0, 1.0, 1.0, 1.0]);
    let coarse = exp(0, 1.0, 1.0, 1, &[1.0]);
    let a = fine.add(&coarse).unwrap();
    let b = coarse.add(&fine).unwrap();
    assert_eq!(a.schema, 0);
    assert_same(&a, &b, "commutative");
    // Schema 2 buckets 1..=4 are schema 0 bucket 1.
    assert_eq!(a.positive_spans, spans(&[(1, 1)]));
    assert_eq!(a.positive_buckets, vec![5.0]);
}

#[test]
fn kahan_addition_compensates_rounding() {
    let h = |v: f64| FloatHistogram {
        count: 1.0,
        sum: v,
        positive_spans: spans(&[(0, 1)]),
        positive_buckets: vec![v],
        ..FloatHistogram::default()
    };
    let mut plain = h(1.0);
    let mut kahan = h(1.0);
    let mut compensation = None;
    for v in [1e100, 1.0, -1e100] {
        plain.add_in_place(&h(v)).unwrap();
        kahan.kahan_add(&h(v), &mut compensation).unwrap();
    }
    kahan.add_in_place(compensation.as_ref().unwrap()).unwrap();
    assert_eq!(plain.positive_buckets, vec![0.0]);
    assert_eq!(kahan.positive_buckets, vec![2.0]);
    assert_eq!(kahan.sum, 2.0);
}

#[test]
fn kahan_addition_accepts_a_misfit_compensation() {
    let mut sum = exp(0, 1.0, 1.0, 0, &[1.0, 1.0]);
    // A compensation with the wrong number of buckets is padded rather than a crash.
    let mut compensation = Some(FloatHistogram::default());
    sum.kahan_add(&exp(0, 1.0, 1.0, 0, &[1.0, 1.0]), &mut compensation)
        .unwrap();
    assert_eq!(sum.positive_buckets, vec![2.0, 2.0]);
}

#[test]
fn scaling() {
    let mut h = exp(0, 2.0, 4.0, 0, &[2.0]);
    h.zero_count = 1.0;
    h.counter_reset_hint = CounterResetHint::NotReset;
    h.div(2.0);
    assert_eq!(
        (h.count, h.sum, h.zero_count, h.positive_buckets[0]),
        (1.0, 2.0, 0.5, 1.0)
    );
    assert_eq!(h.counter_reset_hint, CounterResetHint::NotReset);
    h.div(-1.0);
    assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);

    // Division by zero (of either sign): infinities, no buckets, hint untouched.
    for zero in [0.0, -0.0] {
        let mut h = exp(0, 2.0, -4.0, 0, &[2.0]);
        h.counter_reset_hint = CounterResetHint::NotReset;
        h.div(zero);
        assert!(h.count.is_infinite() && h.sum.is_infinite());
        assert!(h.zero_count.is_nan());
        assert!(h.positive_buckets.is_empty() && h.positive_spans.is_empty());
        assert_eq!(h.counter_reset_hint, CounterResetHint::NotReset);
    }

    // Multiplying by zero keeps the (now empty) buckets; NaN does not make a gauge.
    let mut h = exp(0, 2.0, 4.0, 0, &[2.0]);
    h.mul(0.0);
    assert_eq!(h.positive_buckets, vec![0.0]);
    h.mul(f64::NAN);
    assert!(h.count.is_nan());
    assert_eq!(h.counter_reset_hint, CounterResetHint::Unknown);
    h.mul(-0.0);
    assert_eq!(h.counter_reset_hint, CounterResetHint::Unknown);
}

#[test]
fn compaction_to_one_span() {
    let mut h = FloatHistogram {
        positive_spans: spans(&[(-2, 2), (3, 1), (0, 0), (10, 2)]),
        positive_buckets: vec![0.0, 1.0, 2.0, 3.0, 0.0],
        ..FloatHistogram::default()
    };
    h.compact(usize::MAX);
    // Buckets at −1, 3 and 14 (the empty ones at −2 and 15 are cut).
    assert_eq!(h.positive_spans, spans(&[(-1, 16)]));
    assert_eq!(
        h.positive_buckets,
        vec![
            1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0
        ]
    );
    // Only empty spans: nothing left.
    let mut h = FloatHistogram {
        positive_spans: spans(&[(3, 0), (2, 0)]),
        ..FloatHistogram::default()
    };
    h.compact(0);
    assert!(h.positive_spans.is_empty());
}

#[test]
fn reset_detection_shortcuts_and_layout_changes() {
    let previous = exp(0, 10.0, 10.0, 0, &[5.0, 5.0]);
    let mut current = exp(0, 1.0, 1.0, 0, &[1.0]);
    current.counter_reset_hint = CounterResetHint::NotReset;
    assert!(!current.detect_reset(&previous));
    current.counter_reset_hint = CounterResetHint::Reset;
    assert!(current.detect_reset(&exp(0, 0.0, 0.0, 0, &[])));
    // A finer schema, a smaller zero threshold: resets.
    let finer = exp(1, 20.0, 20.0, 0, &[20.0]);
    assert!(finer.detect_reset(&previous));
    let mut wide = previous.clone();
    wide.zero_threshold = 0.1;
    let mut narrow = previous.clone();
    narrow.count = 11.0;
    assert!(narrow.detect_reset(&wide));
    // A coarser schema is fine when the merged buckets grew.
    let coarser = exp(-1, 12.0, 12.0, 0, &[6.0, 6.0]);
    assert!(!coarser.detect_reset(&previous));
    // A gauge histogram is treated as a counter.
    let mut gauge = exp(0, 10.0, 10.0, 0, &[6.0, 4.0]);
    gauge.counter_reset_hint = CounterResetHint::Gauge;
    assert!(gauge.detect_reset(&previous));
    // Switching between exponential and custom buckets is a reset.
    let nhcb = FloatHistogram {
        schema: -53,
        count: 20.0,
        ..FloatHistogram::default()
    };
    assert!(nhcb.detect_reset(&previous));
    assert!(previous.detect_reset(&nhcb));
}

#[test]
fn reset_detection_with_different_custom_bounds() {
    let previous = FloatHistogram {
        schema: -53,
        count: 6.0,
        custom_values: vec![1.0, 2.0, 3.0],
        positive_spans: spans(&[(0, 4)]),
        positive_buckets: vec![1.0, 2.0, 1.0, 2.0],
        ..FloatHistogram::default()
    };
    let grown = FloatHistogram {
        schema: -53,
        count: 7.0,
        custom_values: vec![1.0, 3.0],
        positive_spans: spans(&[(0, 3)]),
        positive_buckets: vec![1.0, 4.0, 2.0],
        ..FloatHistogram::default()
    };
    assert!(!grown.detect_reset(&previous));
    let shrunk = FloatHistogram {
        positive_buckets: vec![1.0, 2.0, 4.0],
        ..grown.clone()
    };
    assert!(shrunk.detect_reset(&previous));
}

#[test]
fn validation_messages_match_prometheus() {
    let check = |h: FloatHistogram, message: &str| {
        assert_eq!(h.validate().unwrap_err().to_string(), message);
    };
    check(
        FloatHistogram {
            count: -1.5,
            ..FloatHistogram::default()
        },
        "observation count is  -1.5: histogram's observation count is negative",
    );
    check(
        FloatHistogram {
            zero_count: -1e6,
            ..FloatHistogram::default()
        },
        "zero bucket has observation count of -1e+06: histogram has a bucket whose observation count is negative",
    );
    check(
        FloatHistogram {
            schema: -5,
            ..FloatHistogram::default()
        },
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema -5",
    );
    check(
        FloatHistogram {
            custom_values: vec![1.0],
            ..FloatHistogram::default()
        },
        "histogram with exponential schema must not have custom bounds",
    );
    let nhcb = |values: Vec<f64>| FloatHistogram {
        schema: -53,
        custom_values: values,
        ..FloatHistogram::default()
    };
    check(
        nhcb(vec![2.0, 1.0]),
        "custom buckets: previous bound is 2.000000 and current is 1.000000: histogram custom bounds must be in strictly increasing order",
    );
    check(
        nhcb(vec![1.0, f64::INFINITY]),
        "custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite",
    );
    check(
        nhcb(vec![f64::NAN]),
        "custom buckets: histogram custom bounds must not be NaN",
    );
    check(
        FloatHistogram {
            zero_count: 1.0,
            ..nhcb(vec![1.0])
        },
        "custom buckets: must have zero count of 0",
    );
    check(
        FloatHistogram {
            zero_threshold: 1.0,
            ..nhcb(vec![1.0])
        },
        "custom buckets: must have zero threshold of 0",
    );
    check(
        FloatHistogram {
            negative_spans: spans(&[(0, 1)]),
            negative_buckets: vec![1.0],
            ..nhcb(vec![1.0])
        },
        "custom buckets: must not have negative spans",
    );
    check(
        FloatHistogram {
            positive_spans: spans(&[(-1, 1)]),
            positive_buckets: vec![1.0],
            ..nhcb(vec![1.0])
        },
        "custom buckets: span number 1 with offset -1: histogram has a span whose offset is negative",
    );
    check(
        FloatHistogram {
            positive_spans: spans(&[(0, 1)]),
            positive_buckets: vec![-1.0],
            ..nhcb(vec![1.0])
        },
        "positive side: bucket number 1 has observation count of -1: histogram has a bucket whose observation count is negative",
    );
    check(
        FloatHistogram {
            negative_spans: spans(&[(0, 2)]),
            negative_buckets: vec![1.0],
            ..FloatHistogram::default()
        },
        "negative side: spans need 2 buckets, have 1 buckets: histogram spans specify different number of buckets than provided",
    );
    assert!(nhcb(vec![-1.0, 0.0, 1e300]).validate().is_ok());
    assert_eq!(
        HistogramError::SpanNegativeOffset {
            side: Some(BucketSide::Negative),
            span_number: 2,
            offset: -1
        }
        .to_string(),
        "negative side: span number 2 with offset -1: histogram has a span whose offset is negative"
    );
}

#[test]
fn resolution_reduction_errors() {
    let mut nhcb = FloatHistogram {
        schema: -53,
        ..FloatHistogram::default()
    };
    assert_eq!(
        nhcb.reduce_resolution(0),
        Err(HistogramError::ReduceCustomBuckets)
    );
    let mut h = exp(0, 1.0, 1.0, 0, &[1.0]);
    assert_eq!(
        h.reduce_resolution(-53),
        Err(HistogramError::ReduceToCustomBuckets)
    );
    assert_eq!(
        h.reduce_resolution(0),
        Err(HistogramError::ReduceToFinerSchema { from: 0, to: 0 })
    );
    let mut broken = h.clone();
    broken.positive_buckets.push(2.0);
    let before = broken.clone();
    assert_eq!(
        broken.reduce_resolution(-1).unwrap_err().to_string(),
        "spans need 1 buckets, have 2 buckets: histogram spans specify different number of buckets than provided"
    );
    assert_same(&broken, &before, "unchanged on error");
    // A copy in another schema forgets the hint, as in Prometheus.
    h.counter_reset_hint = CounterResetHint::NotReset;
    assert_eq!(
        h.copy_to_schema(-1).unwrap().counter_reset_hint,
        CounterResetHint::Unknown
    );
    assert_eq!(
        h.copy_to_schema(0).unwrap().counter_reset_hint,
        CounterResetHint::NotReset
    );
}

#[test]
fn test_comparison_follows_spec() {
    let close = |a: f64, b: f64| almost_equal(a, b, 1e-6);
    let expected = exp(0, 3.0, 3.0, 0, &[1.0, 2.0]);
    let mut actual = expected.clone();
    actual.counter_reset_hint = CounterResetHint::Gauge;
    assert_eq!(expected.test_mismatch(&actual, false, close), None);
    assert_eq!(
        expected.test_mismatch(&actual, true, close),
        Some(HistogramMismatch::CounterResetHint)
    );
    let mut other = expected.clone();
    other.zero_threshold = 1e-300;
    assert_eq!(
        expected.test_mismatch(&other, false, close),
        Some(HistogramMismatch::ZeroThreshold)
    );
    let mut other = expected.clone();
    other.positive_buckets[1] = 2.000001;
    assert_eq!(expected.test_mismatch(&other, false, close), None);
    other.positive_buckets[1] = 2.1;
    assert_eq!(
        expected.test_mismatch(&other, false, close),
        Some(HistogramMismatch::PositiveBuckets)
    );
    // Comparisons against zero are exact.
    let mut zero = expected.clone();
    zero.sum = 0.0;
    let mut tiny = expected.clone();
    tiny.sum = 1e-300;
    assert_eq!(
        zero.test_mismatch(&tiny, false, close),
        Some(HistogramMismatch::Sum)
    );
    // Layouts are compared after compaction.
    let mut shifted = expected.clone();
    shifted.positive_spans = spans(&[(-1, 3)]);
    shifted.positive_buckets = vec![0.0, 1.0, 2.0];
    assert_eq!(expected.test_mismatch(&shifted, false, close), None);
    shifted.positive_spans = spans(&[(0, 3)]);
    assert_eq!(
        expected.test_mismatch(&shifted, false, close),
        Some(HistogramMismatch::PositiveSpans)
    );
}

#[test]
fn overflow() {
    let mut h = exp(0, 1.0, 1.0, 0, &[f64::MAX]);
    assert!(!h.has_overflow());
    h.mul(2.0);
    assert!(h.has_overflow());
    assert!(
        !FloatHistogram {
            sum: f64::NAN,
            ..FloatHistogram::default()
        }
        .has_overflow()
    );
}

#[test]
fn trimming_custom_and_zero_buckets() {
    // Custom buckets interpolate linearly; the first bucket starts at 0 for positive bounds.
    let nhcb = FloatHistogram {
        schema: -53,
        count: 10.0,
        sum: 50.0,
        custom_values: vec![10.0, 20.0],
        positive_spans: spans(&[(0, 3)]),
        positive_buckets: vec![4.0, 4.0, 2.0],
        ..FloatHistogram::default()
    };
    let mut upper = nhcb.clone();
    upper.trim_buckets(15.0, true);
    // 4 in (−Inf,10] kept (midpoint 5), half of (10,20] (midpoint 12.5), +Inf bucket dropped.
    assert_eq!(upper.count, 6.0);
    assert_eq!(upper.sum, 4.0 * 5.0 + 2.0 * 12.5);
    assert_eq!(upper.positive_buckets, vec![4.0, 2.0]);
    let mut lower = nhcb.clone();
    lower.trim_buckets(15.0, false);
    assert_eq!(lower.count, 4.0);
    assert_eq!(lower.positive_spans, spans(&[(1, 2)]));
    assert_eq!(lower.positive_buckets, vec![2.0, 2.0]);

    // Keeping only what is above +Inf empties the histogram.
    let mut same = nhcb.clone();
    same.trim_buckets(f64::INFINITY, false);
    assert_same(
        &same,
        &{
            let mut cleared = nhcb.clone();
            cleared.positive_buckets = vec![0.0, 0.0, 0.0];
            cleared.count = 0.0;
            cleared.sum = 0.0;
            cleared.compact(0);
            cleared
        },
        "trim everything above +Inf",
    );

    // Only the zero bucket: it spans [−threshold, threshold], interpolated linearly.
    let mut zero = FloatHistogram {
        count: 4.0,
        zero_threshold: 1.0,
        zero_count: 4.0,
        ..FloatHistogram::default()
    };
    zero.trim_buckets(0.5, true);
    assert_eq!(zero.zero_count, 3.0);
    assert_eq!(zero.count, 3.0);
}

/// Regression: an empty first span in the receiver made Prometheus's addBuckets add to the
/// first stored bucket (which belongs to a later span) and our port index an empty bucket list.
#[test]
fn regression_empty_first_span_in_addition() {
    let a = FloatHistogram {
        count: 2.0,
        positive_spans: spans(&[(1, 0)]),
        negative_spans: spans(&[(1, 1), (2, 1)]),
        negative_buckets: vec![2.0, 0.0],
        ..FloatHistogram::default()
    };
    let b = exp(0, 2.0, 0.0, 1, &[2.0]);
    let mut sum = a.add(&b).unwrap();
    sum.compact(0);
    assert_eq!(sum.positive_spans, spans(&[(1, 1)]));
    assert_eq!(sum.positive_buckets, vec![2.0]);
    // A later span after the empty one keeps its absolute position: bucket 4 here.
    let c = FloatHistogram {
        positive_spans: spans(&[(1, 0), (3, 1)]),
        positive_buckets: vec![5.0],
        ..FloatHistogram::default()
    };
    let mut sum = c.add(&b).unwrap();
    sum.compact(0);
    assert_eq!(sum.positive_spans, spans(&[(1, 1), (2, 1)]));
    assert_eq!(sum.positive_buckets, vec![2.0, 5.0]);
}
