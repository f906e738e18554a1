//! Parse errors: a kind, a span and the source text, rendered with a caret.

use std::fmt;
use std::sync::Arc;

use crate::promql::ast::{BinaryOp, ValueType};
use crate::syntax::{Diagnostic, LineIndex, Span};

/// Where a character was met when the lexer rejected it; it picks Prometheus's wording.
///
/// ```
/// use promgate::promql::{parse, CharContext, ParseErrorKind};
/// let err = parse("foo{a:b}").unwrap_err();
/// assert!(matches!(
///     err.kind,
///     ParseErrorKind::UnexpectedCharacter { found: Some(':'), context: CharContext::InsideBraces }
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharContext {
    /// Anywhere in an expression: `1 $ 2`.
    Expression,
    /// Inside `{...}`: `foo{a:b}`.
    InsideBraces,
    /// At the start of a duration inside `[...]`: `foo["5m"]`.
    DurationExpression,
    /// After a number inside `[...]`, where `:` or `]` was expected: `foo[5m x]`.
    BeforeColon,
    /// After `=`: `1 =~ 1`.
    AfterEquals,
    /// After `!`: `1 !~ 1`.
    AfterBang,
    /// After `!` inside braces: `foo{a!b}`.
    AfterBangInsideBraces,
}

/// What went wrong, with the data the message is made from.
///
/// Messages are Prometheus's where users compare with promtool. Each variant's documentation
/// names an input that triggers it.
///
/// ```
/// use promgate::promql::{parse, ParseErrorKind};
/// let err = parse("sum(").unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::UnclosedParenthesis);
/// assert_eq!(err.kind.to_string(), "unclosed left parenthesis");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Only whitespace and comments: `# nothing`.
    #[error("no expression found in input")]
    NoExpression,
    /// A token that does not fit the grammar here: `1 +` (`found` is "end of input"),
    /// `foo{a=b}` (found `identifier "b"` in "label matching", expected "string").
    #[error("unexpected {found}{}{}", context.map(|c| format!(" in {c}")).unwrap_or_default(), expected.as_ref().map(|e| format!(", expected {e}")).unwrap_or_default())]
    Unexpected {
        /// Prometheus's description of the token, e.g. `<op:*>` or `identifier "foo"`.
        found: String,
        /// The construct being parsed, e.g. "label matching".
        context: Option<&'static str>,
        /// What would have been accepted.
        expected: Option<String>,
    },
    /// A character no token starts with: `1 $ 2`.
    #[error("{}", char_message(*found, *context))]
    UnexpectedCharacter {
        /// The character, `None` at the end of the input.
        found: Option<char>,
        /// Where it was met.
        context: CharContext,
    },
    /// A closing `)` without an opening one: `(1))`.
    #[error("unexpected right parenthesis ')'")]
    UnexpectedRightParenthesis,
    /// A `]` outside brackets: `foo]`.
    #[error("unexpected right bracket ']'")]
    UnexpectedRightBracket,
    /// A `[` inside brackets: `foo[5m[`.
    #[error("unexpected left bracket '['")]
    UnexpectedLeftBracket,
    /// A `{` inside braces: `foo{{`.
    #[error("unexpected left brace '{{'")]
    UnexpectedLeftBrace,
    /// The input ends with a parenthesis open: `sum(rate(x[5m])`.
    #[error("unclosed left parenthesis")]
    UnclosedParenthesis,
    /// The input ends with a bracket open: `foo[5m`.
    #[error("unclosed left bracket")]
    UnclosedBracket,
    /// The input ends inside braces: `foo{a="b"`.
    #[error("unexpected end of input inside braces")]
    UnclosedBrace,
    /// The input ends right after `[`: `foo[`.
    #[error("unexpected end of input in duration expression")]
    UnexpectedEofInDuration,
    /// A `"` or `'` string without its closing quote on the same line: `"abc`.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// A backquoted string without its closing quote: `` `abc ``.
    #[error("unterminated raw string")]
    UnterminatedRawString,
    /// A bad escape in a quoted string: `"\c"`.
    #[error("{message}")]
    InvalidEscape {
        /// Prometheus's message, e.g. `unknown escape sequence U+0063 'c'`.
        message: String,
    },
    /// Text that starts like a number but is neither a number nor a duration: `2.5.`, `5mm`.
    #[error("bad number or duration syntax: {}", crate::syntax::lex::quote(text))]
    BadNumberOrDuration {
        /// The text read so far.
        text: String,
    },
    /// A number token Go cannot convert: `0x` (a hexadecimal prefix without digits).
    #[error(
        "error parsing number: strconv.ParseFloat: parsing {}: invalid syntax",
        crate::syntax::lex::quote(text)
    )]
    InvalidNumber {
        /// The number as written.
        text: String,
    },
    /// A number too large for a float: `1e999`.
    #[error(
        "error parsing number: strconv.ParseFloat: parsing {}: value out of range",
        crate::syntax::lex::quote(text)
    )]
    NumberOutOfRange {
        /// The number as written.
        text: String,
    },
    /// A duration with bad units: `5m1h` (units out of order), `5y1hs` (unknown unit).
    #[error("{message}")]
    InvalidDuration {
        /// Prometheus's message, e.g. `not a valid duration string: "5m1h"`.
        message: String,
    },
    /// A duration beyond ±292 years: `foo offset 9.5e10`.
    #[error("duration out of range")]
    DurationOutOfRange,
    /// A range or subquery step that is zero or negative: `foo[0m]`, `foo[-1]`.
    #[error("duration must be greater than 0")]
    NonPositiveDuration,
    /// A duration divided by a literal zero: `foo[5m/0]`.
    #[error("division by zero")]
    DivisionByZero,
    /// A duration modulo a literal zero: `foo[5m%0]`.
    #[error("modulo by zero")]
    ModuloByZero,
    /// An `@` timestamp that is not finite or does not fit: `foo @ Inf`.
    #[error("timestamp out of bounds for @ modifier: {}", crate::model::format_float_f6(*value))]
    TimestampOutOfBounds {
        /// The timestamp in seconds.
        value: f64,
    },
    /// A function that does not exist: `foo_bar()`.
    #[error("unknown function with name {}", crate::syntax::lex::quote(name))]
    UnknownFunction {
        /// The name as written.
        name: String,
    },
    /// An experimental function while experimental functions are off: `mad_over_time(x[5m])`.
    #[error("function {} is not enabled", crate::syntax::lex::quote(name))]
    FunctionNotEnabled {
        /// The function name.
        name: String,
    },
    /// An experimental aggregation while experimental functions are off: `limitk(1, x)`.
    #[error(
        "{name}() is experimental and must be enabled with --enable-feature=promql-experimental-functions"
    )]
    AggregatorNotEnabled {
        /// The aggregation name.
        name: &'static str,
    },
    /// Experimental syntax that is switched off in the [`ParseOptions`](crate::promql::ParseOptions):
    /// `foo[5m+1m]` without duration expressions.
    #[error("{}", feature.message())]
    FeatureNotEnabled {
        /// Which feature.
        feature: Feature,
    },
    /// `f(a,)`.
    #[error("trailing commas not allowed in function call args")]
    TrailingComma,
    /// `sum()`.
    #[error("no arguments for aggregate expression provided")]
    NoAggregateArguments,
    /// `topk(x)`.
    #[error(
        "wrong number of arguments for aggregate expression provided, expected {expected}, got {got}"
    )]
    AggregateArity {
        /// Arguments the aggregation takes.
        expected: usize,
        /// Arguments given.
        got: usize,
    },
    /// `floor()`, `hour(a, b)`, `label_join(a)`.
    #[error("{}", arity_message(name, *bound, *expected, *got))]
    FunctionArity {
        /// The function.
        name: &'static str,
        /// Whether `expected` is exact, a minimum or a maximum.
        bound: ArityBound,
        /// The number of arguments expected.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// An operand of the wrong type: `rate(foo)`, `sum(foo[5m])`, `topk(foo, bar)`.
    #[error("expected type {expected} in {context}, got {got}")]
    TypeMismatch {
        /// The type needed.
        expected: ValueType,
        /// The type found.
        got: ValueType,
        /// Where: `call to function "rate"`, `aggregation expression`, `aggregation parameter`.
        context: String,
    },
    /// A range vector or string in arithmetic: `foo[5m] + 1`.
    #[error("binary expression must contain only scalar and instant vector types")]
    BinaryOperandType,
    /// `foo + bool bar`.
    #[error("bool modifier can only be used on comparison operators")]
    BoolOnNonComparison,
    /// `1 == 1`.
    #[error("comparisons between scalars must use BOOL modifier")]
    ScalarComparisonWithoutBool,
    /// `a + on(x) group_left(x) b`.
    #[error(
        "label {} must not occur in ON and GROUP clause at once",
        crate::syntax::lex::quote(label)
    )]
    LabelInOnAndGroup {
        /// The label.
        label: String,
    },
    /// `1 + on(x) foo`.
    #[error("vector matching only allowed between instant vectors")]
    VectorMatchingOnScalar,
    /// `1 + fill(0) foo`.
    #[error("filling in missing series only allowed between instant vectors")]
    FillOnScalar,
    /// `a and on(x) group_left b`.
    #[error("no grouping allowed for {} operation", crate::syntax::lex::quote(op.as_str()))]
    GroupingOnSetOperator {
        /// The set operator.
        op: BinaryOp,
    },
    /// A set operation with a one-to-one matching (not produced by the parser itself).
    #[error("set operations must always be many-to-many")]
    SetOperatorCardinality,
    /// `a and fill(0) b`.
    #[error("filling in missing series not allowed for set operators")]
    FillOnSetOperator,
    /// `1 and foo`.
    #[error("set operator {} not allowed in binary scalar expression", crate::syntax::lex::quote(op.as_str()))]
    SetOperatorOnScalar {
        /// The set operator.
        op: BinaryOp,
    },
    /// `-"a"`, `-foo[5m]`.
    #[error("unary expression only allowed on expressions of type scalar or instant vector, got {}", crate::syntax::lex::quote(&got.to_string()))]
    UnaryOperandType {
        /// The operand's type.
        got: ValueType,
    },
    /// `foo[5m][10m:1m]`.
    #[error("subquery is only allowed on instant vector, got {} instead", go_value_type(*got))]
    SubqueryOperandType {
        /// The operand's type.
        got: ValueType,
    },
    /// `foo{__name__="bar"}`.
    #[error(
        "metric name must not be set twice: {} or {}",
        crate::syntax::lex::quote(name),
        crate::syntax::lex::quote(other)
    )]
    MetricNameTwice {
        /// The name before the braces.
        name: String,
        /// The other name.
        other: String,
    },
    /// `{}`, `{a=~".*"}`.
    #[error("vector selector must contain at least one non-empty matcher")]
    EmptyMatchers,
    /// `foo{a=~"("}`.
    #[error("{message}")]
    InvalidRegex {
        /// The regex engine's message.
        message: String,
    },
    /// `sum by ("") (x)`.
    #[error("invalid label name for grouping: {}", crate::syntax::lex::quote(name))]
    InvalidGroupingLabel {
        /// The label.
        name: String,
    },
    /// `(a + b)[5m]`, `rate(x[5m])[1h]`.
    #[error("ranges only allowed for vector selectors")]
    RangeOnNonSelector,
    /// `foo offset 1m [5m]`.
    #[error("no offset modifiers allowed before range")]
    OffsetBeforeRange,
    /// `foo @ 1 [5m]`.
    #[error("no @ modifiers allowed before range")]
    AtBeforeRange,
    /// `sum(foo) offset 5m`.
    #[error(
        "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
    )]
    OffsetNotAllowed,
    /// `sum(foo) @ 100`.
    #[error(
        "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"
    )]
    AtNotAllowed,
    /// `foo offset 1m offset 2m`.
    #[error("offset may not be set multiple times")]
    OffsetTwice,
    /// `foo @ 1 @ 2`.
    #[error("@ <timestamp> may not be set multiple times")]
    AtTwice,
    /// `foo[5m:1m] anchored`.
    #[error("{modifier} modifier is not supported for subqueries")]
    ModifierOnSubquery {
        /// `anchored` or `smoothed`.
        modifier: &'static str,
    },
    /// `sum(foo) anchored`.
    #[error("{modifier} modifier not implemented")]
    ModifierNotAllowed {
        /// `anchored` or `smoothed`.
        modifier: &'static str,
    },
    /// `foo[5m] anchored smoothed`.
    #[error("anchored and smoothed modifiers cannot be used together")]
    AnchoredAndSmoothed,
    /// `info(x, y == 1)`: the second argument of `info` must be a label selector.
    #[error("expected label selectors only{}", if *has_metric_name { ", got vector selector instead" } else { "" })]
    InfoSelector {
        /// The argument is a selector with a metric name before the braces.
        has_metric_name: bool,
    },
    /// More nesting than [`ParseOptions::max_depth`](crate::promql::ParseOptions::max_depth):
    /// 10000 `(`.
    #[error("expression nesting exceeds the maximum depth of {limit}")]
    TooDeep {
        /// The limit.
        limit: u32,
    },
}

