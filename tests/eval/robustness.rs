//! Random well-typed PromQL over a fixture full of edge cases (stale markers, NaN, ±Inf, counter
//! resets, gaps, native and classic histograms, mixed float/histogram series): evaluation never
//! panics, is deterministic (the same query twice gives the same bytes), and an instant query
//! agrees with the one-step range query at the same time, under both semantics presets.
//!
//! Expressions are generated from the function table, so every function is exercised with
//! arguments of the right types, including the awkward values (`NaN`, `-Inf`, huge, negative)
//! that checked-in tests tend to forget.

use promgate::eval::{Engine, EngineOptions, EvalError, QueryResult, Semantics, Value};
use promgate::fixture::{LoadOptions, load_block};
use promgate::promql::functions::FUNCTIONS;
use promgate::promql::{ParseOptions, ValueType, parse_with};
use promgate::store::Store;
use proptest::prelude::*;
use std::sync::OnceLock;

const FIXTURE: &[&str] = &[
    r#"m{job="a", instance="0"} 0+10x20 stale 5 6 7"#,
    r#"m{job="a", instance="1"} 1 2 NaN 4 _ _ 7 Inf -Inf 10 0 1 2 3"#,
    r#"m{job="b", instance="0"} -5-1x30"#,
    r#"m{job="b", instance="1"} 100 50 200 10 0 0 0 1e300 -1e300 1"#,
    r#"n{job="a", instance="0"} 3x25"#,
    r#"n{job="c"} _x5 1 2 3 stale _ 9"#,
    r#"b_bucket{job="a", le="0.1"} 0+1x30"#,
    r#"b_bucket{job="a", le="1"} 0+3x30"#,
    r#"b_bucket{job="a", le="+Inf"} 0+4x30"#,
    r#"b_bucket{job="b", le="1"} 5 4 3 2 1"#,
    r#"b_bucket{job="b", le="+Inf"} 1 2 3 4 5"#,
    r#"h{job="a"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}+{{sum:2 count:1 buckets:[1]}}x20"#,
    r#"h{job="b"} {{schema:-1 count:3 sum:1 z_bucket:1 n_buckets:[1] buckets:[1] counter_reset_hint:gauge}}x10"#,
    r#"h{job="c"} {{schema:-53 sum:3 count:3 custom_values:[1 5] buckets:[1 1 1]}} stale {{schema:-53 sum:1 count:1 custom_values:[1 5] buckets:[1]}}"#,
    r#"mixed{job="a"} 1 2 {{schema:0 sum:1 count:1 buckets:[1]}} 4 5"#,
];

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = Store::new();
        let lines: Vec<(usize, &str)> = FIXTURE.iter().copied().enumerate().collect();
        load_block(&mut store, 60_000, &lines, &LoadOptions::default()).unwrap();
        store
    })
}

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(options)
        .prop_map(str::to_string)
        .boxed()
}

fn scalar_leaf() -> BoxedStrategy<String> {
    prop_oneof![
        4 => pick(&["0", "1", "2", "0.5", "-1", "3", "10", "0.99", "-0.5", "1.5"]),
        1 => pick(&["NaN", "Inf", "-Inf", "1e308", "-1e308", "9.3e18", "0x10", "5m"]),
        1 => pick(&["time()", "pi()"]),
    ]
    .boxed()
}

fn string_leaf() -> BoxedStrategy<String> {
    pick(&[
        r#""job""#,
        r#""instance""#,
        r#""dst""#,
        r#""__name__""#,
        r#""""#,
        r#""(.*)""#,
        r#""$1-x""#,
        r#""a(.)""#,
        r#""[""#,
        r#""-""#,
        r#""%Y""#,
        r#""le""#,
    ])
}

fn selector() -> BoxedStrategy<String> {
    let base = pick(&[
        "m",
        "n",
        "h",
        "mixed",
        "b_bucket",
        r#"m{job="a"}"#,
        r#"m{instance!="0"}"#,
        r#"{__name__=~"m|n"}"#,
        r#"{__name__=~".+", job="b"}"#,
        r#"b_bucket{le=~"1|\\+Inf"}"#,
        r#"{__name__="h", job!~"a"}"#,
        "absent_metric",
    ]);
    let modifier = pick(&[
        "",
        "",
        "",
        " offset 5m",
        " offset -3m",
        " @ 300",
        " @ start()",
        " @ end() offset 1m",
        " offset 1h",
    ]);
    (base, modifier)
        .prop_map(|(b, m)| format!("{b}{m}"))
        .boxed()
}

