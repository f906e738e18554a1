//! `promgate lint`: checks over rule files and a gates file that need no live server.
//!
//! Each lint rule has a kebab-case id grouped by topic (`coalesce/...`, `heartbeat/...`,
//! `promql/...`, `alerts/...`, `rules/...`), a default [`Severity`], a rationale and a fix
//! (see [`LINT_RULES`] and [`lint_rule`]). [`lint`] checks a set of rule files and an optional
//! gates file in one call and returns a [`LintReport`]; [`LintConfig`] turns rules on and
//! off, overrides severities and sets the scrape interval the `rate` window check assumes.
//! Comments in the files disable rules for a line, a rule or the whole file
//! (`# promgate-lint disable-next-line ID`, `# promgate-lint disable ID`,
//! `# promgate-lint file/disable ID`; see [`disable`](self#disabling-in-comments)).
//!
//! ```
//! use promgate::explain::lint::{LintConfig, LintSource, Severity, lint};
//! let rules = "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up > 0 or vector(1)\n";
//! let report = lint(&[LintSource::new("r.yml", rules)], None, &LintConfig::default());
//! let finding = &report.findings[0];
//! assert_eq!(finding.id, "coalesce/always-firing");
//! assert_eq!(finding.severity, Severity::Error);
//! assert_eq!((finding.line, finding.column), (5, 21));
//! assert!(report.fails(Severity::Warning));
//! ```
//!
//! # Disabling in comments
//!
//! Following pint's comment syntax where it fits:
//!
//! - `# promgate-lint file/disable ID...` anywhere: the whole file;
//! - `# promgate-lint disable ID...` in the comment block right above a rule or inside it:
//!   that rule; anywhere else: the whole file;
//! - `# promgate-lint disable-next-line ID...`: findings on the next line (or on a rule or
//!   `expr:` starting there);
//! - `# promgate-lint disable-line ID...` at the end of a line: findings on that line.
//!
//! IDs are separated by spaces or commas; a group name (`coalesce`) stands for its rules and
//! no ID at all for every rule.

mod alerts;
mod analysis;
mod coalesce;
mod disable;
mod heartbeat;
mod input;
mod output;
mod promql;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rules::RuleLoadOptions;

pub use output::{Sarif, render_checkstyle, render_text, sarif};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
///
/// ```
/// use promgate::explain::lint::Severity;
/// assert!(Severity::Info < Severity::Error);
/// assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
/// assert_eq!(Severity::Error.to_string(), "error");
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; rarely a bug.
    Info,
    /// Likely a mistake.
    #[default]
    Warning,
    /// Almost certainly a bug: the rule does not do what it says.
    Error,
}

impl Severity {
    /// The lowercase name.
    ///
    /// ```
    /// assert_eq!(promgate::explain::lint::Severity::Info.as_str(), "info");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = LintError;
    fn from_str(s: &str) -> Result<Severity, LintError> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(LintError::UnknownSeverity(other.to_string())),
        }
    }
}

/// A lint rule's documentation: id, default severity, whether it runs by default, and why
/// and how to fix what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LintRuleInfo {
    /// The id, `group/name`.
    pub id: &'static str,
    /// The severity unless configured otherwise.
    pub severity: Severity,
    /// Whether the rule runs unless disabled.
    pub enabled: bool,
    /// One line: what it finds.
    pub summary: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// Every lint rule, sorted by id.
