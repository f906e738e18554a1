//! Warnings and infos returned alongside results, as Prometheus's annotations.

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    items: BTreeMap<(AnnotationLevel, String), Annotation>,
}

impl Annotations {
    /// Adds an annotation.
    pub fn add(&mut self, annotation: Annotation) {
        self.items
            .insert((annotation.level, annotation.message.clone()), annotation);
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
        for (_, a) in other.items {
            self.add(a);
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
        self.items.values()
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
