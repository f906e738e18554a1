//! Float functions.

use super::*;

#[test]
fn resets_and_changes_over_mixed_floats_and_histograms() {
    let one = || h(hist(0, 1.0, 1.0, 0, &[]));
    let z = |count: f64, zero: f64| {
        h(FloatHistogram {
            count,
            sum: count,
            zero_threshold: 0.001,
            zero_count: zero,
            ..FloatHistogram::default()
        })
    };
    let at = |values: Vec<SampleValue>| {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as i64 * 5 * M, v))
            .collect::<Vec<_>>()
    };
    let store = Fixture::new()
        .at("hr{path=\"/foo\"}", &at((0..10).map(|_| one()).collect()))
        .at(
            "hr{path=\"/bar\"}",
            &at(vec![
                f(0.0),
                f(0.0),
                f(0.0),
                f(0.0),
                f(0.0),
                f(0.0),
                f(0.0),
                f(0.0),
                one(),
                one(),
            ]),
        )
        .at(
            "hr{path=\"/biz\"}",
            &at(vec![
                f(0.0),
                f(1.0),
                f(0.0),
                f(2.0),
                f(0.0),
                f(3.0),
                f(0.0),
                z(1.0, 2.0),
                z(2.0, 1.0),
                z(1.0, 2.0),
            ]),
        )
        .store;
    assert_eq!(
        eval(&store, "resets(hr[60m])", 50 * M).unwrap(),
        lines(&[
            "{path=\"/foo\"} => 0",
            "{path=\"/bar\"} => 1",
            "{path=\"/biz\"} => 6"
        ])
    );
    assert_eq!(
        eval(&store, "changes(hr[60m])", 50 * M).unwrap(),
        lines(&[
            "{path=\"/foo\"} => 0",
            "{path=\"/bar\"} => 1",
            "{path=\"/biz\"} => 9"
        ])
    );
}

#[test]
fn rate_of_a_non_counter_name_gives_an_info() {
    let store = Fixture::new().series("requests", M, 0.0, 1.0, 5).store;
    let got = eval_annotated(&store, "rate(requests[5m])", 5 * M).unwrap();
    assert!(got.contains(
        "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"requests\""
    ));
}

#[test]
fn double_exponential_smoothing_follows_trends() {
    let store = Fixture::new()
        .series("hr{i=\"0\"}", 10 * S, 0.0, 10.0, 1000)
        .series("hr{i=\"1\"}", 10 * S, 8000.0, -10.0, 1000)
        .store;
    assert_eq!(
        eval(
            &store,
            "double_exponential_smoothing(hr[1m], 0.01, 0.1)",
            8000 * S
        )
        .unwrap(),
        lines(&["{i=\"0\"} => 8000", "{i=\"1\"} => 0"])
    );
    assert_eq!(
        eval(
            &store,
            "double_exponential_smoothing(hr[1m], 1, 0.1)",
            8000 * S
        )
        .unwrap_err(),
        "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000"
    );
    assert_eq!(
        eval(
            &store,
            "double_exponential_smoothing(hr[1m], 0.5, 0)",
            8000 * S
        )
        .unwrap_err(),
        "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000"
    );
}

