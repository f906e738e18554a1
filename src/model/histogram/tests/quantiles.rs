//! Quantile, fraction and variance tests: Prometheus's `quantile_test.go`, the expectations of
//! its PromQL test corpus for constant histogram series, and our own edge cases.

use serde::Deserialize;

use super::super::FloatHistogram;
use super::super::gomath::almost_equal;
use super::super::quantile::{
    Bucket, NanObservationsInfo, bucket_fraction, bucket_quantile, histogram_avg,
    histogram_fraction, histogram_fraction_with_info, histogram_quantile,
    histogram_quantile_with_info, histogram_stddev, histogram_stdvar, quantile,
};
use super::{F, H, cases, exp, spans};

/// The promqltest float comparison (spec §7.1).
fn promql_equal(actual: f64, expected: f64) -> bool {
    almost_equal(actual, expected, 1e-6)
}

fn classic(pairs: &[(f64, f64)]) -> Vec<Bucket> {
    pairs
        .iter()
        .map(|&(upper_bound, count)| Bucket { upper_bound, count })
        .collect()
}

#[derive(Deserialize)]
struct CorpusCase {
    source: String,
    function: String,
    params: Vec<F>,
    histogram: H,
    expected: F,
}

/// Every `histogram_quantile`, `histogram_fraction`, `histogram_stddev`, `histogram_stdvar` and
/// `histogram_avg` expectation on a constant native histogram in Prometheus's PromQL test
/// scripts.
#[test]
fn promql_corpus_expectations() {
    let cases: Vec<CorpusCase> = cases!("promql_functions");
    let mut failures = Vec::new();
    for c in &cases {
        let h = c.histogram.build();
        let p = |i: usize| c.params.get(i).map(|f| f.0).unwrap_or(f64::NAN);
        let actual = match c.function.as_str() {
            "histogram_quantile" => histogram_quantile(p(0), &h),
            "histogram_fraction" => histogram_fraction(p(0), p(1), &h),
            "histogram_stddev" => histogram_stddev(&h),
            "histogram_stdvar" => histogram_stdvar(&h),
            "histogram_avg" => histogram_avg(&h),
            other => panic!("{}: unexpected function {other}", c.source),
        };
        if !promql_equal(actual, c.expected.0) {
            failures.push(format!(
                "{} {}{:?}: got {actual}, want {}",
                c.source, c.function, c.params, c.expected.0
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

/// Prometheus's `TestBucketQuantile_ForcedMonotonicity` (counts written as in the Go test).
#[test]
#[allow(clippy::excessive_precision)]
fn bucket_quantile_forced_monotonicity() {
    struct Case {
        name: &'static str,
        buckets: Vec<Bucket>,
        forced: bool,
        fixed: bool,
        values: &'static [(f64, f64)],
    }
    let inf = f64::INFINITY;
    let cases = [
        Case {
            name: "simple - monotonic",
            buckets: classic(&[
                (10.0, 10.0),
                (15.0, 15.0),
                (20.0, 15.0),
                (30.0, 15.0),
                (inf, 15.0),
            ]),
            forced: false,
            fixed: false,
            values: &[(1.0, 15.0), (0.99, 14.85), (0.9, 13.5), (0.5, 7.5)],
        },
        Case {
            name: "simple - non-monotonic middle",
            buckets: classic(&[
                (10.0, 10.0),
                (15.0, 15.0),
                (20.0, 15.00000000001),
                (30.0, 15.0),
                (inf, 15.0),
            ]),
            forced: false,
            fixed: true,
            values: &[(1.0, 15.0), (0.99, 14.85), (0.9, 13.5), (0.5, 7.5)],
        },
        Case {
            name: "real example - monotonic",
            buckets: classic(&[
                (1.0, 6454661.3014166197),
                (5.0, 8339611.2001912938),
                (10.0, 14118319.2444762159),
                (25.0, 14130031.5272856522),
                (50.0, 46001270.3030008152),
                (64.0, 46008473.8585563600),
                (80.0, 46008473.8585563600),
                (100.0, 46008473.8585563600),
                (250.0, 46008473.8585563600),
                (1000.0, 46008473.8585563600),
                (inf, 46008473.8585563600),
            ]),
            forced: false,
            fixed: false,
            values: &[
                (1.0, 64.0),
                (0.99, 49.64475715376406),
                (0.9, 46.39671690938454),
                (0.5, 31.96098248992002),
            ],
        },
        Case {
            name: "real example - non-monotonic",
            buckets: classic(&[
                (1.0, 6454661.3014166225),
                (5.0, 8339611.2001912957),
                (10.0, 14118319.2444762159),
                (25.0, 14130031.5272856504),
                (50.0, 46001270.3030008227),
                (64.0, 46008473.8585563824),
                (80.0, 46008473.8585563898),
                (100.0, 46008473.8585563824),
                (250.0, 46008473.8585563824),
                (1000.0, 46008473.8585563898),
                (inf, 46008473.8585563824),
            ]),
            forced: false,
            fixed: true,
            values: &[
                (1.0, 64.0),
                (0.99, 49.64475715376406),
                (0.9, 46.39671690938454),
                (0.5, 31.96098248992002),
            ],
        },
        Case {
            name: "real example 2 - monotonic",
            buckets: classic(&[
                (0.005, 9.6),
                (0.01, 9.688888889),
                (0.025, 9.755555556),
                (0.05, 9.844444444),
                (0.1, 9.888888889),
                (0.25, 9.888888889),
                (0.5, 9.888888889),
                (1.0, 9.888888889),
                (2.5, 9.888888889),
                (5.0, 9.888888889),
                (10.0, 9.888888889),
                (inf, 9.888888889),
            ]),
            forced: false,
            fixed: false,
            values: &[
                (1.0, 0.1),
                (0.99, 0.03468750000281261),
                (0.9, 0.00463541666671875),
                (0.5, 0.0025752314815104174),
            ],
        },
        Case {
            name: "real example 2 - non-monotonic",
            buckets: classic(&[
                (0.005, 9.6),
                (0.01, 9.688888889),
                (0.025, 9.755555556),
                (0.05, 9.844444444),
                (0.1, 9.888888889),
                (0.25, 9.888888889),
                (0.5, 9.888888889),
                (1.0, 9.888888889),
                (2.5, 9.888888889),
                (5.0, 9.888888889),
                (10.0, 9.888888889001),
                (inf, 9.888888889),
            ]),
            forced: false,
            fixed: true,
            values: &[
                (1.0, 0.1),
                (0.99, 0.03468750000281261),
                (0.9, 0.00463541666671875),
                (0.5, 0.0025752314815104174),
            ],
        },
        Case {
            name: "forced monotonicity",
            buckets: classic(&[
                (10.0, 10.0),
                (15.0, 15.0),
                (20.0, 14.0),
                (30.0, 15.0),
                (inf, 15.0),
            ]),
            forced: true,
            fixed: false,
            values: &[(1.0, 15.0), (0.99, 14.85), (0.9, 13.5), (0.5, 7.5)],
        },
    ];
    for case in cases {
        for &(q, want) in case.values {
            let mut buckets = case.buckets.clone();
            let result = bucket_quantile(q, &mut buckets);
            assert!(
                (result.quantile - want).abs() <= 1e-12,
                "{} q={q}: {} != {want}",
                case.name,
                result.quantile
            );
            assert_eq!(
                result.forced_monotonicity, case.forced,
                "{} q={q}",
                case.name
            );
            assert_eq!(result.fixed_precision, case.fixed, "{} q={q}", case.name);
        }
    }
}

#[test]
fn bucket_quantile_special_cases() {
    let inf = f64::INFINITY;
    let base = classic(&[(1.0, 1.0), (2.0, 3.0), (inf, 4.0)]);
    let run = |q: f64, buckets: &[Bucket]| bucket_quantile(q, &mut buckets.to_vec()).quantile;
    assert!(run(f64::NAN, &base).is_nan());
    assert_eq!(run(-0.1, &base), f64::NEG_INFINITY);
    assert_eq!(run(1.1, &base), inf);
    // No +Inf bucket, a single bucket, no observations, no buckets.
    assert!(run(0.5, &classic(&[(1.0, 1.0), (2.0, 3.0)])).is_nan());
    assert!(run(0.5, &classic(&[(inf, 3.0)])).is_nan());
    assert!(run(0.5, &classic(&[(1.0, 0.0), (inf, 0.0)])).is_nan());
    assert!(run(0.5, &[]).is_nan());
    // q<0 and q>1 win over missing buckets.
    assert_eq!(run(2.0, &[]), inf);
    // Unsorted input is sorted; equal bounds are merged.
    assert_eq!(
        run(0.5, &classic(&[(inf, 4.0), (1.0, 1.0), (2.0, 3.0)])),
        1.5
    );
    assert_eq!(
        run(
            0.5,
            &classic(&[(1.0, 0.5), (2.0, 3.0), (1.0, 0.5), (inf, 4.0)])
        ),
        1.5
    );
    // In the highest bucket: the second highest bound.
    assert_eq!(run(0.99, &base), 2.0);
    // In the lowest bucket with a bound at most 0: that bound.
    assert_eq!(
        run(0.1, &classic(&[(-1.0, 2.0), (0.0, 3.0), (inf, 4.0)])),
        -1.0
    );
    // Lowest bucket with a positive bound: interpolation from 0.
    assert_eq!(run(0.125, &base), 0.5);
}

/// Prometheus mutates the buckets it is given; `histogram_quantiles` calls it repeatedly on
/// the same slice, so a second call sees coalesced buckets followed by stale ones.
#[test]
fn bucket_quantile_mutates_like_prometheus() {
    let mut buckets = classic(&[(1.0, 5.0), (1.0, 3.0), (f64::INFINITY, 10.0)]);
    let first = bucket_quantile(0.5, &mut buckets);
    assert_eq!(
        buckets,
        classic(&[(1.0, 8.0), (f64::INFINITY, 10.0), (f64::INFINITY, 10.0)])
    );
    assert_eq!(first.quantile, 0.625);
    let second = bucket_quantile(0.5, &mut buckets);
    // Now the +Inf buckets coalesce to 20 observations.
    assert_eq!(second.quantile, 1.0);
}

#[test]
fn bucket_fraction_cases() {
    let inf = f64::INFINITY;
    let run = |lower: f64, upper: f64, pairs: &[(f64, f64)]| {
        bucket_fraction(lower, upper, &mut classic(pairs))
    };
    let base = [(1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (inf, 10.0)];
    assert_eq!(run(f64::NEG_INFINITY, inf, &base), 1.0);
    assert_eq!(run(0.0, 1.0, &base), 0.2);
    assert_eq!(run(1.0, 2.0, &base), 0.2);
    // Ranks 3 (half of (1,2]) and 6 (half of (2,4]).
    assert_eq!(run(1.5, 3.0, &base), 0.3);
    assert_eq!(run(2.0, 1.0, &base), 0.0);
    assert!(run(f64::NAN, 1.0, &base).is_nan());
    assert!(run(0.0, 1.0, &[(1.0, 2.0), (2.0, 4.0)]).is_nan());
    assert!(run(0.0, 1.0, &[(1.0, 0.0), (inf, 0.0)]).is_nan());
    assert!(run(0.0, 1.0, &[]).is_nan());
    // A first bound at or below 0 means the first bucket starts at -Inf: no interpolation in
    // it, so a lower bound inside it excludes the whole bucket.
    assert_eq!(run(-5.0, 1.0, &[(-1.0, 2.0), (1.0, 4.0), (inf, 4.0)]), 0.5);
}

#[test]
fn native_quantile_edge_cases() {
    let h = exp(0, 4.0, 5.0, 0, &[1.0, 2.0, 1.0]);
    assert_eq!(histogram_quantile(-0.5, &h), f64::NEG_INFINITY);
    assert_eq!(histogram_quantile(1.5, &h), f64::INFINITY);
    assert!(histogram_quantile(f64::NAN, &h).is_nan());
    assert!(histogram_quantile(0.5, &FloatHistogram::default()).is_nan());
    // Both ends: the lowest bucket's lower bound and the highest bucket's upper bound.
    assert_eq!(histogram_quantile(0.0, &h), 0.5);
    assert_eq!(histogram_quantile(1.0, &h), 4.0);

    // Only negative buckets: the zero bucket ends at 0.
    let negative = FloatHistogram {
        count: 3.0,
        sum: -3.0,
        zero_threshold: 0.5,
        zero_count: 1.0,
        negative_spans: spans(&[(1, 1)]),
        negative_buckets: vec![2.0],
        ..FloatHistogram::default()
    };
    assert_eq!(histogram_quantile(1.0, &negative), 0.0);
    assert_eq!(histogram_quantile(0.0, &negative), -2.0);

    // Custom buckets: first bucket with a negative bound, +Inf bucket.
    let nhcb = FloatHistogram {
        schema: -53,
        count: 10.0,
        sum: 0.0,
        custom_values: vec![-1.0, 5.0],
        positive_spans: spans(&[(0, 3)]),
        positive_buckets: vec![2.0, 4.0, 4.0],
        ..FloatHistogram::default()
    };
    assert_eq!(histogram_quantile(0.1, &nhcb), -1.0);
    assert_eq!(histogram_quantile(0.9, &nhcb), 5.0);
    assert_eq!(histogram_quantile(0.4, &nhcb), -1.0 + 6.0 * 0.5);
}

#[test]
fn native_quantile_with_nan_observations() {
    // Three observations in buckets, one NaN observation (count 4, sum NaN).
    let h = FloatHistogram {
        count: 4.0,
        sum: f64::NAN,
        positive_spans: spans(&[(0, 2)]),
        positive_buckets: vec![1.0, 2.0],
        ..FloatHistogram::default()
    };
    let (value, info) = histogram_quantile_with_info(0.9, &h);
    assert!(value.is_nan());
    assert_eq!(info, Some(NanObservationsInfo::QuantileNaNResult));
    let (value, info) = histogram_quantile_with_info(0.2, &h);
    assert_eq!(info, Some(NanObservationsInfo::QuantileNaNSkew));
    // The rank 0.8 falls into the first bucket, but Prometheus interpolates in the last one
    // it counted (1,2] with fraction 0.8/2.
    assert_eq!(value, super::super::gomath::exp2(0.4));

    let (fraction, info) = histogram_fraction_with_info(f64::NEG_INFINITY, f64::INFINITY, &h);
    assert_eq!(fraction, 0.75);
    assert_eq!(info, Some(NanObservationsInfo::FractionNaNs));
    // A NaN sum without missing observations (±Inf observed) is no NaN observation.
    let mut complete = h.clone();
    complete.count = 3.0;
    assert_eq!(
        histogram_fraction_with_info(f64::NEG_INFINITY, f64::INFINITY, &complete),
        (1.0, None)
    );
}

#[test]
fn native_fraction_edge_cases() {
    let h = exp(0, 4.0, 5.0, 0, &[1.0, 2.0, 1.0]);
    assert!(histogram_fraction(f64::NAN, 1.0, &h).is_nan());
    assert!(histogram_fraction(0.0, f64::NAN, &h).is_nan());
    assert_eq!(histogram_fraction(3.0, 3.0, &h), 0.0);
    assert!(histogram_fraction(0.0, 1.0, &FloatHistogram::default()).is_nan());
    assert_eq!(
        histogram_fraction(f64::NEG_INFINITY, f64::INFINITY, &h),
        1.0
    );
    // Exponential interpolation: half of (1,2] lies below √2.
    let below = histogram_fraction(f64::NEG_INFINITY, 2f64.sqrt(), &h);
    assert!((below - 0.5).abs() < 1e-15, "{below}");
}

#[test]
fn variance_of_zero_and_negative_buckets() {
    // Everything in the zero bucket: observations assumed at 0.
    let zero = FloatHistogram {
        count: 2.0,
        sum: 0.0,
        zero_threshold: 1.0,
        zero_count: 2.0,
        ..FloatHistogram::default()
    };
    assert_eq!(histogram_stdvar(&zero), 0.0);
    // Negative buckets use the negative geometric mean: (-2,-1] and [-8,-4) mirror
    // (1,2] and (4,8].
    let negative = FloatHistogram {
        count: 2.0,
        sum: -(2f64.sqrt() + 32f64.sqrt()),
        negative_spans: spans(&[(1, 1), (1, 1)]),
        negative_buckets: vec![1.0, 1.0],
        ..FloatHistogram::default()
    };
    let positive = FloatHistogram {
        count: 2.0,
        sum: 2f64.sqrt() + 32f64.sqrt(),
        positive_spans: spans(&[(1, 1), (1, 1)]),
        positive_buckets: vec![1.0, 1.0],
        ..FloatHistogram::default()
    };
    assert_eq!(histogram_stdvar(&negative), histogram_stdvar(&positive));
    assert!(histogram_stddev(&FloatHistogram::default()).is_nan());
}

#[test]
fn quantile_of_values() {
    let run = |q: f64, values: &[f64]| quantile(q, &mut values.to_vec());
    assert_eq!(run(0.5, &[1.0, 2.0, 3.0]), 2.0);
    assert_eq!(run(0.25, &[4.0, 3.0, 2.0, 1.0]), 1.75);
    assert_eq!(run(0.0, &[3.0, 1.0]), 1.0);
    assert_eq!(run(1.0, &[3.0, 1.0]), 3.0);
    assert_eq!(run(0.3, &[7.0]), 7.0);
    assert!(run(0.5, &[]).is_nan());
    assert!(run(f64::NAN, &[1.0]).is_nan());
    assert_eq!(run(-1.0, &[1.0]), f64::NEG_INFINITY);
    assert_eq!(run(2.0, &[1.0]), f64::INFINITY);
    // NaN sorts first, as in Prometheus.
    let mut values = vec![2.0, f64::NAN, 1.0];
    assert_eq!(quantile(1.0, &mut values), 2.0);
    assert!(values[0].is_nan());
    assert!(run(0.0, &[2.0, f64::NAN, 1.0]).is_nan());
    // Infinities interpolate to NaN or Inf as in Go.
    assert!(run(0.5, &[f64::NEG_INFINITY, f64::INFINITY]).is_nan());
    assert_eq!(run(0.5, &[1.0, f64::INFINITY]), f64::INFINITY);
}

#[test]
fn quantile_is_exact_at_sample_ranks() {
    // q·(n−1) integral: exactly a sample, no rounding from the weights.
    let values: Vec<f64> = (0..11).map(|i| f64::from(i) * 0.1).collect();
    for (i, expected) in values.iter().enumerate() {
        let q = i as f64 / 10.0;
        let rank = q * 10.0;
        if rank == rank.floor() {
            assert_eq!(quantile(q, &mut values.clone()), *expected, "q={q}");
        }
    }
}