fn range_of(vector: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let range = pick(&["1m", "2m", "5m", "90s", "10m", "1h", "1s"]);
    let step = pick(&["", "1m", "30s", "2m", "7s"]);
    prop_oneof![
        3 => (selector(), range.clone()).prop_map(|(s, r)| match s.find(" @ ").or(s.find(" offset")) {
            Some(i) => format!("{}[{r}]{}", &s[..i], &s[i..]),
            None => format!("{s}[{r}]"),
        }),
        1 => (vector, range, step).prop_map(|(v, r, s)| format!("({v})[{r}:{s}]")),
    ]
    .boxed()
}

fn binary_op() -> BoxedStrategy<String> {
    pick(&[
        "+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<=", "== bool",
        "> bool", "<= bool",
    ])
}

fn vector_modifier() -> BoxedStrategy<String> {
    pick(&[
        "",
        "",
        " on(job)",
        " ignoring(instance)",
        " on(job) group_left()",
        " on(job) group_right()",
        " ignoring(instance) group_left(instance)",
        " on()",
    ])
}

fn set_op() -> BoxedStrategy<String> {
    pick(&[
        "and",
        "or",
        "unless",
        "and on(job)",
        "or on()",
        "unless ignoring(instance)",
    ])
}

fn aggregation(
    vector: BoxedStrategy<String>,
    scalar: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    let plain = pick(&[
        "sum", "avg", "min", "max", "count", "stddev", "stdvar", "group",
    ]);
    let parametric = pick(&["topk", "bottomk", "quantile", "limitk", "limit_ratio"]);
    let grouping = pick(&[
        "",
        " by (job)",
        " without (instance)",
        " by ()",
        " without ()",
    ]);
    prop_oneof![
        3 => (plain, grouping.clone(), vector.clone()).prop_map(|(op, g, v)| format!("{op}{g}({v})")),
        2 => (parametric, grouping.clone(), scalar, vector.clone())
            .prop_map(|(op, g, s, v)| format!("{op}{g}({s}, {v})")),
        1 => (grouping, string_leaf(), vector).prop_map(|(g, s, v)| format!("count_values{g}({s}, {v})")),
    ]
    .boxed()
}

/// A call of a random function of the table returning `want`, with arguments of the right types.
fn call(
    want: ValueType,
    vector: BoxedStrategy<String>,
    scalar: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    let functions: Vec<_> = FUNCTIONS.iter().filter(|f| f.return_type == want).collect();
    proptest::sample::select(functions)
        .prop_flat_map(move |f| {
            let (min, max) = f.arity();
            let max = max.unwrap_or(min + 2).min(min + 2);
            (Just(f), min..=max)
        })
        .prop_flat_map(move |(f, n)| {
            let args: Vec<BoxedStrategy<String>> = (0..n)
                .map(|i| {
                    let ty = f.arg_types[i.min(f.arg_types.len() - 1)];
                    match ty {
                        ValueType::Scalar => scalar.clone(),
                        ValueType::String => string_leaf(),
                        ValueType::Matrix => range_of(vector.clone()),
                        _ => vector.clone(),
                    }
                })
                .collect();
            (Just(f.name), args)
        })
        .prop_map(|(name, args)| format!("{name}({})", args.join(", ")))
        .boxed()
}

fn scalar_expr(vector: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![
        3 => scalar_leaf(),
        1 => vector.clone().prop_map(|v| format!("scalar({v})")),
        1 => (scalar_leaf(), binary_op(), scalar_leaf()).prop_map(|(a, op, b)| match op.as_str() {
            "==" | "!=" | ">" | "<" | ">=" | "<=" => format!("{a} {op} bool {b}"),
            _ => format!("{a} {op} {b}"),
        }),
    ]
    .boxed()
}