///
/// - `alerts/absent-without-for`: an `absent()` alert without `for` fires on every restart
///   of Prometheus and every short scrape failure.
/// - `alerts/flapping-without-for`: an alert on an instant signal (`irate`, `idelta`, a raw
///   gauge) against a threshold without `for` or `keep_firing_for` flaps around it.
/// - `alerts/value-in-labels`: an alert label that templates `$value` makes a new alert on
///   every evaluation whose value changed, so `for` never completes and notifications repeat.
/// - `coalesce/always-firing`: an alert whose expression ends in `or vector(c)` always has a
///   result, so it fires whenever the condition is false or its input missing.
/// - `coalesce/fallback-in-denominator`: `x / (y or vector(0))` divides by zero when `y` is
///   missing: `+Inf` or `NaN` instead of "no data".
/// - `coalesce/fallback-passes-gate`: a gate whose constant fallback passes its comparison
///   turns a missing input into a pass.
/// - `coalesce/missing-fallback`: a ratio whose numerator selects series that exist only
///   while something happens (`code=~"5.."`) is empty when nothing happens: a gate that fails
///   on a missing value then fails on a healthy system, and an alert on `ratio < t` goes
///   silent exactly when the numerator drops to nothing.
/// - `coalesce/unlabelled-fallback`: `x or vector(0)` beside a labelled `x` adds an
///   unlabelled series next to the labelled ones instead of filling in for a missing `x`.
/// - `heartbeat/alert-input-unchecked` (off by default): a series an alert reads has no
///   `absent()` or staleness check, so the alert goes silent when the series disappears.
/// - `heartbeat/gate-input-unchecked`: a gate that passes when its value is missing reads a
///   series that nothing checks for absence.
/// - `promql/delta-on-counter`: `delta`/`idelta` on a counter (`_total`, `_bucket`) ignores
///   resets.
/// - `promql/impossible-comparison`: a comparison that can never be true (`count(x) < 0`,
///   `absent(x) == 0`, `up > 1`).
/// - `promql/impossible-vector-matching`: the two sides of a binary operation have label
///   sets (by their own aggregations) that can never match.
/// - `promql/rate-on-gauge`: `rate`/`irate`/`increase`/`resets` on a gauge.
/// - `promql/rate-window-too-short`: a `rate`-like window under twice the scrape interval
///   has fewer than two samples after a single missed scrape.
/// - `promql/regexp-plain-string`: a regex matcher with no regex in it.
/// - `rules/duplicate`: two rules with the same name, labels and expression in the set.
/// - `rules/invalid-file`: a rule or gates file that does not pass `check rules` (no other
///   check runs on it).
pub const LINT_RULES: &[LintRuleInfo] = &[
    LintRuleInfo {
        id: "alerts/absent-without-for",
        severity: Severity::Warning,
        enabled: true,
        summary: "absent() alert without `for`",
        rationale: "Right after Prometheus starts, or after one failed scrape, a series is absent for an evaluation or two; an absent() alert without `for` fires then and resolves at once.",
        fix: "add `for:` of at least twice the scrape interval (e.g. `for: 5m`)",
    },
    LintRuleInfo {
        id: "alerts/flapping-without-for",
        severity: Severity::Info,
        enabled: true,
        summary: "alert on an instant signal without `for`",
        rationale: "irate(), idelta() and raw gauges change at every scrape; compared with a threshold and without `for` the alert fires and resolves each time the value crosses it.",
        fix: "add `for:` (or `keep_firing_for:`), or compare a smoothed signal (rate over a window, avg_over_time)",
    },
    LintRuleInfo {
        id: "alerts/value-in-labels",
        severity: Severity::Error,
        enabled: true,
        summary: "alert label templates $value",
        rationale: "Labels are the alert's identity: a label that changes with the value makes a new alert at every evaluation, so `for` never completes and Alertmanager sees a stream of new alerts.",
        fix: "move the value to an annotation (`annotations: {value: \"{{ $value }}\"}`)",
    },
    LintRuleInfo {
        id: "coalesce/always-firing",
        severity: Severity::Error,
        enabled: true,
        summary: "alert expression with a constant fallback always fires",
        rationale: "An alert fires for every sample its expression returns; `cond or vector(1)` returns the fallback whenever the condition is false or its input missing, so the alert never resolves.",
        fix: "put the fallback under the comparison (`(x or on() vector(0)) > 0`), or alert on the missing input separately with absent()",
    },
    LintRuleInfo {
        id: "coalesce/fallback-in-denominator",
        severity: Severity::Warning,
        enabled: true,
        summary: "`or vector(0)` in a ratio's denominator",
        rationale: "When the denominator's input is missing, the fallback makes it 0 and the ratio +Inf or NaN: the result looks like a measurement (and NaN fails every comparison) instead of being missing.",
        fix: "coalesce the ratio instead: `(a / b) or on() vector(0)`, or leave the denominator empty so the ratio is missing",
    },
    LintRuleInfo {
        id: "coalesce/fallback-passes-gate",
        severity: Severity::Warning,
        enabled: true,
        summary: "a gate's constant fallback passes the gate",
        rationale: "A constant fallback that satisfies the gate's comparison turns a missing input (a dead exporter, a renamed metric) into a pass: the gate cannot fail on missing data.",
        fix: "use `on_missing: fail` or `inconclusive`, or a fallback that fails the comparison, or compute the fallback from another source of the same signal",
    },
    LintRuleInfo {
        id: "coalesce/missing-fallback",
        severity: Severity::Warning,
        enabled: true,
        summary: "ratio over series that exist only while something happens, without a fallback",
        rationale: "Series filtered by outcome (`code=~\"5..\"`) appear only after the first such event, so the ratio is empty, not 0, while nothing happens: a gate that fails on a missing value fails on a healthy system, and an alert on `ratio < t` goes silent exactly when the numerator drops to nothing.",
        fix: "coalesce the numerator per label set: `(sum by (l) (rate(x{code=~\"5..\"}[5m])) or sum by (l) (rate(x[5m])) * 0) / sum by (l) (rate(x[5m]))`",
    },
    LintRuleInfo {
        id: "coalesce/unlabelled-fallback",
        severity: Severity::Warning,
        enabled: true,
        summary: "`or vector(c)` beside labelled series adds an unlabelled series",
        rationale: "`or` matches series by their labels; vector(c) has none, so beside a labelled left side it never matches and is always added: an extra unlabelled series, present even when the left side has data.",
        fix: "use `or on() vector(c)` (added only when the left side is empty), or `label_replace(vector(c), \"l\", \"v\", \"\", \"\")` when the labels must be kept",
    },
    LintRuleInfo {
        id: "heartbeat/alert-input-unchecked",
        severity: Severity::Info,
        enabled: false,
        summary: "an alert's input series has no absent() or staleness check",
        rationale: "An alert on `x > t` is silent when `x` disappears (exporter down, metric renamed); without an absent() or staleness check on `x` nobody notices. Off by default: most rule sets rely on target-level checks (`up`).",
        fix: "add an alert on `absent(x)` (or `absent_over_time(x[10m])`), or a gate on the series with `on_missing: fail`",
    },
    LintRuleInfo {
        id: "heartbeat/gate-input-unchecked",
        severity: Severity::Warning,
        enabled: true,
        summary: "a gate that passes on a missing value reads an unchecked series",
        rationale: "A gate with `on_missing: pass` (or a passing constant fallback) cannot notice a missing input; unless another check watches the series, a dead exporter reads as healthy.",
        fix: "add an absent() alert or a gate with `on_missing: fail` on the series, or make this gate fail on a missing value",
    },
    LintRuleInfo {
        id: "promql/delta-on-counter",
        severity: Severity::Warning,
        enabled: true,
        summary: "delta()/idelta() on a counter",
        rationale: "delta() and idelta() do not handle counter resets: a restart makes a huge negative delta. Names ending in _total or _bucket are counters by convention (_count and _sum also name gauges, so they are left alone).",
        fix: "use increase() (or rate()/irate()) on counters",
    },
    LintRuleInfo {
        id: "promql/impossible-comparison",
        severity: Severity::Warning,
        enabled: true,
        summary: "a comparison that can never be true",
        rationale: "Some values have known ranges (count() >= 1, rate() >= 0, absent() == 1, up in [0, 1], `bool` in [0, 1]); comparing outside the range never matches, so the alert never fires or the gate never passes.",
        fix: "check the operator and threshold (a typo like `< 0` for `> 0`)",
    },
    LintRuleInfo {
        id: "promql/impossible-vector-matching",
        severity: Severity::Warning,
        enabled: true,
        summary: "binary operation whose sides can never match by their labels",
        rationale: "Vector matching pairs series with equal labels (or equal `on(...)` labels); when the sides are aggregated by different labels no pair matches and the result is always empty.",
        fix: "aggregate both sides by the same labels, or match with `on(...)`/`ignoring(...)`",
    },
    LintRuleInfo {
        id: "promql/rate-on-gauge",
        severity: Severity::Warning,
        enabled: true,
        summary: "rate()/irate()/increase()/resets() on a gauge",
        rationale: "These functions treat every decrease as a counter reset; on a gauge the result is meaningless. Gauges by name: up, *_info, *_ratio, *_percent, *_celsius, and series recorded from rate()/irate()/increase()/deriv().",
        fix: "use deriv() or delta() on gauges (or the *_over_time functions)",
    },
    LintRuleInfo {
        id: "promql/rate-window-too-short",
        severity: Severity::Warning,
        enabled: true,
        summary: "rate()-like window shorter than twice the scrape interval",
        rationale: "rate() needs two samples in its window; a window under twice the scrape interval has one after a single missed or late scrape, and the result is empty. The scrape interval is the configured one, else a shorter group interval, else Prometheus's default 1m.",
        fix: "use a window of at least four times the scrape interval, or set `scrape_interval` in the lint config",
    },
    LintRuleInfo {
        id: "promql/regexp-plain-string",
        severity: Severity::Info,
        enabled: true,
        summary: "regex matcher with a plain string",
        rationale: "A regex matcher without regex syntax (`job=~\"api\"`) matches exactly that string (regexes are anchored); an equality matcher says so and is cheaper.",
        fix: "use `=` (or `!=`) instead of `=~` (or `!~`)",
    },
    LintRuleInfo {
        id: "rules/duplicate",
        severity: Severity::Warning,
        enabled: true,
        summary: "duplicate rule",
        rationale: "Two recording rules with the same name, labels and expression write the same series twice per evaluation; two identical alerts are evaluated twice and their ALERTS series collide. Same name and labels with different expressions is left alone: the expressions may select disjoint series, as kube-prometheus does.",
        fix: "remove one of them, or give them different labels",
    },
    LintRuleInfo {
        id: "rules/invalid-file",
        severity: Severity::Error,
        enabled: true,
        summary: "file that does not load",
        rationale: "Prometheus refuses the whole file; no other check runs on it.",
        fix: "run `promgate check rules FILE` and fix the errors",
    },
];