/// Whether a function arity error is about an exact count, a minimum or a maximum.
///
/// ```
/// use promgate::promql::{parse, ArityBound, ParseErrorKind};
/// let err = parse("hour(a, b, c)").unwrap_err();
/// assert!(matches!(err.kind, ParseErrorKind::FunctionArity { bound: ArityBound::AtMost, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArityBound {
    /// Exactly `expected` arguments.
    Exact,
    /// At least `expected`.
    AtLeast,
    /// At most `expected`.
    AtMost,
}

/// Experimental syntax that [`ParseOptions`](crate::promql::ParseOptions) can switch off.
///
/// ```
/// use promgate::promql::Feature;
/// assert_eq!(Feature::DurationExpressions.message(), "experimental duration expression is not enabled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Feature {
    /// Arithmetic in durations: `foo[5m+1m]`, `offset (1m*2)`, `[step()]`.
    DurationExpressions,
    /// `foo[5m] anchored`.
    Anchored,
    /// `foo[5m] smoothed`.
    Smoothed,
    /// `a + fill(0) b`.
    BinopFillModifiers,
    /// `a </ 5`, `a >/ 5`.
    HistogramTrimOperators,
}

impl Feature {
    /// The message Prometheus gives when the feature is used while disabled.
    ///
    /// ```
    /// use promgate::promql::Feature;
    /// assert!(Feature::Anchored.message().starts_with("anchored modifier"));
    /// ```
    pub fn message(self) -> &'static str {
        match self {
            Feature::DurationExpressions => "experimental duration expression is not enabled",
            Feature::Anchored => "anchored modifier is experimental and not enabled",
            Feature::Smoothed => "smoothed modifier is experimental and not enabled",
            Feature::BinopFillModifiers => "binop fill modifiers are experimental and not enabled",
            Feature::HistogramTrimOperators => {
                "histogram trim operators are experimental and not enabled"
            }
        }
    }

    /// The [`ParseOptions`](crate::promql::ParseOptions) field that enables the feature.
    fn option(self) -> &'static str {
        match self {
            Feature::DurationExpressions => "duration_expressions",
            Feature::Anchored | Feature::Smoothed => "extended_range_selectors",
            Feature::BinopFillModifiers => "binop_fill_modifiers",
            Feature::HistogramTrimOperators => "histogram_trim_operators",
        }
    }
}

