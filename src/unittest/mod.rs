//! promtool's rule unit tests (`promtool test rules`): test files, the runner, and reports.
//!
//! A test file names rule files, input series and the alerts and PromQL results expected at
//! given times. [`run_file`] runs one from text (rule files come through a [`FileLoader`], so
//! tests can run from memory); [`run_path`] reads it from disk. The report's
//! [`FileReport::promtool_output`] is promtool's text, failures included.
//!
//! Beyond promtool, a test file may opt into keys only promgate reads (promtool rejects such
//! a file): [`Epsilon`] tolerances, `exp_pending`, `exp_keep_firing`, `match: subset`
//! ([`AlertMatch`]), `exp_labels_re` / `exp_annotations_re`, and [`Repeat`] for input series.
//! They are checked when the file is read, and a file without them runs exactly as promtool
//! runs it.
//!
//! ```
//! use promgate::unittest::{MemoryLoader, TestOptions, run_file};
//! let rules = "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 1m\n";
//! let test = r#"
//! rule_files: [rules.yml]
//! tests:
//!   - interval: 1m
//!     input_series:
//!       - series: 'up{job="api"}'
//!         values: '1 0 0 0'
//!     alert_rule_test:
//!       - eval_time: 3m
//!         alertname: Down
//!         exp_alerts:
//!           - exp_labels: {job: api}
//! "#;
//! let loader = MemoryLoader::new([("rules.yml", rules)]);
//! let report = run_file("test.yml", test, &loader, &TestOptions::default());
//! assert!(report.is_success(), "{}", report.promtool_output().1);
//! ```

mod coverage;
mod debug;
mod ext;
mod extras;
mod file;
mod fixture;
mod format;
mod run;
mod snapshot;
mod strict;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use coverage::{Coverage, RuleCoverage, RuleUsage};
pub use debug::{DiffStyle, GroupDebug};
pub use file::parse_start_timestamp;
pub use file::{
    AlertMatch, AlertTestCase, Epsilon, ExpectedAlert, ExpectedSample, InputSeries, PromqlTestCase,
    Repeat, RepeatAxis, TestFile, TestGroup,
};
pub use fixture::{GroupFixture, GroupLoadError, GroupSelector, load_test_group};
pub use run::run_file;
pub use snapshot::{
    SnapshotError, expr_table, expr_table_from_files, rules_table, rules_table_from_files,
};
pub use strict::{CaseRef, StrictFinding};

use crate::eval::Semantics;
use crate::promql::ParseOptions;

/// How to run unit tests.
///
/// ```
/// use promgate::unittest::TestOptions;
/// let o = TestOptions::default();
/// assert!(o.run.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Prometheus 3 (default) or 2.42 semantics (windows, notation, messages).
    pub semantics: Semantics,
    /// PromQL features (`--enable-feature`).
    pub parse: ParseOptions,
    /// Prometheus's `promql-delayed-name-removal` feature.
    pub delayed_name_removal: bool,
    /// Run only test groups whose name matches (unanchored), as `--run`.
    pub run: Option<regex::Regex>,
    /// Drop unknown keys in rule files (never in test files), as `--ignore-unknown-fields`.
    pub ignore_unknown_fields: bool,
    /// Run test groups on this many threads (0: one per core).
    pub jobs: usize,
    /// Evaluate the rules one step at a time, as promtool does. By default a test group whose
    /// rules allow it is evaluated a block of steps at a time, with one range query per rule,
    /// which gives the same results (same samples written, same alerts at every step) faster
    /// and forgets samples no later query can read; this switch is for comparing the two.
    pub step_by_step: bool,
    /// Record what promtool 3.x's `--debug` prints for each test group: its time and a dump of
    /// every series after its assertions ([`GroupReport::debug`], printed by
    /// [`FileReport::promtool_chunks`]).
    pub debug: bool,
    /// Show alert mismatches as a JSON diff of the expected and got alerts, as promtool 3.x's
    /// `--diff` ([`AlertFailure::diff`]).
    pub diff: Option<DiffStyle>,
    /// Fail on what promtool lets pass (see [`StrictFinding`]): rule-file patterns matching no
    /// file, query warnings and infos on test expressions, cases whose `eval_time` comes after
    /// every input series they read has ended, and input series nothing reads.
    pub strict: bool,
    /// Work out which rules the tests exercise ([`FileReport::coverage`], [`Coverage`]).
    pub coverage: bool,
}

