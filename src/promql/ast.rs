//! The PromQL abstract syntax tree.
//!
//! Names follow Prometheus's `promql/parser/ast.go` (`VectorSelector`, `MatrixSelector`,
//! `AggregateExpr`, `VectorMatching`, ...), so the Go source can be read alongside. Every node
//! carries the byte [`Span`] of its source text; `Display` (in `print.rs`) prints the canonical
//! form, which parses back to the same tree (spans aside).

use crate::model::{Matcher, Timestamp};
use crate::promql::functions::Function;
use crate::syntax::Span;

/// The type of value an expression evaluates to.
///
/// ```
/// use promgate::promql::ValueType;
/// assert_eq!(ValueType::Matrix.to_string(), "range vector");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A single float without labels.
    Scalar,
    /// A string.
    String,
    /// An instant vector: one sample per series.
    Vector,
    /// A range vector: a window of samples per series.
    Matrix,
}

impl std::fmt::Display for ValueType {
    /// Prometheus's document names, used in its error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValueType::Scalar => "scalar",
            ValueType::String => "string",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
        })
    }
}

/// A PromQL expression: a node kind and its source span.
///
/// ```
/// use promgate::promql::{parse, ExprKind};
/// let expr = parse("sum(rate(http_requests_total[5m]))").unwrap();
/// assert!(matches!(expr.kind, ExprKind::Aggregate(_)));
/// assert_eq!(expr.span.start, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is in the source text.
    pub span: Span,
}

/// The kinds of PromQL expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal: `1`, `0x1f`, `Inf`, or a duration used as a number (`5m`).
    Number(NumberLiteral),
    /// A string literal.
    String(StringLiteral),
    /// An instant vector selector: `foo{a="b"} offset 5m @ 100`.
    VectorSelector(VectorSelector),
    /// A range vector selector: `foo[5m]`.
    MatrixSelector(MatrixSelector),
    /// A subquery: `expr[30m:1m]`.
    Subquery(SubqueryExpr),
    /// A parenthesised expression.
    Paren(Box<Expr>),
    /// Unary `-expr` or `+expr`.
    Unary(UnaryExpr),
    /// A binary operation.
    Binary(BinaryExpr),
    /// An aggregation: `sum by (job) (x)`.
    Aggregate(AggregateExpr),
    /// A function call.
    Call(Call),
}

/// A string literal's value. Go strings may hold invalid UTF-8 (`"\xff"`): `value` then has
/// U+FFFD in its place and `bytes` keeps the exact bytes, so that where Prometheus needs a
/// valid label name (`count_values`, `label_replace`, `label_join`) the error is the same.
///
/// ```
/// use promgate::promql::{parse, ExprKind};
/// let e = parse(r#"count_values("a\xc5z", x)"#).unwrap();
/// let ExprKind::Aggregate(a) = &e.kind else { unreachable!() };
/// let ExprKind::String(s) = &a.param.as_ref().unwrap().kind else { unreachable!() };
/// assert_eq!(s.value, "a\u{FFFD}z");
/// assert!(!s.is_valid_utf8());
/// assert_eq!(s.to_string(), r#""a\xc5z""#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StringLiteral {
    /// The value, invalid UTF-8 replaced by U+FFFD.
    pub value: String,
    /// The exact bytes, when they are not valid UTF-8.
    pub bytes: Option<Box<[u8]>>,
}

impl StringLiteral {
    /// A literal from the bytes its escapes give.
    pub fn from_bytes(bytes: Vec<u8>) -> StringLiteral {
        match String::from_utf8(bytes) {
            Ok(value) => StringLiteral { value, bytes: None },
            Err(e) => StringLiteral {
                value: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                bytes: Some(e.into_bytes().into_boxed_slice()),
            },
        }
    }

    /// Whether the literal is valid UTF-8 (Rust's `value` is then exact).
    pub fn is_valid_utf8(&self) -> bool {
        self.bytes.is_none()
    }

    /// Whether the literal is a valid label name under Prometheus 3's UTF-8 scheme: non-empty
    /// and valid UTF-8.
    pub fn is_valid_label_name(&self) -> bool {
        !self.value.is_empty() && self.is_valid_utf8()
    }
}

impl From<&str> for StringLiteral {
    fn from(value: &str) -> StringLiteral {
        StringLiteral::from(value.to_string())
    }
}

impl From<String> for StringLiteral {
    fn from(value: String) -> StringLiteral {
        StringLiteral { value, bytes: None }
    }
}