/// The documentation of the lint rule `id`.
///
/// ```
/// let rule = promgate::explain::lint::lint_rule("promql/regexp-plain-string").unwrap();
/// assert!(rule.fix.contains("`=`"));
/// assert!(promgate::explain::lint::lint_rule("nope").is_none());
/// ```
pub fn lint_rule(id: &str) -> Option<&'static LintRuleInfo> {
    LINT_RULES.iter().find(|r| r.id == id)
}

/// Does a selector (`all`, a group `coalesce` or `coalesce/*`, or an id) name `id`?
fn selects(selector: &str, id: &str) -> bool {
    let selector = selector.strip_suffix("/*").unwrap_or(selector);
    selector == "all"
        || selector == id
        || id
            .strip_prefix(selector)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Which lint rules run, at which severity, and what the checks assume.
///
/// ```
/// use promgate::explain::lint::{LintConfig, Severity};
/// let mut config = LintConfig::default();
/// config.disable("coalesce").unwrap();
/// config.set_severity("promql/regexp-plain-string", Severity::Error).unwrap();
/// assert!(!config.is_enabled("coalesce/always-firing"));
/// assert_eq!(config.severity("promql/regexp-plain-string"), Severity::Error);
/// assert!(config.disable("no/such-rule").is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    /// The scrape interval in ms that `promql/rate-window-too-short` assumes. `None`: a
    /// group's `interval` when it is shorter than 1m, else 1m (Prometheus's default).
    pub scrape_interval: Option<i64>,
    /// How rule files are read.
    pub load: RuleLoadOptions,
    enabled: BTreeMap<&'static str, bool>,
    severities: BTreeMap<&'static str, Severity>,
}

