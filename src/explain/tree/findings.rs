//! What the explanation engine finds at a node, as data with a message.

use std::fmt;

use serde::Serialize;

use super::ExplainNode;
use crate::model::Timestamp;
use crate::syntax::lex::format_duration;

/// A label matcher that no series with the selector's metric name satisfies, with the values
/// that come nearest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelHint {
    /// The label name.
    pub label: String,
    /// The matcher as written (`job="apu"`).
    pub matcher: String,
    /// The nearest existing values (by edit distance), at most three; empty when no series of
    /// that name has the label.
    pub nearest: Vec<String>,
}

/// A vector matching that would have paired the two sides of a binary operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchSuggestion {
    /// The modifier, e.g. `on(job)` or `ignoring(instance)`.
    pub modifier: String,
    /// How many pairs it matches.
    pub pairs: usize,
}

/// One comparison a filter made: the series, the left and the right value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedPair {
    /// The left series' labels.
    pub labels: String,
    /// The left value.
    pub lhs: String,
    /// The right value.
    pub rhs: String,
}

/// A finding at one node of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// A selector matched no series.
    NoSeries {
        /// The selector.
        selector: String,
        /// Whether series with its metric name exist (their labels differ).
        name_exists: bool,
        /// Existing metric names close to the wanted one (typo hints), at most three.
        similar_names: Vec<String>,
        /// Label matchers that failed among the series of that name.
        labels: Vec<LabelHint>,
    },
    /// Series matched, but none has a sample at or before the time.
    NoSampleYet {
        /// The selector.
        selector: String,
        /// The time read (ms).
        at: Timestamp,
        /// The first sample of any matched series (ms), if there is one.
        first: Option<Timestamp>,
    },
    /// The newest sample is a stale marker.
    StaleMarker {
        /// The selector.
        selector: String,
        /// The time read (ms).
        at: Timestamp,
        /// The stale marker's time (ms).
        marker: Timestamp,
    },
    /// The newest sample is older than the lookback window.
    OutsideLookback {
        /// The selector.
        selector: String,
        /// The time read (ms).
        at: Timestamp,
        /// The newest sample's time (ms).
        newest: Timestamp,
        /// The lookback delta (ms).
        lookback: i64,
    },
    /// A range window holds no sample.
    EmptyWindow {
        /// The range selector.
        selector: String,
        /// The time read (ms).
        at: Timestamp,
        /// The range (ms).
        range: i64,
    },
    /// A range window starts before the fixture and holds fewer than two samples.
    WindowNotCovered {
        /// The range selector.
        selector: String,
        /// The time read (ms).
        at: Timestamp,
        /// The range (ms).
        range: i64,
        /// The first sample of the matched series (ms).
        first: Timestamp,
        /// The most samples any one series has in the window.
        samples: usize,
    },
    /// A rate-like function got one sample per series and needs two.
    TooFewSamples {
        /// The function.
        function: String,
        /// Its range argument.
        window: String,
        /// How many series had one sample.
        series: usize,
        /// The range (ms).
        range: i64,
    },
    /// Both sides of a binary operation had series, but no label sets matched.
    NoMatchingLabels {
        /// The operator (with its modifiers).
        op: String,
        /// Match signatures of the left side (at most three).
        lhs: Vec<String>,
        /// Match signatures of the right side (at most three).
        rhs: Vec<String>,
        /// Matchings that would pair them.
        suggestions: Vec<MatchSuggestion>,
    },
    /// A comparison removed every series.
    ComparisonFiltered {
        /// The operator.
        op: String,
        /// The comparisons made (at most five).
        compared: Vec<ComparedPair>,
        /// How many comparisons there were in all.
        total: usize,
    },
    /// `unless` removed every series of its left side.
    UnlessRemovedAll {
        /// How many series the left side had.
        series: usize,
    },
    /// The left side of `or` was empty: the right side (the fallback) gave the result.
    FallbackUsed {
        /// The left side.
        lhs: String,
        /// The fallback.
        rhs: String,
        /// Why the left side was empty: the missing input the fallback hides.
        hidden: Option<String>,
    },
    /// `absent()` returned its series because its input was empty.
    AbsentFired {
        /// The input.
        input: String,
        /// Why the input was empty.
        hidden: Option<String>,
    },
    /// `absent()` returned nothing because its input had series.
    AbsentInputPresent {
        /// The input.
        input: String,
        /// How many series it had.
        series: usize,
    },
    /// A recorded series, followed into the rule that records it (the node's child holds the
    /// rule expression's explanation).
    Recorded {
        /// The selector.
        selector: String,
        /// The recording rule.
        rule: String,
        /// Its group and interval (ms), when known.
        group: Option<(String, i64)>,
        /// The time read (ms).
        at: Timestamp,
        /// Series the rule reads that are recorded after it in the evaluation order (it sees
        /// them one interval late, and not at all at the first evaluation).
        reads_later: Vec<String>,
    },
    /// A function returned nothing although its input had series.
    NothingFromInputs {
        /// The function.
        function: String,
        /// How many series its input had.
        series: usize,
    },
    /// The sub-expression failed.
    EvalFailed {
        /// The engine's message.
        message: String,
    },
}