impl std::fmt::Display for StringLiteral {
    /// The literal Go-quoted, as Prometheus prints it (invalid bytes as `\xNN`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bytes {
            Some(bytes) => f.write_str(&crate::syntax::lex::quote_bytes(bytes)),
            None => f.write_str(&crate::syntax::lex::quote(&self.value)),
        }
    }
}

impl std::fmt::Debug for StringLiteral {
    /// Like a `String`, so that AST dumps stay readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bytes {
            Some(bytes) => std::fmt::Debug::fmt(bytes.as_ref(), f),
            None => std::fmt::Debug::fmt(&self.value, f),
        }
    }
}

/// A number literal. Equality compares the bit patterns, so `NaN == NaN` in the tree.
///
/// ```
/// use promgate::promql::NumberLiteral;
/// let a = NumberLiteral { value: f64::NAN, duration: false };
/// assert_eq!(a, a.clone());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NumberLiteral {
    /// The value; a duration literal is in seconds, as Prometheus does.
    pub value: f64,
    /// The literal was written as a duration (`5m`) and prints back as one.
    pub duration: bool,
}

impl PartialEq for NumberLiteral {
    fn eq(&self, other: &Self) -> bool {
        self.value.to_bits() == other.value.to_bits() && self.duration == other.duration
    }
}

/// The `@` modifier of a selector or subquery.
///
/// ```
/// use promgate::promql::AtModifier;
/// assert_ne!(AtModifier::Start, AtModifier::End);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtModifier {
    /// `@ <unix seconds>`, stored in milliseconds.
    Timestamp(Timestamp),
    /// `@ start()`
    Start,
    /// `@ end()`
    End,
}

/// A duration written where PromQL expects one: a range `[5m]`, a subquery step, an offset.
///
/// Prometheus 3 allows arithmetic here (`[5m + 1m]`, `offset (1m * 2)`, `[step()]`); a plain
/// literal is [`DurationExpr::Literal`].
///
/// ```
/// use promgate::promql::{DurationExpr, DurationNode};
/// use promgate::Span;
/// let d = DurationNode { expr: DurationExpr::Literal(300_000), span: Span::new(4, 6) };
/// assert_eq!(d.static_ms(), Some(300_000));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DurationNode {
    /// The duration.
    pub expr: DurationExpr,
    /// Where it is written.
    pub span: Span,
}

impl DurationNode {
    /// The value in milliseconds when it is a plain literal.
    pub fn static_ms(&self) -> Option<i64> {
        match self.expr {
            DurationExpr::Literal(ms) => Some(ms),
            _ => None,
        }
    }
}

/// Arithmetic on durations, evaluated before the query runs (Prometheus's `DurationExpr`).
/// Numbers are seconds; `step()` and `range()` are the query's step and range.
#[derive(Debug, Clone)]
pub enum DurationExpr {
    /// A literal, in milliseconds (`5m`, `300`, `1.5`).
    Literal(i64),
    /// A number in seconds inside an arithmetic duration expression, and whether it was
    /// written as a duration (`5m`) or a plain number (`300`).
    Number(NumberLiteral),
    /// `step()`: the query step.
    Step,
    /// `range()`: the query range (end − start).
    Range,
    /// `-d` or `+d`.
    Unary(UnaryOp, Box<DurationExpr>),
    /// `a op b` with `op` one of `+ - * / % ^`.
    Binary(BinaryOp, Box<DurationExpr>, Box<DurationExpr>),
    /// `min_of(a, b)`
    MinOf(Box<DurationExpr>, Box<DurationExpr>),
    /// `max_of(a, b)`
    MaxOf(Box<DurationExpr>, Box<DurationExpr>),
    /// `(d)`
    Paren(Box<DurationExpr>),
}