/// The lint's YAML configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    scrape_interval: Option<String>,
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

impl LintConfig {
    /// Reads a YAML configuration:
    ///
    /// ```yaml
    /// scrape_interval: 30s
    /// enable: [heartbeat/alert-input-unchecked]
    /// disable: [promql/regexp-plain-string]
    /// severity: {coalesce/unlabelled-fallback: error}
    /// ```
    ///
    /// ```
    /// use promgate::explain::lint::LintConfig;
    /// let config = LintConfig::from_yaml("c.yml", "scrape_interval: 30s\ndisable: [coalesce]\n").unwrap();
    /// assert_eq!(config.scrape_interval, Some(30_000));
    /// let err = LintConfig::from_yaml("c.yml", "disable: [typo/rule]\n").unwrap_err();
    /// assert_eq!(err.to_string(), "c.yml: unknown lint rule \"typo/rule\" (see `promgate lint --list`)");
    /// ```
    pub fn from_yaml(name: &str, text: &str) -> Result<LintConfig, LintError> {
        let in_file = |error: LintError| LintError::Config {
            file: name.to_string(),
            message: error.to_string(),
        };
        let raw: Option<RawConfig> =
            crate::yaml::from_str(text).map_err(|e| LintError::Config {
                file: name.to_string(),
                message: e.to_string(),
            })?;
        let raw = raw.unwrap_or_default();
        let mut config = LintConfig::default();
        if let Some(d) = &raw.scrape_interval {
            let ms = crate::parse_duration(d).map_err(|e| LintError::Config {
                file: name.to_string(),
                message: format!("scrape_interval: {e}"),
            })?;
            config.scrape_interval = Some(ms);
        }
        for id in &raw.enable {
            config.enable(id).map_err(in_file)?;
        }
        for id in &raw.disable {
            config.disable(id).map_err(in_file)?;
        }
        for (id, severity) in &raw.severity {
            let severity = severity.parse().map_err(in_file)?;
            config.set_severity(id, severity).map_err(in_file)?;
        }
        Ok(config)
    }

