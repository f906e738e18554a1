//! promgate's opt-in extensions of the test-file format ("Beyond promtool"): their checks at
//! load time (with positions), float tolerance, inexact alert matching, and repeated input
//! series. A file that uses none of them runs exactly as promtool runs it.

use std::borrow::Cow;

use super::file::{AlertMatch, Epsilon, ExpectedAlert, Repeat, RepeatAxis, TestFile, TestGroup};
use super::{AlertExtension, AlertFailure, AlertPattern};
use crate::Labels;
use crate::eval::Semantics;
use crate::fixture::{InputSeriesOptions, LazyLoader, format_series_descriptor};
use crate::model::{MatchOp, Matcher, RegexDialect};
use crate::store::{Store, StoreLimits};
use crate::yaml::{Position, Spanned, YamlError, YamlErrorKind};

/// The regex dialect of `exp_labels_re` and `exp_annotations_re`: the one label matchers use.
pub(crate) fn regex_dialect(semantics: Semantics) -> RegexDialect {
    match semantics {
        Semantics::Prometheus2 => RegexDialect::Prometheus2,
        Semantics::Prometheus3 => RegexDialect::Prometheus3,
    }
}

fn error_at(pos: Position, message: impl Into<String>) -> YamlError {
    YamlError::new(YamlErrorKind::Decode, message, Some(pos))
}

/// The position of a field, or of its parent when the field was not written.
fn pos_or<T>(field: &Spanned<T>, parent: Position) -> Position {
    if field.pos.line == 0 {
        parent
    } else {
        field.pos
    }
}