impl Finding {
    /// Does this finding explain an empty result (as opposed to describing a non-empty one)?
    ///
    /// ```
    /// use promgate::explain::Finding;
    /// assert!(Finding::EvalFailed { message: "x".into() }.is_cause());
    /// ```
    pub fn is_cause(&self) -> bool {
        !matches!(
            self,
            Finding::FallbackUsed { .. } | Finding::AbsentFired { .. }
        )
    }

    pub(super) fn is_recorded(&self) -> bool {
        matches!(self, Finding::Recorded { .. })
    }

    /// The message, with what the node's children say where the finding refers to them (the
    /// recorded rule's reason).
    pub(super) fn message_with(&self, node: &ExplainNode) -> String {
        match self {
            Finding::Recorded {
                selector,
                rule,
                at,
                reads_later,
                ..
            } => match node.children.first().and_then(ExplainNode::reason) {
                Some(why) => format!(
                    "`{selector}` is recorded by rule {rule}, whose expression was empty at {}: {why}",
                    format_duration(*at)
                ),
                None if !reads_later.is_empty() => format!(
                    "`{selector}` is recorded by rule {rule}, which had not written it by {}: it reads {}, recorded after it in the evaluation order (one interval late, nothing at the first evaluation)",
                    format_duration(*at),
                    reads_later.join(", ")
                ),
                None => format!(
                    "`{selector}` is recorded by rule {rule}, which had not written it by {} (evaluation order or interval)",
                    format_duration(*at)
                ),
            },
            other => other.to_string(),
        }
    }