    fn matching(selector: &str) -> Result<Vec<&'static str>, LintError> {
        let ids: Vec<&'static str> = LINT_RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| selects(selector, id))
            .collect();
        if ids.is_empty() {
            return Err(LintError::UnknownRule(selector.to_string()));
        }
        Ok(ids)
    }

    /// Turns on the rules `selector` names (an id, a group, or `all`).
    pub fn enable(&mut self, selector: &str) -> Result<(), LintError> {
        for id in Self::matching(selector)? {
            self.enabled.insert(id, true);
        }
        Ok(())
    }

    /// Turns off the rules `selector` names.
    pub fn disable(&mut self, selector: &str) -> Result<(), LintError> {
        for id in Self::matching(selector)? {
            self.enabled.insert(id, false);
        }
        Ok(())
    }

    /// Sets the severity of the rules `selector` names.
    pub fn set_severity(&mut self, selector: &str, severity: Severity) -> Result<(), LintError> {
        for id in Self::matching(selector)? {
            self.severities.insert(id, severity);
        }
        Ok(())
    }

    /// Whether rule `id` runs.
    pub fn is_enabled(&self, id: &str) -> bool {
        match self.enabled.get(id) {
            Some(on) => *on,
            None => lint_rule(id).is_some_and(|r| r.enabled),
        }
    }

    /// The severity findings of rule `id` get.
    pub fn severity(&self, id: &str) -> Severity {
        match self.severities.get(id) {
            Some(s) => *s,
            None => lint_rule(id).map(|r| r.severity).unwrap_or_default(),
        }
    }
}

/// A bad lint configuration or an unreadable input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// An id that names no lint rule, e.g. `--disable typo/rule`.
    #[error("unknown lint rule {0:?} (see `promgate lint --list`)")]
    UnknownRule(String),
    /// A severity other than `info`, `warning`, `error`.
    #[error("unknown severity {0:?}, expected one of info, warning, error")]
    UnknownSeverity(String),
    /// A configuration file that does not decode, e.g. `disable: 3`.
    #[error("{file}: {message}")]
    Config {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A file or folder that cannot be read.
    #[error("{path}: {message}")]
    Read {
        /// The path.
        path: String,
        /// The reason.
        message: String,
    },
}