fn char_message(found: Option<char>, context: CharContext) -> String {
    let found = match found {
        Some(c) => crate::syntax::go::quote_rune(c),
        None => "end of input".to_string(),
    };
    match context {
        CharContext::Expression => format!("unexpected character: {found}"),
        CharContext::InsideBraces => format!("unexpected character inside braces: {found}"),
        CharContext::DurationExpression => {
            format!("unexpected character in duration expression: {found}")
        }
        CharContext::BeforeColon => format!("unexpected character: {found}, expected ':'"),
        CharContext::AfterEquals => format!("unexpected character after '=': {found}"),
        CharContext::AfterBang => format!("unexpected character after '!': {found}"),
        CharContext::AfterBangInsideBraces => {
            format!("unexpected character after '!' inside braces: {found}")
        }
    }
}

fn arity_message(name: &str, bound: ArityBound, expected: usize, got: usize) -> String {
    let quoted = crate::syntax::lex::quote(name);
    match bound {
        ArityBound::Exact => {
            format!("expected {expected} argument(s) in call to {quoted}, got {got}")
        }
        ArityBound::AtLeast => {
            format!("expected at least {expected} argument(s) in call to {quoted}, got {got}")
        }
        ArityBound::AtMost => {
            format!("expected at most {expected} argument(s) in call to {quoted}, got {got}")
        }
    }
}