/// Reads the rule files a test file names.
pub trait FileLoader: Sync {
    /// The files matching a glob pattern (already joined to the test file's folder), sorted.
    fn glob(&self, pattern: &str) -> Result<Vec<String>, String>;
    /// A file's text.
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Reads rule files from disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsLoader;

impl FileLoader for FsLoader {
    fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        glob_files(pattern)
    }

    fn read(&self, path: &str) -> Result<String, String> {
        crate::syntax::read_text_file(Path::new(path))
    }
}

/// Rule files held in memory, for tests.
///
/// ```
/// use promgate::unittest::{FileLoader, MemoryLoader};
/// let l = MemoryLoader::new([("a.yml", "groups: []"), ("b.yml", "")]);
/// assert_eq!(l.glob("*.yml").unwrap(), ["a.yml", "b.yml"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: BTreeMap<String, String>,
}

impl MemoryLoader {
    /// A loader over (path, text) pairs.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> MemoryLoader {
        MemoryLoader {
            files: files
                .into_iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        }
    }
}

impl FileLoader for MemoryLoader {
    fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        Ok(self
            .files
            .keys()
            .filter(|p| glob_match(pattern, p))
            .cloned()
            .collect())
    }

    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("{path}: no such file"))
    }
}

/// Reads and runs a test file from disk.
///
/// ```no_run
/// use promgate::unittest::{TestOptions, run_path};
/// let report = run_path(std::path::Path::new("tests.yml"), &TestOptions::default());
/// std::process::exit(if report.is_success() { 0 } else { 1 });
/// ```
pub fn run_path(path: &Path, options: &TestOptions) -> FileReport {
    let name = path.display().to_string();
    match crate::syntax::read_text_file(path) {
        Ok(text) => run_file(&name, &text, &FsLoader, options),
        Err(e) => FileReport {
            path: name.clone(),
            error: Some(e),
            ..FileReport::default()
        },
    }
}

/// Runs every test file matching a glob pattern (sorted), for a `#[test]` that checks a whole
/// rule repository. A pattern that matches nothing is an error, so a moved folder cannot pass
/// silently.
///
/// ```no_run
/// let reports = promgate::unittest::run_glob("tests/rules/*_test.yml", &Default::default()).unwrap();
/// assert!(reports.iter().all(|r| r.is_success()));
/// ```
pub fn run_glob(pattern: &str, options: &TestOptions) -> Result<Vec<FileReport>, String> {
    let files = glob_files(pattern)?;
    if files.is_empty() {
        return Err(format!("no test file matches {pattern}"));
    }
    Ok(files
        .iter()
        .map(|f| run_path(Path::new(f), options))
        .collect())
}

/// Fails the calling test with promtool's output of every failing file when a rule test
/// matching the glob pattern fails (paths are relative to the crate being tested).
///
/// ```no_run
/// #[test]
/// fn rule_unit_tests() {
///     promgate::assert_rule_tests!("tests/rules/*_test.yml");
/// }
/// ```
#[macro_export]
macro_rules! assert_rule_tests {
    ($pattern:expr) => {
        $crate::assert_rule_tests!($pattern, &$crate::unittest::TestOptions::default())
    };
    ($pattern:expr, $options:expr) => {{
        let pattern = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($pattern);
        let reports = $crate::unittest::run_glob(&pattern.display().to_string(), $options)
            .unwrap_or_else(|e| panic!("{e}"));
        let failed: Vec<String> = reports
            .iter()
            .filter(|r| !r.is_success())
            .map(|r| format!("{}:\n{}", r.path, r.promtool_output().1))
            .collect();
        if !failed.is_empty() {
            panic!(
                "{} of {} rule test files failed\n\n{}",
                failed.len(),
                reports.len(),
                failed.join("\n")
            );
        }
    }};
}

