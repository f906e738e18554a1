//! Store benchmarks on the generated rule-test workloads (`shared/bench/gen_workloads.py`):
//! building the store from `input_series`, instant (lookback) and range lookups at every
//! evaluation step, and `select` with typical matchers.
//!
//! Workloads come from `PROMGATE_WORKLOADS` (a directory holding `l4-24h.test.yml` and
//! `fleet-1h.test.yml`), or are generated at startup into a temporary directory by running
//! `python3 $PROMGATE_GEN_WORKLOADS` (default `../shared/bench/gen_workloads.py` beside the
//! checkout).

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use promgate::fixture::{InputSeriesOptions, LazyLoader, PromtoolTestFile, load_input_series};
use promgate::store::{Store, Window};
use promgate::{MatchOp, Matcher};
use std::hint::black_box;

const LOOKBACK: i64 = 300_000;

struct Workload {
    name: &'static str,
    input: Vec<(String, String)>,
    interval: i64,
    evaluation_interval: i64,
    /// The last evaluation time (ms).
    end: i64,
}

impl Workload {
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.input
            .iter()
            .map(|(s, v)| (s.as_str(), v.as_str()))
            .collect()
    }

    fn store(&self) -> Store {
        let mut store = Store::new();
        load_input_series(&mut store, &self.pairs(), self.interval).unwrap();
        store
    }

    fn steps(&self) -> impl Iterator<Item = i64> + '_ {
        (0..=self.end).step_by(self.evaluation_interval as usize)
    }
}

fn read(dir: &std::path::Path, name: &'static str, end: i64) -> Workload {
    let path = dir.join(format!("{name}.test.yml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = PromtoolTestFile::from_yaml(&text).unwrap();
    let evaluation_interval = file.evaluation_interval_ms().unwrap();
    let group = &file.tests[0];
    Workload {
        name,
        input: group
            .input_series
            .iter()
            .map(|s| (s.series.clone(), s.values.clone()))
            .collect(),
        interval: group.interval_ms(evaluation_interval).unwrap(),
        evaluation_interval,
        end,
    }
}

fn benches(c: &mut Criterion) {
    let dir = common::workload_dir();
    let workloads = [
        read(&dir, "l4-24h", 24 * 3_600_000 - 10_000),
        read(&dir, "fleet-1h", 3_600_000),
    ];

    let mut build = c.benchmark_group("build");
    build.sample_size(10);
    for w in &workloads {
        let store = w.store();
        build.throughput(Throughput::Elements(store.num_samples() as u64));
        build.bench_function(BenchmarkId::new("parse_and_expand", w.name), |b| {
            let pairs = w.pairs();
            let options = InputSeriesOptions {
                interval: w.interval,
                ..InputSeriesOptions::default()
            };
            let empty = Store::new();
            b.iter(|| LazyLoader::new(&empty, black_box(&pairs), &options).unwrap())
        });
        build.bench_function(BenchmarkId::new("load_input_series", w.name), |b| {
            b.iter(|| w.store())
        });
        build.bench_function(BenchmarkId::new("lazy_by_step", w.name), |b| {
            let pairs = w.pairs();
            let options = InputSeriesOptions {
                interval: w.interval,
                ..InputSeriesOptions::default()
            };
            b.iter(|| {
                let mut store = Store::new();
                let mut loader = LazyLoader::new(&store, &pairs, &options).unwrap();
                for t in w.steps() {
                    loader.append_till(&mut store, t).unwrap();
                }
                store
            })
        });
    }
    build.finish();

    let mut lookups = c.benchmark_group("lookup");
    lookups.sample_size(10);
    for w in &workloads {
        let store = w.store();
        let all: Vec<_> = store.iter().collect();
        let lookups_per_iter = (w.steps().count() * all.len()) as u64;
        lookups.throughput(Throughput::Elements(lookups_per_iter));
        lookups.bench_function(BenchmarkId::new("instant_every_step", w.name), |b| {
            b.iter(|| {
                let mut found = 0usize;
                for t in w.steps() {
                    for series in &all {
                        found +=
                            series.latest(t - LOOKBACK, t, Window::LeftOpen).is_some() as usize;
                    }
                }
                found
            })
        });
        lookups.bench_function(BenchmarkId::new("range_5m_every_step", w.name), |b| {
            b.iter(|| {
                let mut points = 0usize;
                for t in w.steps() {
                    for series in &all {
                        points += series.floats_in(t - LOOKBACK, t, Window::LeftOpen).len();
                    }
                }
                points
            })
        });
    }
    lookups.finish();

    let fleet = &workloads[1];
    let store = fleet.store();
    let re = |name: &str, value: &str| Matcher::new(MatchOp::RegexMatch, name, value).unwrap();
    let ne = |name: &str, value: &str| Matcher::new(MatchOp::NotEqual, name, value).unwrap();
    let selectors: Vec<(&str, Vec<Matcher>)> = vec![
        (
            "name",
            vec![Matcher::equal("__name__", "http_requests_total")],
        ),
        (
            "name_and_regex",
            vec![
                Matcher::equal("__name__", "http_requests_total"),
                re("code", "5.."),
            ],
        ),
        (
            "name_and_two_labels",
            vec![
                Matcher::equal("__name__", "up"),
                Matcher::equal("job", "job1"),
                Matcher::equal("instance", "host7-a"),
            ],
        ),
        (
            "alternation",
            vec![re("job", "job1|job2"), ne("code", "404")],
        ),
        ("name_regex", vec![re("__name__", "http_.*")]),
        ("one_instance", vec![Matcher::equal("instance", "host7-a")]),
    ];
    let mut select = c.benchmark_group("select/fleet-1h");
    for (name, matchers) in &selectors {
        select.bench_function(*name, |b| {
            b.iter(|| store.select(black_box(matchers)).len())
        });
    }
    select.finish();
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