/// Go's `ValueType` names, which one Prometheus message uses instead of the documented ones.
fn go_value_type(t: ValueType) -> &'static str {
    match t {
        ValueType::Scalar => "scalar",
        ValueType::String => "string",
        ValueType::Vector => "vector",
        ValueType::Matrix => "matrix",
    }
}

impl ParseErrorKind {
    /// A hint for fixing the error, where the fix is known.
    ///
    /// ```
    /// use promgate::promql::{parse, ParseErrorKind};
    /// let err = parse("1 > 2").unwrap_err();
    /// assert!(err.kind.hint().unwrap().contains("bool"));
    /// ```
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ParseErrorKind::ScalarComparisonWithoutBool => {
                "write `bool` after the operator, as in `1 > bool 2`".to_string()
            }
            ParseErrorKind::FeatureNotEnabled { feature } => {
                format!("set `ParseOptions::{}` to enable it", feature.option())
            }
            ParseErrorKind::FunctionNotEnabled { .. }
            | ParseErrorKind::AggregatorNotEnabled { .. } => {
                "set `ParseOptions::experimental_functions` to enable it".to_string()
            }
            ParseErrorKind::EmptyMatchers => {
                "add a metric name or a matcher that does not match the empty string".to_string()
            }
            ParseErrorKind::UnknownFunction { name } if name == "holt_winters" => {
                "Prometheus 3 renamed it `double_exponential_smoothing`".to_string()
            }
            ParseErrorKind::UnclosedParenthesis => "add the missing `)`".to_string(),
            ParseErrorKind::UnclosedBracket => "add the missing `]`".to_string(),
            ParseErrorKind::UnclosedBrace => "add the missing `}`".to_string(),
            _ => return None,
        })
    }
}

