//! Statistics benchmarks: summaries (batch and streaming) of a day of 10 s steps (8640 samples)
//! and of a million samples, and the drift detectors over a day of steps. The series are
//! N(0, 1) noise with one step in a hundred missing, from a fixed seed.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use promgate::stats::{
    DriftOptions, SplitMix64, StreamingSummary, SummaryOptions, Threshold, detect_changes,
    summarize,
};
use std::hint::black_box;

fn series(len: usize) -> Vec<Option<f64>> {
    let mut rng = SplitMix64::new(2024);
    (0..len)
        .map(|i| (i % 100 != 99).then(|| rng.next_normal()))
        .collect()
}

fn options() -> SummaryOptions {
    SummaryOptions {
        step_ms: Some(10_000),
        threshold: Some(Threshold::above(2.0)),
        ..SummaryOptions::default()
    }
}

fn summaries(c: &mut Criterion) {
    let mut group = c.benchmark_group("summary");
    for len in [8640, 1_000_000] {
        let data = series(len);
        group.throughput(Throughput::Elements(len as u64));
        if len > 10_000 {
            group.sample_size(20);
        }
        group.bench_with_input(BenchmarkId::new("summarize", len), &data, |b, data| {
            b.iter(|| summarize(black_box(data), &options()).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("streaming", len), &data, |b, data| {
            b.iter(|| {
                let mut streaming = StreamingSummary::new(options()).unwrap();
                for &sample in black_box(data) {
                    streaming.push(sample);
                }
                streaming.summary().unwrap()
            })
        });
    }
    group.finish();
}

fn drift(c: &mut Criterion) {
    let mut group = c.benchmark_group("drift");
    let data = series(8640);
    group.throughput(Throughput::Elements(data.len() as u64));
    let detectors = [
        ("cusum", DriftOptions::Cusum(Default::default())),
        (
            "page_hinkley",
            DriftOptions::PageHinkley(Default::default()),
        ),
        ("ewma", DriftOptions::Ewma(Default::default())),
    ];
    for (name, options) in detectors {
        group.bench_with_input(BenchmarkId::new(name, data.len()), &data, |b, data| {
            b.iter(|| detect_changes(black_box(data), &options).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, summaries, drift);
criterion_main!(benches);
