//! The evaluator: the conformance corpus, our scripts, limits, robustness properties and the
//! comparison with promtool 2.42.

mod conformance;
mod explain;
mod limits;
mod promtool_diff;
mod robustness;
mod scripts;
