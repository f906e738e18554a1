//! Functions over native and classic histograms.

use super::*;

/// `{{sum:s count:c}}` with an optional hint.
fn sc(sum: f64, count: f64, hint: CounterResetHint) -> SampleValue {
    h(FloatHistogram {
        sum,
        count,
        counter_reset_hint: hint,
        ..FloatHistogram::default()
    })
}

fn series_at(step: i64, values: Vec<SampleValue>) -> Vec<(i64, SampleValue)> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as i64 * step, v))
        .collect()
}

#[test]
fn irate_over_histograms() {
    use CounterResetHint::{Gauge, Unknown};
    let a: Vec<SampleValue> = (0..6)
        .map(|i| sc(2.0 + 3.0 * i as f64, 2.0 + 3.0 * i as f64, Unknown))
        .collect();
    let store = Fixture::new()
        .at("hr{path=\"/a\"}", &series_at(5 * M, a))
        .at(
            "hr{path=\"/c\"}",
            &series_at(
                5 * M,
                vec![f(0.0), f(0.0), sc(1.0, 1.0, Unknown), sc(4.0, 4.0, Gauge)],
            ),
        )
        .at(
            "hr{path=\"/e\"}",
            &series_at(5 * M, vec![f(0.0), f(1.0), f(2.0), sc(4.0, 4.0, Unknown)]),
        )
        .store;
    assert_eq!(
        eval_annotated(&store, "irate(hr{path=\"/a\"}[20m])", 20 * M).unwrap(),
        "{path=\"/a\"} => {{count:0.01 sum:0.01 counter_reset_hint:gauge}}\n"
    );
    assert_eq!(
        eval_annotated(&store, "irate(hr{path=\"/c\"}[20m])", 20 * M).unwrap(),
        "{path=\"/c\"} => {{count:0.01 sum:0.01 counter_reset_hint:gauge}}\n\
         PromQL warning: this native histogram metric is not a counter: \"hr\"\n"
    );
    assert_eq!(
        eval_annotated(&store, "irate(hr{path=\"/e\"}[20m])", 20 * M).unwrap(),
        "PromQL warning: encountered a mix of histograms and floats for metric name \"hr\"\n"
    );
}

#[test]
fn idelta_and_delta_over_histograms() {
    use CounterResetHint::{Gauge, Unknown};
    let a: Vec<SampleValue> = (0..6)
        .map(|i| sc(2.0 + i as f64, 2.0 + 3.0 * i as f64, Gauge))
        .collect();
    let counter: Vec<SampleValue> = (0..6)
        .map(|i| {
            let n = i as f64;
            h(FloatHistogram {
                sum: n,
                count: 2.0 * n,
                ..hist(0, 2.0 * n, n, 0, &[n, n, n])
            })
        })
        .collect();
    let store = Fixture::new()
        .at("hr{path=\"/a\"}", &series_at(5 * M, a))
        .at("hc{path=\"/foo\"}", &series_at(5 * M, counter))
        .at(
            "hr{path=\"/d\"}",
            &series_at(
                5 * M,
                vec![f(0.0), f(0.0), sc(1.0, 1.0, Gauge), sc(2.0, 2.0, Unknown)],
            ),
        )
        .store;
    assert_eq!(
        eval_annotated(&store, "idelta(hr{path=\"/a\"}[20m])", 20 * M).unwrap(),
        "{path=\"/a\"} => {{count:3 sum:1 counter_reset_hint:gauge}}\n"
    );
    assert_eq!(
        eval_annotated(&store, "idelta(hr{path=\"/d\"}[20m])", 20 * M).unwrap(),
        "{path=\"/d\"} => {{count:1 sum:1 counter_reset_hint:gauge}}\n\
         PromQL warning: this native histogram metric is not a gauge: \"hr\"\n"
    );
    assert_eq!(
        eval_annotated(&store, "delta(hc[20m])", 20 * M).unwrap(),
        "{path=\"/foo\"} => {{count:8 sum:4 counter_reset_hint:gauge buckets:[4 4 4]}}\n\
         PromQL warning: this native histogram metric is not a gauge: \"hc\"\n"
    );
}

#[test]
fn rate_of_histograms_with_a_start_timestamp() {
    let mut store = Store::new();
    let id = store.series_id(Fixture::labels("series")).unwrap();
    store
        .append_with_start_time(id, 2 * M, h(hist(0, 60.0, 60.0, 0, &[])), Some(M))
        .unwrap();
    assert_eq!(
        eval(&store, "rate(series[5m])", 3 * M).unwrap(),
        "{} => {{count:0.2 sum:0.2}}\n"
    );
}