impl PartialEq for DurationExpr {
    fn eq(&self, other: &Self) -> bool {
        use DurationExpr::*;
        match (self, other) {
            (Literal(a), Literal(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (Step, Step) | (Range, Range) => true,
            (Unary(o1, a), Unary(o2, b)) => o1 == o2 && a == b,
            (Binary(o1, a1, b1), Binary(o2, a2, b2)) => o1 == o2 && a1 == a2 && b1 == b2,
            (MinOf(a1, b1), MinOf(a2, b2)) | (MaxOf(a1, b1), MaxOf(a2, b2)) => a1 == a2 && b1 == b2,
            (Paren(a), Paren(b)) => a == b,
            _ => false,
        }
    }
}

/// An instant vector selector.
///
/// `matchers` holds every matcher, including the `__name__="foo"` matcher made from a leading
/// metric name, as Prometheus does; `name` keeps the written name for printing.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSelector {
    /// The metric name written before the braces (or the quoted name inside them).
    pub name: Option<String>,
    /// All label matchers, including the one for `name`.
    pub matchers: Vec<Matcher>,
    /// `offset <duration>` (negative allowed).
    pub offset: Option<DurationNode>,
    /// `@ <time>`, `@ start()`, `@ end()`.
    pub at: Option<AtModifier>,
    /// The `anchored` range modifier (experimental; on the matrix selector in the source).
    pub anchored: bool,
    /// The `smoothed` range modifier (experimental; on the matrix selector in the source).
    pub smoothed: bool,
}

impl VectorSelector {
    /// The metric name the selector selects: the name written before the braces or quoted
    /// inside them, else the value of an `__name__="..."` matcher.
    ///
    /// ```
    /// use promgate::promql::{parse, ExprKind};
    /// for (text, want) in [("up", Some("up")), (r#"{__name__="up"}"#, Some("up")),
    ///                      (r#"{__name__=~"up"}"#, None), (r#"{job="a"}"#, None)] {
    ///     let ExprKind::VectorSelector(selector) = parse(text).unwrap().kind else { panic!() };
    ///     assert_eq!(selector.metric_name(), want, "{text}");
    /// }
    /// ```
    pub fn metric_name(&self) -> Option<&str> {
        if let Some(name) = &self.name {
            return Some(name);
        }
        self.matchers
            .iter()
            .find(|m| m.name == crate::model::METRIC_NAME && m.op == crate::model::MatchOp::Equal)
            .map(|m| m.value.as_str())
    }
}

/// A range vector selector: a vector selector and a range.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixSelector {
    /// The selector; offset and `@` written after the range are stored on it.
    pub selector: VectorSelector,
    /// The span of the vector selector part.
    pub selector_span: Span,
    /// The range.
    pub range: DurationNode,
}

/// A subquery: `expr[range:step] offset d @ t`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryExpr {
    /// The inner expression (an instant vector).
    pub expr: Box<Expr>,
    /// The range.
    pub range: DurationNode,
    /// The resolution; `None` for `[range:]` (the default step).
    pub step: Option<DurationNode>,
    /// `offset <duration>`.
    pub offset: Option<DurationNode>,
    /// `@` modifier.
    pub at: Option<AtModifier>,
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `+`
    Pos,
}

/// A unary expression.
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryExpr {
    /// The operator.
    pub op: UnaryOp,
    /// The operand.
    pub expr: Box<Expr>,
}

/// Binary operators, grouped as Prometheus groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `atan2`
    Atan2,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `>`
    Gtr,
    /// `<`
    Lss,
    /// `>=`
    Gte,
    /// `<=`
    Lte,
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
    /// `</`: trim the upper part of native histograms (experimental).
    TrimUpper,
    /// `>/`: trim the lower part of native histograms (experimental).
    TrimLower,
}

impl BinaryOp {
    /// Whether this is a comparison operator (`==`, `!=`, `>`, `<`, `>=`, `<=`).
    ///
    /// ```
    /// # use promgate::promql::BinaryOp;
    /// assert!(BinaryOp::Gte.is_comparison());
    /// ```
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eql
                | BinaryOp::Neq
                | BinaryOp::Gtr
                | BinaryOp::Lss
                | BinaryOp::Gte
                | BinaryOp::Lte
        )
    }

    /// Whether this is a set operator (`and`, `or`, `unless`).
    ///
    /// ```
    /// # use promgate::promql::BinaryOp;
    /// assert!(BinaryOp::Unless.is_set_operator());
    /// ```
    pub fn is_set_operator(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Unless)
    }

    /// The operator as written.
    ///
    /// ```
    /// # use promgate::promql::BinaryOp;
    /// assert_eq!(BinaryOp::Atan2.as_str(), "atan2");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::Eql => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Gtr => ">",
            BinaryOp::Lss => "<",
            BinaryOp::Gte => ">=",
            BinaryOp::Lte => "<=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Unless => "unless",
            BinaryOp::TrimUpper => "</",
            BinaryOp::TrimLower => ">/",
        }
    }
}

