//! Go's `text/template` as Prometheus uses it for alert labels and annotations, written for this
//! crate: a lexer and parser that report Go's error texts, an executor with `missingkey=zero`,
//! Go's `fmt` printing, and Prometheus's template functions.
//!
//! The entry point is [`AlertTemplate`]: parse a label or annotation value once (as `promtool
//! check rules` does), then [`expand`](AlertTemplate::expand) it for every alert.
//!
//! ```
//! use std::collections::BTreeMap;
//! use promgate::Labels;
//! use promgate::template::{AlertData, AlertTemplate, QuerySample, TemplateDialect, TemplateHost};
//!
//! struct NoQueries;
//! impl TemplateHost for NoQueries {
//!     fn query(&self, _query: &str) -> Result<Vec<QuerySample>, String> {
//!         Ok(Vec::new())
//!     }
//!     fn now_ms(&self) -> i64 {
//!         0
//!     }
//! }
//!
//! let template = AlertTemplate::parse(
//!     "HighLatency",
//!     "{{ $labels.job }} is at {{ $value | humanize }}s",
//!     TemplateDialect::default(),
//! )
//! .unwrap();
//! let labels = Labels::from_pairs([("job", "api")]);
//! let external_labels = BTreeMap::new();
//! let data = AlertData {
//!     labels: &labels,
//!     external_labels: &external_labels,
//!     external_url: "http://prometheus.example.com",
//!     value: 1234.5,
//! };
//! assert_eq!(template.expand(&data, &NoQueries), "api is at 1.234ks");
//! ```
//!
//! Limits keep hostile templates bounded: parentheses and control structures nest at most
//! [`MAX_PARSE_DEPTH`] deep, `{{template}}` calls at most [`MAX_TEMPLATE_DEPTH`] deep (Go allows
//! 100,000) and everything together at most [`MAX_EXEC_NESTING`] deep; an expansion evaluates
//! at most [`MAX_EXEC_STEPS`] nodes and writes at most [`MAX_OUTPUT_BYTES`]. Hitting one is an
//! execution error, reported like Go's.
//!
//! # Where we differ from Go and Prometheus
//!
//! Output and error texts were compared with promtool 2.42 on over 500 templates (see
//! `tests/data/template/`). Known differences, each deliberate:
//!
//! * The limits above are lower than Go's (`exceeded maximum template depth (100)` where Go says
//!   `(100000)`), and the nesting, step, output and memory limits are ours.
//! * `printf` with `%x`/`%X` and a precision on a float (rounded hexadecimal mantissa) is a
//!   bad-verb error.
//! * Go prints pointers inside values (`printf "%v" (query "x")`, `printf "%d" (toTime 0)`) as
//!   addresses or internal fields; we print the pointed-to value.
//! * Regular expressions are Rust's `regex`, which accepts RE2's syntax; error texts are mapped
//!   to Go's for the common mistakes (unclosed groups and classes, bad repeats and escapes,
//!   nested repetition) and only approximated for the rest.
//! * Case mapping uses Rust's Unicode tables, keeping a character whose upper case is several
//!   characters (as Go's simple mappings do). The 3.x `title` approximates `golang.org/x/text`'s
//!   word breaking: a word starts at a letter after anything but a letter, digit or
//!   case-ignorable mark (`'`, `.`, `:`, ...).
//! * `time.Time` and `time.Duration` values offer a subset of their Go methods (`String`,
//!   `Format`, `Add`, `Sub`, `Unix`, `UnixMilli`, `Seconds`, `Minutes`, `Hours`, `Round`, ...).
//! * `$value` is always a float: the 3.x native-histogram `$value` is not modelled.
//! * `pathPrefix` and `externalURL` always fail with Go's nil-pointer error, as in promtool's
//!   unit tests (the `$externalURL` variable works).

mod builtins;
mod exec;
mod funcs;
mod gofmt;
mod lex;
mod methods;
mod node;
mod parse;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

/// The deepest nesting of parentheses and of `if`/`range`/`with` blocks a template may have.
/// Go allows 10,000 parenthesized expressions and does not bound blocks; we bound both so a
/// hostile template cannot exhaust the stack. Exceeding it is the parse error
/// `max expression depth exceeded`.
///
/// ```
/// assert_eq!(promgate::template::MAX_PARSE_DEPTH, 100);
/// ```
pub const MAX_PARSE_DEPTH: usize = 100;

