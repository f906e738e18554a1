//! Property tests: algebraic invariants on valid histograms with integral counts (so that
//! float arithmetic is exact), monotonicity of quantiles, and "never panics, never hangs" on
//! arbitrary, mostly invalid input.

use proptest::prelude::*;

use super::super::quantile::{
    Bucket, bucket_quantile, histogram_fraction, histogram_quantile, quantile,
};
use super::super::{BucketSpan, CounterResetHint, FloatHistogram};

/// Spans with a first offset in `first` and later offsets in `0..=max_gap`, and matching
/// integral bucket counts in `0..=max_count`.
fn layout(
    first: std::ops::RangeInclusive<i32>,
    max_gap: i32,
    max_count: u32,
) -> impl Strategy<Value = (Vec<BucketSpan>, Vec<f64>)> {
    prop::collection::vec((0..=max_gap, 0u32..4), 0..4).prop_flat_map(move |raw| {
        let first = first.clone();
        (first, Just(raw)).prop_flat_map(move |(first_offset, raw)| {
            let spans: Vec<BucketSpan> = raw
                .iter()
                .enumerate()
                .map(|(i, &(offset, length))| BucketSpan {
                    offset: if i == 0 { first_offset } else { offset },
                    length,
                })
                .collect();
            let total: u32 = spans.iter().map(|s| s.length).sum();
            let buckets =
                prop::collection::vec((0..=max_count).prop_map(f64::from), total as usize);
            (Just(spans), buckets)
        })
    })
}

/// A valid exponential histogram with integral counts whose count is the total of its buckets.
fn exponential(
    schemas: std::ops::RangeInclusive<i32>,
    thresholds: &'static [f64],
) -> impl Strategy<Value = FloatHistogram> {
    (
        schemas,
        prop::sample::select(thresholds),
        0u32..5,
        layout(-6..=6, 3, 9),
        layout(-6..=6, 3, 9),
        -100i32..100,
    )
        .prop_map(
            |(schema, zero_threshold, zero_count, (ps, pb), (ns, nb), sum)| {
                let zero_count = f64::from(zero_count);
                let count = zero_count
                    + pb.iter().fold(0.0, |a, b| a + b)
                    + nb.iter().fold(0.0, |a, b| a + b);
                FloatHistogram {
                    schema,
                    zero_threshold,
                    zero_count,
                    count,
                    sum: f64::from(sum),
                    positive_spans: ps,
                    positive_buckets: pb,
                    negative_spans: ns,
                    negative_buckets: nb,
                    ..FloatHistogram::default()
                }
            },
        )
}

/// A valid custom-buckets histogram with integral counts over some of the bounds 1..=8.
fn custom() -> impl Strategy<Value = FloatHistogram> {
    (
        prop::sample::subsequence((1..=8).map(f64::from).collect::<Vec<_>>(), 0..=8),
        -100i32..100,
    )
        .prop_flat_map(|(bounds, sum)| {
            let slots = bounds.len() as i32 + 1;
            let bounds2 = bounds.clone();
            layout(0..=slots.min(2), 1, 9)
                .prop_filter("fits the bounds", move |(spans, _)| {
                    let total: i64 = spans
                        .iter()
                        .map(|s| i64::from(s.offset) + i64::from(s.length))
                        .sum();
                    total <= i64::from(slots)
                })
                .prop_map(move |(spans, buckets)| FloatHistogram {
                    schema: -53,
                    count: buckets.iter().fold(0.0, |a, b| a + b),
                    sum: f64::from(sum),
                    positive_spans: spans,
                    positive_buckets: buckets,
                    custom_values: bounds2.clone(),
                    ..FloatHistogram::default()
                })
        })
}

/// Any float, specials included.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -10.0f64..10.0,
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        any::<f64>(),
    ]
}