/// The outcome of one test file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileReport {
    /// The file, as given.
    pub path: String,
    /// An error that stopped the whole file (bad YAML, a repeated group in
    /// `group_eval_order`).
    pub error: Option<String>,
    /// Warnings (rule-file patterns that matched nothing).
    pub warnings: Vec<String>,
    /// promgate's own warnings about evaluation order (groups that read each other while
    /// `group_eval_order` leaves their order open). They are not part of promtool's output
    /// ([`FileReport::promtool_output`]); the command line prints them on stderr.
    pub order_warnings: Vec<String>,
    /// Each test group's outcome, in file order.
    pub groups: Vec<GroupReport>,
    /// File-level findings of [`TestOptions::strict`] (rule-file patterns matching no file);
    /// each fails the file.
    pub strict: Vec<StrictFinding>,
    /// With [`TestOptions::coverage`], every rule of the loaded rule files and how the test
    /// groups use it (`None` when the rule files did not load, or without the option).
    pub coverage: Option<Coverage>,
}

/// The outcome of one test group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupReport {
    /// Its name (`None` when unnamed).
    pub name: Option<String>,
    /// Its 0-based index in the file.
    pub index: usize,
    /// Whether `--run` left it out.
    pub skipped: bool,
    /// Its failures, in promtool's order.
    pub failures: Vec<Failure>,
    /// Whether its rules were evaluated a block of steps at a time (see
    /// [`TestOptions::step_by_step`]) rather than one step at a time.
    pub evaluated_in_blocks: bool,
    /// Findings of [`TestOptions::strict`] in this group, in order: unread input series, cases
    /// whose input has ended, query annotations. Each fails the file.
    pub strict: Vec<StrictFinding>,
    /// With [`TestOptions::debug`], what promtool's `--debug` prints for the group.
    pub debug: Option<GroupDebug>,
    /// With [`TestOptions::coverage`], this group's coverage of the loaded rules (`None` when
    /// it was skipped or stopped early).
    pub coverage: Option<Coverage>,
}

/// One failed assertion or error.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The group could not be set up (input series, rule files, a missing `alertname`).
    Setup(String),
    /// A rule failed to evaluate; the group stopped there.
    RuleEval(crate::rules::RuleEvalError),
    /// The firing alerts differ from the expected ones.
    Alert(AlertFailure),
    /// A PromQL result differs from the expected samples, or its query failed.
    Promql(PromqlFailure),
}

/// An alert assertion that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFailure {
    /// The test group's name.
    pub group: Option<String>,
    /// The alert name.
    pub alertname: String,
    /// The `eval_time` (ms after the start).
    pub eval_time: i64,
    /// Expected (labels, annotations), sorted.
    pub expected: Vec<(crate::Labels, crate::Labels)>,
    /// Got (labels, annotations), sorted.
    pub got: Vec<(crate::Labels, crate::Labels)>,
    /// What promgate's extensions add, when the case uses them (`None`: a promtool case,
    /// printed as promtool prints it).
    pub extension: Option<AlertExtension>,
    /// With [`TestOptions::diff`], the JSON diff of expected and got that promtool 3.x's
    /// `--diff` prints instead of the two lists.
    pub diff: Option<String>,
}

/// The part of an [`AlertFailure`] that only promgate's test-file extensions have.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertExtension {
    /// Whether the pending alerts (`exp_pending`) failed, rather than the firing ones.
    pub pending: bool,
    /// How expected alerts were matched.
    pub match_mode: AlertMatch,
    /// The expected alerts as written, with their regexes, sorted.
    pub expected: Vec<AlertPattern>,
    /// For each got alert (in the order of [`AlertFailure::got`]): whether it is held only by
    /// `keep_firing_for`. Empty for pending alerts.
    pub got_keep_firing: Vec<bool>,
}

/// One expected alert of an extended alert assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPattern {
    /// The labels with exact values (`alertname` included).
    pub labels: crate::Labels,
    /// Labels whose values must match a regex (fully anchored): (name, regex), sorted.
    pub labels_re: Vec<(String, String)>,
    /// The annotations with exact text.
    pub annotations: crate::Labels,
    /// Annotations whose text must match a regex: (name, regex), sorted.
    pub annotations_re: Vec<(String, String)>,
    /// Whether the alert must (or must not) be held only by `keep_firing_for`.
    pub keep_firing: Option<bool>,
}

/// A PromQL assertion that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct PromqlFailure {
    /// The expression.
    pub expr: String,
    /// The `eval_time` (ms after the start).
    pub eval_time: i64,
    /// What went wrong.
    pub kind: PromqlFailureKind,
    /// Why the result was empty, when it was and we can tell.
    pub why_empty: Option<String>,
    /// The float tolerance the comparison used (promgate's `epsilon`), if any.
    pub epsilon: Option<Epsilon>,
}

