//! Functions over label sets: `label_replace`, `label_join`, `sort_by_label` and
//! `sort_by_label_desc` (with the natural sort order of Go's `facette/natsort`).

use super::instant::vector;
use super::{string_arg, string_literal_arg};
use crate::eval::engine::{Evaluator, check_no_duplicates};
use crate::eval::error::EvalError;
use crate::eval::value::{Sample, Val};
use crate::model::{METRIC_NAME, Timestamp};
use crate::promql::{Call, StringLiteral};
use crate::syntax::Span;
use std::cmp::Ordering;

/// The label-name argument `i` (a string literal), checked as Prometheus checks label names
/// under the UTF-8 scheme: non-empty and valid UTF-8 (the literal keeps the bytes of escapes
/// such as `"\xff"`). `Err` holds the name for the error message.
fn label_name_arg(call: &Call, i: usize) -> Result<String, String> {
    let literal = call
        .args
        .get(i)
        .map(string_literal_arg)
        .unwrap_or_else(|| StringLiteral::from(""));
    if literal.is_valid_label_name() {
        Ok(literal.value)
    } else {
        Err(literal.value)
    }
}

/// The most label sets a `label_replace` remembers across steps before starting over.
const RELABEL_MEMO_CAPACITY: usize = 100_000;

/// `label_replace(v, dst, replacement, src, regex)`: where `regex` matches the whole value of
/// `src`, sets `dst` to the expansion of `replacement` (deleting it when empty).
pub(super) fn label_replace<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let arg = |i: usize| call.args.get(i).map(string_arg).unwrap_or_default();
    let (dst, replacement, src, pattern) = (label_name_arg(call, 1), arg(2), arg(3), arg(4));
    let span = call.args.get(4).map_or(Span::default(), |a| a.span);
    let regex =
        ev.anchored_regex(&pattern)
            .map_err(|reason| EvalError::InvalidLabelReplaceRegex {
                regex: pattern.clone(),
                reason,
                span,
            })?;
    let dst = dst.map_err(EvalError::InvalidLabelReplaceDestination)?;
    let Some(input) = call.args.first() else {
        return Ok(Val::Vector(Vec::new()));
    };
    let mut v = ev.eval_vector(input, t)?;
    // Over several steps, each input label set is relabelled once.
    let mut memo = ev.repeats.then(|| {
        ev.relabeled
            .remove(&(call as *const Call))
            .unwrap_or_default()
    });
    for s in &mut v {
        let known = memo.as_ref().and_then(|m| m.get(&s.metric.identity()));
        let relabeled = match known {
            Some((_, relabeled)) => relabeled.clone(),
            None => {
                let value = s.metric.get_or_empty(&src);
                let relabeled = regex.captures(value).map(|caps| {
                    let mut expanded = String::new();
                    caps.expand(&replacement, &mut expanded);
                    s.metric.builder().set(dst.as_str(), expanded).build()
                });
                if let Some(memo) = &mut memo {
                    if memo.len() >= RELABEL_MEMO_CAPACITY {
                        memo.clear();
                    }
                    memo.insert(s.metric.identity(), (s.metric.clone(), relabeled.clone()));
                }
                relabeled
            }
        };
        let Some(relabeled) = relabeled else {
            continue;
        };
        s.metric = relabeled;
        if dst == METRIC_NAME {
            s.drop_name = false;
        }
    }
    if let Some(memo) = memo {
        ev.relabeled.insert(call as *const Call, memo);
    }
    finish_relabel(v)
}

/// `label_join(v, dst, separator, src...)`: sets `dst` to the values of the `src` labels joined
/// with `separator` (deleting it when empty).
pub(super) fn label_join<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let separator = call.args.get(2).map(string_arg).unwrap_or_default();
    let sources = (3..call.args.len())
        .map(|i| label_name_arg(call, i))
        .collect::<Result<Vec<String>, String>>()
        .map_err(EvalError::InvalidLabelJoinSource)?;
    let dst = label_name_arg(call, 1).map_err(EvalError::InvalidLabelJoinDestination)?;
    let Some(input) = call.args.first() else {
        return Ok(Val::Vector(Vec::new()));
    };
    let mut v = ev.eval_vector(input, t)?;
    for s in &mut v {
        let joined = sources
            .iter()
            .map(|src| s.metric.get_or_empty(src))
            .collect::<Vec<_>>()
            .join(&separator);
        s.metric = s.metric.builder().set(dst.as_str(), joined).build();
        if dst == METRIC_NAME {
            s.drop_name = false;
        }
    }
    finish_relabel(v)
}

