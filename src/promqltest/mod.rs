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

pub use run::{EvalFailure, EvalOutcome, FileReport, run_script, run_script_with};
pub use script::{
    Command, EvalCommand, EvalTime, Expected, ExpectedSeries, MessageMatcher, Script, parse_script,
};

/// A script that cannot be parsed: its file, line (and column, when known) and what is wrong.
///
/// ```
/// use promgate::promqltest::parse_script;
/// let err = parse_script("bad.test", "lod 1m\n").unwrap_err();
/// assert_eq!(err.line, 1);
/// assert!(err.to_string().starts_with("bad.test:1: invalid command"));
///
/// // A bad query is reported at its position in the file.
/// let err = parse_script("bad.test", "\neval instant at 0 sum(up\n").unwrap_err();
/// assert_eq!((err.line, err.column), (2, Some(25)));
/// assert_eq!(err.to_string(), "bad.test:2:25: unclosed left parenthesis");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScriptError {
    /// The script's name.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column (in bytes, from the start of the line), when the error is at one
    /// place in the line.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{}:{column}: {}", self.file, self.line, self.message),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.message),
        }
    }
}

/// Reads, parses and runs a script file. A script that does not parse gives a report with a
/// fatal error and no evals.
pub fn run_file(path: &std::path::Path) -> FileReport {
    let name = path.display().to_string();
    // The reader's errors name the file (and for invalid UTF-8 the line and byte offset).
    let text = match crate::syntax::read_text_file(path) {
        Ok(t) => t,
        Err(e) => {
            return FileReport {
                name,
                evals: Vec::new(),
                fatal: Some(e),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_a_failure_not_zero_of_zero() {
        let report = run_file("no/such/script.test".as_ref());
        assert_eq!(report.failed(), 1);
        assert!(!report.is_success());
        assert!(
            report.to_string().starts_with(
                "no/such/script.test: 0 passed, 1 failed; error: no/such/script.test: "
            ),
            "{report}"
        );
    }

    #[test]
    fn an_unparsable_file_is_a_failure() {
        let path = std::env::temp_dir().join(format!("promgate-bad-{}.test", std::process::id()));
        std::fs::write(&path, "lod 1m\n").unwrap();
        let report = run_file(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!((report.passed(), report.failed()), (0, 1));
        assert!(!report.is_success());
    }

    #[test]
    fn a_failed_load_counts_once_besides_the_evals_it_stopped() {
        let text = "load 1m\n  up 1 x\n\neval instant at 0 up\n  up 1\n";
        let report = run_script(&parse_script("t", text).unwrap());
        assert_eq!((report.passed(), report.failed()), (0, 2));
        let failure = report.evals[0].failure.as_ref().unwrap();
        assert!(failure.message.starts_with("not run: "), "{failure}");
        assert_eq!(failure.expected, None);
    }

    #[test]
    fn a_range_mismatch_names_the_series_and_time() {
        let text = "load 1m\n  up 1 2 3\n\neval range from 0 to 2m step 1m up\n  up 1 2 4\n";
        let report = run_script(&parse_script("t", text).unwrap());
        let failure = report.evals[0].failure.as_ref().unwrap();
        assert_eq!(
            (
                failure.expected.as_deref(),
                failure.got.as_deref(),
                failure.time
            ),
            (Some("4"), Some("3"), Some(120_000))
        );
    }
}