/// How a PromQL assertion failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PromqlFailureKind {
    /// The query failed (or its result was not a vector or scalar).
    Error(String),
    /// An expected sample's `labels` did not parse.
    BadLabels {
        /// The text.
        labels: String,
        /// The parse error.
        error: String,
    },
    /// The result differs.
    Mismatch {
        /// Expected samples, printed (`{labels} value`), sorted.
        expected: Vec<String>,
        /// Got samples, printed, sorted.
        got: Vec<String>,
    },
}

impl FileReport {
    /// Did every test group pass (and nothing stop the file)?
    ///
    /// With [`TestOptions::strict`], a strict finding fails the file too.
    pub fn is_success(&self) -> bool {
        self.error.is_none()
            && self.strict.is_empty()
            && self
                .groups
                .iter()
                .all(|g| g.failures.is_empty() && g.strict.is_empty())
    }

    /// How many failures there are, over all groups (a file-level error and each strict
    /// finding count as one).
    pub fn failure_count(&self) -> usize {
        usize::from(self.error.is_some())
            + self.strict.len()
            + self
                .groups
                .iter()
                .map(|g| g.failures.len() + g.strict.len())
                .sum::<usize>()
    }

    /// The strict findings with where they are, one line each:
    /// `<file>: test group "<name>": <finding>` (unnamed groups are `unnamed#<index>`).
    ///
    /// ```
    /// use promgate::unittest::{MemoryLoader, TestOptions, run_file};
    /// let test = "tests:\n- name: t\n  input_series: [{series: up, values: '1'}]\n";
    /// let options = TestOptions { strict: true, ..TestOptions::default() };
    /// let report = run_file("t.yml", test, &MemoryLoader::default(), &options);
    /// assert_eq!(
    ///     report.strict_messages(),
    ///     ["t.yml: test group \"t\": input_series[0] up: no rule and no promql_expr_test expression selects it"]
    /// );
    /// ```
    pub fn strict_messages(&self) -> Vec<String> {
        let file = self.strict.iter().map(|f| format!("{}: {f}", self.path));
        let groups = self.groups.iter().flat_map(|g| {
            let name = match g.name.as_deref() {
                Some(n) if !n.is_empty() => crate::syntax::lex::quote(n),
                _ => format!("unnamed#{}", g.index),
            };
            g.strict
                .iter()
                .map(move |f| format!("{}: test group {name}: {f}", self.path))
        });
        file.chain(groups).collect()
    }

    /// promtool's output for this file: (stdout, stderr), for Prometheus 3 (no
    /// `Unit Testing:` header).
    pub fn promtool_output(&self) -> (String, String) {
        let mut out = String::new();
        let mut err = String::new();
        for (stream, text) in self.promtool_chunks(false) {
            match stream {
                Stream::Stdout => out.push_str(&text),
                Stream::Stderr => err.push_str(&text),
            }
        }
        (out, err)
    }

    /// promtool's output as it interleaves stdout and stderr; `header` adds 2.42's
    /// `Unit Testing:  <file>` line.
    pub fn promtool_chunks(&self, header: bool) -> Vec<(Stream, String)> {
        let mut chunks = Vec::new();
        if header {
            chunks.push((Stream::Stdout, format!("Unit Testing:  {}\n", self.path)));
        }
        for w in &self.warnings {
            chunks.push((Stream::Stderr, format!("  WARNING: {w}\n")));
        }
        for g in &self.groups {
            let Some(debug) = &g.debug else { continue };
            let name = debug::test_name(g.name.as_deref(), g.index);
            chunks.push((Stream::Stderr, format!("DEBUG: Starting test {name}\n")));
            if let Some(dump) = &debug.dump {
                chunks.push((Stream::Stderr, dump.clone()));
            }
            chunks.push((
                Stream::Stderr,
                format!(
                    "DEBUG: Test {name} finished, took {}\n",
                    debug::go_duration(debug.elapsed.as_nanos())
                ),
            ));
        }
        if self.is_success() {
            chunks.push((Stream::Stdout, "  SUCCESS\n".to_string()));
        } else {
            chunks.push((Stream::Stderr, "  FAILED:\n".to_string()));
            let errors = self.error.iter().cloned().chain(
                self.groups
                    .iter()
                    .flat_map(|g| &g.failures)
                    .map(|f| f.to_string()),
            );
            let strict = self
                .strict_messages()
                .into_iter()
                .map(|m| format!("    strict: {m}"));
            for e in errors.chain(strict) {
                chunks.push((Stream::Stderr, format!("{e}\n")));
                chunks.push((Stream::Stdout, "\n".to_string()));
            }
        }
        chunks.push((Stream::Stdout, "\n".to_string()));
        chunks
    }
}