/// How deep `{{template}}` calls may nest. Go allows 100,000; we stop much earlier so the native
/// stack stays small. Exceeding it is the execution error `exceeded maximum template depth (100)`.
///
/// ```
/// assert_eq!(promgate::template::MAX_TEMPLATE_DEPTH, 100);
/// ```
pub const MAX_TEMPLATE_DEPTH: usize = 100;

/// How deep blocks, template calls and pipelines may nest at execution, counted together (a
/// template call inside nested blocks inside a template call...). Go has no such limit; ours keeps
/// expansion within a 1 MiB stack. Exceeding it is the execution error
/// `exceeded maximum nesting depth (300)`.
///
/// ```
/// assert_eq!(promgate::template::MAX_EXEC_NESTING, 300);
/// ```
pub const MAX_EXEC_NESTING: usize = 300;

/// How many nodes and commands one expansion may evaluate before it is stopped.
///
/// ```
/// assert_eq!(promgate::template::MAX_EXEC_STEPS, 1_000_000);
/// ```
pub const MAX_EXEC_STEPS: u64 = 1_000_000;

/// The most output one expansion may produce, in bytes.
///
/// ```
/// assert_eq!(promgate::template::MAX_OUTPUT_BYTES, 1 << 20);
/// ```
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// Which Prometheus version's template functions to offer.
///
/// ```
/// use promgate::template::TemplateDialect;
/// assert_eq!(TemplateDialect::default(), TemplateDialect::Prometheus3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TemplateDialect {
    /// Prometheus 3.x: adds `now`, `toDuration` and `urlQueryEscape`; `title` is Unicode
    /// word-based; `parseDuration` accepts a leading `-`.
    #[default]
    Prometheus3,
    /// Prometheus 2.x (as promtool 2.42): Go's `strings.Title`, no `now`/`toDuration`/
    /// `urlQueryEscape`.
    Prometheus2,
}

/// One sample a `query` call returns.
///
/// ```
/// use promgate::Labels;
/// use promgate::template::QuerySample;
/// let sample = QuerySample { labels: Labels::from_pairs([("job", "api")]), value: 1.0 };
/// assert_eq!(sample.value, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    /// The sample's labels (including `__name__` if the query kept it).
    pub labels: crate::Labels,
    /// The sample's value.
    pub value: f64,
}

/// What templates can ask of the outside world at expansion time.
///
/// ```
/// use promgate::template::{QuerySample, TemplateHost};
/// struct Fixed;
/// impl TemplateHost for Fixed {
///     fn query(&self, query: &str) -> Result<Vec<QuerySample>, String> {
///         Err(format!("no storage for {query}"))
///     }
///     fn now_ms(&self) -> i64 {
///         60_000
///     }
/// }
/// assert_eq!(Fixed.now_ms(), 60_000);
/// ```
pub trait TemplateHost {
    /// Runs `query` as an instant PromQL query at the evaluation time; Err(message) on failure.
    fn query(&self, query: &str) -> Result<Vec<QuerySample>, String>;
    /// The evaluation time in ms since the epoch (for `now`).
    fn now_ms(&self) -> i64;
}

/// The data an alert template sees.
///
/// ```
/// use std::collections::BTreeMap;
/// use promgate::Labels;
/// use promgate::template::AlertData;
/// let labels = Labels::from_pairs([("job", "api")]);
/// let external_labels = BTreeMap::from([("cluster".to_string(), "eu1".to_string())]);
/// let data = AlertData { labels: &labels, external_labels: &external_labels, external_url: "", value: 1.0 };
/// assert_eq!(data.labels.get("job"), Some("api"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AlertData<'a> {
    /// The result sample's labels (`$labels`, `.Labels`).
    pub labels: &'a crate::Labels,
    /// The external labels (`$externalLabels`).
    pub external_labels: &'a BTreeMap<String, String>,
    /// The external URL (`$externalURL`).
    pub external_url: &'a str,
    /// The sample's value (`$value`).
    pub value: f64,
}

/// What went wrong with a template.
///
/// ```
/// use promgate::template::{AlertTemplate, TemplateDialect, TemplateErrorKind};
/// let err = AlertTemplate::parse("A2", "{{ $labels.job", TemplateDialect::Prometheus2).unwrap_err();
/// assert_eq!(err.kind(), TemplateErrorKind::Parse);
/// assert_eq!(err.to_string(), "template: __alert_A2:1: unclosed action");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    kind: TemplateErrorKind,
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

/// The kind of a [`TemplateError`].
///
/// ```
/// use promgate::template::TemplateErrorKind;
/// assert_ne!(TemplateErrorKind::Parse, TemplateErrorKind::Exec);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// The text is not a valid template, e.g. `{{ $labels.job` (`unclosed action`).
    Parse,
    /// Execution failed, e.g. `{{ gt $value 8 }}` (`incompatible types for comparison`).
    Exec,
}

