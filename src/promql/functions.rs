//! The PromQL function signature table, as Prometheus's `promql/parser/functions.go` (3.14).

use crate::promql::ast::ValueType;

/// How many arguments a function takes, relative to its `arg_types` (Prometheus's `Variadic`:
/// `0`, `n > 0`, `-1`).
///
/// ```
/// use promgate::promql::functions::{lookup, Arity};
/// assert_eq!(lookup("rate").unwrap().variadic, Arity::Exact);
/// assert_eq!(lookup("round").unwrap().variadic, Arity::LastRepeatsUpTo(1));
/// assert_eq!(lookup("label_join").unwrap().variadic, Arity::LastRepeats);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arity {
    /// Exactly `arg_types.len()` arguments.
    Exact,
    /// The last argument type may be left out or given up to `n` times: from
    /// `arg_types.len() - 1` to `arg_types.len() - 1 + n` arguments (`round`,
    /// `histogram_quantiles`).
    LastRepeatsUpTo(usize),
    /// The last argument type may be left out or repeated without limit (`label_join`).
    LastRepeats,
}

/// A function's signature.
///
/// ```
/// use promgate::promql::functions::lookup;
/// let f = lookup("rate").unwrap();
/// assert_eq!(f.arg_types.len(), 1);
/// assert!(!f.experimental);
/// ```
#[derive(PartialEq, Eq, Hash)]
pub struct Function {
    /// The function name.
    pub name: &'static str,
    /// The types of the arguments.
    pub arg_types: &'static [ValueType],
    /// Optional and repeated arguments.
    pub variadic: Arity,
    /// The type of the result.
    pub return_type: ValueType,
    /// Whether the function needs the experimental-functions parser option.
    pub experimental: bool,
}

impl Function {
    /// The smallest and largest number of arguments (`None` = unbounded).
    ///
    /// ```
    /// use promgate::promql::functions::lookup;
    /// assert_eq!(lookup("round").unwrap().arity(), (1, Some(2)));
    /// assert_eq!(lookup("label_join").unwrap().arity(), (3, None));
    /// assert_eq!(lookup("histogram_quantiles").unwrap().arity(), (3, Some(12)));
    /// ```
    pub fn arity(&self) -> (usize, Option<usize>) {
        let n = self.arg_types.len();
        match self.variadic {
            Arity::Exact => (n, Some(n)),
            Arity::LastRepeatsUpTo(more) => (n.saturating_sub(1), Some(n.saturating_sub(1) + more)),
            Arity::LastRepeats => (n.saturating_sub(1), None),
        }
    }
}

impl std::fmt::Debug for Function {
    /// Just the name, so that AST dumps stay readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Function({:?})", self.name)
    }
}

/// Prometheus 2's `holt_winters(range vector, smoothing factor, trend factor)`, renamed
/// `double_exponential_smoothing` in Prometheus 3. It is not in [`FUNCTIONS`]; the parser
/// accepts it with [`ParseOptions::legacy_holt_winters`](crate::promql::ParseOptions).
///
/// ```
/// use promgate::promql::{parse_with, ParseOptions};
/// let options = ParseOptions { legacy_holt_winters: true, ..ParseOptions::default() };
/// assert!(parse_with("holt_winters(x[1h], 0.5, 0.5)", &options).is_ok());
/// assert!(parse_with("holt_winters(x[1h], 0.5, 0.5)", &ParseOptions::default()).is_err());
/// ```
pub static HOLT_WINTERS: Function = Function {
    name: "holt_winters",
    arg_types: &[ValueType::Matrix, ValueType::Scalar, ValueType::Scalar],
    variadic: Arity::Exact,
    return_type: ValueType::Vector,
    experimental: false,
};

/// Looks up a function by name.
///
/// ```
/// use promgate::promql::functions::lookup;
/// assert!(lookup("histogram_quantile").is_some());
/// assert!(lookup("holt_winters").is_none(), "renamed in Prometheus 3");
/// ```
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// Every function of Prometheus 3.14, sorted by name.
#[rustfmt::skip]
pub static FUNCTIONS: &[Function] = &[
    Function { name: "abs", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "absent", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "absent_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "acos", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "acosh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "asin", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "asinh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "atan", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "atanh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "avg_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "ceil", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "changes", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "clamp", arg_types: &[ValueType::Vector, ValueType::Scalar, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "clamp_max", arg_types: &[ValueType::Vector, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "clamp_min", arg_types: &[ValueType::Vector, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "cos", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "cosh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "count_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "day_of_month", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "day_of_week", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "day_of_year", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "days_in_month", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "deg", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "delta", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "deriv", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "double_exponential_smoothing", arg_types: &[ValueType::Matrix, ValueType::Scalar, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "end", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "exp", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "first_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "floor", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_avg", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_count", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_fraction", arg_types: &[ValueType::Scalar, ValueType::Scalar, ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_quantile", arg_types: &[ValueType::Scalar, ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_quantiles", arg_types: &[ValueType::Vector, ValueType::String, ValueType::Scalar, ValueType::Scalar], variadic: Arity::LastRepeatsUpTo(9), return_type: ValueType::Vector, experimental: true },
    Function { name: "histogram_stddev", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_stdvar", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "histogram_sum", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "hour", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "idelta", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "increase", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "info", arg_types: &[ValueType::Vector, ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: true },
    Function { name: "irate", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "label_join", arg_types: &[ValueType::Vector, ValueType::String, ValueType::String, ValueType::String], variadic: Arity::LastRepeats, return_type: ValueType::Vector, experimental: false },
    Function { name: "label_replace", arg_types: &[ValueType::Vector, ValueType::String, ValueType::String, ValueType::String, ValueType::String], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "last_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "ln", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "log10", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "log2", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "mad_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "max_of", arg_types: &[ValueType::Scalar, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "max_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "min_of", arg_types: &[ValueType::Scalar, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "min_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "minute", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "month", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "pi", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: false },
    Function { name: "predict_linear", arg_types: &[ValueType::Matrix, ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "present_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "quantile_over_time", arg_types: &[ValueType::Scalar, ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "rad", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "range", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "rate", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "resets", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "round", arg_types: &[ValueType::Vector, ValueType::Scalar], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
    Function { name: "scalar", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: false },
    Function { name: "sgn", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "sin", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "sinh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "sort", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "sort_by_label", arg_types: &[ValueType::Vector, ValueType::String], variadic: Arity::LastRepeats, return_type: ValueType::Vector, experimental: true },
    Function { name: "sort_by_label_desc", arg_types: &[ValueType::Vector, ValueType::String], variadic: Arity::LastRepeats, return_type: ValueType::Vector, experimental: true },
    Function { name: "sort_desc", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "sqrt", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "start", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "start_timestamp", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "stddev_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "stdvar_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "step", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: true },
    Function { name: "sum_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "tan", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "tanh", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "time", arg_types: &[], variadic: Arity::Exact, return_type: ValueType::Scalar, experimental: false },
    Function { name: "timestamp", arg_types: &[ValueType::Vector], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "ts_of_first_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "ts_of_last_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "ts_of_max_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "ts_of_min_over_time", arg_types: &[ValueType::Matrix], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: true },
    Function { name: "vector", arg_types: &[ValueType::Scalar], variadic: Arity::Exact, return_type: ValueType::Vector, experimental: false },
    Function { name: "year", arg_types: &[ValueType::Vector], variadic: Arity::LastRepeatsUpTo(1), return_type: ValueType::Vector, experimental: false },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(FUNCTIONS.len(), 90);
    }
}
