//! The evaluator's explicit limits: queries that would take unbounded time or memory fail with a
//! typed error at once.

use promgate::Labels;
use promgate::eval::{Engine, EngineOptions, EvalError, Value};
use promgate::promql::{ParseOptions, parse_with};
use promgate::store::Store;
use std::time::{Duration, Instant};

fn store() -> Store {
    let mut store = Store::new();
    for (job, v) in [("a", 1.0), ("b", 2.0), ("c", 3.0)] {
        for i in 0..10 {
            store
                .append_float(
                    Labels::from_pairs([("__name__", "up"), ("job", job)]),
                    i * 60_000,
                    v,
                )
                .unwrap();
        }
    }
    store
}

fn expr(text: &str) -> promgate::promql::Expr {
    parse_with(text, &ParseOptions::all_features()).unwrap()
}

#[test]
fn a_subquery_with_a_tiny_step_over_a_year_fails_fast() {
    let started = Instant::now();
    let err = Engine::default()
        .instant_query(&store(), &expr("max_over_time(up[365d:1ms])"), 600_000)
        .unwrap_err();
    assert!(matches!(err, EvalError::TooManySteps { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn nested_subqueries_share_one_step_budget() {
    let opts = EngineOptions {
        max_steps: 10_000,
        ..EngineOptions::default()
    };
    let err = Engine::new(opts)
        .instant_query(
            &store(),
            &expr("max_over_time(max_over_time(up[1h:1m])[1d:1m])"),
            600_000,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("query would take too many evaluation steps"),
        "{err}"
    );
}

#[test]
fn a_range_query_with_too_many_steps_fails_before_running() {
    let started = Instant::now();
    let opts = EngineOptions {
        max_points_per_series: u64::MAX,
        ..EngineOptions::default()
    };
    let err = Engine::new(opts)
        .range_query(&store(), &expr("up"), 0, 365 * 86_400_000, 1)
        .unwrap_err();
    assert!(matches!(err, EvalError::TooManySteps { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_range_query_ending_before_it_starts_is_an_error_not_empty() {
    let err = Engine::default()
        .range_query(&store(), &expr("up"), 600_000, 0, 60_000)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "range query time range is invalid: end time 1970-01-01T00:00:00Z is before start time 1970-01-01T00:10:00Z"
    );
}

#[test]
fn a_range_query_with_step_zero_is_an_error_not_one_millisecond() {
    for step in [0, -60_000] {
        let err = Engine::default()
            .range_query(&store(), &expr("up"), 0, 600_000, step)
            .unwrap_err();
        assert_eq!(err, EvalError::InvalidStep(step));
    }
}

#[test]
fn a_range_query_is_limited_to_11000_points_per_series() {
    let engine = Engine::default();
    let ok = engine.range_query(&store(), &expr("up"), 0, 11_000_000, 1_000);
    assert!(matches!(ok.map(|r| r.value), Ok(Value::Matrix(_))));
    let err = engine
        .range_query(&store(), &expr("up"), 0, 11_001_000, 1_000)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
    );
}

#[test]
fn too_many_samples_is_an_error() {
    let opts = EngineOptions {
        max_samples: 2,
        ..EngineOptions::default()
    };
    let err = Engine::new(opts)
        .instant_query(&store(), &expr("up"), 60_000)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "query processing would load too many samples into memory in query execution"
    );
    let opts = EngineOptions {
        max_samples: 20,
        ..EngineOptions::default()
    };
    let err = Engine::new(opts)
        .instant_query(&store(), &expr("sum_over_time(up[10m])"), 600_000)
        .unwrap_err();
    assert!(matches!(err, EvalError::TooManySamples));
}

#[test]
fn deeply_nested_expressions_are_rejected_by_the_parser_not_the_stack() {
    let text = format!("{}up{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_with(&text, &ParseOptions::default()).is_err());
}

#[test]
fn a_hand_built_expression_of_the_wrong_type_is_an_error_not_nan() {
    use promgate::promql::{Call, Expr, ExprKind, functions};
    let vector_of_up = Expr {
        kind: ExprKind::Call(Call {
            func: functions::lookup("vector").unwrap(),
            args: vec![expr("up")],
        }),
        span: Default::default(),
    };
    let err = Engine::default()
        .instant_query(&store(), &vector_of_up, 60_000)
        .unwrap_err();
    assert!(
        matches!(err, EvalError::InvalidExpression { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "expected type scalar in call to function \"vector\", got instant vector"
    );
}

#[test]
fn a_query_past_its_timeout_fails_with_the_limit_named() {
    let engine = Engine::new(EngineOptions {
        timeout: Some(Duration::ZERO),
        ..EngineOptions::default()
    });
    // The clock is read every 64 steps; 600 steps pass it whatever the machine's speed.
    let err = engine
        .instant_query(&store(), &expr("max_over_time(up[600m:1m])"), 600_000)
        .unwrap_err();
    assert!(matches!(err, EvalError::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "query timed out in query execution (the limit is 0s)"
    );
    assert!(err.hint().unwrap().contains("--query-timeout"));
    // Without a timeout the same query answers.
    assert!(
        Engine::default()
            .instant_query(&store(), &expr("max_over_time(up[600m:1m])"), 600_000)
            .is_ok()
    );
}

#[test]
fn histogram_samples_count_by_size_against_max_samples() {
    let mut store = Store::new();
    let wide = promgate::FloatHistogram {
        positive_spans: vec![promgate::model::BucketSpan {
            offset: 0,
            length: 100,
        }],
        positive_buckets: vec![1.0; 100],
        ..promgate::FloatHistogram::default()
    };
    let cost = wide.sample_cost();
    assert_eq!(cost, 61);
    let id = store
        .series_id(Labels::from_pairs([("__name__", "h")]))
        .unwrap();
    for i in 0..10 {
        store
            .append(
                id,
                i * 60_000,
                promgate::model::SampleValue::Histogram(std::sync::Arc::new(wide.clone())),
            )
            .unwrap();
    }
    assert_eq!(store.num_samples(), 10 * cost);
    let limited = |max_samples| {
        Engine::new(EngineOptions {
            max_samples,
            ..EngineOptions::default()
        })
        .instant_query(&store, &expr("count_over_time(h[10m])"), 540_000)
    };
    // Ten histograms of 61 each: 610 fits, 609 does not (counted as ten samples, both would).
    assert!(limited(610).is_ok());
    assert_eq!(limited(609).unwrap_err(), EvalError::TooManySamples);
}

#[test]
fn a_range_query_counts_the_result_it_holds() {
    // Three series over 11 steps hold 33 samples at the end, though each step holds three.
    let run = |max_samples| {
        Engine::new(EngineOptions {
            max_samples,
            ..EngineOptions::default()
        })
        .range_query(&store(), &expr("up"), 0, 600_000, 60_000)
    };
    assert!(run(33).is_ok());
    assert_eq!(run(32).unwrap_err(), EvalError::TooManySamples);
}

#[test]
fn label_replace_errors_carry_the_regex_position() {
    let err = Engine::default()
        .instant_query(
            &store(),
            &expr(r#"label_replace(up, "a", "b", "job", "x(")"#),
            0,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid regular expression in label_replace(): x("
    );
    let span = err.span().unwrap();
    assert_eq!((span.start, span.end), (35, 39));
    assert_eq!(
        err.hint().unwrap(),
        "the regex engine says: missing closing ): `^(?s:x()$`"
    );
}