/// `{{schema:0 count:n sum:n buckets:[n] offset:1}}`-style counters, 15s apart.
fn hist_counter_store() -> Store {
    let values: Vec<SampleValue> = (1..=8)
        .map(|n| h(hist(0, n as f64, n as f64, 1, &[n as f64])))
        .collect();
    Fixture::new()
        .at("hist_counter", &series_at(15 * S, values))
        .store
}

#[test]
fn anchored_and_smoothed_histogram_rates() {
    let store = hist_counter_store();
    let count = |q: &str, t: i64| eval(&store, q, t).unwrap();
    assert_eq!(
        count("histogram_count(increase(hist_counter[1m]))", 50 * S),
        "{} => 4\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(hist_counter[1m] anchored))",
            50 * S
        ),
        "{} => 3\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(hist_counter[1m] smoothed))",
            50 * S
        ),
        "{} => 3.333333333333333\n"
    );
    assert_eq!(
        count("histogram_count(rate(hist_counter[1m] smoothed))", 50 * S),
        "{} => 0.05555555555555555\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(hist_counter[1m] anchored))",
            5 * S
        ),
        "{} => 0\n"
    );
    let warned = eval_annotated(
        &store,
        "histogram_count(delta(hist_counter[1m] anchored))",
        50 * S,
    )
    .unwrap();
    assert_eq!(
        warned,
        "{} => 3\nPromQL warning: this native histogram metric is not a gauge: \"hist_counter\"\n"
    );
}

fn custom(count: f64, hint: CounterResetHint) -> SampleValue {
    h(FloatHistogram {
        schema: -53,
        count,
        sum: count,
        custom_values: vec![5.0, 10.0],
        positive_spans: vec![BucketSpan {
            offset: 0,
            length: 1,
        }],
        positive_buckets: vec![count],
        counter_reset_hint: hint,
        ..FloatHistogram::default()
    })
}

fn exp(count: f64, hint: CounterResetHint) -> SampleValue {
    h(FloatHistogram {
        counter_reset_hint: hint,
        ..hist(0, count, count, 0, &[count])
    })
}

#[test]
fn histogram_counter_resets_at_the_window_edges() {
    use CounterResetHint::{NotReset, Reset, Unknown};
    let store = Fixture::new()
        .at(
            "reset_custom",
            &series_at(
                30 * S,
                vec![
                    custom(1.0, Unknown),
                    custom(4.0, Unknown),
                    custom(1.0, Reset),
                    custom(3.0, Unknown),
                ],
            ),
        )
        .at(
            "reset_at_end",
            &series_at(
                30 * S,
                vec![exp(5.0, Unknown), exp(10.0, Unknown), exp(3.0, Reset)],
            ),
        )
        .at(
            "two_sample_reset",
            &series_at(30 * S, vec![exp(5.0, Unknown), exp(3.0, Reset)]),
        )
        .at(
            "double_reset",
            &series_at(
                10 * S,
                vec![
                    exp(10.0, Unknown),
                    exp(5.0, Reset),
                    exp(2.0, Reset),
                    exp(4.0, Unknown),
                ],
            ),
        )
        .at(
            "both_interp",
            &series_at(20 * S, vec![exp(10.0, Unknown), exp(5.0, Reset)]),
        )
        .at(
            "reset_boundary",
            &[
                (10 * S, exp(396.0, NotReset)),
                (20 * S, exp(110.0, Reset)),
                (30 * S, exp(194.0, NotReset)),
            ],
        )
        .store;
    let count = |q: &str, t: i64| eval(&store, q, t).unwrap();
    assert_eq!(
        count("histogram_count(increase(reset_custom[90s]))", 90 * S),
        "{} => 4.5\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(reset_custom[90s] anchored))",
            90 * S
        ),
        "{} => 6\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(reset_at_end[70s] anchored))",
            70 * S
        ),
        "{} => 8\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(two_sample_reset[30s] anchored))",
            30 * S
        ),
        "{} => 3\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(double_reset[14s] smoothed))",
            15 * S
        ),
        "{} => 5.5\n"
    );
    assert_eq!(
        count(
            "histogram_count(increase(both_interp[10s] smoothed))",
            15 * S
        ),
        "{} => 2.5\n"
    );
    assert_eq!(
        count("histogram_count(rate(reset_boundary[1s] smoothed))", 20_500),
        "{} => 9.700000000000003\n"
    );
}

