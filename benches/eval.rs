//! Evaluation benchmarks over the `l4-24h` and `fleet-1h` workloads of
//! `../shared/bench/gen_workloads.py` (generated into a temporary folder at start, or read from
//! `PROMGATE_WORKLOADS`).
//!
//! - `instant/*`: one health-check expression evaluated as an instant query at every 10 s step
//!   of one hour (360 queries), as a rule runner does.
//! - `range/*`: one range query over the whole 24 h at a 10 s step (8641 points per series).

use criterion::{Criterion, criterion_group, criterion_main};
use promgate::eval::{Engine, EngineOptions};
use promgate::fixture::{PromtoolTestFile, load_input_series};
use promgate::promql::parse;
use promgate::store::Store;
use std::path::PathBuf;
use std::process::Command;

fn workloads() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROMGATE_WORKLOADS") {
        return PathBuf::from(dir);
    }
    let dir = std::env::temp_dir().join("promgate-bench-workloads");
    if !dir.join("l4-24h.test.yml").exists() {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_workloads.py");
        let status = Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .status()
            .expect("python3 runs gen_workloads.py");
        assert!(status.success(), "gen_workloads.py failed");
    }
    dir
}

fn load(name: &str) -> Store {
    let path = workloads().join(format!("{name}.test.yml"));
    let text = std::fs::read_to_string(&path).expect("workload file");
    let file = PromtoolTestFile::from_yaml(&text).expect("valid test file");
    let evaluation_interval = file.evaluation_interval_ms().expect("interval");
    let group = &file.tests[0];
    let mut store = Store::new();
    load_input_series(
        &mut store,
        &group.input_pairs(),
        group.interval_ms(evaluation_interval).expect("interval"),
    )
    .expect("input series load");
    store
}

fn bench_eval(c: &mut Criterion) {
    let engine = Engine::new(EngineOptions::default());
    let l4 = load("l4-24h");
    let fleet = load("fleet-1h");
    let instant_cases: [(&str, &Store, &str); 6] = [
        (
            "l4_heartbeat_changes",
            &l4,
            "changes(heartbeat_seq[6m]) < bool 2",
        ),
        (
            "l4_freshness",
            &l4,
            "time() - timestamp(heartbeat_seq) < bool 120",
        ),
        (
            "l4_canary_failure_ratio",
            &l4,
            r#"sum by (instance) (rate(canary_requests_total{code=~"5.."}[5m])) / sum by (instance) (rate(canary_requests_total[5m]))"#,
        ),
        (
            "l4_dr_p95",
            &l4,
            "histogram_quantile(0.95, sum by (le) (rate(dr_rehearsal_minutes_bucket[1h])))",
        ),
        (
            "fleet_error_ratio",
            &fleet,
            r#"sum by (instance) (rate(http_requests_total{code=~"5.."}[1m])) / ignoring(code) group_left sum by (instance) (rate(http_requests_total[1m]))"#,
        ),
        (
            "fleet_p99",
            &fleet,
            "histogram_quantile(0.99, sum by (job, le) (rate(http_latency_seconds_bucket[5m])))",
        ),
    ];
    let mut group = c.benchmark_group("instant");
    group.sample_size(20);
    for (name, store, query) in instant_cases {
        let expr = parse(query).expect("valid query");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut t = 3_600_000;
                let mut n = 0;
                while t < 2 * 3_600_000 {
                    let r = engine.instant_query(store, &expr, t).expect("evaluates");
                    n += r.annotations.len();
                    t += 10_000;
                }
                n
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("range");
    group.sample_size(10);
    let expr = parse(r#"sum by (instance) (rate(canary_requests_total{code=~"5.."}[5m])) / sum by (instance) (rate(canary_requests_total[5m]))"#)
        .expect("valid query");
    group.bench_function("l4_canary_failure_ratio_24h", |b| {
        b.iter(|| {
            engine
                .range_query(&l4, &expr, 0, 86_400_000, 10_000)
                .expect("evaluates")
        })
    });
    let expr = parse("max_over_time(changes(heartbeat_seq[6m])[30m:1m])").expect("valid query");
    group.bench_function("l4_subquery_24h_at_1m", |b| {
        b.iter(|| {
            engine
                .range_query(&l4, &expr, 0, 86_400_000, 60_000)
                .expect("evaluates")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_eval);
criterion_main!(benches);