impl TemplateError {
    fn parse(message: String, line: usize) -> TemplateError {
        TemplateError {
            kind: TemplateErrorKind::Parse,
            message,
            line: Some(line),
            column: None,
        }
    }

    fn exec(message: String, position: Option<(usize, usize)>) -> TemplateError {
        TemplateError {
            kind: TemplateErrorKind::Exec,
            message,
            line: position.map(|(line, _)| line),
            column: position.map(|(_, column)| column),
        }
    }

    /// The 1-based line Go reports, counted in the text with Prometheus's variable prefix (which
    /// has no newline, so it is also the line in the user's text).
    ///
    /// ```
    /// use promgate::template::{AlertTemplate, TemplateDialect};
    /// let err = AlertTemplate::parse("A", "a\n{{ nosuchfunc }}", TemplateDialect::Prometheus2).unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// ```
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 0-based byte column Go reports for execution errors, counted in the text with
    /// Prometheus's 112-byte variable prefix on line 1; `None` for parse errors (Go reports only
    /// a line for them).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use promgate::Labels;
    /// use promgate::template::{AlertData, AlertTemplate, QuerySample, TemplateDialect, TemplateHost};
    /// struct NoQueries;
    /// impl TemplateHost for NoQueries {
    ///     fn query(&self, _: &str) -> Result<Vec<QuerySample>, String> { Ok(vec![]) }
    ///     fn now_ms(&self) -> i64 { 0 }
    /// }
    /// let t = AlertTemplate::parse("T", "{{ gt $value 8 }}", TemplateDialect::Prometheus2).unwrap();
    /// let (labels, external) = (Labels::empty(), BTreeMap::new());
    /// let data = AlertData { labels: &labels, external_labels: &external, external_url: "", value: 9.0 };
    /// let err = t.try_expand(&data, &NoQueries).unwrap_err();
    /// assert_eq!((err.line(), err.column()), (Some(1), Some(115)));
    /// ```
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The kind of error.
    ///
    /// ```
    /// use promgate::template::{AlertTemplate, TemplateDialect, TemplateErrorKind};
    /// let err = AlertTemplate::parse("A", "{{ nosuchfunc }}", TemplateDialect::Prometheus2).unwrap_err();
    /// assert_eq!(err.kind(), TemplateErrorKind::Parse);
    /// ```
    pub fn kind(&self) -> TemplateErrorKind {
        self.kind
    }

    /// Go's error text (also what `Display` prints).
    ///
    /// ```
    /// use promgate::template::{AlertTemplate, TemplateDialect};
    /// let err = AlertTemplate::parse("A", "{{ nosuchfunc }}", TemplateDialect::Prometheus2).unwrap_err();
    /// assert_eq!(err.message(), r#"template: __alert_A:1: function "nosuchfunc" not defined"#);
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The variable definitions Prometheus puts in front of every alert template.
const ALERT_PREFIX: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// A parsed alert template, parsed once and executed many times.
///
/// The text is prefixed with Prometheus's `$labels`, `$externalLabels`, `$externalURL` and
/// `$value` definitions and named `__alert_<rule>`, so positions and names in errors match
/// Prometheus's.
///
/// ```
/// use promgate::template::{AlertTemplate, TemplateDialect};
/// let err = AlertTemplate::parse("A2", "{{ $labels.x }", TemplateDialect::Prometheus2).unwrap_err();
/// assert_eq!(err.to_string(), r#"template: __alert_A2:1: unexpected "}" in operand"#);
/// ```
#[derive(Debug, Clone)]
pub struct AlertTemplate {
    name: String,
    text: String,
    dialect: TemplateDialect,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// No `{{`: the text expands to itself.
    Literal,
    Parsed(parse::TreeSet),
}

impl std::fmt::Debug for parse::TreeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.trees.keys().collect();
        names.sort();
        f.debug_struct("TreeSet")
            .field("templates", &names)
            .finish()
    }
}

