//! The PromQL parser: recursive descent over tokens recognised with nom, precedence climbing for
//! binary operators, then the type checks of [`check`](super::check).
//!
//! The grammar is Prometheus 3.14's (`promql/parser/generated_parser.y`). It is LL(1) on
//! tokens, so every rule peeks at most one token and commits: the parser never backtracks, and
//! each error is reported where it is found. As in Prometheus, the first error wins. nom
//! recognises the lexemes (see [`lexer`](super::lexer)); the rules themselves are plain methods
//! over the remaining `&str`, since each decides on one peeked token and nom's `alt`, `cut` and
//! `context` would only add indirection. Error messages name the construct and what was
//! expected, in Prometheus's words.
//!
//! Rules, one method each:
//!
//! * `expr.rs`: expressions, unary and binary operators with their modifiers, postfix modifiers
//!   (`[range]`, `[range:step]`, `offset`, `@`, `anchored`, `smoothed`), primaries,
//!   aggregations and function calls;
//! * `selector.rs`: vector selectors, label matchers, grouping label lists;
//! * `duration.rs`: durations in ranges, subquery steps and offsets, with the experimental
//!   duration arithmetic, and `@` timestamps.

mod duration;
mod expr;
mod selector;

pub(crate) use selector::regex_message;

use std::cell::Cell;
use std::sync::Arc;

use super::ast::{Expr, ExprKind};
use super::error::{PError, ParseError, ParseErrorKind};
use super::lexer::{Lexer, Token, TokenKind};
use crate::syntax::Span;

/// Parser settings: which experimental syntax is accepted, and limits.
///
/// [`ParseOptions::default`] is a stock Prometheus 3.14 server; [`ParseOptions::all_features`]
/// is Prometheus's own PromQL test engine (`promqltest`), with every experimental feature on.
///
/// ```
/// use promgate::promql::{parse_with, ParseOptions};
/// assert!(parse_with("mad_over_time(x[5m])", &ParseOptions::default()).is_err());
/// assert!(parse_with("mad_over_time(x[5m])", &ParseOptions::all_features()).is_ok());
///
/// let options = ParseOptions { max_depth: 3, ..ParseOptions::default() };
/// assert!(parse_with("((((x))))", &options).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Experimental functions and aggregations: `info`, `limitk`, `limit_ratio`,
    /// `mad_over_time`, `sort_by_label`, `ts_of_*_over_time`, `double_exponential_smoothing`,
    /// `histogram_quantiles`, `start_timestamp`, `start()`, `end()`, `range()`, `step()`,
    /// `min_of`, `max_of` (Prometheus's `--enable-feature=promql-experimental-functions`).
    /// Default off.
    pub experimental_functions: bool,
    /// Arithmetic in durations: `foo[5m + 1m]`, `offset (1m * 2)`, `[step()]`, `min_of(...)`.
    /// On by default since Prometheus 3.14.
    pub duration_expressions: bool,
    /// The `anchored` and `smoothed` range modifiers. Default off.
    pub extended_range_selectors: bool,
    /// The `fill(...)`, `fill_left(...)` and `fill_right(...)` binary operator modifiers.
    /// Default off.
    pub binop_fill_modifiers: bool,
    /// The native histogram trim operators `</` and `>/` (Prometheus 3.11). Prometheus accepts
    /// them without a feature flag, so the default is on.
    pub histogram_trim_operators: bool,
    /// Accept Prometheus 2's `holt_winters(range vector, scalar, scalar)`, renamed
    /// `double_exponential_smoothing` in Prometheus 3. Default off.
    pub legacy_holt_winters: bool,
    /// The deepest expression tree accepted, counted in nodes from the root to a leaf; deeper
    /// input is a [`ParseErrorKind::TooDeep`] error rather than a stack overflow. Parentheses,
    /// calls, aggregations, subqueries and operators each add a level, and a chain like
    /// `a or b or c` nests to the left, so it adds a level per operator. Default 200.
    ///
    /// Parsing, checking, printing and dropping a tree recurse once per level; at the default
    /// even an unoptimised build stays well within a 2 MiB thread stack.
    pub max_depth: u32,
}