/// How the series of the two sides of a binary operation are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorMatchCardinality {
    /// Each side has at most one series per match group.
    OneToOne,
    /// `group_left`: many on the left to one on the right.
    ManyToOne,
    /// `group_right`: one on the left to many on the right.
    OneToMany,
    /// Set operators.
    ManyToMany,
}

/// Vector matching of a binary operation between two instant vectors: `on`/`ignoring`,
/// `group_left`/`group_right`, and the experimental `fill` modifiers.
///
/// As in Prometheus, the parser sets this for every binary operation whose both operands are
/// instant vectors (with `ManyToMany` for set operators), and for none other.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// The cardinality.
    pub card: VectorMatchCardinality,
    /// The labels listed in `on(...)` or `ignoring(...)`.
    pub matching_labels: Vec<String>,
    /// `on` (true) or `ignoring`/none (false).
    pub on: bool,
    /// Extra labels listed in `group_left(...)`/`group_right(...)`.
    pub include: Vec<String>,
    /// `fill`, `fill_left`, `fill_right` values.
    pub fill: FillValues,
}

/// Values to fill in for missing series on either side (experimental `fill` modifiers).
#[derive(Debug, Clone, Copy, Default)]
pub struct FillValues {
    /// `fill_left(v)`: the value used when the left side has no match.
    pub lhs: Option<f64>,
    /// `fill_right(v)`: the value used when the right side has no match.
    pub rhs: Option<f64>,
}

impl PartialEq for FillValues {
    fn eq(&self, other: &Self) -> bool {
        self.lhs.map(f64::to_bits) == other.lhs.map(f64::to_bits)
            && self.rhs.map(f64::to_bits) == other.rhs.map(f64::to_bits)
    }
}

/// A binary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// `bool` modifier on a comparison.
    pub return_bool: bool,
    /// Vector matching; `Some` exactly when both operands are instant vectors.
    pub matching: Option<VectorMatching>,
}

/// Aggregation operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `count`
    Count,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk(k, v)`
    Topk,
    /// `bottomk(k, v)`
    Bottomk,
    /// `count_values("label", v)`
    CountValues,
    /// `quantile(q, v)`
    Quantile,
    /// `limitk(k, v)` (experimental)
    Limitk,
    /// `limit_ratio(r, v)` (experimental)
    LimitRatio,
}

impl AggregateOp {
    /// Every aggregation operator, in Prometheus's order.
    pub(crate) const ALL: [AggregateOp; 14] = [
        AggregateOp::Sum,
        AggregateOp::Avg,
        AggregateOp::Count,
        AggregateOp::Min,
        AggregateOp::Max,
        AggregateOp::Group,
        AggregateOp::Stddev,
        AggregateOp::Stdvar,
        AggregateOp::Topk,
        AggregateOp::Bottomk,
        AggregateOp::CountValues,
        AggregateOp::Quantile,
        AggregateOp::Limitk,
        AggregateOp::LimitRatio,
    ];

    /// The operator named `name` (lowercase).
    pub(crate) fn from_name(name: &str) -> Option<AggregateOp> {
        AggregateOp::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// The operator name.
    ///
    /// ```
    /// # use promgate::promql::AggregateOp;
    /// assert_eq!(AggregateOp::CountValues.as_str(), "count_values");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateOp::Sum => "sum",
            AggregateOp::Avg => "avg",
            AggregateOp::Count => "count",
            AggregateOp::Min => "min",
            AggregateOp::Max => "max",
            AggregateOp::Group => "group",
            AggregateOp::Stddev => "stddev",
            AggregateOp::Stdvar => "stdvar",
            AggregateOp::Topk => "topk",
            AggregateOp::Bottomk => "bottomk",
            AggregateOp::CountValues => "count_values",
            AggregateOp::Quantile => "quantile",
            AggregateOp::Limitk => "limitk",
            AggregateOp::LimitRatio => "limit_ratio",
        }
    }

    /// Whether the operator takes a parameter before the vector.
    ///
    /// ```
    /// # use promgate::promql::AggregateOp;
    /// assert!(AggregateOp::Topk.takes_parameter());
    /// assert!(!AggregateOp::Sum.takes_parameter());
    /// ```
    pub fn takes_parameter(self) -> bool {
        matches!(
            self,
            AggregateOp::Topk
                | AggregateOp::Bottomk
                | AggregateOp::CountValues
                | AggregateOp::Quantile
                | AggregateOp::Limitk
                | AggregateOp::LimitRatio
        )
    }

    /// Whether the operator is experimental (needs the experimental-functions option).
    ///
    /// ```
    /// # use promgate::promql::AggregateOp;
    /// assert!(AggregateOp::Limitk.is_experimental());
    /// ```
    pub fn is_experimental(self) -> bool {
        matches!(self, AggregateOp::Limitk | AggregateOp::LimitRatio)
    }
}