impl AlertTemplate {
    /// Parses as `check rules` does; Err displays exactly Go's parse error text (e.g.
    /// `template: __alert_A2:1: unclosed action`).
    ///
    /// ```
    /// use promgate::template::{AlertTemplate, TemplateDialect};
    /// assert!(AlertTemplate::parse("A", "{{ $value }}", TemplateDialect::Prometheus2).is_ok());
    /// assert!(AlertTemplate::parse("A", "{{ now }}", TemplateDialect::Prometheus2).is_err());
    /// assert!(AlertTemplate::parse("A", "{{ now }}", TemplateDialect::Prometheus3).is_ok());
    /// ```
    pub fn parse(
        rule_name: &str,
        text: &str,
        dialect: TemplateDialect,
    ) -> Result<AlertTemplate, TemplateError> {
        let name = format!("__alert_{rule_name}");
        if !text.contains("{{") {
            return Ok(AlertTemplate {
                name,
                text: text.to_string(),
                dialect,
                body: Body::Literal,
            });
        }
        let full = format!("{ALERT_PREFIX}{text}");
        let set = parse::parse(&name, &full, dialect)?;
        Ok(AlertTemplate {
            name,
            text: full,
            dialect,
            body: Body::Parsed(set),
        })
    }

    /// Whether expanding may run a query (the template mentions `query`), so that its text
    /// depends on the store at the evaluation time.
    pub(crate) fn may_query(&self) -> bool {
        matches!(self.body, Body::Parsed(_)) && self.text.contains("query")
    }

    /// The template's name, `__alert_<rule>`.
    ///
    /// ```
    /// use promgate::template::{AlertTemplate, TemplateDialect};
    /// let t = AlertTemplate::parse("A", "x", TemplateDialect::default()).unwrap();
    /// assert_eq!(t.name(), "__alert_A");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template's text as written, and its dialect: two templates with the same expand
    /// alike.
    pub(crate) fn source(&self) -> (&str, TemplateDialect) {
        (&self.text, self.dialect)
    }

    /// Expands; on failure returns Prometheus's `<error expanding template: ...>` text (never
    /// an error, as in Prometheus, where a broken template does not fail the rule).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use promgate::Labels;
    /// use promgate::template::{AlertData, AlertTemplate, QuerySample, TemplateDialect, TemplateHost};
    /// struct NoQueries;
    /// impl TemplateHost for NoQueries {
    ///     fn query(&self, _: &str) -> Result<Vec<QuerySample>, String> { Ok(vec![]) }
    ///     fn now_ms(&self) -> i64 { 0 }
    /// }
    /// let t = AlertTemplate::parse("T", "{{ if gt $value 8 }}big{{ end }}", TemplateDialect::Prometheus2).unwrap();
    /// let (labels, external) = (Labels::empty(), BTreeMap::new());
    /// let data = AlertData { labels: &labels, external_labels: &external, external_url: "", value: 9.0 };
    /// assert_eq!(
    ///     t.expand(&data, &NoQueries),
    ///     "<error expanding template: error executing template __alert_T: template: __alert_T:1:118: \
    ///      executing \"__alert_T\" at <gt $value 8>: error calling gt: incompatible types for comparison>"
    /// );
    /// ```
    pub fn expand(&self, data: &AlertData<'_>, host: &dyn TemplateHost) -> String {
        match self.try_expand(data, host) {
            Ok(text) => text,
            Err(err) => format!(
                "<error expanding template: error executing template {}: {}>",
                self.name, err.message
            ),
        }
    }

    /// Expands, returning Go's execution error (without Prometheus's wrapping) on failure.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use promgate::Labels;
    /// use promgate::template::{AlertData, AlertTemplate, QuerySample, TemplateDialect, TemplateHost};
    /// struct NoQueries;
    /// impl TemplateHost for NoQueries {
    ///     fn query(&self, _: &str) -> Result<Vec<QuerySample>, String> { Ok(vec![]) }
    ///     fn now_ms(&self) -> i64 { 0 }
    /// }
    /// let t = AlertTemplate::parse("T", "{{ $labels }}", TemplateDialect::Prometheus2).unwrap();
    /// let (labels, external) = (Labels::from_pairs([("a", "1"), ("b", "2")]), BTreeMap::new());
    /// let data = AlertData { labels: &labels, external_labels: &external, external_url: "", value: 0.0 };
    /// assert_eq!(t.try_expand(&data, &NoQueries).unwrap(), "map[a:1 b:2]");
    /// ```
    pub fn try_expand(
        &self,
        data: &AlertData<'_>,
        host: &dyn TemplateHost,
    ) -> Result<String, TemplateError> {
        let set = match &self.body {
            Body::Literal => return Ok(self.text.clone()),
            Body::Parsed(set) => set,
        };
        let root = value::Value::Root(value::Root {
            labels: data.labels,
            external_labels: data.external_labels,
            external_url: data.external_url,
            value: data.value,
            dialect: self.dialect,
        });
        exec::execute(set, &self.text, &self.name, root, host, self.dialect)
    }
}
