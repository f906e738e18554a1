//! Differential test against the real thing: random fixtures and PromQL expressions, evaluated
//! by Debian's `promtool` 2.42 (`promtool test rules` prints what it got) and by our engine with
//! Prometheus 2 semantics. Every disagreement is printed; any disagreement fails the test.
//!
//! It needs `/usr/bin/promtool` (Debian package `prometheus`, 2.42); `.ci/run` installs it and
//! runs this test with `--ignored`. Without promtool the test fails in CI (`CI` set) and is
//! skipped with a note elsewhere.

use promgate::Labels;
use promgate::eval::{Engine, EngineOptions, Semantics, Value};
use promgate::model::format_float_e;
use promgate::promql::{ParseOptions, parse_with};
use promgate::store::Store;
use std::fmt::Write as _;
use std::process::Command;

/// A small deterministic PRNG (SplitMix64), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SAMPLE_INTERVAL_S: i64 = 30;
const SAMPLES: usize = 41; // 20m of samples per series
/// promtool's evaluation interval, which is also its default subquery step. promtool loads the
/// input samples lazily, up to each evaluation time in turn, and creates a series when it
/// appends its first sample, iterating a Go map: series whose first samples are loaded together
/// are created, and so later selected, in a random order, which makes every order-dependent
/// result (sums of three or more floats, averages, `topk` ties) differ from run to run. So each
/// series gets its own phase (its first sample `phase` seconds in, one second apart in label
/// order), and a 1s evaluation interval loads them one by one: promtool then selects series in
/// label order, as the store does.
const EVAL_INTERVAL_MS: i64 = 1000;
/// The time of a last case that makes promtool load every sample (after the last phase's last).
const LAST_EVAL_S: i64 = 1400;

/// One input series: its descriptor and its values (None = gap).
struct Fixture {
    labels: Vec<(String, String)>,
    values: Vec<Option<f64>>,
}

impl Fixture {
    fn descriptor(&self) -> String {
        let name = &self.labels[0].1;
        let rest: Vec<String> = self.labels[1..]
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        format!("{name}{{{}}}", rest.join(","))
    }

    /// The values in promtool's notation with a 1s input interval: `phase` blanks, then one
    /// value every `SAMPLE_INTERVAL_S` seconds.
    fn notation(&self, phase: i64) -> String {
        let mut items = Vec::new();
        let mut blanks = phase;
        for v in &self.values {
            match v {
                None => blanks += SAMPLE_INTERVAL_S,
                Some(f) => {
                    if blanks > 0 {
                        items.push(format!("_x{blanks}"));
                    }
                    items.push(value_notation(*f));
                    blanks = SAMPLE_INTERVAL_S - 1;
                }
            }
        }
        items.join(" ")
    }

    fn labels(&self) -> Labels {
        Labels::from_pairs(self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The sample timestamps (ms) and values.
    fn samples(&self, phase: i64) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.values
            .iter()
            .enumerate()
            .filter_map(move |(i, v)| v.map(|f| ((phase + i as i64 * SAMPLE_INTERVAL_S) * 1000, f)))
    }
}

/// A value in promtool's series notation (`stale` for the stale marker).
fn value_notation(f: f64) -> String {
    if promgate::model::is_stale_nan(f) {
        "stale".into()
    } else if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Inf" } else { "-Inf" }.into()
    } else {
        format!("{f}")
    }
}

/// The input series in label order (their index is their phase in seconds). Every series has a
/// sample in its first slot, so promtool creates them in this order.
fn fixtures(rng: &mut Rng) -> Vec<Fixture> {
    let mut out = fixture_series(rng);
    out.sort_by_key(|f| f.labels());
    for f in &mut out {
        if f.values[0].is_none() {
            f.values[0] = Some(0.0);
        }
    }
    out
}