/// An aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// The operator.
    pub op: AggregateOp,
    /// The aggregated vector.
    pub expr: Box<Expr>,
    /// The parameter of `topk`, `quantile`, `count_values`, ...
    pub param: Option<Box<Expr>>,
    /// Labels in `by (...)` or `without (...)`.
    pub grouping: Vec<String>,
    /// `without` (true) or `by`/none (false).
    pub without: bool,
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function, from the signature table.
    pub func: &'static Function,
    /// The arguments.
    pub args: Vec<Expr>,
}

impl Expr {
    /// The type of value this expression evaluates to.
    ///
    /// ```
    /// use promgate::promql::{parse, ValueType};
    /// assert_eq!(parse("up[5m]").unwrap().value_type(), ValueType::Matrix);
    /// assert_eq!(parse("1 + 2").unwrap().value_type(), ValueType::Scalar);
    /// ```
    pub fn value_type(&self) -> ValueType {
        match &self.kind {
            ExprKind::Number(_) => ValueType::Scalar,
            ExprKind::String(_) => ValueType::String,
            ExprKind::VectorSelector(_) | ExprKind::Aggregate(_) => ValueType::Vector,
            ExprKind::MatrixSelector(_) | ExprKind::Subquery(_) => ValueType::Matrix,
            ExprKind::Paren(inner) => inner.value_type(),
            ExprKind::Unary(u) => u.expr.value_type(),
            ExprKind::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar
                    && b.rhs.value_type() == ValueType::Scalar
                {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            ExprKind::Call(c) => c.func.return_type,
        }
    }

    /// The expression with parentheses removed from the top.
    ///
    /// ```
    /// use promgate::promql::{parse, ExprKind};
    /// let e = parse("((up))").unwrap();
    /// assert!(matches!(e.unparen().kind, ExprKind::VectorSelector(_)));
    /// ```
    pub fn unparen(&self) -> &Expr {
        match &self.kind {
            ExprKind::Paren(inner) => inner.unparen(),
            _ => self,
        }
    }

    /// The direct children of this node, in source order.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// let e = parse("a + b").unwrap();
    /// assert_eq!(e.children().len(), 2);
    /// ```
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::VectorSelector(_)
            | ExprKind::MatrixSelector(_) => Vec::new(),
            ExprKind::Subquery(s) => vec![&s.expr],
            ExprKind::Paren(inner) => vec![inner],
            ExprKind::Unary(u) => vec![&u.expr],
            ExprKind::Binary(b) => vec![&b.lhs, &b.rhs],
            ExprKind::Aggregate(a) => match &a.param {
                Some(p) => vec![p, &a.expr],
                None => vec![&a.expr],
            },
            ExprKind::Call(c) => c.args.iter().collect(),
        }
    }

    /// The metric names the expression selects, sorted and without duplicates: names written
    /// before braces, quoted inside them, or as `{__name__="..."}`. Selectors without an
    /// equality matcher on the name (`{__name__=~"a|b"}`, `{job="x"}`) name none.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// let e = parse(r#"rate(b_total[5m]) / on() {__name__="a"} + b_total"#).unwrap();
    /// assert_eq!(e.metric_names(), ["a", "b_total"]);
    /// ```
    pub fn metric_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.walk(&mut |e| {
            let selector = match &e.kind {
                ExprKind::VectorSelector(selector) => selector,
                ExprKind::MatrixSelector(matrix) => &matrix.selector,
                _ => return,
            };
            if let Some(name) = selector.metric_name() {
                names.push(name);
            }
        });
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Calls `f` on this node and every descendant, parents before children.
    ///
    /// ```
    /// use promgate::promql::{parse, ExprKind};
    /// let mut selectors = 0;
    /// parse("rate(a[5m]) / on() b").unwrap().walk(&mut |e| {
    ///     if matches!(e.kind, ExprKind::VectorSelector(_) | ExprKind::MatrixSelector(_)) {
    ///         selectors += 1;
    ///     }
    /// });
    /// assert_eq!(selectors, 2);
    /// ```
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }
}