    /// A short name of the kind, as in the JSON form (`no_series`, `outside_lookback`, ...).
    ///
    /// ```
    /// use promgate::explain::Finding;
    /// assert_eq!(Finding::EvalFailed { message: "x".into() }.kind(), "eval_failed");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::NoSeries { .. } => "no_series",
            Finding::NoSampleYet { .. } => "no_sample_yet",
            Finding::StaleMarker { .. } => "stale_marker",
            Finding::OutsideLookback { .. } => "outside_lookback",
            Finding::EmptyWindow { .. } => "empty_window",
            Finding::WindowNotCovered { .. } => "window_not_covered",
            Finding::TooFewSamples { .. } => "too_few_samples",
            Finding::NoMatchingLabels { .. } => "no_matching_labels",
            Finding::ComparisonFiltered { .. } => "comparison_filtered",
            Finding::UnlessRemovedAll { .. } => "unless_removed_all",
            Finding::FallbackUsed { .. } => "fallback_used",
            Finding::AbsentFired { .. } => "absent_fired",
            Finding::AbsentInputPresent { .. } => "absent_input_present",
            Finding::Recorded { .. } => "recorded",
            Finding::NothingFromInputs { .. } => "nothing_from_inputs",
            Finding::EvalFailed { .. } => "eval_failed",
        }
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |ms: i64| format_duration(ms);
        match self {
            Finding::NoSeries {
                selector,
                name_exists,
                similar_names,
                labels,
            } => {
                if *name_exists {
                    write!(
                        f,
                        "no series matches `{selector}`: series of that name exist, but their labels differ"
                    )?;
                    for hint in labels {
                        if hint.nearest.is_empty() {
                            write!(f, "; none has a label {}", hint.label)?;
                        } else {
                            write!(
                                f,
                                "; no value of {} matches {} (nearest values: {})",
                                hint.label,
                                hint.matcher,
                                quoted_list(&hint.nearest)
                            )?;
                        }
                    }
                    Ok(())
                } else if similar_names.is_empty() {
                    write!(
                        f,
                        "no series matches `{selector}` (no input series and no rule writes it)"
                    )
                } else {
                    write!(
                        f,
                        "no series matches `{selector}` (no input series and no rule writes it; similar names: {})",
                        similar_names.join(", ")
                    )
                }
            }
            Finding::NoSampleYet {
                selector,
                at,
                first,
            } => match first {
                Some(first) => write!(
                    f,
                    "`{selector}` has no sample at or before {}; its first sample is at {}",
                    d(*at),
                    d(*first)
                ),
                None => write!(f, "`{selector}` has no samples"),
            },
            Finding::StaleMarker {
                selector,
                at,
                marker,
            } => write!(
                f,
                "the newest sample of `{selector}` before {} is a stale marker (at {})",
                d(*at),
                d(*marker)
            ),
            Finding::OutsideLookback {
                selector,
                at,
                newest,
                lookback,
            } => write!(
                f,
                "the newest sample of `{selector}` is at {}, {} before {}: outside the {} lookback window (the fixture's timeline is too short)",
                d(*newest),
                d(at - newest),
                d(*at),
                d(*lookback)
            ),
            Finding::EmptyWindow {
                selector,
                at,
                range,
            } => write!(
                f,
                "`{selector}` at {} reads ({}, {}] and no sample falls in it",
                d(*at),
                d(at - range),
                d(*at)
            ),
            Finding::WindowNotCovered {
                selector,
                at,
                range,
                first,
                samples,
            } => write!(
                f,
                "`{selector}` at {} needs samples from {}, but the fixture starts at {}: at most {samples} sample in the window (rate-like functions need two)",
                d(*at),
                d(at - range),
                d(*first)
            ),
            Finding::TooFewSamples {
                function,
                window,
                series,
                range,
            } => write!(
                f,
                "{function}() needs two samples in its window, but each of the {series} series of `{window}` has one in {} (samples further apart than the range?)",
                d(*range)
            ),
            Finding::NoMatchingLabels {
                op,
                lhs,
                rhs,
                suggestions,
            } => {
                write!(
                    f,
                    "`{op}` matched nothing: left side signatures {}, right side signatures {}",
                    lhs.join(" "),
                    rhs.join(" ")
                )?;
                if !suggestions.is_empty() {
                    let s: Vec<String> = suggestions
                        .iter()
                        .map(|s| {
                            format!(
                                "{} would match {} pair{}",
                                s.modifier,
                                s.pairs,
                                if s.pairs == 1 { "" } else { "s" }
                            )
                        })
                        .collect();
                    write!(f, "; {}", s.join(", "))?;
                }
                Ok(())
            }
            Finding::ComparisonFiltered {
                op,
                compared,
                total,
            } => {
                let shown: Vec<String> = compared
                    .iter()
                    .map(|c| format!("{} {} {op} {}", c.labels, c.lhs, c.rhs))
                    .collect();
                write!(
                    f,
                    "the comparison `{op}` removed every series: {}",
                    shown.join(", ")
                )?;
                if *total > compared.len() {
                    write!(f, " (and {} more)", total - compared.len())?;
                }
                write!(f, " (false)")
            }
            Finding::UnlessRemovedAll { series } => write!(
                f,
                "`unless` removed all {series} series of its left side (the right side matched each)"
            ),
            Finding::FallbackUsed { lhs, rhs, hidden } => {
                write!(
                    f,
                    "`{lhs}` was empty, so the result is the fallback `{rhs}`"
                )?;
                if let Some(why) = hidden {
                    write!(f, "; it hides: {why}")?;
                }
                Ok(())
            }
            Finding::AbsentFired { input, hidden } => {
                write!(f, "absent() returned a series because `{input}` was empty")?;
                if let Some(why) = hidden {
                    write!(f, ": {why}")?;
                }
                Ok(())
            }
            Finding::AbsentInputPresent { input, series } => {
                write!(f, "absent() is empty because `{input}` has {series} series")
            }
            Finding::Recorded {
                selector,
                rule,
                group,
                at,
                ..
            } => {
                write!(
                    f,
                    "`{selector}` is recorded by rule {rule}, read at {}",
                    d(*at)
                )?;
                if let Some((name, interval)) = group {
                    write!(f, " (group {name}, every {})", d(*interval))?;
                }
                Ok(())
            }
            Finding::NothingFromInputs { function, series } => write!(
                f,
                "{function}() returned nothing from {series} input series"
            ),
            Finding::EvalFailed { message } => write!(f, "evaluation failed: {message}"),
        }
    }
}
