//! PromQL tokens, recognised on demand from `&str` with nom.
//!
//! Prometheus's lexer (`promql/parser/lex.go`) is modal: inside `{...}` keywords are plain label
//! names, inside `[...]` only duration syntax is allowed, and everywhere else identifiers may be
//! keywords. The parser knows which mode it is in, so it calls [`Lexer::normal`],
//! [`Lexer::in_braces`] or [`Lexer::in_brackets`]. Error messages and the character classes follow
//! `lex.go`, so users who compare with promtool see the same wording.

use nom::Parser as _;
use nom::branch::alt;
use nom::bytes::complete::{take_till, take_while};
use nom::character::complete::{char as nom_char, multispace1, satisfy};
use nom::combinator::recognize;
use nom::multi::many0_count;
use nom::sequence::{pair, preceded};

use super::ast::AggregateOp;
use super::error::{CharContext, PError, ParseErrorKind};
use crate::syntax::Span;
use crate::syntax::go::{is_alnum, is_alnum_byte, is_alpha, quote_token, scan_number, unicode};
use std::cell::Cell;

/// Keywords of PromQL, as in `lex.go`'s `key` map. Matching is case-insensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    Or,
    Unless,
    Atan2,
    /// An aggregation operator; the list of them is [`AggregateOp::ALL`].
    Aggregate(AggregateOp),
    Offset,
    Smoothed,
    Anchored,
    By,
    Without,
    On,
    Ignoring,
    GroupLeft,
    GroupRight,
    Fill,
    FillLeft,
    FillRight,
    Bool,
    Start,
    End,
    Step,
    Range,
    MaxOf,
    MinOf,
}

/// How Prometheus describes a keyword in "unexpected ..." messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KwClass {
    /// `<op:and>`
    Operator,
    /// `<aggr:sum>`
    Aggregator,
    /// `<by>`
    Keyword,
    /// `"start"` (Prometheus's "preprocessors")
    Preprocessor,
}

impl Kw {
    fn class(self) -> KwClass {
        use Kw::*;
        match self {
            And | Or | Unless | Atan2 => KwClass::Operator,
            Aggregate(_) => KwClass::Aggregator,
            Offset | Smoothed | Anchored | By | Without | On | Ignoring | GroupLeft
            | GroupRight | Fill | FillLeft | FillRight | Bool => KwClass::Keyword,
            Start | End | Step | Range | MaxOf | MinOf => KwClass::Preprocessor,
        }
    }

    /// Whether the keyword may be used as a metric name at the start of an expression
    /// (Prometheus's `metric_identifier` rule).
    pub(crate) fn is_metric_identifier(self) -> bool {
        !matches!(
            self,
            Kw::Atan2 | Kw::Bool | Kw::On | Kw::Ignoring | Kw::GroupLeft | Kw::GroupRight
        )
    }

    /// Whether the keyword may be used as a label name in a grouping list (Prometheus's
    /// `maybe_label` rule: every keyword except `without`).
    pub(crate) fn is_label(self) -> bool {
        self != Kw::Without
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Eof,
    Number,
    Duration,
    /// A quoted string; the token text includes the quotes.
    Str,
    /// `[a-zA-Z_][a-zA-Z0-9_]*` that is not a keyword.
    Ident,
    /// An identifier containing `:`.
    MetricIdent,
    Kw(Kw),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    At,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    EqlC,
    Neq,
    Lte,
    Lss,
    Gte,
    Gtr,
    TrimUpper,
    TrimLower,
    Eql,
    EqlRegex,
    NeqRegex,
}

/// A token: its kind, its text and where it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    pub span: Span,
}