/// One file to lint: its name (used in findings) and text.
///
/// ```
/// let s = promgate::explain::lint::LintSource::new("r.yml", "groups: []");
/// assert_eq!(s.name, "r.yml");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintSource<'a> {
    /// The file's name or path.
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
}

impl<'a> LintSource<'a> {
    /// A source from a name and a text.
    pub fn new(name: &'a str, text: &'a str) -> LintSource<'a> {
        LintSource { name, text }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (bytes).
    pub column: usize,
    /// The lint rule's id.
    pub id: &'static str,
    /// The severity (configured or the rule's default).
    pub severity: Severity,
    /// What is wrong, specific to this place.
    pub message: String,
    /// How to fix it here.
    pub fix: String,
    /// The rule (record or alert name) or gate it is in.
    pub subject: Option<String>,
}

/// The findings of one lint run, sorted by file, line, column and id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    /// The findings.
    pub findings: Vec<Finding>,
    /// How many files were read.
    pub files: usize,
    /// How many rules they had.
    pub rules: usize,
    /// How many gates the gates file had.
    pub gates: usize,
    /// How many findings comments disabled.
    pub suppressed: usize,
}

impl LintReport {
    /// The most serious severity found, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Whether a finding is at or above `threshold` (`--fail-on`).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// How many findings each rule id has, sorted by id.
    ///
    /// ```
    /// use promgate::explain::lint::{LintConfig, LintSource, lint};
    /// let rules = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: rate(x_total[30s])\n";
    /// let report = lint(&[LintSource::new("r.yml", rules)], None, &LintConfig::default());
    /// assert_eq!(report.counts(), [("promql/rate-window-too-short", 1)]);
    /// ```
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for f in &self.findings {
            *counts.entry(f.id).or_default() += 1;
        }
        counts.into_iter().collect()
    }
}

/// Lints rule files and an optional gates file as one set: recorded series, `absent()`
/// checks and gates in any file count for the others.
///
/// ```
/// use promgate::explain::lint::{LintConfig, LintSource, lint};
/// let rules = "groups:\n- name: g\n  rules:\n  - record: job:errors:ratio\n    expr: sum by (job) (rate(req_total{code=~\"5..\"}[5m])) / sum by (job) (rate(req_total[5m]))\n";
/// let gates = "gates:\n- name: errors\n  expr: max(job:errors:ratio)\n  op: '<='\n  threshold: 0.05\n";
/// let report = lint(
///     &[LintSource::new("r.yml", rules)],
///     Some(LintSource::new("gates.yml", gates)),
///     &LintConfig::default(),
/// );
/// assert_eq!(report.findings[0].id, "coalesce/missing-fallback");
/// assert_eq!(report.rules, 1);
/// assert_eq!(report.gates, 1);
/// ```
pub fn lint(
    rule_files: &[LintSource],
    gates: Option<LintSource>,
    config: &LintConfig,
) -> LintReport {
    let loaded = input::Loaded::new(rule_files, gates, config);
    let mut hits = Vec::new();
    loaded.invalid_files(&mut hits);
    let sites = loaded.sites();
    promql::check(&loaded, &sites, &mut hits);
    coalesce::check(&loaded, &sites, &mut hits);
    alerts::check(&loaded, &mut hits);
    heartbeat::check(&loaded, &mut hits);

    let directives: BTreeMap<&str, disable::Directives> = loaded
        .sources()
        .map(|(name, text)| {
            (
                name,
                disable::Directives::parse(text, &loaded.rule_lines(name)),
            )
        })
        .collect();
    let mut report = LintReport {
        files: rule_files.len() + usize::from(gates.is_some()),
        rules: loaded.rule_count(),
        gates: loaded.gate_count(),
        ..LintReport::default()
    };
    for hit in hits {
        if !config.is_enabled(hit.id) {
            continue;
        }
        if directives
            .get(hit.loc.file.as_str())
            .is_some_and(|d| d.suppresses(hit.id, &hit.loc))
        {
            report.suppressed += 1;
            continue;
        }
        let fix = hit
            .fix
            .unwrap_or_else(|| lint_rule(hit.id).map_or(String::new(), |r| r.fix.to_string()));
        report.findings.push(Finding {
            file: hit.loc.file,
            line: hit.loc.line,
            column: hit.loc.column,
            id: hit.id,
            severity: config.severity(hit.id),
            message: hit.message,
            fix,
            subject: hit.loc.subject,
        });
    }
    report.findings.sort();
    report.findings.dedup();
    report
}