/// Arbitrary histograms: any schema, spans that need not match the buckets, negative offsets,
/// special floats, unsorted custom bounds, any hint.
fn garbage() -> impl Strategy<Value = FloatHistogram> {
    let spans = prop::collection::vec(
        (
            prop_oneof![-3i32..3, Just(i32::MAX), Just(i32::MIN), any::<i32>()],
            prop_oneof![0u32..4, Just(u32::MAX)],
        )
            .prop_map(|(offset, length)| BucketSpan { offset, length }),
        0..4,
    );
    let floats = || prop::collection::vec(any_float(), 0..6);
    (
        prop_oneof![-5i32..10, Just(-53), Just(-53), any::<i32>()],
        any_float(),
        any_float(),
        any_float(),
        any_float(),
        (spans.clone(), floats(), spans, floats()),
        floats(),
        0u8..4,
    )
        .prop_map(
            |(
                schema,
                zero_threshold,
                zero_count,
                count,
                sum,
                (ps, pb, ns, nb),
                custom_values,
                hint,
            )| {
                FloatHistogram {
                    counter_reset_hint: match hint {
                        0 => CounterResetHint::Unknown,
                        1 => CounterResetHint::Reset,
                        2 => CounterResetHint::NotReset,
                        _ => CounterResetHint::Gauge,
                    },
                    schema,
                    zero_threshold,
                    zero_count,
                    count,
                    sum,
                    positive_spans: ps,
                    positive_buckets: pb,
                    negative_spans: ns,
                    negative_buckets: nb,
                    custom_values,
                }
            },
        )
}

fn compacted(h: &FloatHistogram) -> FloatHistogram {
    let mut c = h.clone();
    c.compact(0);
    c
}

