//! Warnings and infos returned alongside results, as Prometheus's annotations.

use crate::model::format_float_g;
use crate::syntax::{LineIndex, Span};
use std::collections::BTreeMap;
use std::fmt;

/// Whether an annotation is a warning or an info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnnotationLevel {
    /// Something is likely wrong with the query or the data (`PromQL warning`).
    Warning,
    /// Something may be wrong (`PromQL info`).
    Info,
}

/// One annotation: a level, Prometheus's message text and the span of the sub-expression that
/// raised it.
///
/// ```
/// use promgate::eval::{Annotation, AnnotationLevel};
/// use promgate::Span;
/// let a = Annotation::new(AnnotationLevel::Info, "metric might not be a counter", Span::new(5, 8));
/// assert_eq!(a.to_string(), "PromQL info: metric might not be a counter");
/// assert_eq!(a.with_position("rate(foo[5m])"), "PromQL info: metric might not be a counter (1:6)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Warning or info.
    pub level: AnnotationLevel,
    /// The message, without the `PromQL warning: ` prefix.
    pub message: String,
    /// Where in the query the offending sub-expression starts.
    pub span: Span,
}

impl Annotation {
    /// A new annotation.
    pub fn new(level: AnnotationLevel, message: impl Into<String>, span: Span) -> Annotation {
        Annotation {
            level,
            message: message.into(),
            span,
        }
    }

    /// The text Prometheus shows with a query: `PromQL warning: <message> (<line>:<col>)`.
    pub fn with_position(&self, query: &str) -> String {
        let (line, col) = LineIndex::new(query).line_col(self.span.start as usize);
        format!("{self} ({line}:{col})")
    }
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.level {
            AnnotationLevel::Warning => "PromQL warning",
            AnnotationLevel::Info => "PromQL info",
        };
        write!(f, "{prefix}: {}", self.message)
    }
}

/// How an annotation combines with an earlier one that has the same base message (Prometheus's
/// `annoError.Merge`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Merge {
    /// The later annotation replaces the earlier one.
    Replace,
    /// `histogram_quantile` forced monotonicity: the details accumulate over the occurrences.
    ForcedMonotonicity {
        min_ts: i64,
        max_ts: i64,
        min_bucket: f64,
        max_bucket: f64,
        max_diff: f64,
        occurrences: u64,
    },
    /// Start-time overlap: the occurrences are counted.
    Occurrences(u64),
}

#[derive(Debug, Clone)]
struct Entry {
    /// The message without the accumulated details (the deduplication key).
    base: String,
    merge: Merge,
    /// The annotation as shown, with the details rendered into its message.
    shown: Annotation,
}

impl Entry {
    fn combine(&mut self, later: Entry) {
        let merged = match (&self.merge, &later.merge) {
            (
                Merge::ForcedMonotonicity {
                    min_ts,
                    max_ts,
                    min_bucket,
                    max_bucket,
                    max_diff,
                    occurrences,
                },
                Merge::ForcedMonotonicity {
                    min_ts: min_ts2,
                    max_ts: max_ts2,
                    min_bucket: min_bucket2,
                    max_bucket: max_bucket2,
                    max_diff: max_diff2,
                    occurrences: occurrences2,
                },
            ) => {
                // Go keeps the earlier error and widens it with the later one's details, with
                // plain `<`/`>` comparisons (so NaN never wins).
                let pick = |earlier: f64, later: f64, later_wins: bool| {
                    if later_wins { later } else { earlier }
                };
                Merge::ForcedMonotonicity {
                    min_ts: (*min_ts).min(*min_ts2),
                    max_ts: (*max_ts).max(*max_ts2),
                    min_bucket: pick(*min_bucket, *min_bucket2, *min_bucket2 < *min_bucket),
                    max_bucket: pick(*max_bucket, *max_bucket2, *max_bucket2 > *max_bucket),
                    max_diff: pick(*max_diff, *max_diff2, *max_diff2 > *max_diff),
                    occurrences: occurrences + occurrences2,
                }
            }
            (Merge::Occurrences(a), Merge::Occurrences(b)) => Merge::Occurrences(a + b),
            _ => {
                *self = later;
                return;
            }
        };
        // Go keeps the earlier error (and its position) and merges the later one into it.
        self.merge = merged;
        self.shown.message = self.message();
    }