impl Token<'_> {
    /// Prometheus's description of the token in "unexpected ..." messages (`Item.desc()`):
    /// `end of input`, `identifier "foo"`, `<op:*>`, `<aggr:sum>`, `<by>`, `"("`.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            TokenKind::Eof => "end of input".to_string(),
            TokenKind::Ident => format!("identifier {}", go_quote(self.text)),
            TokenKind::MetricIdent => format!("metric identifier {}", go_quote(self.text)),
            TokenKind::Str => format!("string {}", quote_token(self.text)),
            TokenKind::Number => format!("number {}", quote_token(self.text)),
            TokenKind::Duration => format!("duration {}", quote_token(self.text)),
            TokenKind::Kw(kw) => match kw.class() {
                KwClass::Operator => format!("<op:{}>", self.text),
                KwClass::Aggregator => format!("<aggr:{}>", self.text),
                KwClass::Keyword => format!("<{}>", self.text),
                KwClass::Preprocessor => go_quote(self.text),
            },
            TokenKind::At
            | TokenKind::Add
            | TokenKind::Sub
            | TokenKind::Mul
            | TokenKind::Div
            | TokenKind::Mod
            | TokenKind::Pow
            | TokenKind::EqlC
            | TokenKind::Neq
            | TokenKind::Lte
            | TokenKind::Lss
            | TokenKind::Gte
            | TokenKind::Gtr
            | TokenKind::TrimUpper
            | TokenKind::TrimLower
            | TokenKind::EqlRegex
            | TokenKind::NeqRegex => format!("<op:{}>", self.text),
            TokenKind::LParen
            | TokenKind::RParen
            | TokenKind::LBrace
            | TokenKind::RBrace
            | TokenKind::LBracket
            | TokenKind::RBracket
            | TokenKind::Comma
            | TokenKind::Colon
            | TokenKind::Eql => go_quote(self.text),
        }
    }
}

/// Go's `%q` of a string.
pub(crate) fn go_quote(text: &str) -> String {
    crate::syntax::lex::quote(text)
}

/// Looks up a keyword, ignoring case. `inf` and `nan` are numbers, not keywords.
pub(crate) fn keyword(word: &str) -> Option<Kw> {
    if word.len() > 12 {
        return None;
    }
    let mut buf = [0u8; 12];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"and" => Kw::And,
        b"or" => Kw::Or,
        b"unless" => Kw::Unless,
        b"atan2" => Kw::Atan2,
        b"offset" => Kw::Offset,
        b"smoothed" => Kw::Smoothed,
        b"anchored" => Kw::Anchored,
        b"by" => Kw::By,
        b"without" => Kw::Without,
        b"on" => Kw::On,
        b"ignoring" => Kw::Ignoring,
        b"group_left" => Kw::GroupLeft,
        b"group_right" => Kw::GroupRight,
        b"fill" => Kw::Fill,
        b"fill_left" => Kw::FillLeft,
        b"fill_right" => Kw::FillRight,
        b"bool" => Kw::Bool,
        b"start" => Kw::Start,
        b"end" => Kw::End,
        b"step" => Kw::Step,
        b"range" => Kw::Range,
        b"max_of" => Kw::MaxOf,
        b"min_of" => Kw::MinOf,
        other => {
            let name = std::str::from_utf8(other).ok()?;
            return AggregateOp::from_name(name).map(Kw::Aggregate);
        }
    })
}

fn is_number_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan")
}

/// Results of the nom lexeme parsers. Their errors only mean "not here" and never reach users,
/// so they are nom's allocation-free tuple error.
type NomResult<'a, O> = nom::IResult<&'a str, O, (&'a str, nom::error::ErrorKind)>;

/// Whitespace (` `, `\t`, `\n`, `\r`) and `#` comments to the end of the line.
fn trivia(i: &str) -> NomResult<'_, &str> {
    recognize(many0_count(alt((
        multispace1,
        preceded(nom_char('#'), take_till(|c| c == '\n' || c == '\r')),
    ))))
    .parse(i)
}

/// An identifier outside braces: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn identifier(i: &str) -> NomResult<'_, &str> {
    recognize(pair(
        satisfy(|c| is_alpha(c) || c == ':'),
        take_while(|c| is_alnum(c) || c == ':'),
    ))
    .parse(i)
}

/// A label name inside braces: `[a-zA-Z_][a-zA-Z0-9_]*` (no colons).
fn label_identifier(i: &str) -> NomResult<'_, &str> {
    recognize(pair(satisfy(is_alpha), take_while(is_alnum))).parse(i)
}

