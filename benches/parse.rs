//! Parsing speed over every `eval` expression of Prometheus's PromQL test scripts
//! (`PROMQLTEST_DIR`, default `../shared/conformance/promqltest`), compared with the
//! `promql-parser` crate on the same input.
//!
//! Only expressions both parsers accept are timed, so the comparison is like-for-like; the
//! counts are printed at the start.

#[path = "../tests/common/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promgate::promql::{ParseOptions, parse_with};

fn corpus_expressions() -> Vec<String> {
    let dir = corpus::corpus_dir().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/promqltest")
    });
    let corpus = corpus::read_corpus(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the promqltest corpus in {}: {e} (set PROMQLTEST_DIR)",
            dir.display()
        )
    });
    corpus.into_iter().map(|c| c.expr).collect()
}

fn parse_corpus(c: &mut Criterion) {
    let options = ParseOptions::all_features();
    let all = corpus_expressions();
    let ours: Vec<bool> = all
        .iter()
        .map(|e| parse_with(e, &options).is_ok())
        .collect();
    let theirs: Vec<bool> = all
        .iter()
        .map(|e| promql_parser::parser::parse(e).is_ok())
        .collect();
    let both: Vec<&str> = all
        .iter()
        .zip(ours.iter().zip(&theirs))
        .filter(|(_, (a, b))| **a && **b)
        .map(|(e, _)| e.as_str())
        .collect();
    eprintln!(
        "corpus: {} expressions; promgate accepts {}, promql-parser accepts {}; timing the {} both accept",
        all.len(),
        ours.iter().filter(|ok| **ok).count(),
        theirs.iter().filter(|ok| **ok).count(),
        both.len()
    );

    // Both parsers compile the regex of every `=~` and `!~` matcher, which takes most of the
    // time for the expressions that have one; the second group leaves them out to show the
    // parsers themselves.
    let without_regex: Vec<&str> = both
        .iter()
        .copied()
        .filter(|e| !e.contains("=~") && !e.contains("!~"))
        .collect();
    eprintln!("{} of them have no regex matcher", without_regex.len());
    for (name, exprs) in [
        ("parse_corpus", &both),
        ("parse_corpus_no_regex", &without_regex),
    ] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(exprs.len() as u64));
        group.bench_function("promgate", |b| {
            b.iter(|| {
                for expr in exprs {
                    let _ = black_box(parse_with(black_box(expr), &options));
                }
            })
        });
        group.bench_function("promql-parser", |b| {
            b.iter(|| {
                for expr in exprs {
                    let _ = black_box(promql_parser::parser::parse(black_box(expr)));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
