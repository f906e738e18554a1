//! The case tables of Prometheus's `model/histogram` tests, run against our implementation with
//! the same checks the Go tests make.

use serde::Deserialize;

use super::super::bounds::{custom_bucket_bounds_match, get_bound_exponential};
use super::super::iter::ForwardIter;
use super::super::spans::reduce_resolution;
use super::super::{FloatHistogram, HistogramBucket};
use super::{B, F, H, assert_same, cases, same};

#[derive(Deserialize)]
struct ScaleCase {
    name: String,
    #[serde(alias = "fh")]
    r#in: H,
    #[serde(alias = "s")]
    scale: F,
    expected: H,
}

#[test]
fn mul() {
    let cases: Vec<ScaleCase> = cases!("mul");
    for c in &cases {
        let mut h = c.r#in.build();
        h.mul(c.scale.0);
        assert_same(&h, &c.expected.build(), &c.name);
    }
}

#[test]
fn div() {
    let cases: Vec<ScaleCase> = cases!("div");
    for c in &cases {
        let mut h = c.r#in.build();
        h.div(c.scale.0);
        assert_same(&h, &c.expected.build(), &c.name);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetCase {
    name: String,
    previous: H,
    current: H,
    reset_expected: bool,
}

#[test]
fn detect_reset() {
    let cases: Vec<ResetCase> = cases!("detect_reset");
    for c in &cases {
        let got = c.current.build().detect_reset(&c.previous.build());
        assert_eq!(got, c.reset_expected, "{}", c.name);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompactCase {
    name: String,
    r#in: H,
    max_empty_buckets: usize,
    expected: H,
}

#[test]
fn compact() {
    let cases: Vec<CompactCase> = cases!("compact");
    for c in &cases {
        let mut h = c.r#in.build();
        let was_valid = h.validate().is_ok();
        h.compact(c.max_empty_buckets);
        assert_same(&h, &c.expected.build(), &c.name);
        if was_valid {
            assert!(
                h.validate().is_ok(),
                "{}: compaction made a valid histogram invalid",
                c.name
            );
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CombineCase {
    name: String,
    in1: H,
    in2: H,
    expected: Option<H>,
    #[serde(default)]
    exp_err_msg: String,
    #[serde(default)]
    exp_counter_reset_collision: bool,
    #[serde(default, rename = "expNHCBBoundsReconciled")]
    exp_nhcb_bounds_reconciled: bool,
}

/// Prometheus's `testHistogramAdd`: `a + b` in place, flags, compacted result.
fn check_add(name: &str, a: &FloatHistogram, b: &FloatHistogram, c: &CombineCase) {
    assert!(a.validate().is_ok(), "{name}: a invalid");
    assert!(b.validate().is_ok(), "{name}: b invalid");
    let mut result = a.clone();
    let outcome = result.add_in_place(b);
    check_outcome(name, outcome, &mut result, c);
}

/// Prometheus's `testHistogramKahanAdd` with an optional starting compensation.
fn check_kahan_add(
    name: &str,
    a: &FloatHistogram,
    compensation: Option<FloatHistogram>,
    b: &FloatHistogram,
    c: &CombineCase,
) {
    let mut result = a.clone();
    let mut compensation = compensation;
    let outcome = result.kahan_add(b, &mut compensation);
    if let (Ok(_), Some(comp)) = (&outcome, &compensation) {
        // The compensation histogram keeps the sum's layout.
        assert_eq!(result.schema, comp.schema, "{name}: compensation schema");
        assert_eq!(
            result.zero_threshold, comp.zero_threshold,
            "{name}: compensation threshold"
        );
        assert_eq!(
            result.positive_spans, comp.positive_spans,
            "{name}: compensation spans"
        );
        assert_eq!(
            result.negative_spans, comp.negative_spans,
            "{name}: compensation spans"
        );
        assert_eq!(
            result.custom_values.len(),
            comp.custom_values.len(),
            "{name}: compensation bounds"
        );
        assert_eq!(
            result.positive_buckets.len(),
            comp.positive_buckets.len(),
            "{name}: compensation buckets"
        );
        assert_eq!(
            result.negative_buckets.len(),
            comp.negative_buckets.len(),
            "{name}: compensation buckets"
        );
        let comp = comp.clone();
        result
            .add_in_place(&comp)
            .unwrap_or_else(|e| panic!("{name}: adding compensation: {e}"));
    }
    check_outcome(name, outcome, &mut result, c);
}

fn check_outcome(
    name: &str,
    outcome: Result<super::super::CombineFlags, super::super::HistogramError>,
    result: &mut FloatHistogram,
    c: &CombineCase,
) {
    match outcome {
        Ok(flags) => {
            assert!(
                c.exp_err_msg.is_empty(),
                "{name}: expected error {:?}",
                c.exp_err_msg
            );
            assert_eq!(
                flags.counter_reset_collision, c.exp_counter_reset_collision,
                "{name}: collision flag"
            );
            assert_eq!(
                flags.nhcb_bounds_reconciled, c.exp_nhcb_bounds_reconciled,
                "{name}: reconciled flag"
            );
        }
        Err(e) => {
            assert_eq!(e.to_string(), c.exp_err_msg, "{name}");
            return;
        }
    }
    if let Some(expected) = &c.expected {
        let mut expected = expected.build();
        expected.compact(0);
        result.compact(0);
        assert_same(result, &expected, name);
    }
}

#[test]
fn add() {
    let cases: Vec<CombineCase> = cases!("add");
    for c in &cases {
        let (a, b) = (c.in1.build(), c.in2.build());
        check_add(&format!("{} (a+b)", c.name), &a, &b, c);
        check_add(&format!("{} (b+a)", c.name), &b, &a, c);
        check_kahan_add(&format!("{} (kahan a+b)", c.name), &a, None, &b, c);
        check_kahan_add(&format!("{} (kahan b+a)", c.name), &b, None, &a, c);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KahanCase {
    name: String,
    in1: H,
    comp: Option<H>,
    in2: H,
    expected_sum: Option<H>,
    #[serde(default)]
    exp_err_msg: String,
    #[serde(default)]
    exp_counter_reset_collision: bool,
    #[serde(default, rename = "expNHCBBoundsReconciled")]
    exp_nhcb_bounds_reconciled: bool,
}

#[test]
fn kahan_add_with_compensation() {
    let cases: Vec<KahanCase> = cases!("kahan_add");
    for k in &cases {
        let c = CombineCase {
            name: k.name.clone(),
            in1: k.in1.clone(),
            in2: k.in2.clone(),
            expected: k.expected_sum.clone(),
            exp_err_msg: k.exp_err_msg.clone(),
            exp_counter_reset_collision: k.exp_counter_reset_collision,
            exp_nhcb_bounds_reconciled: k.exp_nhcb_bounds_reconciled,
        };
        check_kahan_add(
            &k.name,
            &k.in1.build(),
            k.comp.as_ref().map(H::build),
            &k.in2.build(),
            &c,
        );
    }
}

/// Prometheus's `testFloatHistogramSub`.
fn check_sub(
    name: &str,
    a: &FloatHistogram,
    b: &FloatHistogram,
    expected: Option<&FloatHistogram>,
    c: &CombineCase,
) {
    assert!(a.validate().is_ok(), "{name}: a invalid");
    assert!(b.validate().is_ok(), "{name}: b invalid");
    let mut result = a.clone();
    match result.sub_in_place(b) {
        Ok(flags) => {
            assert!(c.exp_err_msg.is_empty(), "{name}: expected error");
            if let Some(expected) = expected {
                let mut expected = expected.clone();
                expected.compact(0);
                result.compact(0);
                assert_same(&result, &expected, name);
                assert_eq!(
                    flags.counter_reset_collision, c.exp_counter_reset_collision,
                    "{name}"
                );
                assert_eq!(
                    flags.nhcb_bounds_reconciled, c.exp_nhcb_bounds_reconciled,
                    "{name}"
                );
            }
        }
        Err(e) => assert_eq!(e.to_string(), c.exp_err_msg, "{name}"),
    }
}

#[test]
fn sub() {
    let cases: Vec<CombineCase> = cases!("sub");
    for c in &cases {
        let (a, b) = (c.in1.build(), c.in2.build());
        let expected = c.expected.as_ref().map(H::build);
        check_sub(&format!("{} (a-b)", c.name), &a, &b, expected.as_ref(), c);
        // b - a is the negation, keeping the hint.
        let negated = expected.map(|e| {
            let mut n = e.clone();
            n.mul(-1.0);
            n.counter_reset_hint = e.counter_reset_hint;
            n
        });
        check_sub(&format!("{} (b-a)", c.name), &b, &a, negated.as_ref(), c);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CopyToSchemaCase {
    name: String,
    target_schema: i32,
    r#in: H,
    expected: H,
}

#[test]
fn copy_to_schema() {
    let cases: Vec<CopyToSchemaCase> = cases!("copy_to_schema");
    for c in &cases {
        let h = c.r#in.build();
        let copy = h.copy_to_schema(c.target_schema).unwrap();
        assert_same(&copy, &c.expected.build(), &c.name);
        assert_same(&h, &c.r#in.build(), &format!("{}: input changed", c.name));
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllIteratorCase {
    h: H,
    include_neg: bool,
    include_zero: bool,
    include_pos: bool,
}

#[test]
fn all_bucket_iterator() {
    let cases: Vec<AllIteratorCase> = cases!("all_bucket_iterator");
    for (i, c) in cases.iter().enumerate() {
        let h = c.h.build();
        let mut expected: Vec<HistogramBucket> = Vec::new();
        if c.include_neg {
            for mut b in h.negative_reverse_bucket_iter() {
                if c.include_zero && b.upper > -h.zero_threshold {
                    b.upper = -h.zero_threshold;
                }
                expected.push(b);
            }
        }
        if c.include_zero {
            expected.extend(h.zero_bucket());
        }
        if c.include_pos {
            for mut b in h.positive_bucket_iter() {
                if c.include_zero && b.lower < h.zero_threshold {
                    b.lower = h.zero_threshold;
                }
                expected.push(b);
            }
        }
        let actual: Vec<HistogramBucket> = h.all_bucket_iter().collect();
        assert_eq!(actual, expected, "case {i}");
    }
}

#[test]
fn all_reverse_bucket_iterator() {
    let cases: Vec<AllIteratorCase> = cases!("all_reverse_bucket_iterator");
    for (i, c) in cases.iter().enumerate() {
        let h = c.h.build();
        let mut expected: Vec<HistogramBucket> = Vec::new();
        if c.include_pos {
            for mut b in h.positive_reverse_bucket_iter() {
                if c.include_zero && b.lower < h.zero_threshold {
                    b.lower = h.zero_threshold;
                }
                expected.push(b);
            }
        }
        if c.include_zero {
            expected.extend(h.zero_bucket());
        }
        if c.include_neg {
            for mut b in h.negative_bucket_iter() {
                if c.include_zero && b.upper > -h.zero_threshold {
                    b.upper = -h.zero_threshold;
                }
                expected.push(b);
            }
        }
        let actual: Vec<HistogramBucket> = h.all_reverse_bucket_iter().collect();
        assert_eq!(actual, expected, "case {i}");
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetSchemaCase {
    name: String,
    h: H,
    exp_positive_buckets: Vec<B>,
    exp_negative_buckets: Vec<B>,
}

#[test]
fn bucket_iterator_target_schema() {
    let cases: Vec<TargetSchemaCase> = cases!("bucket_iterator_target_schema");
    for c in &cases {
        let h = c.h.build();
        let positive: Vec<HistogramBucket> = ForwardIter::new(&h, true, 0.0, -1).collect();
        let expected: Vec<HistogramBucket> = c.exp_positive_buckets.iter().map(B::build).collect();
        assert_eq!(positive, expected, "{}: positive", c.name);
        let negative: Vec<HistogramBucket> = ForwardIter::new(&h, false, 0.0, -1).collect();
        let expected: Vec<HistogramBucket> = c.exp_negative_buckets.iter().map(B::build).collect();
        assert_eq!(negative, expected, "{}: negative", c.name);
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomIteratorsCase {
    h: H,
    exp_positive_buckets: Vec<B>,
}

#[test]
fn custom_buckets_iterators() {
    let cases: Vec<CustomIteratorsCase> = cases!("custom_buckets_iterators");
    for (i, c) in cases.iter().enumerate() {
        let h = c.h.build();
        let expected: Vec<HistogramBucket> = c.exp_positive_buckets.iter().map(B::build).collect();
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(
            h.all_bucket_iter().collect::<Vec<_>>(),
            expected,
            "case {i}: all"
        );
        assert_eq!(
            h.all_reverse_bucket_iter().collect::<Vec<_>>(),
            reversed,
            "case {i}: all reverse"
        );
        assert_eq!(
            h.positive_bucket_iter().collect::<Vec<_>>(),
            expected,
            "case {i}: positive"
        );
        assert_eq!(
            h.positive_reverse_bucket_iter().collect::<Vec<_>>(),
            reversed,
            "case {i}: positive reverse"
        );
        assert_eq!(h.negative_bucket_iter().count(), 0, "case {i}: negative");
        assert_eq!(
            h.negative_reverse_bucket_iter().count(),
            0,
            "case {i}: negative reverse"
        );
        let in_schema: Vec<HistogramBucket> = ForwardIter::new(&h, true, 0.0, h.schema).collect();
        assert_eq!(in_schema, expected, "case {i}: in own schema");
    }
}

#[derive(Deserialize)]
struct ValidateCase {
    name: String,
    fh: H,
}

#[test]
fn validate_negative_histograms() {
    let cases: Vec<ValidateCase> = cases!("validate_negative");
    for c in &cases {
        let err = c.fh.build().validate().expect_err(&c.name);
        assert!(
            err.to_string()
                .contains("histogram has a bucket whose observation count is negative")
                || err
                    .to_string()
                    .contains("histogram's observation count is negative"),
            "{}: {err}",
            c.name
        );
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReduceResolutionCase {
    name: String,
    origin: H,
    target_schema: i32,
    target: Option<H>,
    #[serde(default)]
    error_msg: String,
}

#[test]
fn reduce_resolution_in_place() {
    let cases: Vec<ReduceResolutionCase> = cases!("reduce_resolution");
    for c in &cases {
        let mut h = c.origin.build();
        match h.reduce_resolution(c.target_schema) {
            Ok(()) => {
                let target = c.target.as_ref().map(H::build).unwrap_or_default();
                assert!(
                    c.error_msg.is_empty(),
                    "{}: expected {}",
                    c.name,
                    c.error_msg
                );
                assert_same(&h, &target, &c.name);
            }
            Err(e) => assert_eq!(e.to_string(), c.error_msg, "{}", c.name),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReduceSpansCase {
    spans: Vec<(i32, u32)>,
    buckets: Vec<F>,
    schema: i32,
    target_schema: i32,
    expected_spans: Vec<(i32, u32)>,
    expected_buckets: Vec<F>,
}

#[test]
fn reduce_resolution_of_spans() {
    let cases: Vec<ReduceSpansCase> = cases!("reduce_resolution_spans");
    for c in &cases {
        let spans = super::spans(&c.spans);
        let buckets: Vec<f64> = c.buckets.iter().map(|f| f.0).collect();
        let (got_spans, got_buckets) =
            reduce_resolution(&spans, &buckets, c.schema, c.target_schema).unwrap();
        assert_eq!(got_spans, super::spans(&c.expected_spans));
        assert_eq!(
            got_buckets,
            c.expected_buckets.iter().map(|f| f.0).collect::<Vec<_>>()
        );
    }
}

#[derive(Deserialize)]
struct BoundCase {
    idx: i32,
    schema: i32,
    want: F,
}

#[test]
fn bound_exponential() {
    let cases: Vec<BoundCase> = cases!("get_bound_exponential");
    for c in &cases {
        assert_eq!(
            get_bound_exponential(c.idx, c.schema),
            c.want.0,
            "idx {} schema {}",
            c.idx,
            c.schema
        );
    }
}

#[derive(Deserialize)]
struct FractionBelowCase {
    name: String,
    bucket: B,
    v: F,
    linear: bool,
    want: F,
}

#[test]
fn fraction_below() {
    let cases: Vec<FractionBelowCase> = cases!("fraction_below");
    for c in &cases {
        let got = c.bucket.build().fraction_below(c.v.0, c.linear);
        assert!(
            (got - c.want.0).abs() <= 1e-12,
            "{}: {got} != {}",
            c.name,
            c.want.0
        );
    }
}

#[derive(Deserialize)]
struct BoundsMatchCase {
    name: String,
    c1: Vec<F>,
    c2: Vec<F>,
    want: bool,
}

#[test]
fn bounds_match() {
    let cases: Vec<BoundsMatchCase> = cases!("custom_bounds_match");
    for c in &cases {
        let a: Vec<f64> = c.c1.iter().map(|f| f.0).collect();
        let b: Vec<f64> = c.c2.iter().map(|f| f.0).collect();
        assert_eq!(custom_bucket_bounds_match(&a, &b), c.want, "{}", c.name);
    }
}

/// Prometheus's `TestFloatHistogramEquals`, written out.
#[test]
fn equals() {
    let h1 = FloatHistogram {
        schema: 3,
        count: 2.2,
        sum: 9.7,
        zero_threshold: 0.1,
        zero_count: 1.1,
        positive_buckets: vec![3.0],
        negative_buckets: vec![4.0],
        ..FloatHistogram::default()
    };
    let equals = |a: &FloatHistogram, b: &FloatHistogram| a.equals(b) && b.equals(a);
    let not_equals = |a: &FloatHistogram, b: &FloatHistogram| !a.equals(b) && !b.equals(a);
    assert!(equals(&h1, &h1.clone()));

    let variants: [fn(&mut FloatHistogram); 4] = [
        |h| h.count = f64::NAN,
        |h| h.zero_count = f64::NAN,
        |h| h.positive_buckets[0] = f64::NAN,
        |h| h.negative_buckets[0] = f64::NAN,
    ];
    for change in variants {
        let mut h = h1.clone();
        change(&mut h);
        assert!(not_equals(&h1, &h));
        assert!(equals(&h, &h.clone()));
    }
    // Custom bounds are ignored for exponential schemas.
    let mut custom = h1.clone();
    custom.custom_values = vec![1.0, 2.0, 3.0];
    assert!(equals(&h1, &custom));

    let cbh1 = FloatHistogram {
        schema: -53,
        count: 2.2,
        sum: 9.7,
        positive_spans: super::spans(&[(0, 1)]),
        positive_buckets: vec![3.0],
        custom_values: vec![1.0, 2.0, 3.0],
        ..FloatHistogram::default()
    };
    assert!(cbh1.validate().is_ok());
    assert!(equals(&cbh1, &cbh1.clone()));
    let mut other = cbh1.clone();
    other.custom_values = vec![1.0, 2.0, 3.0, 4.0];
    assert!(not_equals(&cbh1, &other));
    let mut other = cbh1.clone();
    other.negative_spans = super::spans(&[(0, 1)]);
    other.negative_buckets = vec![1.0];
    assert!(not_equals(&cbh1, &other));
    let mut other = cbh1.clone();
    other.zero_threshold = 0.1;
    other.zero_count = 10.0;
    assert!(not_equals(&cbh1, &other));
    // `same` agrees with `equals` on these.
    assert!(same(&cbh1, &cbh1.clone()));
}

/// Prometheus's `TestReverseFloatBucketIterator`.
#[test]
fn reverse_iterators_mirror_forward_ones() {
    let h = FloatHistogram {
        count: 405.0,
        zero_count: 102.0,
        zero_threshold: 0.001,
        sum: 1008.4,
        schema: 1,
        positive_spans: super::spans(&[(0, 4), (1, 0), (3, 3), (3, 0), (2, 0), (5, 3)]),
        positive_buckets: vec![100.0, 344.0, 123.0, 55.0, 3.0, 63.0, 2.0, 54.0, 235.0, 33.0],
        negative_spans: super::spans(&[(0, 3), (1, 0), (3, 0), (3, 4), (2, 0), (5, 3)]),
        negative_buckets: vec![
            10.0, 34.0, 1230.0, 54.0, 67.0, 63.0, 2.0, 554.0, 235.0, 33.0,
        ],
        ..FloatHistogram::default()
    };
    let mut forward: Vec<HistogramBucket> = h.positive_bucket_iter().collect();
    forward.reverse();
    assert!(!forward.is_empty());
    assert_eq!(
        h.positive_reverse_bucket_iter().collect::<Vec<_>>(),
        forward
    );
    let mut forward: Vec<HistogramBucket> = h.negative_bucket_iter().collect();
    forward.reverse();
    assert!(!forward.is_empty());
    assert_eq!(
        h.negative_reverse_bucket_iter().collect::<Vec<_>>(),
        forward
    );
}

/// Prometheus's `TestFloatHistogramKahanCompactSpanMerge`.
#[test]
fn kahan_compact_keeps_compensation_aligned() {
    let mut h = FloatHistogram {
        positive_spans: super::spans(&[(0, 1), (1, 1), (1, 1)]),
        positive_buckets: vec![1.0, 2.0, 3.0],
        ..FloatHistogram::default()
    };
    let mut c = FloatHistogram {
        positive_spans: super::spans(&[(0, 1), (1, 1), (1, 1)]),
        positive_buckets: vec![0.1, 0.2, 0.3],
        ..FloatHistogram::default()
    };
    super::super::spans::compact_buckets(
        &mut h.positive_buckets,
        Some(&mut c.positive_buckets),
        &mut h.positive_spans,
        3,
    );
    assert_eq!(h.positive_spans, super::spans(&[(0, 5)]));
    assert_eq!(h.positive_buckets, vec![1.0, 0.0, 2.0, 0.0, 3.0]);
    assert_eq!(c.positive_buckets, vec![0.1, 0.0, 0.2, 0.0, 0.3]);
}

/// Prometheus's `TestFloatHistogramTrimBucketsInPlace`.
#[test]
fn trim_buckets_in_place() {
    let new = || super::exp(0, 30.0, 100.0, 0, &[5.0, 5.0, 10.0, 10.0]);
    let mut h = new();
    h.trim_buckets(4.0, true);
    assert!(!same(&h, &new()));
    let original = new();
    let mut copy = original.clone();
    copy.trim_buckets(4.0, true);
    assert!(same(&original, &new()));
    assert!(!same(&original, &copy));
}
