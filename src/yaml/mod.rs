//! YAML with positions: every file format of promgate (rule files, promtool test files, gates
//! files) is read here and nowhere else.
//!
//! The text is parsed into a tree of nodes that remember their line, column and byte span
//! (with [`saphyr_parser`], an event parser with markers), then decoded into serde types by a
//! deserializer over that tree. Positions survive decoding in two ways: every decoding error
//! names the node it happened at, and a field typed [`Spanned<T>`] receives the position of its
//! value. serde_yaml has neither.
//!
//! Decoding follows Go's YAML libraries where users compare with promtool: unknown fields and
//! duplicate keys are errors (strict mode), a scalar decoded into a string keeps its source text
//! (`code: 500` gives `"500"`, `f: 1.50` gives `"1.50"`), and `null` decodes to the zero value.
//!
//! ```
//! use promgate::yaml::{Spanned, from_str};
//! #[derive(Debug, serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Rule { expr: Spanned<String> }
//! let rule: Rule = from_str("expr: up == 0\n").unwrap();
//! assert_eq!(rule.expr.value, "up == 0");
//! assert_eq!((rule.expr.pos.line, rule.expr.pos.column), (1, 7));
//! let err = from_str::<Rule>("exp: up\n").unwrap_err();
//! assert_eq!(err.to_string(), "1:1: unknown field \"exp\", did you mean \"expr\"?");
//! ```

mod de;
mod node;

pub(crate) use de::from_node;
pub use de::{Spanned, from_str, from_str_all, unknown_field_message};
pub(crate) use node::parse_documents;
#[allow(unused_imports)]
pub(crate) use node::{Node, NodeKind};
pub use node::{Position, YamlLimits};

use std::fmt;

/// What went wrong reading YAML, and where.
///
/// ```
/// let err = promgate::yaml::from_str::<Vec<String>>("[a, b").unwrap_err();
/// assert!(err.pos.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    /// The message, without position.
    pub message: String,
    /// Where it happened, when known.
    pub pos: Option<Position>,
    /// What kind of problem it is.
    pub kind: YamlErrorKind,
}

/// The kinds of [`YamlError`].
///
/// ```
/// use promgate::yaml::{YamlErrorKind, from_str};
/// let err = from_str::<Vec<String>>("[a, b").unwrap_err();
/// assert_eq!(err.kind, YamlErrorKind::Syntax);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum YamlErrorKind {
    /// The text is not YAML (`key: [a, b` without `]`).
    Syntax,
    /// The YAML does not fit the expected shape: an unknown field, a wrong type, a duplicate
    /// key, a missing field.
    Decode,
    /// A limit was hit (nesting depth, node count after expanding aliases, size).
    Limit,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{}:{}: {}", pos.line, pos.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl YamlError {
    pub(crate) fn new(
        kind: YamlErrorKind,
        message: impl Into<String>,
        pos: Option<Position>,
    ) -> Self {
        YamlError {
            message: message.into(),
            pos,
            kind,
        }
    }
}