#[test]
fn smoothed_selector_over_histograms() {
    use CounterResetHint::{Reset, Unknown};
    let store = Fixture::new()
        .at(
            "reset_middle",
            &series_at(
                15 * S,
                vec![
                    exp(5.0, Unknown),
                    exp(10.0, Unknown),
                    exp(2.0, Reset),
                    exp(6.0, Unknown),
                ],
            ),
        )
        .store;
    assert_eq!(
        eval(&store, "histogram_count(reset_middle smoothed)", 20 * S).unwrap(),
        "{} => 0.6666666666666666\n"
    );
}

#[test]
fn mixed_exponential_and_custom_buckets_in_an_anchored_window() {
    use CounterResetHint::Unknown;
    let store = Fixture::new()
        .at(
            "mixed_hist",
            &series_at(
                30 * S,
                vec![
                    exp(1.0, Unknown),
                    custom(1.0, Unknown),
                    exp(4.0, Unknown),
                    custom(1.0, Unknown),
                ],
            ),
        )
        .store;
    assert_eq!(
        eval_annotated(&store, "rate(mixed_hist[1m] anchored)", M).unwrap(),
        "PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"mixed_hist\"\n"
    );
}

#[test]
fn histogram_count_sum_avg() {
    let store = Fixture::new()
        .at("nh{a=\"1\"}", &[(0, h(hist(0, 4.0, 10.0, 0, &[1.0, 3.0])))])
        .floats("nh{a=\"2\"}", M, &[Some(1.0)])
        .store;
    assert_eq!(
        eval(&store, "histogram_count(nh)", 0).unwrap(),
        "{a=\"1\"} => 4\n"
    );
    assert_eq!(
        eval(&store, "histogram_sum(nh)", 0).unwrap(),
        "{a=\"1\"} => 10\n"
    );
    assert_eq!(
        eval(&store, "histogram_avg(nh)", 0).unwrap(),
        "{a=\"1\"} => 2.5\n"
    );
}

/// Classic buckets of `testhistogram` (histograms.test) at 50m: ten increments.
fn classic_store() -> Store {
    let mut fx = Fixture::new();
    for (le, start, inc) in [
        ("0.1", "positive", 5.0),
        (".2", "positive", 7.0),
        ("1e0", "positive", 11.0),
        ("+Inf", "positive", 12.0),
        ("-.2", "negative", 1.0),
        ("-0.1", "negative", 2.0),
        ("0.3", "negative", 2.0),
        ("+Inf", "negative", 3.0),
    ] {
        fx = fx.series(
            &format!("th_bucket{{le=\"{le}\",start=\"{start}\"}}"),
            5 * M,
            0.0,
            inc,
            10,
        );
    }
    for (le, inc) in [
        ("0.1", 2.0),
        ("1", 1.0),
        ("10", 5.0),
        ("100", 4.0),
        ("1000", 9.0),
        ("+Inf", 8.0),
    ] {
        fx = fx.series(
            &format!("nonmonotonic_bucket{{le=\"{le}\"}}"),
            5 * M,
            0.0,
            inc,
            10,
        );
    }
    fx.store
}

#[test]
fn classic_histogram_quantile_groups_by_labels_without_le() {
    let store = classic_store();
    assert_eq!(
        eval(&store, "histogram_quantile(0.5, th_bucket)", 50 * M).unwrap(),
        lines(&[
            "{start=\"positive\"} => 0.15000000000000002",
            "{start=\"negative\"} => -0.15000000000000002"
        ])
    );
    assert_eq!(
        eval(&store, "histogram_quantile(1, th_bucket)", 50 * M).unwrap(),
        lines(&["{start=\"positive\"} => 1", "{start=\"negative\"} => 0.3"])
    );
    assert_eq!(
        eval_annotated(&store, "histogram_quantile(-0.1, th_bucket)", 50 * M).unwrap(),
        "{start=\"negative\"} => -Inf\n{start=\"positive\"} => -Inf\n\
         PromQL warning: quantile value should be between 0 and 1, got -0.1\n"
    );
}