impl Default for ParseOptions {
    /// A stock Prometheus 3.14 server.
    fn default() -> ParseOptions {
        ParseOptions {
            experimental_functions: false,
            duration_expressions: true,
            extended_range_selectors: false,
            binop_fill_modifiers: false,
            histogram_trim_operators: true,
            legacy_holt_winters: false,
            max_depth: 200,
        }
    }
}

impl ParseOptions {
    /// Every feature on, as Prometheus's PromQL test engine (`promqltest`) runs. Prometheus 2's
    /// `holt_winters` stays off.
    ///
    /// ```
    /// use promgate::promql::ParseOptions;
    /// let options = ParseOptions::all_features();
    /// assert!(options.experimental_functions && options.binop_fill_modifiers);
    /// ```
    pub fn all_features() -> ParseOptions {
        ParseOptions {
            experimental_functions: true,
            duration_expressions: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
            histogram_trim_operators: true,
            legacy_holt_winters: false,
            max_depth: 200,
        }
    }
}

/// Parses a PromQL expression with the options of a stock Prometheus 3.14 server.
///
/// ```
/// use promgate::promql::{parse, ExprKind};
/// let expr = parse("rate(http_requests_total[5m]) > 0.5").unwrap();
/// assert!(matches!(expr.kind, ExprKind::Binary(_)));
/// ```
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    parse_with(input, &ParseOptions::default())
}

/// Parses a PromQL expression with the given options, then type-checks it as Prometheus does.
///
/// ```
/// use promgate::promql::{parse_with, ParseOptions};
/// let err = parse_with("foo[5m] anchored", &ParseOptions::default()).unwrap_err();
/// assert_eq!(err.kind.to_string(), "anchored modifier is experimental and not enabled");
/// assert!(parse_with("foo[5m] anchored", &ParseOptions::all_features()).is_ok());
/// ```
pub fn parse_with(input: &str, options: &ParseOptions) -> Result<Expr, ParseError> {
    let to_public = |e: PError| {
        let (kind, span) = e.into_parts();
        ParseError::new(kind, span, Arc::from(input))
    };
    let mut expr = Parser::new(input, options).parse_top().map_err(to_public)?;
    super::check::check(&mut expr, input).map_err(to_public)?;
    Ok(expr)
}

/// Type-checks an expression built or rewritten by hand, with the checks [`parse_with`] runs
/// after parsing (operand types, function arity, `bool` and set-operator rules, vector
/// matching), and completes its vector matching as the parser does (set operators become
/// many-to-many). `source` is the text the tree's spans point into, or `""` for a tree built
/// in code; checks that look at how a selector was written are skipped without it.
///
/// ```
/// use promgate::promql::{check, parse, Call, Expr, ExprKind};
/// let up = parse("up").unwrap();
/// let vector = promgate::promql::functions::lookup("vector").unwrap();
/// let mut expr = Expr {
///     kind: ExprKind::Call(Call { func: vector, args: vec![up] }),
///     span: Default::default(),
/// };
/// let err = check(&mut expr, "").unwrap_err();
/// assert_eq!(
///     err.kind.to_string(),
///     "expected type scalar in call to function \"vector\", got instant vector"
/// );
/// ```
pub fn check(expr: &mut Expr, source: &str) -> Result<(), ParseError> {
    super::check::check(expr, source).map_err(|e| {
        let (kind, span) = e.into_parts();
        ParseError::new(kind, span, Arc::from(source))
    })
}

/// Parser results: the rest of the input and a value.
pub(crate) type PResult<'a, T> = Result<(&'a str, T), PError>;