#[test]
fn over_time_functions_with_histograms() {
    let hh = |s: f64| h(hist(0, s + 1.0, s, 0, &[]));
    let store = Fixture::new()
        .at(
            "d{type=\"numbers\"}",
            &[(0, f(2.0)), (10 * S, f(0.0)), (20 * S, f(3.0))],
        )
        .at(
            "d{type=\"hlast\"}",
            &[
                (0, f(0.0)),
                (10 * S, f(1.0)),
                (20 * S, hh(1.0)),
                (30 * S, hh(2.0)),
            ],
        )
        .at(
            "d{type=\"only\"}",
            &[(0, hh(1.0)), (10 * S, hh(2.0)), (20 * S, hh(3.0))],
        )
        .store;
    let got = eval_annotated(&store, "min_over_time(d[2m])", M).unwrap();
    assert!(
        got.contains("{type=\"numbers\"} => 0\n{type=\"hlast\"} => 0\n")
            || got.contains("{type=\"hlast\"} => 0\n{type=\"numbers\"} => 0\n"),
        "{got}"
    );
    assert!(got.contains("PromQL info: ignored histograms in a range containing both floats and histograms for metric name \"d\""));
    assert!(!got.contains("only"));
    assert_eq!(
        eval(&store, "last_over_time(d[2m])", M).unwrap(),
        lines(&[
            // Later samples of a storage chunk read back as not_reset, as in Prometheus.
            "{__name__=\"d\", type=\"numbers\"} => 3",
            "{__name__=\"d\", type=\"hlast\"} => {{count:3 sum:2 counter_reset_hint:not_reset}}",
            "{__name__=\"d\", type=\"only\"} => {{count:4 sum:3 counter_reset_hint:not_reset}}"
        ])
    );
    assert_eq!(
        eval(&store, "first_over_time(d[2m])", M).unwrap(),
        lines(&[
            "{__name__=\"d\", type=\"numbers\"} => 2",
            "{__name__=\"d\", type=\"hlast\"} => 0",
            "{__name__=\"d\", type=\"only\"} => {{count:2 sum:1}}"
        ])
    );
    assert_eq!(
        eval(&store, "count_over_time(d[2m])", M).unwrap(),
        lines(&[
            "{type=\"numbers\"} => 3",
            "{type=\"hlast\"} => 4",
            "{type=\"only\"} => 3"
        ])
    );
    assert_eq!(
        eval(&store, "sum_over_time(d{type=\"only\"}[2m])", M).unwrap(),
        "{type=\"only\"} => {{count:9 sum:6}}\n"
    );
    assert_eq!(
        eval(&store, "avg_over_time(d{type=\"only\"}[2m])", M).unwrap(),
        "{type=\"only\"} => {{count:3 sum:2}}\n"
    );
    let mixed = eval_annotated(&store, "sum_over_time(d{type=\"hlast\"}[2m])", M).unwrap();
    assert_eq!(
        mixed,
        "PromQL warning: encountered a mix of histograms and floats for metric name \"d\"\n"
    );
}

#[test]
fn changes_with_a_duplicate_output_labelset_fails_without_delayed_removal() {
    let store = Fixture::new()
        .floats("tm1{src=\"a\"}", 5 * M, &[Some(0.0)])
        .floats("tm2{src=\"a\"}", 5 * M, &[Some(1.0)])
        .store;
    assert_eq!(
        eval(&store, "changes({__name__=~\"tm1|tm2\"}[5m])", 0).unwrap_err(),
        "vector cannot contain metrics with the same labelset"
    );
}

#[test]
fn start_timestamps_in_rate_and_resets() {
    // start_timestamps.test: a cumulative counter whose start timestamps show resets.
    let mut store = Store::new();
    let id = store.series_id(Fixture::labels("c{type=\"st\"}")).unwrap();
    let offsets = [
        -30_000, -90_000, -150_000, -60_000, -120_000, -180_000, -59_999, -119_999, -179_999,
        -1000, -61_000, -121_000, -1, -60_001, -120_001,
    ];
    for i in 0..15 {
        let t = (i + 2) * M;
        let st = offsets.get(i as usize).map(|o| t + o);
        store
            .append_with_start_time(id, t, SampleValue::Float(60.0 * i as f64), st)
            .unwrap();
    }
    let got: Vec<String> = (7..=15)
        .map(|m| eval(&store, "increase(c[5m])", m * M).unwrap())
        .collect();
    assert_eq!(got[0], "{type=\"st\"} => 420\n");
    assert_eq!(got[1], "{type=\"st\"} => 780\n");
    let resets: Vec<String> = (7..=9)
        .map(|m| eval(&store, "resets(c[5m])", m * M).unwrap())
        .collect();
    assert_eq!(
        resets,
        [
            "{type=\"st\"} => 1\n",
            "{type=\"st\"} => 2\n",
            "{type=\"st\"} => 1\n"
        ]
    );
}

#[test]
fn start_timestamp_function() {
    let mut store = Store::new();
    let id = store.series_id(Fixture::labels("s{case=\"a\"}")).unwrap();
    store
        .append_with_start_time(id, 10 * S, SampleValue::Float(10.0), Some(10 * S + 1))
        .unwrap();
    store
        .append_with_start_time(id, 20 * S, SampleValue::Float(20.0), None)
        .unwrap();
    assert_eq!(
        eval(&store, "start_timestamp(s)", 15 * S).unwrap(),
        "{case=\"a\"} => 10.001\n"
    );
    assert_eq!(
        eval(&store, "start_timestamp(s)", 25 * S).unwrap(),
        "{case=\"a\"} => 0\n"
    );
    assert_eq!(eval(&store, "start_timestamp(s * 1)", 25 * S).unwrap(), "");
}

