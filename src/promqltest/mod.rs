//! A runner for Prometheus's PromQL engine test scripts (`promqltest`).
//!
//! The scripts (`load`, `clear`, `eval instant`, `eval range`, `expect ...` lines) are the
//! executable spec of PromQL; this module runs them against our engine with the settings of
//! Prometheus's own test engine, including its `@` reruns and range-mode cross-checks.
//!
//! ```
//! use promgate::promqltest::{parse_script, run_script};
//! let text = "load 5m\n  http_requests_total{job=\"api\"} 0+10x10\n\n\
//!             eval instant at 50m rate(http_requests_total[10m])\n  {job=\"api\"} 0.03333333333\n";
//! let report = run_script(&parse_script("example.test", text).unwrap());
//! assert_eq!((report.passed(), report.failed()), (1, 0), "{report:?}");
//! ```

mod run;
mod script;

pub use run::{EvalOutcome, FileReport, run_script, run_script_with};
pub use script::{
    Command, EvalCommand, EvalTime, Expected, ExpectedSeries, MessageMatcher, Script, parse_script,
};

/// A script that cannot be parsed: its file, line and what is wrong.
///
/// ```
/// use promgate::promqltest::parse_script;
/// let err = parse_script("bad.test", "lod 1m\n").unwrap_err();
/// assert_eq!(err.line, 1);
/// assert!(err.to_string().starts_with("bad.test:1: invalid command"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScriptError {
    /// The script's name.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads, parses and runs a script file. A script that does not parse gives a report with a
/// fatal error and no evals.
pub fn run_file(path: &std::path::Path) -> FileReport {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return FileReport {
                name,
                evals: Vec::new(),
                fatal: Some(format!("cannot read: {e}")),
            };
        }
    };
    match parse_script(&name, &text) {
        Ok(script) => run_script(&script),
        Err(e) => FileReport {
            name,
            evals: Vec::new(),
            fatal: Some(e.to_string()),
        },
    }
}