/// Non-zero buckets by absolute index.
fn nonzero_buckets(spans: &[BucketSpan], buckets: &[f64]) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let mut index: i64 = 0;
    let mut values = buckets.iter();
    for span in spans {
        index += i64::from(span.offset);
        for _ in 0..span.length {
            if let Some(&v) = values.next() {
                if v != 0.0 {
                    out.push((index, v));
                }
            }
            index += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_global_rejects: 1 << 20,
        max_local_rejects: 1 << 20,
        ..ProptestConfig::default()
    })]

    #[test]
    fn add_then_sub_gives_back_the_original(
        a in exponential(0..=0, &[0.0]),
        b in exponential(0..=0, &[0.0]),
    ) {
        let round_trip = a.add(&b).unwrap().sub(&b).unwrap();
        prop_assert!(compacted(&round_trip).equals(&compacted(&a)), "{round_trip:?} vs {a:?}");
    }

    #[test]
    fn custom_add_then_sub_with_the_same_bounds(a in custom(), b in custom()) {
        let b = FloatHistogram { custom_values: a.custom_values.clone(), ..b };
        prop_assume!(b.validate().is_ok());
        let round_trip = a.add(&b).unwrap().sub(&b).unwrap();
        prop_assert!(compacted(&round_trip).equals(&compacted(&a)));
    }

    #[test]
    fn addition_commutes(
        a in exponential(-2..=3, &[0.0]),
        b in exponential(-2..=3, &[0.0]),
    ) {
        let ab = compacted(&a.add(&b).unwrap());
        let ba = compacted(&b.add(&a).unwrap());
        prop_assert!(ab.equals(&ba), "{ab:?} vs {ba:?}");
    }

    #[test]
    fn addition_keeps_totals(
        a in exponential(-2..=3, &[0.0, 0.5, 1.0, 3.0]),
        b in exponential(-2..=3, &[0.0, 0.5, 1.0, 3.0]),
    ) {
        let sum = a.add(&b).unwrap();
        prop_assert_eq!(sum.count, a.count + b.count);
        prop_assert_eq!(sum.schema, a.schema.min(b.schema));
        prop_assert!(sum.validate().is_ok());
        // Buckets inside the zero bucket of the other operand are dropped by Prometheus's
        // addBuckets, so the bucket total can only be compared when the thresholds are 0.
        if a.zero_threshold == 0.0 && b.zero_threshold == 0.0 {
            let total = |h: &FloatHistogram| h.zero_count
                + h.positive_buckets.iter().sum::<f64>()
                + h.negative_buckets.iter().sum::<f64>();
            prop_assert_eq!(total(&sum), total(&a) + total(&b));
        }
    }

    #[test]
    fn custom_addition_keeps_counts(a in custom(), b in custom()) {
        let mut sum = a.clone();
        let flags = sum.add_in_place(&b).unwrap();
        prop_assert_eq!(flags.nhcb_bounds_reconciled, a.custom_values != b.custom_values);
        prop_assert_eq!(sum.count, a.count + b.count);
        prop_assert_eq!(sum.positive_buckets.iter().sum::<f64>(), a.count + b.count);
        prop_assert!(sum.validate().is_ok());
    }

    #[test]
    fn kahan_addition_of_integers_equals_addition(
        hs in prop::collection::vec(exponential(-1..=2, &[0.0, 1.0]), 1..5),
    ) {
        let mut plain = hs[0].clone();
        let mut kahan = hs[0].clone();
        let mut compensation = None;
        for h in &hs[1..] {
            plain.add_in_place(h).unwrap();
            kahan.kahan_add(h, &mut compensation).unwrap();
        }
        if let Some(c) = &compensation {
            kahan.add_in_place(c).unwrap();
        }
        prop_assert!(compacted(&plain).equals(&compacted(&kahan)), "{plain:?} vs {kahan:?}");
    }

    #[test]
    fn compaction_keeps_counts_and_nonzero_buckets(h in exponential(-4..=8, &[0.0, 1.0]), max_empty in 0usize..4) {
        let mut c = h.clone();
        c.compact(max_empty);
        prop_assert_eq!(c.count, h.count);
        prop_assert_eq!(c.sum, h.sum);
        prop_assert_eq!(
            nonzero_buckets(&c.positive_spans, &c.positive_buckets),
            nonzero_buckets(&h.positive_spans, &h.positive_buckets)
        );
        prop_assert_eq!(
            nonzero_buckets(&c.negative_spans, &c.negative_buckets),
            nonzero_buckets(&h.negative_spans, &h.negative_buckets)
        );
        prop_assert!(c.validate().is_ok());
        // No span starts or ends with an empty bucket, and no span is empty.
        let mut i = 0;
        for span in &c.positive_spans {
            prop_assert!(span.length > 0);
            let len = span.length as usize;
            prop_assert!(c.positive_buckets[i] != 0.0 && c.positive_buckets[i + len - 1] != 0.0);
            i += len;
        }
        // Compacting again changes nothing.
        let mut again = c.clone();
        again.compact(max_empty);
        prop_assert!(again.equals(&c));
    }

    #[test]
    fn a_histogram_is_no_reset_of_itself(h in exponential(-4..=8, &[0.0, 1.0])) {
        prop_assert!(!h.detect_reset(&h));
        let doubled = h.add(&h).unwrap();
        prop_assert!(!doubled.detect_reset(&h));
        if h.count > 0.0 {
            prop_assert!(h.detect_reset(&doubled));
        }
    }

    #[test]
    fn native_quantiles_are_monotone(
        // Valid histograms have no buckets inside the zero bucket; with schemas 0 to 8 and
        // offsets from -6 on, a threshold of 0.001 is below every bucket.
        h in prop_oneof![exponential(-4..=8, &[0.0]), exponential(0..=8, &[0.001]), custom()],
        mut qs in prop::collection::vec(0.0f64..=1.0, 2..8),
    ) {
        prop_assume!(h.count > 0.0);
        qs.sort_by(f64::total_cmp);
        let values: Vec<f64> = qs.iter().map(|&q| histogram_quantile(q, &h)).collect();
        for pair in values.windows(2) {
            let slack = 1e-9 * pair[0].abs().max(pair[1].abs()) + 1e-12;
            prop_assert!(pair[0] <= pair[1] + slack, "{qs:?} -> {values:?}");
        }
    }

    #[test]
    fn native_fractions_are_probabilities(
        h in prop_oneof![exponential(-4..=8, &[0.0]), exponential(0..=8, &[0.001]), custom()],
        a in -20.0f64..20.0,
        b in -20.0f64..20.0,
    ) {
        prop_assume!(h.count > 0.0);
        let f = histogram_fraction(a.min(b), a.max(b), &h);
        prop_assert!((-1e-12..=1.0 + 1e-12).contains(&f), "{f}");
        let all = histogram_fraction(f64::NEG_INFINITY, f64::INFINITY, &h);
        prop_assert!((all - 1.0).abs() < 1e-12, "{all}");
    }

    #[test]
    fn classic_quantiles_are_monotone(
        counts in prop::collection::vec(0u32..20, 1..8),
        mut qs in prop::collection::vec(0.0f64..=1.0, 2..8),
    ) {
        let mut cumulative = 0.0;
        let mut buckets: Vec<Bucket> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                cumulative += f64::from(c);
                Bucket { upper_bound: i as f64 + 1.0, count: cumulative }
            })
            .collect();
        buckets.push(Bucket { upper_bound: f64::INFINITY, count: cumulative });
        qs.sort_by(f64::total_cmp);
        let values: Vec<f64> = qs.iter().map(|&q| bucket_quantile(q, &mut buckets.clone()).quantile).collect();
        for pair in values.windows(2) {
            prop_assert!(pair[0] <= pair[1] || pair[0].is_nan(), "{qs:?} -> {values:?}");
        }
    }

    #[test]
    fn value_quantiles_are_monotone_and_bounded(
        values in prop::collection::vec(-1e6f64..1e6, 1..20),
        mut qs in prop::collection::vec(0.0f64..=1.0, 2..8),
    ) {
        qs.sort_by(f64::total_cmp);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let results: Vec<f64> = qs.iter().map(|&q| quantile(q, &mut values.clone())).collect();
        for pair in results.windows(2) {
            prop_assert!(pair[0] <= pair[1] + 1e-9 * pair[1].abs().max(1.0));
        }
        for r in &results {
            prop_assert!(*r >= min - 1e-9 * min.abs().max(1.0) && *r <= max + 1e-9 * max.abs().max(1.0));
        }
    }

    #[test]
    fn nothing_panics_on_arbitrary_input(a in garbage(), b in garbage(), x in any_float(), target in -60i32..10) {
        let _ = a.add(&b);
        let _ = a.sub(&b);
        let mut k = a.clone();
        let mut compensation = None;
        let _ = k.kahan_add(&b, &mut compensation);
        let _ = k.kahan_add(&b, &mut compensation);
        let _ = a.validate();
        let _ = a.detect_reset(&b);
        let _ = a.equals(&b);
        let _ = a.test_mismatch(&b, true, |x, y| x == y);
        let _ = a.copy_to_schema(target);
        let mut r = a.clone();
        let _ = r.reduce_resolution(target);
        let mut m = a.clone();
        m.mul(x).div(x).negate();
        let mut c = a.clone();
        c.compact(2);
        let mut t = a.clone();
        t.trim_buckets(x, true);
        let mut t = a.clone();
        t.trim_buckets(x, false);
        let _ = a.all_bucket_iter().take(100).count();
        let _ = a.all_reverse_bucket_iter().take(100).count();
        let _ = a.positive_bucket_iter().take(100).count();
        let _ = a.negative_reverse_bucket_iter().take(100).count();
        let _ = a.zero_bucket();
        let _ = a.has_overflow();
        let _ = histogram_quantile(x, &a);
        let _ = histogram_quantile(0.5, &a);
        let _ = histogram_fraction(x, 1.0, &a);
        let _ = super::super::quantile::histogram_stdvar(&a);
        let _ = a.to_string();
    }

    #[test]
    fn nothing_panics_on_arbitrary_classic_buckets(
        pairs in prop::collection::vec((any_float(), any_float()), 0..8),
        q in any_float(),
        values in prop::collection::vec(any_float(), 0..8),
    ) {
        let buckets: Vec<Bucket> = pairs.iter().map(|&(upper_bound, count)| Bucket { upper_bound, count }).collect();
        let _ = bucket_quantile(q, &mut buckets.clone());
        let _ = super::super::quantile::bucket_fraction(q, 1.0, &mut buckets.clone());
        let _ = quantile(q, &mut values.clone());
    }

    #[test]
    fn nothing_panics_on_valid_layouts_with_arbitrary_values(
        a in exponential(-4..=8, &[0.0, 0.001, 1.0, f64::INFINITY]),
        b in exponential(-4..=8, &[0.0, 0.001, 1.0]),
        scale in any_float(),
    ) {
        let mut a = a;
        a.mul(scale);
        let mut compensation = None;
        let mut sum = a.clone();
        prop_assert!(sum.kahan_add(&b, &mut compensation).is_ok());
        prop_assert!(a.add(&b).is_ok());
        prop_assert!(b.sub(&a).is_ok());
        let _ = a.detect_reset(&b);
        let _ = histogram_quantile(0.9, &a);
    }
}