fn fixture_series(rng: &mut Rng) -> Vec<Fixture> {
    let mut out = Vec::new();
    for job in ["api", "db"] {
        for instance in ["a", "b", "c"] {
            for code in ["200", "500"] {
                // A counter with an occasional reset and an occasional gap.
                let mut value = rng.below(50) as f64;
                let mut values = Vec::new();
                for _ in 0..SAMPLES {
                    if rng.chance(3) {
                        value = rng.below(5) as f64;
                    } else {
                        value += rng.below(if code == "200" { 40 } else { 6 }) as f64;
                    }
                    values.push(if rng.chance(4) { None } else { Some(value) });
                }
                out.push(Fixture {
                    labels: vec![
                        ("__name__".into(), "http_requests_total".into()),
                        ("code".into(), code.into()),
                        ("instance".into(), instance.into()),
                        ("job".into(), job.into()),
                    ],
                    values,
                });
            }
            // A gauge with negative values, fractions, gaps, and now and then a stale marker,
            // NaN or an infinity.
            let values = (0..SAMPLES)
                .map(|_| {
                    if rng.chance(5) {
                        return None;
                    }
                    Some(match rng.below(100) {
                        0 | 1 => promgate::model::stale_nan(),
                        2 => f64::NAN,
                        3 => f64::INFINITY,
                        4 => f64::NEG_INFINITY,
                        _ => (rng.below(2000) as f64 - 500.0) / 8.0,
                    })
                })
                .collect();
            out.push(Fixture {
                labels: vec![
                    ("__name__".into(), "queue_depth".into()),
                    ("instance".into(), instance.into()),
                    ("job".into(), job.into()),
                ],
                values,
            });
        }
        // A classic histogram.
        let mut counts = [0f64; 5];
        let mut series: Vec<Vec<Option<f64>>> = vec![Vec::new(); 5];
        for _ in 0..SAMPLES {
            let mut cumulative = 0.0;
            for (i, c) in counts.iter_mut().enumerate() {
                *c += rng.below(10) as f64;
                cumulative += *c;
                series[i].push(Some(cumulative));
            }
        }
        for (i, le) in ["0.1", "0.5", "1", "5", "+Inf"].iter().enumerate() {
            out.push(Fixture {
                labels: vec![
                    ("__name__".into(), "latency_seconds_bucket".into()),
                    ("job".into(), job.into()),
                    ("le".into(), le.to_string()),
                ],
                values: series[i].clone(),
            });
        }
    }
    out
}

fn selector(rng: &mut Rng) -> String {
    let metric = rng.pick(&["http_requests_total", "queue_depth"]);
    let matcher = rng.pick(&[
        "",
        "{job=\"api\"}",
        "{job!=\"api\"}",
        "{instance=~\"a|b\"}",
        "{instance!~\"c\"}",
        "{job=\"api\",instance=\"a\"}",
    ]);
    let code = if metric == "http_requests_total" && rng.chance(30) {
        rng.pick(&["{code=\"500\"}", "{code=~\"5..\"}"])
    } else {
        ""
    };
    let matcher = if !code.is_empty() && matcher.is_empty() {
        code
    } else {
        matcher
    };
    format!("{metric}{matcher}")
}

fn range(rng: &mut Rng) -> &'static str {
    rng.pick(&["1m", "2m", "90s", "5m", "3m"])
}

fn grouping(rng: &mut Rng) -> &'static str {
    rng.pick(&[
        "",
        " by (job)",
        " by (instance)",
        " without (instance)",
        " by (job, instance)",
        " without (code)",
    ])
}

fn range_function(rng: &mut Rng) -> String {
    let f = rng.pick(&[
        "rate",
        "increase",
        "delta",
        "irate",
        "idelta",
        "changes",
        "resets",
        "deriv",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "sum_over_time",
        "count_over_time",
        "last_over_time",
        "stddev_over_time",
        "stdvar_over_time",
        "present_over_time",
        "absent_over_time",
        "quantile_over_time",
        "holt_winters",
        "predict_linear",
    ]);
    let modifier = time_modifier(rng);
    let matrix = format!("{}[{}]{modifier}", selector(rng), range(rng));
    match f {
        "quantile_over_time" => {
            let q = rng.pick(&["0", "0.25", "0.5", "0.9", "1", "-1", "2"]);
            format!("{f}({q}, {matrix})")
        }
        "holt_winters" => {
            let sf = rng.pick(&["0.1", "0.5", "0.9", "1"]);
            let tf = rng.pick(&["0.1", "0.3", "0.8", "0"]);
            format!("{f}({matrix}, {sf}, {tf})")
        }
        "predict_linear" => {
            let t = rng.pick(&["60", "-30", "0", "600"]);
            format!("{f}({matrix}, {t})")
        }
        _ => format!("{f}({matrix})"),
    }
}

