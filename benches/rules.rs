//! Rule benchmarks: parsing and checking a generated 10 000-rule file (`check rules`), one hour
//! of group evaluation of the `fleet-1h` rules, the whole `test rules` run of each shared
//! workload (`shared/bench/gen_workloads.py`), and the L4 dry-run of `testdata/l4` (24 h at
//! 10 s): a day at 20 instances, and 20, 100 and 1000 instances over an hour (or the
//! duration in `PROMGATE_DRYRUN_SCALE_DURATION`).
//!
//! Workloads come from `PROMGATE_WORKLOADS` or are generated into a temporary directory with
//! `python3 ../shared/bench/gen_workloads.py` (override with `PROMGATE_GEN_WORKLOADS`).

use std::path::PathBuf;

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use promgate::decision::GatePlan;
use promgate::decision::dryrun::{DryRunInput, load_rule_groups, run, scenario_series};
use promgate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleLoadOptions};
use promgate::store::Store;
use promgate::unittest::{TestOptions, run_path};

/// A rule file of `n` rules in groups of 10: recording rules and alerts with templates.
fn big_rule_file(n: usize) -> String {
    let mut out = String::from("groups:\n");
    for g in 0..n / 10 {
        out.push_str(&format!(
            "  - name: group{g}\n    interval: 30s\n    rules:\n"
        ));
        for r in 0..10 {
            if r % 2 == 0 {
                out.push_str(&format!(
                    "      - record: job:http_requests:rate5m_{g}_{r}\n        expr: sum by (job, instance) (rate(http_requests_total{{job=~\"api.*\", code!~\"5..\"}}[5m])) / ignoring(code) group_left sum by (job) (rate(http_requests_total[5m]))\n        labels:\n          team: t{g}\n"
                ));
            } else {
                out.push_str(&format!(
                    "      - alert: HighLatency{g}_{r}\n        expr: histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5\n        for: 10m\n        labels:\n          severity: page\n        annotations:\n          summary: \"{{{{ $labels.job }}}} p99 is {{{{ $value | humanizeDuration }}}}\"\n"
                ));
            }
        }
    }
    out
}

fn check_rules(c: &mut Criterion) {
    let text = big_rule_file(10_000);
    c.bench_function("check rules: 10 000 rules", |b| {
        b.iter(|| {
            let file = RuleFile::parse("big.yml", &text, &RuleLoadOptions::default()).unwrap();
            assert_eq!(file.rule_count(), 10_000);
            file.duplicate_rules()
        })
    });
}

fn group_evaluation(c: &mut Criterion) {
    let dir = common::workload_dir();
    let rules = std::fs::read_to_string(dir.join("fleet-1h.rules.yml")).unwrap();
    let test = std::fs::read_to_string(dir.join("fleet-1h.test.yml")).unwrap();
    let (series, interval) = scenario_series("fleet-1h.test.yml", &test).unwrap();
    let pairs: Vec<(&str, &str)> = series
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_str()))
        .collect();
    let groups = RuleFile::parse("fleet", &rules, &RuleLoadOptions::default())
        .unwrap()
        .groups;
    let mut store = Store::new();
    promgate::load_input_series(&mut store, &pairs, interval).unwrap();
    let mut g = c.benchmark_group("group evaluation");
    g.sample_size(10);
    g.bench_function("fleet-1h rules, 1 h at 15 s", |b| {
        b.iter(|| {
            let mut s = store.clone();
            let mut e = GroupEvaluator::new(groups.clone(), RuleEvalOptions::default());
            let mut t = 0;
            while t <= 3_600_000 {
                assert!(e.eval_all(&mut s, t).is_empty());
                t += 15_000;
            }
        })
    });
    g.finish();
}

fn test_rules(c: &mut Criterion) {
    let dir = common::workload_dir();
    let mut g = c.benchmark_group("test rules");
    g.sample_size(10);
    for w in ["suite", "fleet-1h", "l4-24h"] {
        let path = dir.join(format!("{w}.test.yml"));
        g.bench_function(w, |b| {
            b.iter(|| assert!(run_path(&path, &TestOptions::default()).is_success()))
        });
    }
    g.finish();
}

/// The `testdata/l4` dry-run with the healthy scenario's instances repeated to `instances` and
/// its timeline cut to `steps` steps of 10 s (as `gen_scenarios.py` writes it for that many;
/// a longer timeline would be expanded in full before a short run).
fn dryrun_input(instances: usize, steps: usize) -> DryRunInput {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/l4");
    let plan = GatePlan::parse(
        "gates.yml",
        &std::fs::read_to_string(dir.join("gates.yml")).unwrap(),
    )
    .unwrap();
    let mut rule_files = Vec::new();
    for f in ["heartbeat", "canary", "slo", "stability"] {
        let p = dir.join(format!("rules/{f}.yml"));
        rule_files.push((f.to_string(), std::fs::read_to_string(p).unwrap()));
    }
    let groups = load_rule_groups(&rule_files).unwrap();
    let text = std::fs::read_to_string(dir.join("scenarios/healthy.yml")).unwrap();
    let (series, interval) = scenario_series("healthy.yml", &text).unwrap();
    let mut scaled = Vec::new();
    let series: Vec<(String, String)> = series
        .into_iter()
        .map(|(s, v)| {
            assert!(
                v.ends_with("x8640"),
                "a healthy series is one run of 8640 steps: {v}"
            );
            (s, v.replace("x8640", &format!("x{steps}")))
        })
        .collect();
    for (s, v) in &series {
        if s.contains("instance=\"i0\"") {
            for i in 0..instances {
                scaled.push((
                    s.replace("instance=\"i0\"", &format!("instance=\"i{i}\"")),
                    v.clone(),
                ));
            }
        } else if !s.contains("instance=") {
            scaled.push((s.clone(), v.clone()));
        }
    }
    DryRunInput {
        plan,
        groups,
        series: scaled,
        interval,
        preflight: Vec::new(),
    }
}

fn dryrun(c: &mut Criterion) {
    let mut g = c.benchmark_group("dry-run at 10 s steps");
    g.sample_size(10);
    // The example: a day at 20 instances.
    let mut cases = vec![(20, "24h".to_string())];
    // The scaling: an hour by default (a day at 1000 instances takes about 40 s per
    // iteration on 2 cores); set PROMGATE_DRYRUN_SCALE_DURATION=24h for the full day.
    let scale = std::env::var("PROMGATE_DRYRUN_SCALE_DURATION").unwrap_or_else(|_| "1h".into());
    for instances in [20, 100, 1000] {
        cases.push((instances, scale.clone()));
    }
    for (instances, duration) in cases {
        let steps = promgate::parse_duration(&duration).unwrap() / 10_000;
        let mut input = dryrun_input(instances, steps as usize);
        input.plan.dryrun.duration = Some(duration.clone());
        g.bench_function(format!("{instances} instances, {duration}"), |b| {
            b.iter(|| {
                assert_eq!(
                    run(&input).unwrap().verdict,
                    promgate::decision::Verdict::Go
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, check_rules, group_evaluation, test_rules, dryrun);
criterion_main!(benches);
