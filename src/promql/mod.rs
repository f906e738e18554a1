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
pub mod functions;
mod parser;

pub use ast::*;
pub use parser::{parse, parse_with, ParseError, ParseErrorKind, ParseOptions};