/// An output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Setup(message) => f.write_str(message),
            Failure::RuleEval(e) => write!(f, "    {e}"),
            Failure::Alert(a) => a.fmt(f),
            Failure::Promql(p) => p.fmt(f),
        }
    }
}

impl fmt::Display for AlertFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.group {
            writeln!(f, "    name: {name},")?;
        }
        if let Some(extension) = &self.extension {
            return format::extended_alert_failure(f, self, extension);
        }
        if let Some(diff) = &self.diff {
            // promtool indents the diff's lines under its first.
            return write!(
                f,
                "    alertname: {}, time: {}, \n        diff: {}",
                self.alertname,
                crate::syntax::lex::format_duration(self.eval_time),
                diff.replace('\n', "\n            ")
            );
        }
        write!(
            f,
            "    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
            self.alertname,
            crate::syntax::lex::format_duration(self.eval_time),
            format::alerts(&self.expected),
            format::alerts(&self.got)
        )
    }
}

impl fmt::Display for PromqlFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!(
            "    expr: {}, time: {}",
            crate::syntax::lex::quote(&self.expr),
            crate::syntax::lex::format_duration(self.eval_time)
        );
        match &self.kind {
            PromqlFailureKind::Error(e) => write!(f, "{head}, err: {e}"),
            PromqlFailureKind::BadLabels { labels, error } => {
                write!(
                    f,
                    "{head}, err: labels {}: {error}",
                    crate::syntax::lex::quote(labels)
                )
            }
            PromqlFailureKind::Mismatch { expected, got } => {
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "nil".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                write!(
                    f,
                    "{head},\n        exp: {}\n        got: {}",
                    list(expected),
                    list(got)
                )?;
                if let Some(epsilon) = &self.epsilon {
                    write!(f, "\n        {}", format::epsilon(epsilon))?;
                }
                if let Some(why) = &self.why_empty {
                    write!(f, "\n        why: {why}")?;
                }
                Ok(())
            }
        }
    }
}

/// Matches a glob pattern (`*`, `?`, `[...]`, `[!...]`) against a path; `*` and `?` do not
/// cross `/`.
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(rest, &s[i..])),
            Some(('?', rest)) => s.first().is_some_and(|&c| c != '/') && go(rest, &s[1..]),
            Some(('[', rest)) => {
                let Some(close) = rest.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else {
                    return s.first() == Some(&'[') && go(rest, &s[1..]);
                };
                let (class, after) = (&rest[..close], &rest[close + 1..]);
                let (negate, class) = match class.first() {
                    Some('!' | '^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let Some(&c) = s.first() else { return false };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != negate && go(after, &s[1..])
            }
            Some(('\\', rest)) if !rest.is_empty() => {
                s.first() == Some(&rest[0]) && go(&rest[1..], &s[1..])
            }
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    go(&p, &s)
}

/// The files on disk matching a glob pattern, sorted (Go's `filepath.Glob`).
fn glob_files(pattern: &str) -> Result<Vec<String>, String> {
    let has_meta = |s: &str| s.contains(['*', '?', '[']);
    if !has_meta(pattern) {
        return Ok(if Path::new(pattern).exists() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        });
    }
    if pattern.matches('[').count() != pattern.matches(']').count() {
        return Err("syntax error in pattern".into());
    }
    // Expand one component at a time.
    let absolute = pattern.starts_with('/');
    let mut bases: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &bases {
            if !has_meta(component) {
                let p = base.join(component);
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| glob_match(component, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        bases = next;
    }
    Ok(bases.into_iter().map(|p| p.display().to_string()).collect())
}

#[cfg(test)]
mod tests;