/// A PromQL parse error: what went wrong, where, and the text it was found in.
///
/// `Display` renders the position, the message and the source line with a caret under the
/// offending text; [`ParseError::prometheus_message`] gives Prometheus's one-line form.
///
/// ```
/// use promgate::promql::parse;
/// let err = parse("sum(rate(x[5m])").unwrap_err();
/// assert_eq!(err.prometheus_message(), "1:16: parse error: unclosed left parenthesis");
/// assert!(err.to_string().contains("1 | sum(rate(x[5m])"));
/// // The message says everything; there is no `source` to print a second time.
/// assert!(std::error::Error::source(&err).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// What went wrong. Not the error's `source`: the message already says it.
    pub kind: ParseErrorKind,
    /// The byte range of the offending text.
    pub span: Span,
    source_text: Arc<str>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered = self.diagnostic().render(&self.source_text);
        f.write_str(rendered.trim_end_matches('\n'))
    }
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, span: Span, source_text: Arc<str>) -> ParseError {
        ParseError {
            kind,
            span,
            source_text,
        }
    }

    /// The text that was parsed.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// assert_eq!(parse("1 +").unwrap_err().source_text(), "1 +");
    /// ```
    pub fn source_text(&self) -> &str {
        &self.source_text
    }

    /// The 1-based line and column (in bytes, as Prometheus counts) where the error starts.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// assert_eq!(parse("1 +\n").unwrap_err().line_col(), (2, 1));
    /// ```
    pub fn line_col(&self) -> (usize, usize) {
        LineIndex::new(&self.source_text).line_col(self.span.start as usize)
    }

    /// The error as a [`Diagnostic`], to render with an origin (a file name) or against a
    /// larger text.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// let err = parse("foo{").unwrap_err();
    /// let out = err.diagnostic().with_origin("<expr>").render(err.source_text());
    /// assert!(out.starts_with("<expr>:1:5: unexpected end of input inside braces"));
    /// ```
    pub fn diagnostic(&self) -> Diagnostic {
        let diagnostic = Diagnostic::new(self.kind.to_string(), self.span);
        match self.kind.hint() {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        }
    }

    /// Prometheus's one-line form, `<line>:<col>: parse error: <message>`, as promtool prints it.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// assert_eq!(
    ///     parse("1 +").unwrap_err().prometheus_message(),
    ///     "1:4: parse error: unexpected end of input"
    /// );
    /// assert_eq!(
    ///     parse("").unwrap_err().prometheus_message(),
    ///     "unknown position: parse error: no expression found in input"
    /// );
    /// ```
    pub fn prometheus_message(&self) -> String {
        if self.source_text.is_empty() {
            return format!("unknown position: parse error: {}", self.kind);
        }
        let (line, col) = self.line_col();
        format!("{line}:{col}: parse error: {}", self.kind)
    }

    /// [`ParseError::prometheus_message`] as a Prometheus of the given regex dialect prints
    /// it. The parser compiles matchers as Prometheus 3 does, parsing the pattern alone, so
    /// Go's whole-pattern errors quote the pattern (`` missing closing ): `(` ``); 2.42 compiles
    /// `^(?:pattern)$` at once, and quotes that (`` `^(?:()$` ``).
    pub(crate) fn prometheus_message_in(&self, dialect: crate::model::RegexDialect) -> String {
        let message = self.prometheus_message();
        if dialect == crate::model::RegexDialect::Prometheus3
            || !matches!(self.kind, ParseErrorKind::InvalidRegex { .. })
        {
            return message;
        }
        for (code, before, after) in [
            ("missing closing ): `", "^(?:", ")$"),
            ("unexpected ): `", "^(?:", ")$"),
            ("missing closing ]: `", "", ")$"),
        ] {
            if let Some(at) = message.find(code)
                && let Some(quoted) = message[at + code.len()..].strip_suffix('`')
            {
                let head = &message[..at + code.len()];
                return format!("{head}{before}{quoted}{after}`");
            }
        }
        message
    }
}

/// The parser's internal error: a kind and a span, without the source text. It is boxed so
/// that parser results stay small, which keeps the stack frames of the recursive descent small.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PError(Box<PErrorInner>);

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PErrorInner {
    pub kind: ParseErrorKind,
    pub span: Span,
}

impl PError {
    #[cold]
    pub(crate) fn new(kind: ParseErrorKind, span: Span) -> PError {
        PError(Box::new(PErrorInner { kind, span }))
    }

    pub(crate) fn into_parts(self) -> (ParseErrorKind, Span) {
        (self.0.kind, self.0.span)
    }
}
