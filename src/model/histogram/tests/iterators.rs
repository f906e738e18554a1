//! Bucket bounds and iteration.

use super::super::bounds::get_bound_exponential;
use super::super::iter::ForwardIter;
use super::super::{FloatHistogram, HistogramBucket};
use super::{exp, spans};

#[test]
fn exponential_bounds_at_the_edges_of_the_float_range() {
    // The bucket before the ±Inf bucket ends at f64::MAX in every schema.
    assert_eq!(get_bound_exponential(1024, 0), f64::MAX);
    assert_eq!(get_bound_exponential(1025, 0), f64::INFINITY);
    assert_eq!(get_bound_exponential(1024 * 256, 8), f64::MAX);
    assert_eq!(get_bound_exponential(64, -4), f64::MAX);
    assert_eq!(get_bound_exponential(65, -4), f64::INFINITY);
    // Tiny bounds underflow to subnormals and then zero, as Go's Ldexp does.
    assert_eq!(get_bound_exponential(-1074, 0), 5e-324);
    assert_eq!(get_bound_exponential(-1075, 0), 0.0);
    assert_eq!(get_bound_exponential(-1, 1), 0.7071067811865475);
    // Table lookups: schema 2 bucket 3 is 2^(3/4).
    assert_eq!(get_bound_exponential(3, 2), 1.6817928305074288);
}

#[test]
fn bucket_bounds_and_inclusiveness() {
    let h = FloatHistogram {
        schema: -1,
        positive_spans: spans(&[(0, 2)]),
        positive_buckets: vec![1.0, 2.0],
        negative_spans: spans(&[(0, 1)]),
        negative_buckets: vec![3.0],
        ..FloatHistogram::default()
    };
    let positive: Vec<HistogramBucket> = h.positive_bucket_iter().collect();
    assert_eq!(
        positive,
        vec![
            HistogramBucket {
                lower: 0.25,
                upper: 1.0,
                lower_inclusive: false,
                upper_inclusive: true,
                count: 1.0,
                index: 0
            },
            HistogramBucket {
                lower: 1.0,
                upper: 4.0,
                lower_inclusive: false,
                upper_inclusive: true,
                count: 2.0,
                index: 1
            },
        ]
    );
    let negative: Vec<HistogramBucket> = h.negative_bucket_iter().collect();
    assert_eq!(
        negative,
        vec![HistogramBucket {
            lower: -1.0,
            upper: -0.25,
            lower_inclusive: true,
            upper_inclusive: false,
            count: 3.0,
            index: 0
        }]
    );
}

#[test]
fn custom_bucket_bounds() {
    let h = FloatHistogram {
        schema: -53,
        custom_values: vec![0.5, 2.0],
        positive_spans: spans(&[(0, 1), (1, 1)]),
        positive_buckets: vec![1.0, 4.0],
        ..FloatHistogram::default()
    };
    let buckets: Vec<(f64, f64, bool, i32)> = h
        .all_bucket_iter()
        .map(|b| (b.lower, b.upper, b.lower_inclusive, b.index))
        .collect();
    assert_eq!(
        buckets,
        vec![
            (f64::NEG_INFINITY, 0.5, true, 0),
            (2.0, f64::INFINITY, false, 2)
        ]
    );
}

#[test]
fn merged_iteration_in_a_coarser_schema() {
    // Schema 1 buckets 1..=4 merge into schema 0 buckets 1 and 2; bucket -1 into 0.
    let h = FloatHistogram {
        schema: 1,
        positive_spans: spans(&[(-1, 1), (1, 4)]),
        positive_buckets: vec![1.0, 2.0, 3.0, 4.0, 5.0],
        ..FloatHistogram::default()
    };
    let merged: Vec<(i32, f64, f64)> = h
        .bucket_iter_in_schema(true, 0)
        .map(|b| (b.index, b.upper, b.count))
        .collect();
    assert_eq!(merged, vec![(0, 1.0, 1.0), (1, 2.0, 5.0), (2, 4.0, 9.0)]);
    // Two steps coarser: everything from 0.25 to 4 is bucket 1 of schema -1.
    let merged: Vec<(i32, f64)> = h
        .bucket_iter_in_schema(true, -1)
        .map(|b| (b.index, b.count))
        .collect();
    assert_eq!(merged, vec![(0, 1.0), (1, 14.0)]);
    // A finer target, or a custom target, yields nothing instead of panicking.
    assert_eq!(h.bucket_iter_in_schema(true, 2).count(), 0);
    assert_eq!(h.bucket_iter_in_schema(true, -53).count(), 0);
}

#[test]
fn iteration_skips_buckets_below_the_start_value() {
    let h = exp(0, 6.0, 6.0, -1, &[1.0, 2.0, 3.0]);
    // Buckets (0.25,0.5], (0.5,1], (1,2]: a start value of 1 skips the first two.
    let rest: Vec<f64> = ForwardIter::new(&h, true, 1.0, 0)
        .map(|b| b.count)
        .collect();
    assert_eq!(rest, vec![3.0]);
    let rest: Vec<f64> = ForwardIter::new(&h, true, 0.5, 0)
        .map(|b| b.count)
        .collect();
    assert_eq!(rest, vec![2.0, 3.0]);
    let rest: Vec<f64> = ForwardIter::new(&h, true, 0.3, 0)
        .map(|b| b.count)
        .collect();
    assert_eq!(rest, vec![1.0, 2.0, 3.0]);
}

#[test]
fn all_buckets_clamp_to_the_zero_threshold() {
    // A zero threshold of 0.7 inside (0.5,1] and [-1,-0.5).
    let h = FloatHistogram {
        zero_threshold: 0.7,
        zero_count: 1.0,
        positive_spans: spans(&[(0, 1)]),
        positive_buckets: vec![2.0],
        negative_spans: spans(&[(0, 1)]),
        negative_buckets: vec![3.0],
        ..FloatHistogram::default()
    };
    let bounds: Vec<(f64, f64)> = h.all_bucket_iter().map(|b| (b.lower, b.upper)).collect();
    assert_eq!(bounds, vec![(-1.0, -0.7), (-0.7, 0.7), (0.7, 1.0)]);
    let bounds: Vec<(f64, f64)> = h
        .all_reverse_bucket_iter()
        .map(|b| (b.lower, b.upper))
        .collect();
    assert_eq!(bounds, vec![(0.7, 1.0), (-0.7, 0.7), (-1.0, -0.7)]);
    // Without observations in it, the zero bucket is not listed.
    let empty_zero = FloatHistogram {
        zero_count: 0.0,
        ..h
    };
    assert_eq!(empty_zero.all_bucket_iter().count(), 2);
}

#[test]
fn inconsistent_layouts_stop_early() {
    let h = FloatHistogram {
        positive_spans: spans(&[(0, 5)]),
        positive_buckets: vec![1.0, 2.0],
        ..FloatHistogram::default()
    };
    assert_eq!(h.positive_bucket_iter().count(), 2);
    assert_eq!(h.positive_reverse_bucket_iter().count(), 2);
    let h = FloatHistogram {
        positive_spans: spans(&[(0, 1)]),
        positive_buckets: vec![1.0, 2.0, 3.0],
        ..FloatHistogram::default()
    };
    assert_eq!(h.positive_bucket_iter().count(), 1);
}