/// An optional `offset` and/or `@` (promtool 2.42 enables both negative offsets and `@`).
fn time_modifier(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.chance(12) {
        out.push_str(rng.pick(&[" @ 600", " @ 450.5", " @ start()", " @ end()", " @ 1000"]));
    }
    if rng.chance(15) {
        out.push_str(rng.pick(&[" offset 1m", " offset 2m", " offset -1m", " offset 30s"]));
    }
    out
}

/// A subquery over a range function of a selector, with an explicit or the default step.
///
/// promtool 2.42 evaluates a subquery's inner expression as a range query, and its range
/// evaluation of operators, aggregations and instant-vector functions collects the output
/// series in a Go map: their order is random. A range function of a selector keeps the series
/// order, so only such subqueries appear where the order matters (`ordered`); elsewhere the
/// inner expression may also aggregate.
fn subquery(rng: &mut Rng, ordered: bool) -> String {
    let inner = if !ordered && rng.chance(30) {
        format!("sum{}({})", grouping(rng), range_function(rng))
    } else {
        range_function(rng)
    };
    let outer = rng.pick(&[
        "max_over_time",
        "min_over_time",
        "avg_over_time",
        "sum_over_time",
        "count_over_time",
        "last_over_time",
        "stddev_over_time",
        "rate",
        "deriv",
    ]);
    let step = rng.pick(&[":1m", ":30s", ":2m", ":", ":", ":45s"]);
    let range = if step == ":" {
        // The default step is promtool's 1s evaluation interval: keep these short.
        rng.pick(&["1m", "90s", "2m"])
    } else {
        rng.pick(&["5m", "4m", "3m"])
    };
    let offset = if rng.chance(15) {
        rng.pick(&[" offset 1m", " offset -30s", " @ 700"])
    } else {
        ""
    };
    format!("{outer}(({inner})[{range}{step}]{offset})")
}

