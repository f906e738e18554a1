//! PromQL: the abstract syntax tree, the parser, type checks, the function table and the
//! canonical printer.
//!
//! ```
//! use promgate::promql::{parse, ParseOptions};
//! let expr = parse(r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))"#).unwrap();
//! assert_eq!(
//!     expr.to_string(),
//!     r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))"#
//! );
//! ```

mod ast;
mod check;
mod error;
pub mod functions;
mod lexer;
mod parser;
pub(crate) use parser::regex_message;
mod prec;
mod print;
mod tree;

pub use ast::*;
pub use error::{ArityBound, CharContext, Feature, ParseError, ParseErrorKind};
pub use parser::{ParseOptions, check, parse, parse_with};
pub use tree::tree;
