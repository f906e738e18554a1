//! Vector selectors, label matchers and grouping label lists.

use super::{Node, PResult, Parser};
use crate::model::{METRIC_NAME, MatchOp, Matcher};
use crate::promql::ast::{ExprKind, VectorSelector};
use crate::promql::error::{PError, ParseErrorKind};
use crate::promql::lexer::{Token, TokenKind};

/// What `{...}` held.
struct Braces<'a> {
    rest: &'a str,
    matchers: Vec<Matcher>,
    close: Token<'a>,
    /// The first metric name written as a bare string inside the braces: `{"my.metric"}`.
    quoted_name: Option<String>,
}

impl<'a> Parser<'a> {
    /// `vector_selector` with a metric name: `foo`, `foo{a="b"}`. `next` is the token after the
    /// name. The name becomes a `__name__` matcher after the others, as in Prometheus.
    pub(super) fn selector_from_name(&self, name: Token<'a>, next: Token<'a>) -> PResult<'a, Node> {
        let (rest, mut matchers, span) = match next.kind {
            TokenKind::LBrace => {
                let braces = self.label_matchers(&next)?;
                (
                    braces.rest,
                    braces.matchers,
                    name.span.to(braces.close.span),
                )
            }
            _ => (self.after(&name), Vec::with_capacity(1), name.span),
        };
        matchers.push(Matcher::equal(METRIC_NAME, name.text));
        let selector = VectorSelector {
            name: Some(name.text.to_string()),
            matchers,
            offset: None,
            at: None,
            anchored: false,
            smoothed: false,
        };
        Ok((rest, Node::new(ExprKind::VectorSelector(selector), span, 1)))
    }

    /// `vector_selector` without a name before the braces: `{a="b"}`, `{"my.metric"}`.
    pub(super) fn selector_from_brace(&self, open: Token<'a>) -> PResult<'a, Node> {
        let braces = self.label_matchers(&open)?;
        let selector = VectorSelector {
            name: braces.quoted_name,
            matchers: braces.matchers,
            offset: None,
            at: None,
            anchored: false,
            smoothed: false,
        };
        let span = open.span.to(braces.close.span);
        Ok((
            braces.rest,
            Node::new(ExprKind::VectorSelector(selector), span, 1),
        ))
    }

    /// `label_matchers`: `{ [matcher, ...] [,] }`, where a matcher is `name op "value"`,
    /// `"name" op "value"`, or a bare `"metric name"`.
    fn label_matchers(&self, open: &Token<'a>) -> Result<Braces<'a>, PError> {
        const CONTEXT: Option<&str> = Some("label matching");
        let mut i = self.after(open);
        let mut matchers = Vec::new();
        let mut quoted_name = None;
        loop {
            let tok = self.lx.in_braces(i)?;
            let name = match tok.kind {
                TokenKind::RBrace => break Ok(self.braces_done(matchers, tok, quoted_name)),
                TokenKind::Ident => tok.text.to_string(),
                TokenKind::Str => self.unquote(&tok)?,
                _ => {
                    return Err(self.unexpected(&tok, CONTEXT, Some("identifier or \"}\"")));
                }
            };
            let op_tok = self.lx.in_braces(self.after(&tok))?;
            let op = match op_tok.kind {
                TokenKind::Eql => Some(MatchOp::Equal),
                TokenKind::Neq => Some(MatchOp::NotEqual),
                TokenKind::EqlRegex => Some(MatchOp::RegexMatch),
                TokenKind::NeqRegex => Some(MatchOp::RegexNoMatch),
                _ => None,
            };
            let matcher = match (op, tok.kind) {
                (Some(op), _) => {
                    let value_tok = self.lx.in_braces(self.after(&op_tok))?;
                    if value_tok.kind != TokenKind::Str {
                        return Err(self.unexpected(&value_tok, CONTEXT, Some("string")));
                    }
                    i = self.after(&value_tok);
                    let value = self.unquote(&value_tok)?;
                    Matcher::new(op, name, value.as_str()).map_err(|e| {
                        PError::new(
                            ParseErrorKind::InvalidRegex {
                                message: regex_message(&e, &value),
                            },
                            tok.span.to(value_tok.span),
                        )
                    })?
                }
                // A bare string is the metric name.
                (None, TokenKind::Str) => {
                    i = self.after(&tok);
                    if quoted_name.is_none() {
                        quoted_name = Some(name.clone());
                    }
                    Matcher::equal(METRIC_NAME, name)
                }
                (None, _) => {
                    return Err(self.unexpected(&op_tok, CONTEXT, Some("label matching operator")));
                }
            };
            matchers.push(matcher);
            let sep = self.lx.in_braces(i)?;
            match sep.kind {
                TokenKind::Comma => i = self.after(&sep),
                TokenKind::RBrace => break Ok(self.braces_done(matchers, sep, quoted_name)),
                _ => return Err(self.unexpected(&sep, CONTEXT, Some("\",\" or \"}\""))),
            }
        }
    }

    fn braces_done(
        &self,
        matchers: Vec<Matcher>,
        close: Token<'a>,
        quoted_name: Option<String>,
    ) -> Braces<'a> {
        Braces {
            rest: self.after(&close),
            matchers,
            close,
            quoted_name,
        }
    }

    /// `grouping_labels`: `( [label, ...] [,] )` after `by`, `without`, `on`, `ignoring`,
    /// `group_left` or `group_right`. Labels may be keywords or quoted strings. Returns the
    /// labels and the closing `)`.
    pub(super) fn grouping_labels(
        &self,
        i: &'a str,
    ) -> Result<(&'a str, Vec<String>, Token<'a>), PError> {
        const CONTEXT: Option<&str> = Some("grouping opts");
        let open = self.lx.normal(i)?;
        if open.kind != TokenKind::LParen {
            return Err(self.unexpected(&open, CONTEXT, Some("\"(\"")));
        }
        self.open_paren();
        let mut i = self.after(&open);
        let mut labels = Vec::new();
        loop {
            let tok = self.lx.normal(i)?;
            let label = match tok.kind {
                TokenKind::RParen => {
                    self.close_paren();
                    return Ok((self.after(&tok), labels, tok));
                }
                TokenKind::Ident | TokenKind::MetricIdent => tok.text.to_string(),
                TokenKind::Kw(kw) if kw.is_label() => tok.text.to_string(),
                TokenKind::Str => {
                    let label = self.unquote(&tok)?;
                    if label.is_empty() {
                        return Err(PError::new(
                            ParseErrorKind::InvalidGroupingLabel { name: label },
                            tok.span,
                        ));
                    }
                    label
                }
                _ => return Err(self.unexpected(&tok, CONTEXT, Some("label"))),
            };
            labels.push(label);
            let sep = self.lx.normal(self.after(&tok))?;
            match sep.kind {
                TokenKind::Comma => i = self.after(&sep),
                TokenKind::RParen => {
                    self.close_paren();
                    return Ok((self.after(&sep), labels, sep));
                }
                _ => return Err(self.unexpected(&sep, CONTEXT, Some("\",\" or \")\""))),
            }
        }
    }
}

/// The regex engine's error in Prometheus's form: `error parsing regexp: <reason>: `<regex>``.
pub(crate) fn regex_message(error: &regex::Error, pattern: &str) -> String {
    let text = error.to_string();
    if text.starts_with("error parsing regexp: ") {
        // Already Go's message (the pattern is not Go syntax).
        return text;
    }
    // The syntax error's last line is `error: <reason>`; other errors are one line.
    let reason = text
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.trim());
    format!("error parsing regexp: {reason}: `{pattern}`")
}