/// Reads rule files (folders: their `*.yml`, `*.yaml`, `*.rules` files, recursively, sorted)
/// and an optional gates file, and lints them with [`lint`].
///
/// ```
/// use promgate::explain::lint::{LintConfig, lint_paths};
/// let err = lint_paths(&["no/such/dir".into()], None, &LintConfig::default()).unwrap_err();
/// assert!(err.to_string().starts_with("no/such/dir: "));
/// ```
pub fn lint_paths(
    rule_paths: &[PathBuf],
    gates: Option<&Path>,
    config: &LintConfig,
) -> Result<LintReport, LintError> {
    let mut files = Vec::new();
    for path in rule_paths {
        collect_files(path, &mut files)?;
    }
    let read = |path: &Path| {
        crate::syntax::read_text_file(path).map_err(|message| LintError::Read {
            path: path.display().to_string(),
            message,
        })
    };
    let mut texts = Vec::new();
    for path in &files {
        texts.push((path.display().to_string(), read(path)?));
    }
    let gates_text = match gates {
        Some(path) => Some((path.display().to_string(), read(path)?)),
        None => None,
    };
    let sources: Vec<LintSource> = texts
        .iter()
        .map(|(name, text)| LintSource::new(name, text))
        .collect();
    let gates = gates_text
        .as_ref()
        .map(|(name, text)| LintSource::new(name, text));
    Ok(lint(&sources, gates, config))
}

/// The most files a folder may expand to.
const MAX_FILES: usize = 100_000;

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), LintError> {
    let error = |e: std::io::Error| LintError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(error)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(error)?
        .map(|e| e.map(|e| e.path()).map_err(error))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if out.len() >= MAX_FILES {
            return Err(LintError::Read {
                path: path.display().to_string(),
                message: format!("more than {MAX_FILES} files"),
            });
        }
        if entry.is_dir() {
            collect_files(&entry, out)?;
        } else if entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yml" | "yaml" | "rules"))
        {
            out.push(entry);
        }
    }
    Ok(())
}

/// A place in a file, with the rule or gate it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The line the rule or gate starts at (rule-level disables apply to it).
    pub owner_line: usize,
    /// The line its `expr:` starts at.
    pub expr_line: usize,
    pub subject: Option<String>,
}

/// A finding before configuration and disables apply.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub id: &'static str,
    pub loc: Loc,
    pub message: String,
    /// A fix specific to this place; the rule's fix otherwise.
    pub fix: Option<String>,
}

impl Hit {
    fn new(id: &'static str, loc: Loc, message: String) -> Hit {
        debug_assert!(lint_rule(id).is_some(), "{id}");
        Hit {
            id,
            loc,
            message,
            fix: None,
        }
    }

    fn with_fix(mut self, fix: String) -> Hit {
        self.fix = Some(fix);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_sorted_unique_and_documented() {
        for pair in LINT_RULES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} then {}",
                pair[0].id,
                pair[1].id
            );
        }
        for r in LINT_RULES {
            assert!(r.id.contains('/'), "{}", r.id);
            assert!(!r.rationale.is_empty() && !r.fix.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn selectors_name_groups_ids_and_all() {
        assert!(selects("coalesce", "coalesce/always-firing"));
        assert!(selects("coalesce/*", "coalesce/always-firing"));
        assert!(selects("all", "rules/duplicate"));
        assert!(!selects("coal", "coalesce/always-firing"));
        assert!(!selects("rules/dup", "rules/duplicate"));
    }
}