/// Checks the extension keys of a decoded test file: tolerances, regexes, alert assertions and
/// repeats. Errors are placed at the offending value, as decoding errors are.
pub(crate) fn validate(file: &TestFile, semantics: Semantics) -> Result<(), YamlError> {
    validate_epsilon(&file.epsilon)?;
    let limit = StoreLimits::default().max_series as u128;
    for group in &file.tests {
        let group = &group.value;
        validate_epsilon(&group.epsilon)?;
        for case in &group.promql_expr_test {
            validate_epsilon(&case.value.epsilon)?;
        }
        for case in &group.alert_rule_test {
            for expected in &case.value.exp_alerts {
                validate_expected(expected, semantics, false)?;
            }
            for expected in case.value.exp_pending.iter().flat_map(|p| &p.value) {
                validate_expected(expected, semantics, true)?;
            }
        }
        let mut series: u128 = 0;
        for input in &group.input_series {
            let Some(repeat) = &input.value.repeat else {
                series += 1;
                continue;
            };
            series = series.saturating_add(copies(repeat, semantics)?);
            if series > limit {
                return Err(error_at(
                    repeat.pos,
                    format!(
                        "repeat makes {series} input series in this test group, more than the limit of {limit} series (StoreLimits::max_series)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn validate_epsilon(epsilon: &Option<Spanned<Epsilon>>) -> Result<(), YamlError> {
    let Some(epsilon) = epsilon else {
        return Ok(());
    };
    for (name, bound) in [
        ("absolute", epsilon.value.absolute),
        ("relative", epsilon.value.relative),
    ] {
        if let Some(b) = bound
            && !(b.is_finite() && b >= 0.0)
        {
            return Err(error_at(
                epsilon.pos,
                format!("epsilon: {name} must be a finite number >= 0, got {b}"),
            ));
        }
    }
    Ok(())
}

fn validate_expected(
    expected: &ExpectedAlert,
    semantics: Semantics,
    pending: bool,
) -> Result<(), YamlError> {
    if pending && let Some(keep) = &expected.exp_keep_firing {
        return Err(error_at(
            keep.pos,
            "exp_keep_firing applies to firing alerts (exp_alerts), not to exp_pending",
        ));
    }
    let dialect = regex_dialect(semantics);
    for (field, exact, regexes) in [
        (
            "exp_labels_re",
            &expected.exp_labels,
            &expected.exp_labels_re,
        ),
        (
            "exp_annotations_re",
            &expected.exp_annotations,
            &expected.exp_annotations_re,
        ),
    ] {
        for (name, regex) in regexes {
            if field == "exp_labels_re" && name == "alertname" {
                return Err(error_at(
                    regex.pos,
                    "exp_labels_re: alertname is the test case's alertname, it takes no regex",
                ));
            }
            if exact.contains_key(name) {
                let plain = field.trim_end_matches("_re");
                return Err(error_at(
                    regex.pos,
                    format!("{field}: {name:?} is also in {plain}; give one of the two"),
                ));
            }
            if let Err(e) = Matcher::with_dialect(MatchOp::RegexMatch, name, &regex.value, dialect)
            {
                return Err(error_at(
                    regex.pos,
                    format!(
                        "{field}: {name:?}: {}",
                        crate::promql::regex_message(&e, &regex.value)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// How many copies a repeat makes (the product of its axes' sizes), after checking it.
fn copies(repeat: &Spanned<Repeat>, semantics: Semantics) -> Result<u128, YamlError> {
    if repeat.value.axes.is_empty() {
        return Err(error_at(repeat.pos, "repeat needs at least one axis"));
    }
    let limit = StoreLimits::default().max_series as u128;
    let mut total: u128 = 1;
    let mut labels: Vec<&str> = Vec::new();
    for axis in &repeat.value.axes {
        let at = pos_or(&axis.label, repeat.pos);
        let label = axis.label.value.as_str();
        if label.is_empty() {
            return Err(error_at(at, "repeat: label is missing or empty"));
        }
        if semantics == Semantics::Prometheus2 && !crate::syntax::lex::is_legacy_label_name(label) {
            return Err(error_at(
                at,
                format!("repeat: {label:?} is not a valid label name"),
            ));
        }
        if labels.contains(&label) {
            return Err(error_at(
                at,
                format!("repeat: label {label:?} is given twice"),
            ));
        }
        labels.push(label);
        total = total.saturating_mul(axis_size(axis, repeat.pos)?);
        if total > limit {
            return Err(error_at(
                repeat.pos,
                format!(
                    "repeat makes {} copies of the series, more than the limit of {limit} series (StoreLimits::max_series)",
                    copies_text(repeat)
                ),
            ));
        }
    }
    Ok(total)
}

/// The number of copies, as text, even when it does not fit in a `u128`.
fn copies_text(repeat: &Spanned<Repeat>) -> String {
    let mut total: u128 = 1;
    for axis in &repeat.value.axes {
        let size = match (&axis.values, &axis.from, &axis.to) {
            (Some(v), _, _) => v.value.len() as u128,
            (None, Some(from), Some(to)) => (i128::from(to.value) - i128::from(from.value) + 1)
                .max(0)
                .unsigned_abs(),
            _ => 1,
        };
        match total.checked_mul(size) {
            Some(t) => total = t,
            None => return "more than 10^38".into(),
        }
    }
    total.to_string()
}

fn axis_size(axis: &RepeatAxis, parent: Position) -> Result<u128, YamlError> {
    match (&axis.values, &axis.from, &axis.to, &axis.format) {
        (Some(values), None, None, None) => {
            if values.value.is_empty() {
                return Err(error_at(values.pos, "repeat: values is empty"));
            }
            for (i, v) in values.value.iter().enumerate() {
                if v.is_empty() {
                    return Err(error_at(
                        values.pos,
                        "repeat: an empty value would drop the label; give non-empty values",
                    ));
                }
                if values.value[..i].contains(v) {
                    return Err(error_at(
                        values.pos,
                        format!("repeat: value {v:?} is listed twice"),
                    ));
                }
            }
            Ok(values.value.len() as u128)
        }
        (Some(values), _, _, _) => Err(error_at(
            values.pos,
            "repeat: give either values or from/to (with format), not both",
        )),
        (None, Some(from), Some(to), format) => {
            if to.value < from.value {
                return Err(error_at(
                    to.pos,
                    format!(
                        "repeat: to ({}) is less than from ({})",
                        to.value, from.value
                    ),
                ));
            }
            if let Some(format) = format
                && !format.value.contains("{}")
                && to.value != from.value
            {
                return Err(error_at(
                    format.pos,
                    "repeat: format needs a {} for the number, or every copy is the same series",
                ));
            }
            Ok((i128::from(to.value) - i128::from(from.value) + 1).unsigned_abs())
        }
        (None, Some(from), None, _) => Err(error_at(from.pos, "repeat: from needs a to")),
        (None, None, Some(to), _) => Err(error_at(to.pos, "repeat: to needs a from")),
        (None, None, None, _) => Err(error_at(
            pos_or(&axis.label, parent),
            "repeat: give values, or from and to",
        )),
    }
}

/// The values an axis gives its label, in order.
fn axis_values(axis: &RepeatAxis) -> Vec<String> {
    if let Some(values) = &axis.values {
        return values.value.clone();
    }
    let (Some(from), Some(to)) = (&axis.from, &axis.to) else {
        return Vec::new();
    };
    let format = axis.format.as_ref().map_or("{}", |f| f.value.as_str());
    (from.value..=to.value)
        .map(|n| format.replace("{}", &n.to_string()))
        .collect()
}

/// The copies of one series: its labels with each combination of the axes' values (the first
/// axis varies slowest), printed in series syntax.
fn repeated_series(labels: &Labels, repeat: &Repeat) -> Vec<String> {
    let axes: Vec<(&str, Vec<String>)> = repeat
        .axes
        .iter()
        .map(|a| (a.label.value.as_str(), axis_values(a)))
        .collect();
    if axes.iter().any(|(_, values)| values.is_empty()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut index = vec![0usize; axes.len()];
    loop {
        let mut builder = labels.builder();
        for (k, (label, values)) in axes.iter().enumerate() {
            builder.set_mut(*label, values[index[k]].as_str());
        }
        out.push(format_series_descriptor(&builder.build()));
        // The next combination, the last axis fastest.
        let mut k = axes.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            index[k] += 1;
            if index[k] < axes[k].1.len() {
                break;
            }
            index[k] = 0;
        }
    }
}

/// A test group's input series as `(series, values)` pairs, each repeated series replaced by
/// its copies. A series that does not parse is left as written, for the loader to report.
pub(crate) fn input_pairs(group: &TestGroup) -> Vec<(Cow<'_, str>, &str)> {
    let mut pairs = Vec::with_capacity(group.input_series.len());
    for input in &group.input_series {
        let input = &input.value;
        let values = input.values.value.as_str();
        let parsed = input.repeat.as_ref().and_then(|r| {
            crate::fixture::parse_series_descriptor(&input.series.value)
                .ok()
                .map(|labels| (labels, r))
        });
        match parsed {
            Some((labels, repeat)) => pairs.extend(
                repeated_series(&labels, &repeat.value)
                    .into_iter()
                    .map(|s| (Cow::Owned(s), values)),
            ),
            None => pairs.push((Cow::Borrowed(input.series.value.as_str()), values)),
        }
    }
    pairs
}

/// Whether any input series of the group is repeated.
pub(crate) fn has_repeat(group: &TestGroup) -> bool {
    group.input_series.iter().any(|s| s.value.repeat.is_some())
}

/// The lazy loader of a test group's input series. Without `repeat` this is promtool's loader
/// of the series as written. With it, the series as written are loaded first (so errors and
/// their positions are promtool's), the copies' samples are checked against the store's
/// sample limit, and then the copies are loaded.
pub(crate) fn input_loader(
    group: &TestGroup,
    store: &Store,
    options: &InputSeriesOptions,
    path: &str,
) -> Result<LazyLoader, String> {
    let written: Vec<(&str, &str)> = group
        .input_series
        .iter()
        .map(|s| (s.value.series.value.as_str(), s.value.values.value.as_str()))
        .collect();
    let loader = LazyLoader::new(store, &written, options)
        .map_err(|e| super::run::input_series_message(path, &group.input_series, &written, &e))?;
    if !has_repeat(group) {
        return Ok(loader);
    }
    let limit = store.limits().max_samples as u128;
    let mut total = loader.pending_samples() as u128;
    for (i, input) in group.input_series.iter().enumerate() {
        let Some(repeat) = &input.value.repeat else {
            continue;
        };
        let one = LazyLoader::new(store, &written[i..=i], options)
            .map_err(|e| e.to_string())?
            .pending_samples() as u128;
        let copies: u128 = repeat
            .value
            .axes
            .iter()
            .map(|a| axis_values(a).len() as u128)
            .product();
        total = total.saturating_add(one.saturating_mul(copies.saturating_sub(1)));
        if total > limit {
            return Err(format!(
                "input_series[{i}]: repeat makes {copies} copies of {one} samples, {total} samples in all, more than the limit of {limit} samples (StoreLimits::max_samples)"
            ));
        }
    }
    let pairs = input_pairs(group);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(s, v)| (s.as_ref(), *v)).collect();
    LazyLoader::new(store, &pairs, options).map_err(|e| e.to_string())
}

/// The tolerance that applies to a `promql_expr_test` case: its own, else its group's, else
/// the file's (the innermost one replaces the others as a whole).
pub(crate) fn effective_epsilon(
    file: Option<Epsilon>,
    group: &TestGroup,
    case: &super::PromqlTestCase,
) -> Option<Epsilon> {
    case.epsilon
        .as_ref()
        .or(group.epsilon.as_ref())
        .map(|e| e.value)
        .or(file)
}

/// Whether an alert case needs the extended comparison of its firing alerts.
pub(crate) fn firing_is_extended(case: &super::AlertTestCase) -> bool {
    match_mode(case) != AlertMatch::Exact
        || case.exp_alerts.iter().any(|e| {
            !e.exp_labels_re.is_empty()
                || !e.exp_annotations_re.is_empty()
                || e.exp_keep_firing.is_some()
        })
}

fn match_mode(case: &super::AlertTestCase) -> AlertMatch {
    case.match_mode
        .as_ref()
        .map(|m| m.value)
        .unwrap_or_default()
}

/// An actual alert as the extended comparison sees it: labels, annotations, and whether it is
/// held only by `keep_firing_for`.
pub(crate) type ActualAlert = (Labels, Labels, bool);

/// The expected alerts of a case as patterns, sorted.
pub(crate) fn patterns(alertname: &str, expected: &[ExpectedAlert]) -> Vec<AlertPattern> {
    let mut out: Vec<AlertPattern> = expected
        .iter()
        .map(|e| AlertPattern {
            labels: Labels::from_pairs_keeping_empty(
                e.exp_labels
                    .iter()
                    .filter(|(k, _)| k.as_str() != "alertname")
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .chain([("alertname", alertname)]),
            ),
            labels_re: e
                .exp_labels_re
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            annotations: Labels::from_pairs_keeping_empty(
                e.exp_annotations
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            ),
            annotations_re: e
                .exp_annotations_re
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            keep_firing: e.exp_keep_firing.as_ref().map(|k| k.value),
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.labels, &a.annotations, &a.labels_re, &a.annotations_re).cmp(&(
            &b.labels,
            &b.annotations,
            &b.labels_re,
            &b.annotations_re,
        ))
    });
    out
}

/// Whether `set` (an alert's labels or annotations) satisfies the exact and regex
/// expectations; with `exact`, it may hold nothing else.
fn set_matches(
    set: &Labels,
    exact_part: &Labels,
    regexes: &[(String, String)],
    exact: bool,
    dialect: RegexDialect,
) -> bool {
    let exact_ok = exact_part
        .iter()
        .all(|l| set.get(l.name()) == Some(l.value()));
    let regex_ok = regexes.iter().all(|(name, re)| {
        set.get(name).is_some_and(|value| {
            Matcher::with_dialect(MatchOp::RegexMatch, name.as_str(), re.as_str(), dialect)
                .is_ok_and(|m| m.matches(value))
        })
    });
    exact_ok && regex_ok && (!exact || set.len() == exact_part.len() + regexes.len())
}

fn alert_matches(
    pattern: &AlertPattern,
    actual: &ActualAlert,
    mode: AlertMatch,
    dialect: RegexDialect,
) -> bool {
    let exact = mode == AlertMatch::Exact;
    set_matches(
        &actual.0,
        &pattern.labels,
        &pattern.labels_re,
        exact,
        dialect,
    ) && set_matches(
        &actual.1,
        &pattern.annotations,
        &pattern.annotations_re,
        exact,
        dialect,
    ) && pattern.keep_firing.is_none_or(|k| k == actual.2)
}

/// Whether every expected alert matches a distinct actual alert and no actual alert is left
/// over: a maximum bipartite matching (augmenting paths, tried in sorted order, so the result
/// never depends on the order alerts were produced in).
pub(crate) fn one_to_one(
    expected: &[AlertPattern],
    actual: &[ActualAlert],
    mode: AlertMatch,
    dialect: RegexDialect,
) -> bool {
    if expected.len() != actual.len() {
        return false;
    }
    let edges: Vec<Vec<usize>> = expected
        .iter()
        .map(|p| {
            (0..actual.len())
                .filter(|&j| alert_matches(p, &actual[j], mode, dialect))
                .collect()
        })
        .collect();
    fn augment(
        i: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &j in &edges[i] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; actual.len()];
    (0..expected.len()).all(|i| {
        let mut seen = vec![false; actual.len()];
        augment(i, &edges, &mut seen, &mut owner)
    })
}

/// Compares alerts with the extensions (subset matching, regexes, keep-firing, pending) and
/// returns the failure, if any.
pub(crate) fn compare_alerts(
    group: Option<&str>,
    case: &super::AlertTestCase,
    eval_time: i64,
    expected: &[ExpectedAlert],
    mut actual: Vec<ActualAlert>,
    pending: bool,
    dialect: RegexDialect,
) -> Option<AlertFailure> {
    let mode = match_mode(case);
    let expected = patterns(&case.alertname, expected);
    actual.sort();
    if one_to_one(&expected, &actual, mode, dialect) {
        return None;
    }
    Some(AlertFailure {
        group: group.map(str::to_string),
        alertname: case.alertname.clone(),
        eval_time,
        expected: expected
            .iter()
            .map(|p| (p.labels.clone(), p.annotations.clone()))
            .collect(),
        got: actual.iter().map(|a| (a.0.clone(), a.1.clone())).collect(),
        diff: None,
        extension: Some(AlertExtension {
            pending,
            match_mode: mode,
            got_keep_firing: if pending {
                Vec::new()
            } else {
                actual.iter().map(|a| a.2).collect()
            },
            expected,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actual(labels: &[(&str, &str)], kept: bool) -> ActualAlert {
        (
            Labels::from_pairs(labels.iter().copied()),
            Labels::empty(),
            kept,
        )
    }

    fn pattern(labels: &[(&str, &str)], re: &[(&str, &str)]) -> AlertPattern {
        AlertPattern {
            labels: Labels::from_pairs(labels.iter().copied()),
            labels_re: re
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Labels::empty(),
            annotations_re: Vec::new(),
            keep_firing: None,
        }
    }

    #[test]
    fn subset_matching_needs_a_perfect_matching() {
        let d = RegexDialect::Prometheus3;
        let got = [
            actual(&[("a", "1"), ("b", "x")], false),
            actual(&[("a", "1"), ("b", "y")], false),
        ];
        // The first pattern fits both alerts, the second only the first alert: greedy
        // matching in order would fail, augmenting paths find the matching.
        let broad = pattern(&[("a", "1")], &[]);
        let narrow = pattern(&[("b", "x")], &[]);
        assert!(one_to_one(
            &[broad.clone(), narrow.clone()],
            &got,
            AlertMatch::Subset,
            d
        ));
        assert!(!one_to_one(
            &[narrow.clone(), narrow],
            &got,
            AlertMatch::Subset,
            d
        ));
        assert!(!one_to_one(&[broad], &got, AlertMatch::Subset, d));
    }

    #[test]
    fn regexes_are_anchored_and_exact_mode_counts_labels() {
        let d = RegexDialect::Prometheus3;
        let got = [actual(&[("a", "host-12"), ("b", "x")], true)];
        let re = pattern(&[("b", "x")], &[("a", "host-[0-9]+")]);
        assert!(one_to_one(
            std::slice::from_ref(&re),
            &got,
            AlertMatch::Exact,
            d
        ));
        let partial = pattern(&[("b", "x")], &[("a", "host-1")]);
        assert!(!one_to_one(&[partial], &got, AlertMatch::Subset, d));
        let fewer = pattern(&[], &[("a", "host-.*")]);
        assert!(!one_to_one(
            std::slice::from_ref(&fewer),
            &got,
            AlertMatch::Exact,
            d
        ));
        assert!(one_to_one(&[fewer], &got, AlertMatch::Subset, d));
        let mut kept = re;
        kept.keep_firing = Some(false);
        assert!(!one_to_one(&[kept], &got, AlertMatch::Exact, d));
    }

    #[test]
    fn repeat_copies_in_order() {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        let axis = |label: &str, values: &[&str]| RepeatAxis {
            label: Spanned::unplaced(label.to_string()),
            values: Some(Spanned::unplaced(
                values.iter().map(|v| v.to_string()).collect(),
            )),
            ..RepeatAxis::default()
        };
        let repeat = Repeat {
            axes: vec![axis("job", &["x", "y"]), axis("i", &["1", "2"])],
        };
        assert_eq!(
            repeated_series(&labels, &repeat),
            [
                r#"up{i="1", job="x"}"#,
                r#"up{i="2", job="x"}"#,
                r#"up{i="1", job="y"}"#,
                r#"up{i="2", job="y"}"#
            ]
        );
        let numbered = RepeatAxis {
            label: Spanned::unplaced("instance".into()),
            from: Some(Spanned::unplaced(8)),
            to: Some(Spanned::unplaced(10)),
            format: Some(Spanned::unplaced("h-{}".into())),
            ..RepeatAxis::default()
        };
        assert_eq!(axis_values(&numbered), ["h-8", "h-9", "h-10"]);
    }
}