/// An instant-vector expression. `ordered`: the result feeds an operation whose value depends
/// on the order of its input (`sum`, `avg`, `stddev`, `stdvar` add floats in input order;
/// `topk`, `bottomk` break ties by it), so it must not contain what promtool 2.42 orders at
/// random: subqueries over operators or aggregations (see [`subquery`]), `histogram_quantile`
/// (whose output comes from a Go map) and `sort` (Go's unstable sort on ties).
fn vector_expr(rng: &mut Rng, depth: u32, ordered: bool) -> String {
    let choice = if depth > 2 {
        rng.below(3)
    } else {
        rng.below(17)
    };
    match choice {
        0 => selector(rng),
        1 => range_function(rng),
        2 => format!("{}{}", selector(rng), time_modifier(rng)),
        3 => {
            let op = rng.pick(&[
                "sum", "avg", "min", "max", "count", "stddev", "stdvar", "group",
            ]);
            let order_dependent = matches!(op, "sum" | "avg" | "stddev" | "stdvar");
            format!(
                "{op}{}({})",
                grouping(rng),
                vector_expr(rng, depth + 1, ordered || order_dependent)
            )
        }
        4 => {
            let op = rng.pick(&["+", "-", "*", "/", "%", "^"]);
            let scalar = rng.pick(&["2", "0.5", "-3", "0", "100"]);
            if rng.chance(50) {
                format!("{} {op} {scalar}", vector_expr(rng, depth + 1, ordered))
            } else {
                format!("{scalar} {op} {}", vector_expr(rng, depth + 1, ordered))
            }
        }
        5 => {
            let op = rng.pick(&[">", "<", ">=", "<=", "==", "!="]);
            let b = if rng.chance(50) { " bool" } else { "" };
            let scalar = rng.pick(&["10", "0", "50.5", "-1"]);
            format!("{}{op}{b} {scalar}", vector_expr(rng, depth + 1, ordered))
        }
        6 => {
            let op = rng.pick(&["and", "or", "unless"]);
            let m = rng.pick(&[
                "",
                " on(job)",
                " on(instance)",
                " ignoring(code)",
                " on()",
                " ignoring(job, code)",
            ]);
            format!(
                "{} {op}{m} {}",
                vector_expr(rng, depth + 1, ordered),
                vector_expr(rng, depth + 1, ordered)
            )
        }
        7 => {
            let g = rng.pick(&["job", "instance"]);
            let op = rng.pick(&["+", "/", "-", ">", "< bool", "== bool", "!="]);
            format!(
                "sum by ({g}) ({}) {op} on({g}) sum by ({g}) ({})",
                range_function(rng),
                range_function(rng)
            )
        }
        8 => {
            let f = rng.pick(&[
                "abs",
                "ceil",
                "floor",
                "round",
                "sqrt",
                "exp",
                "ln",
                "log2",
                "log10",
                "sgn",
                "timestamp",
            ]);
            format!("{f}({})", vector_expr(rng, depth + 1, ordered))
        }
        9 => {
            let k = rng.pick(&["1", "2", "3", "5"]);
            let op = rng.pick(&["topk", "bottomk"]);
            format!(
                "{op}{}({k}, {})",
                rng.pick(&["", " by (job)", " without (code)"]),
                vector_expr(rng, depth + 1, true)
            )
        }
        10 if !ordered && rng.chance(50) => format!(
            "histogram_quantile({}, sum by (le{}) (rate(latency_seconds_bucket[{}])))",
            rng.pick(&["0.5", "0.9", "0.99", "0.25", "0", "1", "1.5"]),
            if rng.chance(50) { ", job" } else { "" },
            range(rng)
        ),
        10 => format!(
            "quantile{}({}, {})",
            grouping(rng),
            rng.pick(&["0.5", "0.9", "0.99", "0.25"]),
            vector_expr(rng, depth + 1, ordered)
        ),
        11 => subquery(rng, ordered),
        12 => {
            // Many-to-one and one-to-many matching (and, with `on(job)`, errors for
            // duplicate matches, which both must report).
            let on = rng.pick(&["on(job, instance)", "on(job, instance)", "on(job)"]);
            let op = rng.pick(&["/", "*", "-", ">", "> bool"]);
            if rng.chance(50) {
                format!(
                    "{} {op} {on} group_left {}",
                    range_function_of("http_requests_total", rng),
                    range_function_of("queue_depth", rng)
                )
            } else {
                format!(
                    "{} {op} {on} group_right{} {}",
                    range_function_of("queue_depth", rng),
                    rng.pick(&["", "(job)"]),
                    range_function_of("http_requests_total", rng)
                )
            }
        }
        13 => {
            let f = rng.pick(&["clamp", "clamp_max", "clamp_min"]);
            let args = match f {
                "clamp" => rng.pick(&["-10, 100", "5, 1", "0, 0"]),
                _ => rng.pick(&["0", "50", "-5"]),
            };
            format!("{f}({}, {args})", vector_expr(rng, depth + 1, ordered))
        }
        14 => format!(
            "label_join({}, \"dst\", \"{}\", \"instance\", \"job\")",
            vector_expr(rng, depth + 1, ordered),
            rng.pick(&["-", "", "/"])
        ),
        15 if !ordered => format!(
            "{}({})",
            rng.pick(&["sort", "sort_desc"]),
            vector_expr(rng, depth + 1, ordered)
        ),
        15 => format!(
            "count_values{}(\"value\", {})",
            rng.pick(&["", " by (job)", " without (instance)"]),
            vector_expr(rng, depth + 1, ordered)
        ),
        _ => {
            let op = rng.pick(&[">", "<=", "==", "!="]);
            format!(
                "{} {op}{} {}",
                range_function_of("http_requests_total", rng),
                if rng.chance(50) { " bool" } else { "" },
                range_function_of("http_requests_total", rng)
            )
        }
    }
}

