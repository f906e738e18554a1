//! Tests of the function dispatcher and the functions, over hand-built stores.
//!
//! `floats.rs` covers float functions, `histograms.rs` native and classic histograms. Most
//! function tests are promqltest scripts in `tests/data/eval/` instead.

use crate::eval::{Engine, EngineOptions, Value};
use crate::model::{BucketSpan, CounterResetHint, FloatHistogram, Labels, SampleValue};
use crate::promql::{Expr, ParseOptions, parse_with};
use crate::store::Store;
use std::sync::Arc;

/// Parses a query with every parser feature on, as Prometheus's test engine does, plus
/// Prometheus 2's `holt_winters`.
pub(super) fn parse(query: &str) -> Expr {
    let options = ParseOptions {
        legacy_holt_winters: true,
        ..ParseOptions::all_features()
    };
    parse_with(query, &options).unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// Builds a store from `(series, samples)`; `None` samples are gaps; every sample is `step`
/// apart starting at 0.
pub(super) struct Fixture {
    pub store: Store,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            store: Store::new(),
        }
    }

    pub fn labels(text: &str) -> Labels {
        // `name{a="b",c="d"}`
        let (name, rest) = match text.find('{') {
            Some(i) => (&text[..i], &text[i + 1..text.len() - 1]),
            None => (text, ""),
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !name.is_empty() {
            pairs.push(("__name__".to_string(), name.to_string()));
        }
        for part in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').expect("label pair");
            pairs.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
        }
        Labels::from_pairs(pairs)
    }

    /// Float samples `step` ms apart from 0; NaN with the stale bit pattern stays stale.
    pub fn floats(mut self, series: &str, step: i64, values: &[Option<f64>]) -> Fixture {
        let id = self.store.series_id(Fixture::labels(series)).unwrap();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                self.store
                    .append(id, i as i64 * step, SampleValue::Float(*v))
                    .unwrap();
            }
        }
        self
    }

    /// Samples at explicit times.
    pub fn at(mut self, series: &str, samples: &[(i64, SampleValue)]) -> Fixture {
        let id = self.store.series_id(Fixture::labels(series)).unwrap();
        for (t, v) in samples {
            self.store.append(id, *t, v.clone()).unwrap();
        }
        self
    }

    /// `a+bxN` like the series notation: N+1 values.
    pub fn series(self, series: &str, step: i64, start: f64, inc: f64, n: usize) -> Fixture {
        let mut values = Vec::with_capacity(n + 1);
        let mut cur = start;
        for _ in 0..=n {
            values.push(Some(cur));
            cur += inc;
        }
        self.floats(series, step, &values)
    }
}

/// A histogram with positive buckets starting at index `offset`.
pub(super) fn hist(
    schema: i32,
    count: f64,
    sum: f64,
    offset: i32,
    buckets: &[f64],
) -> FloatHistogram {
    FloatHistogram {
        schema,
        count,
        sum,
        positive_spans: if buckets.is_empty() {
            Vec::new()
        } else {
            vec![BucketSpan {
                offset,
                length: buckets.len() as u32,
            }]
        },
        positive_buckets: buckets.to_vec(),
        ..FloatHistogram::default()
    }
}

pub(super) fn h(v: FloatHistogram) -> SampleValue {
    SampleValue::Histogram(Arc::new(v))
}

pub(super) fn f(v: f64) -> SampleValue {
    SampleValue::Float(v)
}

pub(super) fn engine() -> Engine {
    Engine::new(EngineOptions::promqltest())
}

/// Evaluates `query` at `t` (ms) and renders the result sorted: `labels => value` lines.
pub(super) fn eval(store: &Store, query: &str, t: i64) -> Result<String, String> {
    let expr = parse(query);
    let r = engine()
        .instant_query(store, &expr, t)
        .map_err(|e| e.to_string())?;
    Ok(render(&r.value))
}

/// Like [`eval`], with the annotations appended (`warn: ...`, `info: ...`).
pub(super) fn eval_annotated(store: &Store, query: &str, t: i64) -> Result<String, String> {
    let expr = parse(query);
    let r = engine()
        .instant_query(store, &expr, t)
        .map_err(|e| e.to_string())?;
    let mut out = render(&r.value);
    for a in r.annotations.iter() {
        out.push_str(&format!("{a}\n"));
    }
    Ok(out)
}

pub(super) fn render(v: &Value) -> String {
    match v {
        Value::Vector(samples) => {
            let mut lines: Vec<String> = samples
                .iter()
                .map(|s| match &s.h {
                    Some(h) => format!("{} => {h}", s.metric),
                    None => format!("{} => {}", s.metric, crate::model::format_float(s.f)),
                })
                .collect();
            lines.sort();
            lines.iter().map(|l| format!("{l}\n")).collect()
        }
        other => other.to_string(),
    }
}

pub(super) const M: i64 = 60_000;

pub(super) const S: i64 = 1000;

/// Expected lines, sorted like [`render`] sorts them.
pub(super) fn lines(v: &[&str]) -> String {
    let mut v: Vec<String> = v.iter().map(|l| format!("{l}\n")).collect();
    v.sort();
    v.concat()
}

mod floats;
mod histograms;