    fn message(&self) -> String {
        match &self.merge {
            Merge::Replace => self.base.clone(),
            Merge::ForcedMonotonicity {
                min_ts,
                max_ts,
                min_bucket,
                max_bucket,
                max_diff,
                occurrences,
            } => format!(
                "{}, from buckets {} to {}, with a max diff of {}, over {} samples from {} to {}",
                self.base,
                format_float_g(*min_bucket),
                format_float_g(*max_bucket),
                crate::model::format_float_g_precision(*max_diff, 2),
                occurrences,
                rfc3339_seconds(*min_ts),
                rfc3339_seconds(*max_ts),
            ),
            Merge::Occurrences(n) if *n > 1 => format!("{} ({n} occurrences)", self.base),
            Merge::Occurrences(_) => self.base.clone(),
        }
    }
}

/// A set of annotations, deduplicated by message (a later one replaces an earlier one with the
/// same text, as in Prometheus) and iterated in a stable order.
///
/// ```
/// use promgate::eval::{Annotations, AnnotationLevel};
/// use promgate::Span;
/// let mut a = Annotations::default();
/// a.warn("x", Span::at(0));
/// a.warn("x", Span::at(3));
/// a.info("y", Span::at(1));
/// assert_eq!(a.len(), 2);
/// assert_eq!(a.warnings().count(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    items: BTreeMap<(AnnotationLevel, String), Entry>,
}

impl PartialEq for Annotations {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Annotations {}

impl Annotations {
    /// Adds an annotation.
    pub fn add(&mut self, annotation: Annotation) {
        self.add_merging(
            annotation.level,
            annotation.message,
            annotation.span,
            Merge::Replace,
        );
    }

    /// Adds an annotation that merges with an earlier one of the same base message as
    /// Prometheus merges its special annotations.
    pub(crate) fn add_merging(
        &mut self,
        level: AnnotationLevel,
        base: String,
        span: Span,
        merge: Merge,
    ) {
        let mut entry = Entry {
            base,
            merge,
            shown: Annotation::new(level, String::new(), span),
        };
        entry.shown.message = entry.message();
        self.insert(level, entry);
    }

    fn insert(&mut self, level: AnnotationLevel, entry: Entry) {
        match self.items.get_mut(&(level, entry.base.clone())) {
            Some(existing) => existing.combine(entry),
            None => {
                self.items.insert((level, entry.base.clone()), entry);
            }
        }
    }

    /// Adds a warning.
    pub fn warn(&mut self, message: impl Into<String>, span: Span) {
        self.add(Annotation::new(AnnotationLevel::Warning, message, span));
    }

    /// Adds an info.
    pub fn info(&mut self, message: impl Into<String>, span: Span) {
        self.add(Annotation::new(AnnotationLevel::Info, message, span));
    }

    /// Adds every annotation of `other`.
    pub fn merge(&mut self, other: Annotations) {
        for ((level, _), entry) in other.items {
            self.insert(level, entry);
        }
    }

    /// The number of distinct annotations.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// All annotations, warnings first, each kind in message order.
    pub fn iter(&self) -> impl Iterator<Item = &Annotation> {
        self.items.values().map(|entry| &entry.shown)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Annotation> {
        self.iter().filter(|a| a.level == AnnotationLevel::Warning)
    }

    /// The infos.
    pub fn infos(&self) -> impl Iterator<Item = &Annotation> {
        self.iter().filter(|a| a.level == AnnotationLevel::Info)
    }
}

/// `time.Unix(ms/1000, 0).UTC().Format(time.RFC3339)`.
pub(crate) fn rfc3339_seconds(ms: i64) -> String {
    let civil = crate::eval::functions::date::Civil::from_unix_seconds(ms / 1000);
    civil.rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_monotonicity_merges_details() {
        let mut a = Annotations::default();
        let base = "input to histogram_quantile needed to be fixed for monotonicity".to_string();
        for (ts, lo, hi, diff) in [(60_000, 1.0, 5.0, 0.5), (0, 0.5, 2.0, 3.0)] {
            a.add_merging(
                AnnotationLevel::Info,
                base.clone(),
                Span::at(0),
                Merge::ForcedMonotonicity {
                    min_ts: ts,
                    max_ts: ts,
                    min_bucket: lo,
                    max_bucket: hi,
                    max_diff: diff,
                    occurrences: 1,
                },
            );
        }
        let got: Vec<String> = a.iter().map(|x| x.message.clone()).collect();
        assert_eq!(
            got,
            [format!(
                "{base}, from buckets 0.5 to 5, with a max diff of 3, over 2 samples from 1970-01-01T00:00:00Z to 1970-01-01T00:01:00Z"
            )]
        );
    }

    #[test]
    fn occurrences_are_counted() {
        let mut a = Annotations::default();
        for _ in 0..3 {
            a.add_merging(
                AnnotationLevel::Warning,
                "w".to_string(),
                Span::at(0),
                Merge::Occurrences(1),
            );
        }
        assert_eq!(a.iter().next().unwrap().message, "w (3 occurrences)");
    }
}