/// An expression and the depth of its tree, kept to enforce [`ParseOptions::max_depth`].
/// The expression is boxed so that parser results stay small (most nodes end up boxed in their
/// parent anyway).
#[derive(Debug)]
pub(crate) struct Node {
    pub expr: Box<Expr>,
    pub depth: u32,
}

impl Node {
    fn new(kind: ExprKind, span: Span, depth: u32) -> Node {
        Node {
            expr: Box::new(Expr { kind, span }),
            depth,
        }
    }
}

pub(crate) struct Parser<'a> {
    lx: Lexer<'a>,
    opts: &'a ParseOptions,
    /// How deeply the parser's own recursion is nested.
    nesting: Cell<u32>,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, opts: &'a ParseOptions) -> Parser<'a> {
        Parser {
            lx: Lexer::new(src),
            opts,
            nesting: Cell::new(0),
        }
    }

    /// The whole input: one expression and the end of input.
    fn parse_top(&self) -> Result<Expr, PError> {
        let i = self.lx.skip_trivia(self.lx.rest_at(0));
        if i.is_empty() {
            return Err(PError::new(ParseErrorKind::NoExpression, Span::at(0)));
        }
        let (rest, node) = self.expr(i)?;
        let tok = self.lx.normal(rest)?;
        if tok.kind != TokenKind::Eof {
            return Err(self.unexpected(&tok, None, None));
        }
        Ok(*node.expr)
    }

    /// Runs `f` one nesting level deeper, failing with [`ParseErrorKind::TooDeep`] past the
    /// limit instead of overflowing the stack.
    fn nested<R>(&self, at: &str, f: impl FnOnce() -> Result<R, PError>) -> Result<R, PError> {
        let level = self.nesting.get() + 1;
        if level > self.opts.max_depth {
            return Err(self.too_deep(self.lx.offset(at)));
        }
        self.nesting.set(level);
        let result = f();
        self.nesting.set(level - 1);
        result
    }

    fn too_deep(&self, pos: usize) -> PError {
        PError::new(
            ParseErrorKind::TooDeep {
                limit: self.opts.max_depth,
            },
            Span::new(pos, (pos + 1).min(self.lx.src_len())),
        )
    }

    /// Checks the depth of a node just built.
    fn depth_ok(&self, depth: u32, span: Span) -> Result<(), PError> {
        if depth > self.opts.max_depth {
            return Err(PError::new(
                ParseErrorKind::TooDeep {
                    limit: self.opts.max_depth,
                },
                span,
            ));
        }
        Ok(())
    }

    /// "unexpected <token>[ in <context>][, expected <what>]".
    fn unexpected(
        &self,
        tok: &Token<'_>,
        context: Option<&'static str>,
        expected: Option<&str>,
    ) -> PError {
        PError::new(
            ParseErrorKind::Unexpected {
                found: tok.describe(),
                context,
                expected: expected.map(str::to_string),
            },
            tok.span,
        )
    }

    /// Consumes a `(`: Prometheus's lexer counts open parentheses.
    fn open_paren(&self) {
        let depth = &self.lx.state.paren_depth;
        depth.set(depth.get() + 1);
    }

    /// Consumes a `)`.
    fn close_paren(&self) {
        let depth = &self.lx.state.paren_depth;
        depth.set(depth.get().saturating_sub(1));
    }

    /// The rest of the input after `tok`.
    fn after(&self, tok: &Token<'_>) -> &'a str {
        self.lx.rest_at(tok.span.end as usize)
    }

    /// Expects `)` in normal mode.
    fn expect_rparen(
        &self,
        i: &'a str,
        context: Option<&'static str>,
        expected: Option<&str>,
    ) -> PResult<'a, Token<'a>> {
        let tok = self.lx.normal(i)?;
        if tok.kind != TokenKind::RParen {
            return Err(self.unexpected(&tok, context, expected));
        }
        self.close_paren();
        Ok((self.after(&tok), tok))
    }
}
