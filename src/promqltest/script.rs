//! Parsing promqltest scripts into commands.

use super::ScriptError;
use crate::fixture::{SeriesValue, parse_series_line};
use crate::model::Labels;
use crate::promql::{Expr, ParseOptions, parse_with};
use crate::syntax::lex::{parse_duration, parse_number, unquote};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A parsed script: its commands in order.
#[derive(Debug, Clone)]
pub struct Script {
    /// The script's name (usually its file name), used in reports.
    pub name: String,
    /// The commands.
    pub commands: Vec<Command>,
}

/// One command of a script.
#[derive(Debug, Clone)]
pub enum Command {
    /// `load <interval>` / `load_with_nhcb <interval>` and its series lines.
    Load {
        /// 1-based line number of the header.
        line: usize,
        /// The sample interval in ms.
        interval: i64,
        /// `load_with_nhcb`.
        nhcb: bool,
        /// The body lines with their 1-based line numbers.
        body: Vec<(usize, String)>,
    },
    /// `clear`.
    Clear {
        /// 1-based line number.
        line: usize,
    },
    /// An `eval` command.
    Eval(Box<EvalCommand>),
}

/// How an expectation line matches a message.
#[derive(Debug, Clone)]
pub enum MessageMatcher {
    /// Anything matches.
    Any,
    /// The text must be equal.
    Exact(String),
    /// The regex must match somewhere in the text.
    Regex(Regex),
}

impl MessageMatcher {
    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            MessageMatcher::Any => true,
            MessageMatcher::Exact(s) => s == text,
            MessageMatcher::Regex(r) => r.is_match(text),
        }
    }
}

impl std::fmt::Display for MessageMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageMatcher::Any => f.write_str("<any>"),
            MessageMatcher::Exact(s) => write!(f, "msg: {s}"),
            MessageMatcher::Regex(r) => write!(f, "regex: {}", r.as_str()),
        }
    }
}

/// When an eval runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalTime {
    /// `eval instant at <t>`.
    Instant(i64),
    /// `eval range from <start> to <end> step <step>`.
    Range {
        /// Start (ms).
        start: i64,
        /// End (ms).
        end: i64,
        /// Step (ms).
        step: i64,
    },
}

/// The expected result of an eval.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Series lines (none means an empty result).
    Series(Vec<ExpectedSeries>),
    /// A scalar.
    Scalar(f64),
}

/// One expected series line.
#[derive(Debug, Clone)]
pub struct ExpectedSeries {
    /// Its labels.
    pub labels: Labels,
    /// Its values (one per step; `Gap` where no point is expected).
    pub values: Vec<SeriesValue>,
    /// Its position among the series lines (1-based), for `expect ordered`.
    pub position: usize,
}

/// An `eval` command with its expectations.
#[derive(Debug, Clone)]
pub struct EvalCommand {
    /// 1-based line number of the header.
    pub line: usize,
    /// The query text as written.
    pub query: String,
    /// The parsed query.
    pub expr: Expr,
    /// When it runs.
    pub time: EvalTime,
    /// `expect fail` (with its matcher).
    pub expect_fail: Option<MessageMatcher>,
    /// `expect warn` lines.
    pub expect_warn: Vec<MessageMatcher>,
    /// `expect info` lines.
    pub expect_info: Vec<MessageMatcher>,
    /// `expect no_warn`.
    pub no_warn: bool,
    /// `expect no_info`.
    pub no_info: bool,
    /// Legacy `eval_warn`: at least one warning.
    pub legacy_warn: bool,
    /// Legacy `eval_info`: at least one info.
    pub legacy_info: bool,
    /// `expect ordered` / `eval_ordered`.
    pub ordered: bool,
    /// `expect range vector from S to E step D`.
    pub range_vector: Option<(i64, i64, i64)>,
    /// `expect string "..."`.
    pub expect_string: Option<String>,
    /// The expected values.
    pub expected: Expected,
}

impl EvalCommand {
    /// Whether the eval expects the query to fail.
    pub fn expects_failure(&self) -> bool {
        self.expect_fail.is_some()
    }
}

fn patterns() -> &'static [Regex; 4] {
    static PATTERNS: OnceLock<[Regex; 4]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let compile = |p: &str| Regex::new(p).unwrap_or_else(|_| Regex::new("$^").expect("trivial regex"));
        [
            compile(r"^load(?:_(with_nhcb))?\s+(.+?)$"),
            compile(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$"),
            compile(r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"),
            compile(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$"),
        ]
    })
}

fn expect_range_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")
            .unwrap_or_else(|_| Regex::new("$^").expect("trivial regex"))
    })
}