/// A range function (or a plain selector) over one metric.
fn range_function_of(metric: &str, rng: &mut Rng) -> String {
    let f = rng.pick(&["rate", "avg_over_time", "max_over_time", "delta", ""]);
    let matcher = rng.pick(&["", "{job=\"api\"}", "{instance!~\"c\"}"]);
    if f.is_empty() {
        format!("{metric}{matcher}")
    } else {
        format!("{f}({metric}{matcher}[{}])", range(rng))
    }
}

fn expression(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => format!("{} or on() vector(0)", vector_expr(rng, 1, false)),
        1 => format!("absent({}{})", selector(rng), time_modifier(rng)),
        2 => format!("clamp_min({}, 0)", vector_expr(rng, 1, false)),
        3 => format!(
            "label_replace({}, \"host\", \"h-$1\", \"instance\", \"{}\")",
            selector(rng),
            rng.pick(&["(.*)", "(a|b)", "x.*", "(?i)A"])
        ),
        4 => format!("scalar(sum({}))", range_function(rng)),
        5 => format!(
            "{} {} {}",
            rng.pick(&["time()", "scalar(max(queue_depth))", "2"]),
            rng.pick(&["+", "*", "-", ">", "== bool"]),
            rng.pick(&["time()", "scalar(count(http_requests_total))", "1"]),
        ),
        _ => vector_expr(rng, 0, false),
    }
}

/// What promtool reported for one promql test: the `got:` samples, or an error.
#[derive(Debug, PartialEq)]
enum Got {
    Samples(String),
    Error(String),
}

/// Splits promtool's output into one report per `expr:` block, in file order.
fn parse_promtool_output(output: &str) -> Vec<Got> {
    let mut out = Vec::new();
    let lines: Vec<&str> = output.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("    expr: ") {
            if let Some(pos) = line.rfind(", err: ") {
                out.push(Got::Error(line[pos + 7..].to_string()));
            } else {
                // exp: then got: on the following lines.
                let got = lines
                    .get(i + 2)
                    .and_then(|l| l.strip_prefix("        got: "))
                    .unwrap_or("<missing>");
                out.push(Got::Samples(got.to_string()));
                i += 2;
            }
        }
        i += 1;
    }
    out
}

/// Our result, formatted as promtool formats `got:`.
fn ours(engine: &Engine, store: &Store, query: &str, t: i64) -> Got {
    let options = ParseOptions {
        legacy_holt_winters: true,
        ..ParseOptions::default()
    };
    let expr = match parse_with(query, &options) {
        Ok(e) => e,
        Err(e) => return Got::Error(format!("parse: {e}")),
    };
    let result = match engine.instant_query(store, &expr, t) {
        Ok(r) => r,
        Err(e) => return Got::Error(e.to_string()),
    };
    let mut samples: Vec<(Labels, f64)> = match result.value {
        Value::Scalar(f) => vec![(Labels::empty(), f)],
        Value::Vector(v) => v.into_iter().map(|s| (s.metric, s.f)).collect(),
        other => return Got::Error(format!("rule result is not a vector or scalar: {other:?}")),
    };
    samples.sort_by(|a, b| a.0.cmp(&b.0));
    if samples.is_empty() {
        return Got::Samples("nil".into());
    }
    let text = samples
        .iter()
        .map(|(l, f)| format!("{l} {}", format_float_e(*f)))
        .collect::<Vec<_>>()
        .join(", ");
    Got::Samples(text)
}

/// The promtool to compare with (`$PROMTOOL` or `promtool`), checked to be 2.42; `None` (after
/// a note) when there is none outside CI.
fn promtool() -> Option<String> {
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let version = Command::new(&promtool).arg("--version").output();
    let Ok(version) = version else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required in CI"
        );
        eprintln!("skipping: promtool not found");
        return None;
    };
    let version = String::from_utf8_lossy(&version.stdout).to_string()
        + &String::from_utf8_lossy(&version.stderr);
    assert!(
        version.contains("2.42"),
        "expected promtool 2.42, got {version}"
    );
    Some(promtool)
}