/// Two series that end up with the same labels at one time are an error (Prometheus's
/// `mergeSeriesWithSameLabelset` only merges series that do not overlap in time). The labels
/// compared still include a name that delayed name removal will drop later.
fn finish_relabel<'s>(v: Vec<Sample>) -> Result<Val<'s>, EvalError> {
    check_no_duplicates(&v)?;
    Ok(Val::Vector(v))
}

/// `sort_by_label(v, label...)` and `sort_by_label_desc`: by the labels' values in natural
/// order, then by the whole label set.
pub(super) fn sort_by_label<'s>(call: &Call, args: Vec<Val<'s>>, descending: bool) -> Val<'s> {
    let names: Vec<String> = call.args.iter().skip(1).map(string_arg).collect();
    let mut v = vector(args.into_iter().next());
    v.sort_by(|a, b| {
        let order = compare_by_labels(a, b, &names);
        if descending { order.reverse() } else { order }
    });
    Val::Vector(v)
}

fn compare_by_labels(a: &Sample, b: &Sample, names: &[String]) -> Ordering {
    for name in names {
        let (va, vb) = (a.metric.get_or_empty(name), b.metric.get_or_empty(name));
        if va == vb {
            continue;
        }
        // Prometheus returns as soon as the values differ; values that are equal in natural
        // order but not byte for byte ("01" and "1") are ordered by their bytes here, where Go's
        // comparator is inconsistent.
        return natural_cmp(va, vb).then_with(|| va.cmp(vb));
    }
    a.metric.cmp(&b.metric)
}

/// One chunk of a string in natural order: a run of ASCII digits or a run of anything else
/// (Go's `(\d+|\D+)`).
fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut digits: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let is_digit = c.is_ascii_digit();
        if digits.is_some_and(|d| d != is_digit) {
            out.push(&s[start..i]);
            start = i;
        }
        digits = Some(is_digit);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Compares two digit runs by value (leading zeros ignored).
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The natural order of `facette/natsort` (the version Prometheus uses) as a total order:
/// strings are split into digit and non-digit chunks; the first differing chunk decides, by
/// value when both are numbers and by bytes otherwise; a string whose chunks are a prefix of
/// the other's comes first.
///
/// Go compares numeric chunks as `int`s and falls back to bytes for numbers beyond 64 bits;
/// comparing those by value keeps the order transitive (a difference only for numbers with
/// more than 19 digits).
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let numeric = x.as_bytes()[0].is_ascii_digit() && y.as_bytes()[0].is_ascii_digit();
        let order = if numeric {
            compare_numbers(x, y)
        } else {
            x.cmp(y)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_by(|a, b| natural_cmp(a, b).then_with(|| a.cmp(b)));
        v
    }

    #[test]
    fn numbers_sort_by_value() {
        assert_eq!(
            sorted(vec![
                "10", "2", "1", "100", "21", "0", "3", "11", "12", "20"
            ]),
            ["0", "1", "2", "3", "10", "11", "12", "20", "21", "100"]
        );
    }

    #[test]
    fn corpus_instances_and_releases() {
        assert_eq!(
            sorted(vec!["4m600", "4m5", "4m1000"]),
            ["4m5", "4m600", "4m1000"]
        );
        assert_eq!(
            sorted(vec!["1.2.3", "1.11.3", "1.111.3"]),
            ["1.2.3", "1.11.3", "1.111.3"]
        );
    }

    #[test]
    fn prefixes_come_first_and_text_by_bytes() {
        assert_eq!(natural_cmp("abc", "abc1"), Ordering::Less);
        assert_eq!(natural_cmp("a", "b"), Ordering::Less);
        assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(natural_cmp("x", "1"), Ordering::Greater);
        assert_eq!(natural_cmp("01", "1"), Ordering::Equal);
        assert_eq!(natural_cmp("", ""), Ordering::Equal);
        assert_eq!(natural_cmp("", "a"), Ordering::Less);
    }

    #[test]
    fn chunking() {
        assert_eq!(chunks("ab12cd3"), ["ab", "12", "cd", "3"]);
        assert_eq!(chunks("é1"), ["é", "1"]);
        assert!(chunks("").is_empty());
    }
}