/// The token-level state Prometheus's lexer keeps: how many parentheses are open. It decides
/// between "unclosed left parenthesis" and "unexpected end of input", and rejects a `)` without
/// a matching `(`.
#[derive(Debug, Default)]
pub(crate) struct LexState {
    pub paren_depth: Cell<u32>,
}

/// Recognises tokens in the three modes of Prometheus's lexer.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pub state: LexState,
    /// The last token [`Lexer::normal`] recognised, with its input position and the parenthesis
    /// depth then: the parser peeks at a token and often looks at it again from another rule.
    last: Cell<Option<(usize, u32, Token<'a>)>>,
}

/// Where a duration token was met, which changes Prometheus's wording of lexer errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BracketMode {
    /// Before the first number inside `[`: Prometheus's `lexDurationExpr` state.
    DurationExpr,
    /// After a number inside `[`: Prometheus's `lexStatements` state with a bracket open.
    Statements,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            state: LexState::default(),
            last: Cell::new(None),
        }
    }

    /// The byte offset of the remaining input `i`.
    #[inline]
    pub(crate) fn offset(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    /// The length of the whole input.
    #[inline]
    pub(crate) fn src_len(&self) -> usize {
        self.src.len()
    }

    /// The remaining input at byte offset `pos`.
    #[inline]
    pub(crate) fn rest_at(&self, pos: usize) -> &'a str {
        &self.src[pos..]
    }

    /// Skips whitespace and comments.
    #[inline]
    pub(crate) fn skip_trivia(&self, i: &'a str) -> &'a str {
        match i.as_bytes().first() {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'#') => match trivia(i) {
                Ok((rest, _)) => rest,
                Err(_) => i,
            },
            _ => i,
        }
    }

    fn token(&self, kind: TokenKind, start: usize, len: usize) -> Token<'a> {
        Token {
            kind,
            text: &self.src[start..start + len],
            span: Span::new(start, start + len),
        }
    }

    fn error(&self, kind: ParseErrorKind, start: usize, end: usize) -> PError {
        PError::new(kind, Span::new(start, end))
    }

    /// The end-of-input token, or Prometheus's lexer error when a parenthesis is still open.
    fn eof(&self, start: usize) -> Result<Token<'a>, PError> {
        if self.state.paren_depth.get() > 0 {
            return Err(self.error(ParseErrorKind::UnclosedParenthesis, start, start));
        }
        Ok(self.token(TokenKind::Eof, start, 0))
    }

    /// The next token outside braces and brackets (Prometheus's `lexStatements`).
    #[inline]
    pub(crate) fn normal(&self, i: &'a str) -> Result<Token<'a>, PError> {
        let pos = self.offset(i);
        let depth = self.state.paren_depth.get();
        if let Some((last_pos, last_depth, tok)) = self.last.get() {
            if last_pos == pos && last_depth == depth {
                return Ok(tok);
            }
        }
        let tok = self.scan_normal(i)?;
        self.last.set(Some((pos, depth, tok)));
        Ok(tok)
    }

    fn scan_normal(&self, i: &'a str) -> Result<Token<'a>, PError> {
        let i = self.skip_trivia(i);
        let start = self.offset(i);
        let bytes = i.as_bytes();
        let Some(&b) = bytes.first() else {
            return self.eof(start);
        };
        let next = bytes.get(1).copied();
        let t = match b {
            b',' => TokenKind::Comma,
            b'*' => TokenKind::Mul,
            b'/' => TokenKind::Div,
            b'%' => TokenKind::Mod,
            b'+' => TokenKind::Add,
            b'-' => TokenKind::Sub,
            b'^' => TokenKind::Pow,
            b'@' => TokenKind::At,
            b'(' => TokenKind::LParen,
            b'{' => TokenKind::LBrace,
            b'[' => TokenKind::LBracket,
            b'}' => {
                return Err(self.unexpected_char('}', start, CharContext::Expression));
            }
            b']' => {
                return Err(self.error(ParseErrorKind::UnexpectedRightBracket, start, start + 1));
            }
            b')' => {
                if self.state.paren_depth.get() == 0 {
                    // Prometheus reports the position after the parenthesis.
                    return Err(self.error(
                        ParseErrorKind::UnexpectedRightParenthesis,
                        start + 1,
                        start + 1,
                    ));
                }
                TokenKind::RParen
            }
            b'=' => match next {
                Some(b'=') => return Ok(self.token(TokenKind::EqlC, start, 2)),
                Some(b'~') => {
                    return Err(self.error(
                        ParseErrorKind::UnexpectedCharacter {
                            found: Some('~'),
                            context: CharContext::AfterEquals,
                        },
                        start,
                        start + 2,
                    ));
                }
                _ => TokenKind::Eql,
            },
            b'!' => match next {
                Some(b'=') => return Ok(self.token(TokenKind::Neq, start, 2)),
                _ => {
                    let found = i[1..].chars().next();
                    return Err(self.error(
                        ParseErrorKind::UnexpectedCharacter {
                            found,
                            context: CharContext::AfterBang,
                        },
                        start,
                        start + 1 + found.map_or(0, char::len_utf8),
                    ));
                }
            },
            b'<' => match next {
                Some(b'=') => return Ok(self.token(TokenKind::Lte, start, 2)),
                Some(b'/') => return Ok(self.token(TokenKind::TrimUpper, start, 2)),
                _ => TokenKind::Lss,
            },
            b'>' => match next {
                Some(b'=') => return Ok(self.token(TokenKind::Gte, start, 2)),
                Some(b'/') => return Ok(self.token(TokenKind::TrimLower, start, 2)),
                _ => TokenKind::Gtr,
            },
            b'0'..=b'9' => return self.number_or_duration(i),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => return self.number_or_duration(i),
            b'"' | b'\'' | b'`' => return self.string(i),
            b if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {
                return Ok(self.word(i));
            }
            _ => {
                let c = i.chars().next().unwrap_or('\u{fffd}');
                return Err(self.unexpected_char(c, start, CharContext::Expression));
            }
        };
        Ok(self.token(t, start, 1))
    }

    fn unexpected_char(&self, c: char, start: usize, context: CharContext) -> PError {
        self.error(
            ParseErrorKind::UnexpectedCharacter {
                found: Some(c),
                context,
            },
            start,
            start + c.len_utf8(),
        )
    }

    /// An identifier, keyword, `Inf`/`NaN` or metric identifier (Prometheus's
    /// `lexKeywordOrIdentifier`).
    fn word(&self, i: &'a str) -> Token<'a> {
        let start = self.offset(i);
        let (rest, word) = match identifier(i) {
            Ok(ok) => ok,
            // Unreachable: the caller checked the first character.
            Err(_) => (&i[1..], &i[..1]),
        };
        let len = word.len();
        if let Some(kw) = keyword(word) {
            // `fill`, `fill_left` and `fill_right` are keywords only before a `(`, so they stay
            // usable as metric names.
            if matches!(kw, Kw::Fill | Kw::FillLeft | Kw::FillRight)
                && !rest
                    .trim_start_matches([' ', '\t', '\n', '\r'])
                    .starts_with('(')
            {
                return self.token(TokenKind::Ident, start, len);
            }
            return self.token(TokenKind::Kw(kw), start, len);
        }
        if is_number_word(word) {
            return self.token(TokenKind::Number, start, len);
        }
        if word.contains(':') {
            return self.token(TokenKind::MetricIdent, start, len);
        }
        self.token(TokenKind::Ident, start, len)
    }

    /// A number or duration token (Prometheus's `lexNumberOrDuration`).
    fn number_or_duration(&self, i: &'a str) -> Result<Token<'a>, PError> {
        let start = self.offset(i);
        match scan_number_or_duration(i.as_bytes()) {
            Ok((len, false)) => Ok(self.token(TokenKind::Number, start, len)),
            Ok((len, true)) => Ok(self.token(TokenKind::Duration, start, len)),
            Err(len) => {
                let len = floor_char_boundary(i, len);
                Err(self.error(
                    ParseErrorKind::BadNumberOrDuration {
                        text: i[..len].to_string(),
                    },
                    start,
                    start + len,
                ))
            }
        }
    }

    /// A quoted string token (Prometheus's `lexString`, `lexEscape`, `lexRawString`).
    pub(crate) fn string(&self, i: &'a str) -> Result<Token<'a>, PError> {
        let start = self.offset(i);
        match scan_string(i) {
            Ok(len) => Ok(self.token(TokenKind::Str, start, len)),
            Err((kind, end)) => Err(self.error(kind, start, start + end)),
        }
    }

    /// The next token inside `{...}` (Prometheus's `lexInsideBraces`): label names are never
    /// keywords, and only matchers, strings, commas and `}` are allowed.
    pub(crate) fn in_braces(&self, i: &'a str) -> Result<Token<'a>, PError> {
        let i = self.skip_trivia(i);
        let start = self.offset(i);
        let bytes = i.as_bytes();
        let Some(&b) = bytes.first() else {
            return Err(self.error(ParseErrorKind::UnclosedBrace, start, start));
        };
        let t = match b {
            b',' => TokenKind::Comma,
            b'}' => TokenKind::RBrace,
            b'=' => match bytes.get(1) {
                Some(b'~') => return Ok(self.token(TokenKind::EqlRegex, start, 2)),
                _ => TokenKind::Eql,
            },
            b'!' => match bytes.get(1) {
                Some(b'~') => return Ok(self.token(TokenKind::NeqRegex, start, 2)),
                Some(b'=') => return Ok(self.token(TokenKind::Neq, start, 2)),
                _ => {
                    let found = i[1..].chars().next();
                    return Err(self.error(
                        ParseErrorKind::UnexpectedCharacter {
                            found,
                            context: CharContext::AfterBangInsideBraces,
                        },
                        start,
                        start + 1 + found.map_or(0, char::len_utf8),
                    ));
                }
            },
            b'"' | b'\'' | b'`' => return self.string(i),
            b'{' => {
                return Err(self.error(ParseErrorKind::UnexpectedLeftBrace, start, start + 1));
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = match label_identifier(i) {
                    Ok((_, word)) => word.len(),
                    Err(_) => 1,
                };
                return Ok(self.token(TokenKind::Ident, start, len));
            }
            _ => {
                let c = i.chars().next().unwrap_or('\u{fffd}');
                return Err(self.unexpected_char(c, start, CharContext::InsideBraces));
            }
        };
        Ok(self.token(t, start, 1))
    }

    /// The next token inside `[...]` (Prometheus's `lexDurationExpr`, and `lexStatements` with
    /// a bracket open once a number was read).
    pub(crate) fn in_brackets(&self, i: &'a str, mode: BracketMode) -> Result<Token<'a>, PError> {
        let i = self.skip_trivia(i);
        let start = self.offset(i);
        let bytes = i.as_bytes();
        let Some(&b) = bytes.first() else {
            return Err(match mode {
                BracketMode::DurationExpr => {
                    self.error(ParseErrorKind::UnexpectedEofInDuration, start, start)
                }
                BracketMode::Statements if self.state.paren_depth.get() > 0 => {
                    self.error(ParseErrorKind::UnclosedParenthesis, start, start)
                }
                BracketMode::Statements => {
                    self.error(ParseErrorKind::UnclosedBracket, start, start)
                }
            });
        };
        let t = match b {
            b']' => TokenKind::RBracket,
            b':' => TokenKind::Colon,
            b'(' => TokenKind::LParen,
            b')' => {
                if self.state.paren_depth.get() == 0 {
                    // Prometheus reports the position after the parenthesis.
                    return Err(self.error(
                        ParseErrorKind::UnexpectedRightParenthesis,
                        start + 1,
                        start + 1,
                    ));
                }
                TokenKind::RParen
            }
            b'+' => TokenKind::Add,
            b'-' => TokenKind::Sub,
            b'*' => TokenKind::Mul,
            b'/' => TokenKind::Div,
            b'%' => TokenKind::Mod,
            b'^' => TokenKind::Pow,
            b',' => TokenKind::Comma,
            b'0'..=b'9' => return self.number_or_duration(i),
            b'.' if bytes.get(1).is_some_and(u8::is_ascii_digit) => {
                return self.number_or_duration(i);
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                // Only the duration keywords `step`, `range`, `min_of` and `max_of`.
                let len = bytes
                    .iter()
                    .take_while(|b| b.is_ascii_alphabetic() || **b == b'_')
                    .count();
                let word = &i[..len];
                return match keyword(word) {
                    Some(kw @ (Kw::Step | Kw::Range | Kw::MinOf | Kw::MaxOf)) => {
                        Ok(self.token(TokenKind::Kw(kw), start, len))
                    }
                    _ => Err(self.bracket_char_error(i, start, mode)),
                };
            }
            b'[' if mode == BracketMode::Statements => {
                return Err(self.error(ParseErrorKind::UnexpectedLeftBracket, start, start + 1));
            }
            _ if mode == BracketMode::Statements => {
                // Prometheus lexes the rest as ordinary tokens; the parser then rejects them.
                return self.normal(i);
            }
            _ => return Err(self.bracket_char_error(i, start, mode)),
        };
        Ok(self.token(t, start, 1))
    }

    fn bracket_char_error(&self, i: &str, start: usize, mode: BracketMode) -> PError {
        let c = i.chars().next().unwrap_or('\u{fffd}');
        match mode {
            BracketMode::DurationExpr => {
                self.unexpected_char(c, start, CharContext::DurationExpression)
            }
            BracketMode::Statements => self.error(
                ParseErrorKind::UnexpectedCharacter {
                    found: Some(c),
                    context: CharContext::BeforeColon,
                },
                start,
                start + c.len_utf8(),
            ),
        }
    }
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    index = index.min(s.len());
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Scans a number or duration as Prometheus's `lexNumberOrDuration` does. Returns the token
/// length and whether it is a duration, or on error how many bytes were consumed (which
/// Prometheus quotes in its "bad number or duration syntax" message).
pub(crate) fn scan_number_or_duration(s: &[u8]) -> Result<(usize, bool), usize> {
    match scan_number(s, 0, false) {
        Ok(end) => Ok((end, false)),
        Err(mut pos) => match accept_remaining_duration(s, &mut pos) {
            true => Ok((pos, true)),
            false => Err(pos),
        },
    }
}

/// Prometheus's `acceptRemainingDuration`: a unit, then more `<digits><unit>` groups, and no
/// letter or digit directly after.
fn accept_remaining_duration(s: &[u8], pos: &mut usize) -> bool {
    let accept = |pos: &mut usize, set: &[u8]| -> bool {
        match s.get(*pos) {
            Some(c) if set.contains(c) => {
                *pos += 1;
                true
            }
            _ => false,
        }
    };
    if !accept(pos, b"smhdwy") {
        return false;
    }
    accept(pos, b"s");
    while accept(pos, b"0123456789") {
        while accept(pos, b"0123456789") {}
        if !accept(pos, b"smhdw") {
            return false;
        }
        accept(pos, b"s");
    }
    match s.get(*pos) {
        Some(&c) if is_alnum_byte(c) => {
            *pos += 1;
            false
        }
        _ => true,
    }
}

/// Scans a quoted string starting at its opening quote, validating escapes as Prometheus's lexer
/// does. Returns the length including both quotes, or the error and the offset to report up to.
fn scan_string(i: &str) -> Result<usize, (ParseErrorKind, usize)> {
    let mut chars = i.char_indices();
    let Some((_, quote)) = chars.next() else {
        return Err((ParseErrorKind::UnterminatedString, 0));
    };
    if quote == '`' {
        return match i[1..].find('`') {
            Some(end) => Ok(end + 2),
            None => Err((ParseErrorKind::UnterminatedRawString, i.len())),
        };
    }
    while let Some((pos, c)) = chars.next() {
        match c {
            '\n' => return Err((ParseErrorKind::UnterminatedString, pos)),
            '\\' => {
                let escape_error =
                    |message: String, end: usize| (ParseErrorKind::InvalidEscape { message }, end);
                let Some((epos, e)) = chars.next() else {
                    return Err(escape_error(
                        "escape sequence not terminated".into(),
                        i.len(),
                    ));
                };
                let (digits, base, max): (usize, u32, u32) = match e {
                    'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' => continue,
                    c if c == quote => continue,
                    '0'..='7' => (3, 8, 255),
                    'x' => (2, 16, 255),
                    'u' => (4, 16, 0x10ffff),
                    'U' => (8, 16, 0x10ffff),
                    other => {
                        return Err(escape_error(
                            format!("unknown escape sequence {}", unicode(other)),
                            epos + other.len_utf8(),
                        ));
                    }
                };
                let mut value: u32 = 0;
                // Octal escapes start with their first digit; the others after the letter.
                let mut remaining = digits;
                if base == 8 {
                    value = e.to_digit(8).unwrap_or(0);
                    remaining -= 1;
                }
                while remaining > 0 {
                    let Some((dpos, d)) = chars.next() else {
                        return Err(escape_error(
                            "escape sequence not terminated".into(),
                            i.len(),
                        ));
                    };
                    match d.to_digit(base) {
                        Some(v) => value = value.saturating_mul(base).saturating_add(v),
                        None => {
                            return Err(escape_error(
                                format!("illegal character {} in escape sequence", unicode(d)),
                                dpos + d.len_utf8(),
                            ));
                        }
                    }
                    remaining -= 1;
                }
                if value > max || (0xd800..0xe000).contains(&value) {
                    return Err(escape_error(
                        "escape sequence is an invalid Unicode code point".into(),
                        epos + 1,
                    ));
                }
            }
            c if c == quote => return Ok(pos + 1),
            _ => {}
        }
    }
    Err((ParseErrorKind::UnterminatedString, i.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_scan_like_prometheus() {
        for (text, want) in [
            ("1", Ok((1, false))),
            ("1.5e3", Ok((5, false))),
            (".5", Ok((2, false))),
            ("0x1f", Ok((4, false))),
            ("1_000", Ok((5, false))),
            ("5m", Ok((2, true))),
            ("1h30m", Ok((5, true))),
            ("100ms", Ok((5, true))),
            ("1y", Ok((2, true))),
            ("5m]", Ok((2, true))),
            ("2.5.", Err(4)),
            ("100..4", Err(5)),
            ("0deadbeef", Err(3)),
            ("5mm", Err(3)),
            ("5m1", Err(3)),
            ("1e", Err(2)),
        ] {
            assert_eq!(scan_number_or_duration(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn string_escapes_are_validated() {
        assert_eq!(scan_string(r#""a\"b" x"#), Ok(6));
        assert_eq!(scan_string("`a\\`"), Ok(4));
        assert!(matches!(
            scan_string(r#""\c""#),
            Err((ParseErrorKind::InvalidEscape { .. }, _))
        ));
        assert!(matches!(
            scan_string(r#""\'""#),
            Err((ParseErrorKind::InvalidEscape { .. }, _))
        ));
        assert!(scan_string(r"'\''").is_ok());
        assert!(matches!(
            scan_string("\"abc"),
            Err((ParseErrorKind::UnterminatedString, _))
        ));
        assert!(matches!(
            scan_string("\"\\400\""),
            Err((ParseErrorKind::InvalidEscape { .. }, _))
        ));
    }

    #[test]
    fn keywords_ignore_case() {
        assert_eq!(keyword("SUM"), Some(Kw::Aggregate(AggregateOp::Sum)));
        assert_eq!(keyword("Group_Left"), Some(Kw::GroupLeft));
        assert_eq!(keyword("inf"), None);
        assert_eq!(keyword("summary"), None);
    }
}
