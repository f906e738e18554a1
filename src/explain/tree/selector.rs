//! Findings at selectors: no series (typo hints), no sample in the lookback window, stale
//! markers, range windows the fixture does not cover, recorded series.

use std::collections::BTreeSet;

use super::{ExplainNode, Finding, LabelHint, MAX_RULE_DEPTH, Walker};
use crate::eval::Semantics;
use crate::model::{MatchOp, Timestamp, is_stale_nan};
use crate::promql::{Expr, VectorSelector};
use crate::store::{Store, StoredSeries};

/// The time a selector reads at `t` (its static offset applied).
pub(super) fn selector_time(vs: &VectorSelector, t: Timestamp) -> Timestamp {
    t - vs.offset.as_ref().and_then(|d| d.static_ms()).unwrap_or(0)
}

/// Findings of an instant selector; follows a recorded series into its rule.
pub(super) fn instant(
    walker: &mut Walker<'_, '_>,
    node: &mut ExplainNode,
    vs: &VectorSelector,
    shown: &Expr,
    t: Timestamp,
    depth: usize,
) {
    if !node.result.is_empty() {
        return;
    }
    let at = selector_time(vs, t);
    let series = walker.store.select(&vs.matchers);
    let direct = match series.is_empty() {
        true => Some(no_series(walker.store, vs, shown)),
        false => no_sample(&series, shown, at, walker),
    };
    let Some(direct) = direct else {
        return;
    };
    let rule = vs.name.as_deref().and_then(|n| (walker.recorded)(n));
    match rule {
        Some(rule) if depth < MAX_RULE_DEPTH => {
            node.children.push(walker.node(rule.expr, at, depth + 1));
            node.findings.push(Finding::Recorded {
                selector: shown.to_string(),
                rule: rule.name.to_string(),
                group: rule.group.map(|(g, i)| (g.to_string(), i)),
                at,
                reads_later: rule.reads_later.clone(),
            });
        }
        _ => node.findings.push(direct),
    }
}

fn no_sample(
    series: &[&StoredSeries],
    shown: &Expr,
    at: Timestamp,
    walker: &Walker<'_, '_>,
) -> Option<Finding> {
    let newest = series
        .iter()
        .filter_map(|s| {
            s.floats()
                .iter()
                .rev()
                .find(|p| p.t <= at)
                .map(|p| (p.t, p.f))
        })
        .max_by_key(|(pt, _)| *pt);
    let options = walker.engine.options();
    let lookback = options.lookback_delta;
    let selector = shown.to_string();
    match newest {
        None => {
            let first = series
                .iter()
                .filter_map(|s| s.floats().first().map(|p| p.t))
                .min();
            // Histogram-only series are not looked at here.
            if series.iter().any(|s| !s.histograms().is_empty()) {
                return None;
            }
            Some(Finding::NoSampleYet {
                selector,
                at,
                first,
            })
        }
        Some((marker, f)) if is_stale_nan(f) => Some(Finding::StaleMarker {
            selector,
            at,
            marker,
        }),
        Some((newest, _)) => {
            let outside = match options.semantics {
                Semantics::Prometheus3 => newest <= at - lookback,
                Semantics::Prometheus2 => newest < at - lookback,
            };
            outside.then_some(Finding::OutsideLookback {
                selector,
                at,
                newest,
                lookback,
            })
        }
    }
}

/// Findings of a range selector.
pub(super) fn range(
    walker: &mut Walker<'_, '_>,
    node: &mut ExplainNode,
    vs: &VectorSelector,
    shown: &Expr,
    t: Timestamp,
    range: i64,
) {
    let store = walker.store;
    let series = store.select(&vs.matchers);
    if series.is_empty() {
        node.findings.push(no_series(store, vs, shown));
        return;
    }
    let at = selector_time(vs, t);
    let window = walker.engine.options().semantics.window();
    let most = series
        .iter()
        .map(|s| {
            s.floats_in(at - range, at, window).len()
                + s.histograms_in(at - range, at, window).len()
        })
        .max()
        .unwrap_or(0);
    let first = series
        .iter()
        .filter_map(|s| {
            let f = s.floats().first().map(|p| p.t);
            let h = s.histograms().first().map(|p| p.t);
            f.into_iter().chain(h).min()
        })
        .min()
        .unwrap_or(0);
    let selector = shown.to_string();
    if most == 0 {
        node.findings.push(Finding::EmptyWindow {
            selector,
            at,
            range,
        });
    } else if most < 2 && at - range < first {
        node.findings.push(Finding::WindowNotCovered {
            selector,
            at,
            range,
            first,
            samples: most,
        });
    }
}

/// Why a selector matched no series: typo hints for the metric name and label values.
fn no_series(store: &Store, vs: &VectorSelector, shown: &Expr) -> Finding {
    let name = vs.metric_name().unwrap_or("");
    let selector = shown.to_string();
    let same_name: Vec<&StoredSeries> = match name.is_empty() {
        true => Vec::new(),
        false => store
            .iter()
            .filter(|s| s.labels().metric_name() == Some(name))
            .collect(),
    };
    if same_name.is_empty() {
        let names: BTreeSet<&str> = store
            .iter()
            .filter_map(|s| s.labels().metric_name())
            .collect();
        let similar_names = match name.is_empty() {
            true => Vec::new(),
            false => nearest(name, names.into_iter()),
        };
        return Finding::NoSeries {
            selector,
            name_exists: false,
            similar_names,
            labels: Vec::new(),
        };
    }
    let mut labels = Vec::new();
    for m in vs
        .matchers
        .iter()
        .filter(|m| m.name != crate::model::METRIC_NAME)
    {
        let values: BTreeSet<&str> = same_name
            .iter()
            .filter_map(|s| s.labels().get(&m.name))
            .collect();
        if same_name
            .iter()
            .any(|s| m.matches(s.labels().get_or_empty(&m.name)))
        {
            continue;
        }
        let nearest = match m.op {
            MatchOp::Equal | MatchOp::RegexMatch => {
                let found = nearest(&m.value, values.iter().copied());
                match found.is_empty() {
                    true => values.iter().take(3).map(|v| v.to_string()).collect(),
                    false => found,
                }
            }
            _ => values.iter().take(3).map(|v| v.to_string()).collect(),
        };
        labels.push(LabelHint {
            label: m.name.clone(),
            matcher: m.to_string(),
            nearest,
        });
    }
    Finding::NoSeries {
        selector,
        name_exists: true,
        similar_names: Vec::new(),
        labels,
    }
}

/// At most three candidates within a small edit distance of `wanted`, nearest first.
fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .filter(|c| *c != wanted)
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// Levenshtein distance over characters (inputs are label values and names, capped at 256
/// characters so the cost stays bounded).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(256).collect();
    let b: Vec<char> = b.chars().take(256).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}