fn vector_expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        6 => selector(),
        1 => scalar_leaf().prop_map(|s| format!("vector({s})")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let scalar = scalar_expr(inner.clone());
        prop_oneof![
            3 => call(ValueType::Vector, inner.clone(), scalar.clone()),
            2 => aggregation(inner.clone(), scalar.clone()),
            2 => (inner.clone(), binary_op(), vector_modifier(), inner.clone())
                .prop_map(|(a, op, m, b)| format!("({a}) {op}{m} ({b})")),
            1 => (inner.clone(), binary_op(), scalar.clone())
                .prop_map(|(a, op, s)| format!("({a}) {op} ({s})")),
            1 => (scalar.clone(), binary_op(), inner.clone())
                .prop_map(|(s, op, a)| format!("({s}) {op} ({a})")),
            1 => (inner.clone(), set_op(), inner.clone())
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            1 => inner.clone().prop_map(|v| format!("-({v})")),
        ]
    })
    .boxed()
}

fn any_expr() -> BoxedStrategy<String> {
    prop_oneof![
        6 => vector_expr(),
        1 => scalar_expr(vector_expr()),
        1 => range_of(vector_expr()),
    ]
    .boxed()
}

fn options(semantics: Semantics) -> EngineOptions {
    EngineOptions {
        semantics,
        max_samples: 2_000_000,
        max_steps: 500_000,
        ..EngineOptions::default()
    }
}

fn render(result: &Result<QueryResult, EvalError>) -> String {
    format!("{result:?}")
}

/// The samples of an instant result as `(labels, value bits)` pairs, sorted.
fn instant_points(value: &Value) -> Option<Vec<(String, String)>> {
    let Value::Vector(samples) = value else {
        return None;
    };
    let mut points: Vec<(String, String)> = samples
        .iter()
        .map(|s| {
            (
                s.metric.to_string(),
                format!("{:?} {:?}", s.f.to_bits(), s.h),
            )
        })
        .collect();
    points.sort();
    Some(points)
}

/// The points of a one-step range result at `t`, in the same shape.
fn range_points(value: &Value) -> Option<Vec<(String, String)>> {
    let Value::Matrix(series) = value else {
        return None;
    };
    let mut points: Vec<(String, String)> = Vec::new();
    for s in series {
        for p in &s.floats {
            points.push((
                s.metric.to_string(),
                format!("{:?} {:?}", p.f.to_bits(), None::<()>),
            ));
        }
        for p in &s.histograms {
            points.push((
                s.metric.to_string(),
                format!("{:?} {:?}", 0f64.to_bits(), Some(&p.h)),
            ));
        }
    }
    points.sort();
    Some(points)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_queries_are_total_and_deterministic(
        text in any_expr(),
        t in -600_000i64..2_400_000,
        span in 0i64..1_800_000,
        step in prop::sample::select(vec![1_000i64, 15_000, 60_000, 97_000, 600_000]),
        prometheus2 in any::<bool>(),
    ) {
        let expr = match parse_with(&text, &ParseOptions::all_features()) {
            Ok(expr) => expr,
            // About 0.5% of the generated forms are rejected (e.g. `info()` with a non-selector).
            Err(_) => return Ok(()),
        };
        let semantics = if prometheus2 { Semantics::Prometheus2 } else { Semantics::Prometheus3 };
        let engine = Engine::new(options(semantics));
        let store = store();

        let instant = engine.instant_query(store, &expr, t);
        prop_assert_eq!(render(&instant), render(&engine.instant_query(store, &expr, t)), "{}", text);

        let range = engine.range_query(store, &expr, t, t + span, step);
        prop_assert_eq!(render(&range), render(&engine.range_query(store, &expr, t, t + span, step)), "{}", text);

        // A one-step range query at `t` holds the same samples as the instant query.
        if let (Ok(instant), Ok(one_step)) = (&instant, engine.range_query(store, &expr, t, t, step)) {
            if let (Some(a), Some(b)) = (instant_points(&instant.value), range_points(&one_step.value)) {
                prop_assert_eq!(a, b, "{}", text);
            }
        }
    }
}