#[test]
fn classic_histogram_quantile_forced_monotonicity() {
    let store = classic_store();
    let got = eval_annotated(
        &store,
        "histogram_quantile(0.99, nonmonotonic_bucket)",
        50 * M,
    )
    .unwrap();
    assert_eq!(
        got,
        "{} => 979.7499999999999\nPromQL info: input to histogram_quantile needed to be fixed for monotonicity \
         (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \
         \"nonmonotonic_bucket\", from buckets 1 to +Inf, with a max diff of 10, over 1 samples from \
         1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z\n"
    );
    assert_eq!(
        eval(
            &store,
            "histogram_quantile(0.01, nonmonotonic_bucket)",
            50 * M
        )
        .unwrap(),
        "{} => 0.0045\n"
    );
    assert_eq!(
        eval(
            &store,
            "histogram_quantile(0.5, nonmonotonic_bucket)",
            50 * M
        )
        .unwrap(),
        "{} => 8.5\n"
    );
    let multi = eval_annotated(
        &store,
        "histogram_quantiles(nonmonotonic_bucket, \"q\", 0.01, 0.5, 0.99)",
        50 * M,
    )
    .unwrap();
    assert!(
        multi.starts_with(
            "{q=\"0.01\"} => 0.0045\n{q=\"0.5\"} => 8.5\n{q=\"0.99\"} => 979.7499999999999\n"
        ),
        "{multi}"
    );
    // Prometheus fixes the bucket counts in place, so only the first quantile finds them
    // non-monotonic.
    assert!(multi.contains("over 1 samples"), "{multi}");
}

#[test]
fn histogram_quantiles_labels_and_collisions() {
    let store = classic_store();
    assert_eq!(
        eval(
            &store,
            "histogram_quantiles(th_bucket, \"q\", 0, 1)",
            50 * M
        )
        .unwrap(),
        lines(&[
            "{q=\"0.0\", start=\"positive\"} => 0",
            "{q=\"0.0\", start=\"negative\"} => -0.2",
            "{q=\"1.0\", start=\"positive\"} => 1",
            "{q=\"1.0\", start=\"negative\"} => 0.3"
        ])
    );
    assert_eq!(
        eval(
            &store,
            "histogram_quantiles(th_bucket, \"start\", 0.5)",
            50 * M
        )
        .unwrap_err(),
        "vector cannot contain metrics with the same labelset"
    );
}

#[test]
fn bucket_label_problems_and_mixed_histograms() {
    let store = Fixture::new()
        .floats("series{ale=\"0.1\"}", M, &[Some(2.0)])
        .floats("other{le=\"Hello World\"}", M, &[Some(2.0)])
        .floats("mixed{le=\"0.1\"}", M, &[Some(1.0)])
        .floats("mixed{le=\"1\"}", M, &[Some(2.0)])
        .at("mixed", &[(0, h(hist(0, 10.0, 50.0, 0, &[1.0, 2.0, 3.0])))])
        .store;
    assert_eq!(
        eval_annotated(&store, "histogram_quantile(0.8, series)", 0).unwrap(),
        "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"\" for metric name \"series\"\n"
    );
    assert_eq!(
        eval_annotated(&store, "histogram_fraction(-Inf, 1, other)", 0).unwrap(),
        "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"Hello World\" for metric name \"other\"\n"
    );
    assert_eq!(
        eval_annotated(&store, "histogram_quantiles(mixed, \"q\", 0.1, 0.2)", 0).unwrap(),
        "PromQL warning: vector contains a mix of classic and native histograms for metric name \"mixed\"\n"
    );
}

#[test]
fn classic_histogram_fraction() {
    let mut fx = Fixture::new();
    for (le, inc) in [
        ("0", 0.0),
        ("2", 1.0),
        ("4", 2.0),
        ("6", 3.0),
        ("+Inf", 3.0),
    ] {
        fx = fx.series(&format!("th2_bucket{{le=\"{le}\"}}"), 5 * M, 0.0, inc, 10);
    }
    let store = fx.store;
    assert_eq!(
        eval(&store, "histogram_fraction(0, 4, th2_bucket)", 50 * M).unwrap(),
        "{} => 0.6666666666666666\n"
    );
    assert_eq!(
        eval(&store, "histogram_fraction(0, 6, th2_bucket)", 50 * M).unwrap(),
        "{} => 1\n"
    );
    assert_eq!(
        eval(&store, "histogram_fraction(0, 3.5, th2_bucket)", 50 * M).unwrap(),
        "{} => 0.5833333333333334\n"
    );
}
