//! The crate-level error: any stage's error, for tools that run several stages and want one
//! error type (`?` converts each stage's error into it).

use crate::eval::EvalError;
use crate::fixture::FixtureError;
use crate::promql::ParseError;
use crate::promqltest::ScriptError;
use crate::store::StoreError;
use crate::syntax::lex::DurationError;

/// An error from any stage of the pipeline. Each variant wraps the stage's own error, which
/// keeps its fields and its message; `Display` is the stage error's.
///
/// ```
/// fn first_value(text: &str) -> Result<Option<f64>, promgate::Error> {
///     let expr = promgate::parse(text)?;
///     let result = promgate::Engine::default().instant_query(&promgate::Store::new(), &expr, 0)?;
///     Ok(result.value.single_float())
/// }
/// assert_eq!(first_value("1 + 2").unwrap(), Some(3.0));
/// let err = first_value("1 +").unwrap_err();
/// assert!(matches!(err, promgate::Error::Parse(_)));
/// assert!(err.to_string().starts_with("1:4: unexpected end of input"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PromQL expression that does not parse or type-check.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Series fixtures that do not parse or load.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// A store limit, or samples out of order.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query that cannot be evaluated.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A promqltest script that does not parse.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// A duration that does not parse.
    #[error(transparent)]
    Duration(#[from] DurationError),
}
