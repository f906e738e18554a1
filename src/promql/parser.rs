//! Placeholder: replaced by the nom parser.
use super::ast::Expr;
use crate::syntax::Span;

/// Parser options.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Legacy.
    pub legacy_holt_winters: bool,
}

impl ParseOptions {
    /// All.
    pub fn all_features() -> Self { Self::default() }
}

/// A parse error kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not implemented yet.
    #[error("parser not implemented")]
    Unimplemented,
}

/// A parse error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// The kind.
    pub kind: ParseErrorKind,
    /// The span.
    pub span: Span,
}

/// Parses with default options.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    parse_with(input, &ParseOptions::default())
}

/// Parses with options.
pub fn parse_with(_input: &str, _options: &ParseOptions) -> Result<Expr, ParseError> {
    Err(ParseError { kind: ParseErrorKind::Unimplemented, span: Span::at(0) })
}