/// Parses a script.
///
/// ```
/// use promgate::promqltest::parse_script;
/// let script = parse_script("t.test", "load 1m\n  up 1 2\n\neval instant at 1m up\n  up 2\n").unwrap();
/// assert_eq!(script.commands.len(), 2);
/// ```
pub fn parse_script(name: &str, text: &str) -> Result<Script, ScriptError> {
    // A byte-order mark some editors write is not part of the first command.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw_lines: Vec<&str> = text.split('\n').collect();
    let lines: Vec<String> = raw_lines
        .iter()
        .map(|l| {
            let t = l.trim();
            if t.starts_with('#') {
                String::new()
            } else {
                t.to_string()
            }
        })
        .collect();
    let err = |line: usize, message: String| ScriptError {
        file: name.to_string(),
        line: line + 1,
        column: None,
        message,
    };
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.is_empty() {
            i += 1;
            continue;
        }
        let word = line.split_whitespace().next().unwrap_or("").to_lowercase();
        if word == "clear" {
            commands.push(Command::Clear { line: i + 1 });
            i += 1;
        } else if word.starts_with("load") {
            let caps = patterns()[0].captures(line).ok_or_else(|| {
                err(
                    i,
                    "invalid load command. (load[_with_nhcb] <step:duration>)".into(),
                )
            })?;
            let step_text = caps.get(2).map_or("", |m| m.as_str());
            let interval = parse_duration(step_text)
                .map_err(|e| err(i, format!("invalid step definition {step_text:?}: {e}")))?;
            let mut body = Vec::new();
            let header = i;
            i += 1;
            while i < lines.len() && !lines[i].is_empty() {
                // The line as written: series errors count columns from the line's start.
                body.push((i + 1, raw_lines[i].trim_end().to_string()));
                i += 1;
            }
            commands.push(Command::Load {
                line: header + 1,
                interval,
                nhcb: caps.get(1).is_some(),
                body,
            });
        } else if word.starts_with("eval") {
            let indent = raw_lines[i].len() - raw_lines[i].trim_start().len();
            let (cmd, next) = parse_eval(&lines, i, indent, name)?;
            commands.push(Command::Eval(Box::new(cmd)));
            i = next;
        } else {
            return Err(err(i, format!("invalid command {line:?}")));
        }
    }
    Ok(Script {
        name: name.to_string(),
        commands,
    })
}

/// Parses a Go integer or float literal (the scalar expectation line).
fn parse_go_number(text: &str) -> Option<f64> {
    parse_number(text).ok()
}