/// Runs `promtool test rules` on a test file and splits its report into `cases` results.
fn run_promtool(promtool: &str, path: &std::path::Path, cases: usize) -> Vec<Got> {
    let output = Command::new(promtool)
        .args(["test", "rules"])
        .arg(path)
        .output()
        .expect("run promtool");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let got = parse_promtool_output(&text);
    assert_eq!(
        got.len(),
        cases,
        "could not match promtool's output to the cases:\n{text}"
    );
    got
}

/// A test file with one series and cases at the given times, each expecting an impossible
/// sample so that promtool prints what it got.
fn promtool_file(series: &[(String, String)], cases: &[(String, i64)], interval: &str) -> String {
    let mut yaml = String::new();
    writeln!(
        yaml,
        "evaluation_interval: {EVAL_INTERVAL_MS}ms\ntests:\n  - interval: {interval}\n    input_series:"
    )
    .unwrap();
    for (descriptor, values) in series {
        writeln!(
            yaml,
            "      - series: '{descriptor}'\n        values: '{values}'"
        )
        .unwrap();
    }
    writeln!(yaml, "    promql_expr_test:").unwrap();
    for (query, t) in cases {
        writeln!(
            yaml,
            "      - expr: '{}'\n        eval_time: {t}s\n        exp_samples:\n          - labels: '{{promgate_sentinel=\"1\"}}'\n            value: 0",
            query.replace('\'', "''")
        )
        .unwrap();
    }
    yaml
}