#[test]
fn anchored_and_smoothed_rates() {
    // extended_vectors.test style: samples every 10s with a reset.
    let v = |xs: &[f64]| xs.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    let store = Fixture::new()
        .floats("c_total", 10 * S, &v(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0]))
        .store;
    // Anchored increase over (10s, 40s]: from the sample at 10s (2) to the one at 40s (2), with
    // the reset after 3 adding 3.
    assert_eq!(
        eval(&store, "increase(c_total[30s] anchored)", 40 * S).unwrap(),
        "{} => 3\n"
    );
    assert_eq!(
        eval(&store, "resets(c_total[30s] anchored)", 40 * S).unwrap(),
        "{} => 1\n"
    );
    // Smoothed at 45s: left edge interpolated at 15s (2.5), right at 45s (1.5 after the reset
    // model... between 40s=2 and 50s=3 → 2.5); reset adds 3.
    assert_eq!(
        eval(&store, "increase(c_total[30s] smoothed)", 45 * S).unwrap(),
        "{} => 3\n"
    );
    assert_eq!(
        eval(&store, "sum_over_time(c_total[30s] anchored)", 45 * S).unwrap_err(),
        "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with sum_over_time"
    );
}

fn eval_prometheus2(store: &Store, query: &str, t: i64) -> String {
    let opts = EngineOptions {
        semantics: crate::eval::Semantics::Prometheus2,
        ..EngineOptions::default()
    };
    let r = Engine::new(opts)
        .instant_query(store, &parse(query), t)
        .unwrap();
    render(&r.value)
}

#[test]
fn label_replace_regex_dialects() {
    let store = Fixture::new()
        .floats("x{src=\"a\nb\"}", M, &[Some(1.0)])
        .store;
    let query = "label_replace(x, \"dst\", \"matched\", \"src\", \"a.b\")";
    assert!(eval(&store, query, 0).unwrap().contains("dst=\"matched\""));
    assert!(!eval_prometheus2(&store, query, 0).contains("dst"));
}

#[test]
fn prometheus2_rate_caps_at_the_zero_point_first() {
    // functions.test's "bumms" series: 1+10x10 every 5m; Prometheus 2 (left-closed windows,
    // zero-point cap before the half-interval limit) extrapolates 100m back to the zero point.
    let store = Fixture::new().series("t_total", 5 * M, 1.0, 10.0, 10).store;
    assert_eq!(
        eval_prometheus2(&store, "increase(t_total[100m])", 50 * M),
        "{} => 101\n"
    );
}

#[test]
fn holt_winters_is_double_exponential_smoothing() {
    let store = Fixture::new().series("hr", 10 * S, 0.0, 10.0, 100).store;
    assert_eq!(
        eval(&store, "holt_winters(hr[1m], 0.01, 0.1)", 500 * S).unwrap(),
        eval(
            &store,
            "double_exponential_smoothing(hr[1m], 0.01, 0.1)",
            500 * S
        )
        .unwrap()
    );
}

#[test]
fn annotation_positions_point_at_the_first_argument() {
    let store = Fixture::new()
        .series("requests", M, 0.0, 1.0, 5)
        .floats("q", 10 * S, &[Some(0.0), Some(1.0), Some(2.0)])
        .store;
    let query = "sum(rate(requests[5m]))";
    let r = engine()
        .instant_query(&store, &parse(query), 5 * M)
        .unwrap();
    let notes: Vec<String> = r
        .annotations
        .iter()
        .map(|a| a.with_position(query))
        .collect();
    assert_eq!(
        notes,
        [
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"requests\" (1:10)"
        ]
    );
    let query = "quantile_over_time(2, q[2m])";
    let r = engine().instant_query(&store, &parse(query), M).unwrap();
    let notes: Vec<String> = r
        .annotations
        .iter()
        .map(|a| a.with_position(query))
        .collect();
    assert_eq!(
        notes,
        ["PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)"]
    );
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let store = Fixture::new()
        .at("x_total", &[(i64::MIN + 1, f(1.0)), (i64::MIN + 2, f(2.0))])
        .at("y_total", &[(i64::MAX - 1, f(1.0)), (i64::MAX, f(2.0))])
        .store;
    for query in [
        "rate(x_total[5m] @ -9223372036854775.807)",
        "irate(y_total[1h] @ 9223372036854775.807)",
        "deriv(y_total[1h] @ 9223372036854775.807)",
        "predict_linear(x_total[1h] @ -9223372036854775.807, 60)",
        "increase(x_total[1h] smoothed)",
        "year(vector(1e300))",
    ] {
        let _ = eval(&store, query, 0);
        let _ = eval(&store, query, i64::MAX);
        let _ = eval(&store, query, i64::MIN);
    }
}