/// Parses the eval command whose header is `lines[start]` (trimmed; the file's line starts
/// with `indent` bytes of white space) and its expectation lines.
fn parse_eval(
    lines: &[String],
    start: usize,
    indent: usize,
    file: &str,
) -> Result<(EvalCommand, usize), ScriptError> {
    let err = |line: usize, message: String| ScriptError {
        file: file.to_string(),
        line: line + 1,
        column: None,
        message,
    };
    let header = &lines[start];
    let [_, instant_re, range_re, expect_re] = patterns();
    let (modifier, query, query_start, time) = if let Some(c) = instant_re.captures(header) {
        let at = c.get(2).map_or("", |m| m.as_str());
        let t = parse_duration(at)
            .map_err(|e| err(start, format!("invalid timestamp definition {at:?}: {e}")))?;
        (
            c.get(1).map(|m| m.as_str()),
            c.get(3).map_or("", |m| m.as_str()),
            c.get(3).map_or(0, |m| m.start()),
            EvalTime::Instant(t),
        )
    } else if let Some(c) = range_re.captures(header) {
        let get = |i: usize| c.get(i).map_or("", |m| m.as_str());
        let from = parse_duration(get(2)).map_err(|e| {
            err(
                start,
                format!("invalid start timestamp definition {:?}: {e}", get(2)),
            )
        })?;
        let to = parse_duration(get(3)).map_err(|e| {
            err(
                start,
                format!("invalid end timestamp definition {:?}: {e}", get(3)),
            )
        })?;
        if to < from {
            return Err(err(
                start,
                "invalid test definition, end timestamp is before start timestamp".into(),
            ));
        }
        let step = parse_duration(get(4))
            .map_err(|e| err(start, format!("invalid step definition {:?}: {e}", get(4))))?;
        // A zero step would evaluate at every millisecond; the CLI's `--step 0` is refused too.
        if step <= 0 {
            return Err(err(
                start,
                format!(
                    "invalid step definition {:?}: the step must be greater than 0",
                    get(4)
                ),
            ));
        }
        (
            c.get(1).map(|m| m.as_str()),
            get(5),
            c.get(5).map_or(0, |m| m.start()),
            EvalTime::Range {
                start: from,
                end: to,
                step,
            },
        )
    } else {
        return Err(err(
            start,
            "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'".into(),
        ));
    };
    // One position in the file: the query's column in the line plus the error's in the query.
    let expr = parse_with(query, &ParseOptions::all_features()).map_err(|e| ScriptError {
        column: Some(indent + query_start + e.line_col().1),
        ..err(start, e.kind.to_string())
    })?;
    let mut cmd = EvalCommand {
        line: start + 1,
        query: query.to_string(),
        expr,
        time,
        expect_fail: None,
        expect_warn: Vec::new(),
        expect_info: Vec::new(),
        no_warn: false,
        no_info: false,
        legacy_warn: modifier == Some("warn"),
        legacy_info: modifier == Some("info"),
        ordered: modifier == Some("ordered"),
        range_vector: None,
        expect_string: None,
        expected: Expected::Series(Vec::new()),
    };
    if modifier == Some("fail") {
        cmd.expect_fail = Some(MessageMatcher::Any);
    }
    let is_instant = matches!(time, EvalTime::Instant(_));
    // Slots in line order; a label set written again empties its earlier slot, found through
    // `slot_of` (a scan per line would make a block of n lines take n² steps).
    let mut series: Vec<Option<ExpectedSeries>> = Vec::new();
    let mut slot_of: BTreeMap<Labels, usize> = BTreeMap::new();
    let mut position = 0;
    let mut i = start + 1;
    while i < lines.len() {
        let line = &lines[i];
        if line.is_empty() {
            break;
        }
        i += 1;
        if modifier == Some("fail") {
            if let Some(rest) = line.strip_prefix("expected_fail_message") {
                cmd.expect_fail = Some(MessageMatcher::Exact(rest.trim().to_string()));
                break;
            }
            if let Some(rest) = line.strip_prefix("expected_fail_regexp") {
                let re = Regex::new(rest.trim())
                    .map_err(|e| err(i - 1, format!("invalid regexp {:?}: {e}", rest.trim())))?;
                cmd.expect_fail = Some(MessageMatcher::Regex(re));
                break;
            }
        }
        if line.starts_with("expect range vector") {
            let c = expect_range_pattern()
                .captures(line)
                .ok_or_else(|| err(i - 1, format!("invalid range vector definition {line:?}")))?;
            let d = |k: usize| {
                parse_duration(c.get(k).map_or("", |m| m.as_str()))
                    .map_err(|e| err(i - 1, e.to_string()))
            };
            let (s, e, st) = (d(1)?, d(2)?, d(3)?);
            cmd.range_vector = Some((s, e, st));
            continue;
        }
        if let Some(rest) = line.strip_prefix("expect string") {
            let text = rest.trim();
            let s = unquote(text).map_err(|_| {
                err(
                    i - 1,
                    "expected string literal not valid - check that the string is correctly quoted"
                        .into(),
                )
            })?;
            cmd.expect_string = Some(s);
            continue;
        }
        if line.split(' ').next() == Some("expect") {
            let c = expect_re.captures(line).ok_or_else(|| {
                err(
                    i - 1,
                    format!(
                        "invalid expect statement, must match `{}`",
                        expect_re.as_str()
                    ),
                )
            })?;
            let kind = c.get(1).map_or("", |m| m.as_str());
            let matcher = match (
                c.get(2).map(|m| m.as_str()),
                c.get(3).map(|m| m.as_str().trim()),
            ) {
                (Some("msg"), Some(text)) => MessageMatcher::Exact(text.to_string()),
                (Some("regex"), Some(text)) => MessageMatcher::Regex(
                    Regex::new(text)
                        .map_err(|e| err(i - 1, format!("invalid regex {text:?}: {e}")))?,
                ),
                _ => MessageMatcher::Any,
            };
            match kind {
                "fail" => {
                    if cmd.expect_fail.is_some() && modifier != Some("fail") {
                        return Err(err(i - 1, "only one expect fail statement allowed".into()));
                    }
                    cmd.expect_fail = Some(matcher);
                }
                "warn" => cmd.expect_warn.push(matcher),
                "info" => cmd.expect_info.push(matcher),
                "no_warn" => cmd.no_warn = true,
                "no_info" => cmd.no_info = true,
                "ordered" => cmd.ordered = true,
                _ => {}
            }
            if cmd.no_warn && !cmd.expect_warn.is_empty() {
                return Err(err(
                    i - 1,
                    "invalid expect lines, warn and no_warn cannot be used together".into(),
                ));
            }
            if cmd.no_info && !cmd.expect_info.is_empty() {
                return Err(err(
                    i - 1,
                    "invalid expect lines, info and no_info cannot be used together".into(),
                ));
            }
            continue;
        }
        if let Some(value) = parse_go_number(line) {
            cmd.expected = Expected::Scalar(value);
            return Ok((cmd, i));
        }
        let (labels, values) = parse_series_line(line).map_err(|e| err(i - 1, e.to_string()))?;
        if values.len() > 1 && is_instant && cmd.range_vector.is_none() {
            return Err(err(
                i - 1,
                "expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query".into(),
            ));
        }
        position += 1;
        // The same label set written twice: the last line counts.
        if let Some(earlier) = slot_of.insert(labels.clone(), series.len()) {
            series[earlier] = None;
        }
        series.push(Some(ExpectedSeries {
            labels,
            values,
            position,
        }));
    }
    cmd.expected = Expected::Series(series.into_iter().flatten().collect());
    Ok((cmd, i))
}