/// Go's `math.Exp` (amd64 assembly), `Log`, `Log2`, `Log10` and `Pow`, which promtool's `exp`,
/// `ln`, `log2`, `log10` and `^` use, differ from Rust's libm in the last bit for many inputs;
/// the Prometheus 2 semantics port them. This compares them over many magnitudes.
#[test]
#[ignore = "needs promtool 2.42 (/usr/bin/promtool); .ci/run runs it with --ignored"]
fn go_math_agrees_with_promtool_2_42() {
    let Some(promtool) = promtool() else {
        return;
    };
    let mut rng = Rng(0x0006_0a7e);
    let mut cases = Vec::new();
    for _ in 0..120 {
        let magnitude = rng.below(12) as i32 - 4;
        let v = (rng.next() % 1_000_000) as f64 / 1e5 * 10f64.powi(magnitude);
        let small = (rng.next() % 200_000) as f64 / 1e3 - 100.0;
        cases.push((format!("exp(vector({small}))"), 0));
        cases.push((format!("ln(vector({v}))"), 0));
        cases.push((format!("log2(vector({v}))"), 0));
        cases.push((format!("log10(vector({v}))"), 0));
        let y = rng.pick(&["-3", "3", "0.3", "-1.7", "2.5", "7", "100", "-0.5", "1.5"]);
        cases.push((format!("vector({v}) ^ {y}"), 0));
        cases.push((format!("{small} ^ vector({y})"), 0));
    }
    let yaml = promtool_file(&[("m".into(), "1".into())], &cases, "1m");
    let dir = std::env::temp_dir().join(format!("promgate-math-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("math.yml");
    std::fs::write(&path, yaml).expect("write test file");
    let got = run_promtool(&promtool, &path, cases.len());
    let engine = Engine::new(EngineOptions {
        semantics: Semantics::Prometheus2,
        ..EngineOptions::default()
    });
    let store = Store::new();
    let mut disagreements = Vec::new();
    for ((query, t), theirs) in cases.iter().zip(got) {
        let mine = ours(&engine, &store, query, t * 1000);
        if mine != theirs {
            disagreements.push(format!(
                "{query}\n  promtool: {theirs:?}\n  promgate: {mine:?}"
            ));
        }
    }
    for d in &disagreements {
        println!("{d}");
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} math results differ from promtool 2.42",
        disagreements.len(),
        cases.len()
    );
}

#[test]
#[ignore = "needs promtool 2.42 (/usr/bin/promtool); .ci/run runs it with --ignored"]
fn agrees_with_promtool_2_42() {
    let Some(promtool) = promtool() else {
        return;
    };
    let seeds: u64 = std::env::var("PROMGATE_DIFF_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let per_seed = 100;
    let dir = std::env::temp_dir().join(format!("promgate-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for seed in 0..seeds {
        let mut rng = Rng(0x5eed_0000 + seed);
        let fixtures = fixtures(&mut rng);
        let cases: Vec<(String, i64)> = (0..per_seed)
            .map(|_| {
                let t = 300 + rng.below(29) as i64 * 30 + if rng.chance(20) { 7 } else { 0 };
                (expression(&mut rng), t)
            })
            .collect();

        // The promtool test file: every case expects an impossible sample, so promtool prints
        // what it got; a last case at the end of the fixture makes it load every sample.
        let mut yaml = String::new();
        writeln!(
            yaml,
            "evaluation_interval: {EVAL_INTERVAL_MS}ms\ntests:\n  - interval: 1s\n    input_series:"
        )
        .unwrap();
        for (phase, f) in fixtures.iter().enumerate() {
            writeln!(
                yaml,
                "      - series: '{}'\n        values: '{}'",
                f.descriptor(),
                f.notation(phase as i64)
            )
            .unwrap();
        }
        writeln!(yaml, "    promql_expr_test:").unwrap();
        for (query, t) in &cases {
            writeln!(
                yaml,
                "      - expr: '{}'\n        eval_time: {t}s\n        exp_samples:\n          - labels: '{{promgate_sentinel=\"1\"}}'\n            value: 0",
                query.replace('\'', "''")
            )
            .unwrap();
        }
        writeln!(yaml, "      - expr: vector(1)\n        eval_time: {LAST_EVAL_S}s\n        exp_samples:\n          - labels: '{{}}'\n            value: 1").unwrap();
        let path = dir.join(format!("diff-{seed}.yml"));
        std::fs::write(&path, &yaml).expect("write test file");
        let got = run_promtool(&promtool, &path, cases.len());

        // Our side: the same samples in a store, Prometheus 2 semantics, names dropped at once,
        // subqueries defaulting to the evaluation interval.
        let mut store = Store::new();
        for (phase, f) in fixtures.iter().enumerate() {
            let labels = f.labels();
            for (t, v) in f.samples(phase as i64) {
                store.append_float(labels.clone(), t, v).expect("append");
            }
        }
        let engine = Engine::new(EngineOptions {
            semantics: Semantics::Prometheus2,
            delayed_name_removal: false,
            default_subquery_step: EVAL_INTERVAL_MS,
            max_samples: 10_000,
            ..EngineOptions::default()
        });
        for ((query, t), theirs) in cases.iter().zip(got) {
            compared += 1;
            let mine = ours(&engine, &store, query, t * 1000);
            let agree = match (&mine, &theirs) {
                (Got::Error(_), Got::Error(_)) => true,
                _ => mine == theirs,
            };
            if !agree {
                disagreements.push(format!(
                    "seed {seed}, t={t}s: {query}\n  promtool: {theirs:?}\n  promgate: {mine:?}"
                ));
            }
        }
    }
    println!(
        "{compared} expressions compared with promtool 2.42, {} disagreements",
        disagreements.len()
    );
    for d in &disagreements {
        println!("{d}");
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements with promtool 2.42",
        disagreements.len()
    );
}

#[test]
fn promtool_output_is_split_per_case() {
    let output = "Unit Testing:  x.yml\n  FAILED:\n    expr: \"a\", time: 5m,\n        exp: {promgate_sentinel=\"1\"} 0E+00\n        got: {__name__=\"a\"} 1E+00\n\n    expr: \"b\", time: 6m, err: parse error\n";
    let got = parse_promtool_output(output);
    assert_eq!(
        got,
        vec![
            Got::Samples("{__name__=\"a\"} 1E+00".into()),
            Got::Error("parse error".into())
        ]
    );
}
