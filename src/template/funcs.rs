//! The function map: Go's template built-ins and Prometheus's template functions
//! (`template/template.go`), with their Go signatures (which decide argument conversion and the
//! error texts) and the pure implementations.

use std::fmt::Write as _;

use super::TemplateDialect;
use super::gofmt::format_g;
use crate::syntax::go_regexp::{GoVersion, translate};

/// A function a template can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    // Go's built-ins.
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Call,
    // Prometheus's.
    Query,
    First,
    Label,
    Value,
    StrValue,
    SortByLabel,
    Args,
    ReReplaceAll,
    Match,
    SafeHtml,
    Title,
    ToUpper,
    ToLower,
    GraphLink,
    TableLink,
    StripPort,
    StripDomain,
    Humanize,
    Humanize1024,
    HumanizeDuration,
    HumanizePercentage,
    HumanizeTimestamp,
    ToTime,
    ParseDuration,
    PathPrefix,
    ExternalUrl,
    Now,
    ToDuration,
    UrlQueryEscape,
}

/// A Go parameter type, as far as argument conversion needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `reflect.Value` (the comparison and logic built-ins).
    Reflect,
    /// `interface {}`.
    Any,
    String,
    Sample,
    QueryResult,
    /// `time.Duration` (method parameters).
    Duration,
    /// `time.Time` (method parameters).
    Time,
}

impl Param {
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Param::Reflect => "reflect.Value",
            Param::Any => "interface {}",
            Param::String => "string",
            Param::Sample => "*template.sample",
            Param::QueryResult => "template.queryResult",
            Param::Duration => "time.Duration",
            Param::Time => "time.Time",
        }
    }
}

impl Func {
    /// Looks a name up in the function map of `dialect`.
    pub(crate) fn lookup(name: &str, dialect: TemplateDialect) -> Option<Func> {
        let func = match name {
            "and" => Func::And,
            "or" => Func::Or,
            "not" => Func::Not,
            "len" => Func::Len,
            "index" => Func::Index,
            "slice" => Func::Slice,
            "print" => Func::Print,
            "printf" => Func::Printf,
            "println" => Func::Println,
            "html" => Func::Html,
            "js" => Func::Js,
            "urlquery" => Func::Urlquery,
            "eq" => Func::Eq,
            "ne" => Func::Ne,
            "lt" => Func::Lt,
            "le" => Func::Le,
            "gt" => Func::Gt,
            "ge" => Func::Ge,
            "call" => Func::Call,
            "query" => Func::Query,
            "first" => Func::First,
            "label" => Func::Label,
            "value" => Func::Value,
            "strvalue" => Func::StrValue,
            "sortByLabel" => Func::SortByLabel,
            "args" => Func::Args,
            "reReplaceAll" => Func::ReReplaceAll,
            "match" => Func::Match,
            "safeHtml" => Func::SafeHtml,
            "title" => Func::Title,
            "toUpper" => Func::ToUpper,
            "toLower" => Func::ToLower,
            "graphLink" => Func::GraphLink,
            "tableLink" => Func::TableLink,
            "stripPort" => Func::StripPort,
            "stripDomain" => Func::StripDomain,
            "humanize" => Func::Humanize,
            "humanize1024" => Func::Humanize1024,
            "humanizeDuration" => Func::HumanizeDuration,
            "humanizePercentage" => Func::HumanizePercentage,
            "humanizeTimestamp" => Func::HumanizeTimestamp,
            "toTime" => Func::ToTime,
            "parseDuration" => Func::ParseDuration,
            "pathPrefix" => Func::PathPrefix,
            "externalURL" => Func::ExternalUrl,
            "now" if dialect == TemplateDialect::Prometheus3 => Func::Now,
            "toDuration" if dialect == TemplateDialect::Prometheus3 => Func::ToDuration,
            "urlQueryEscape" if dialect == TemplateDialect::Prometheus3 => Func::UrlQueryEscape,
            _ => return None,
        };
        Some(func)
    }

    /// The fixed parameters and the variadic element type, if any.
    pub(crate) fn signature(self) -> (&'static [Param], Option<Param>) {
        use Param::*;
        match self {
            Func::And | Func::Or | Func::Index | Func::Slice | Func::Eq | Func::Call => {
                (&[Reflect], Some(Reflect))
            }
            Func::Not | Func::Len => (&[Reflect], None),
            Func::Ne | Func::Lt | Func::Le | Func::Gt | Func::Ge => (&[Reflect, Reflect], None),
            Func::Print | Func::Println | Func::Html | Func::Js | Func::Urlquery | Func::Args => {
                (&[], Some(Any))
            }
            Func::Printf => (&[String], Some(Any)),
            Func::Query
            | Func::SafeHtml
            | Func::Title
            | Func::ToUpper
            | Func::ToLower
            | Func::GraphLink
            | Func::TableLink
            | Func::StripPort
            | Func::StripDomain
            | Func::ParseDuration
            | Func::UrlQueryEscape => (&[String], None),
            Func::First => (&[QueryResult], None),
            Func::Label => (&[String, Sample], None),
            Func::Value | Func::StrValue => (&[Sample], None),
            Func::SortByLabel => (&[String, QueryResult], None),
            Func::ReReplaceAll => (&[String, String, String], None),
            Func::Match => (&[String, String], None),
            Func::Humanize
            | Func::Humanize1024
            | Func::HumanizeDuration
            | Func::HumanizePercentage
            | Func::HumanizeTimestamp
            | Func::ToTime
            | Func::ToDuration => (&[Any], None),
            Func::PathPrefix | Func::ExternalUrl | Func::Now => (&[], None),
        }
    }
}

/// Go's `%.4g`.
pub(crate) fn g4(value: f64) -> String {
    format_g(value, 4)
}

/// `humanize`.
pub(crate) fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    if v.abs() >= 1.0 {
        let mut prefix = "";
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return format!("{}{prefix}", g4(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}", g4(v))
}

/// `humanize1024`.
pub(crate) fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

/// `humanizeDuration` (seconds).
pub(crate) fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return g4(v);
    }
    if v == 0.0 {
        return format!("{}s", g4(v));
    }
    if v.abs() >= 1.0 {
        let mut sign = "";
        if v < 0.0 {
            sign = "-";
            v = -v;
        }
        // Go's int64 conversion saturates differently; `as` saturates, Go wraps to MinInt64.
        let whole = go_float_to_int64(v);
        let seconds = whole % 60;
        let minutes = (whole / 60) % 60;
        let hours = (whole / 60 / 60) % 24;
        let days = whole / 60 / 60 / 24;
        if days != 0 {
            return format!("{sign}{days}d {hours}h {minutes}m {seconds}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {minutes}m {seconds}s");
        }
        if minutes != 0 {
            return format!("{sign}{minutes}m {seconds}s");
        }
        return format!("{sign}{}s", g4(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

/// Go's `int64(f)` on amd64: out-of-range values become `math.MinInt64`.
pub(crate) fn go_float_to_int64(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-TWO_63..TWO_63).contains(&f) {
        return i64::MIN;
    }
    f as i64
}

/// `humanizePercentage`.
pub(crate) fn humanize_percentage(v: f64) -> String {
    format!("{}%", g4(v * 100.0))
}

/// The error `floatToTime` gives for NaN and infinities.
pub(crate) const NAN_OR_INF: &str = "value is NaN or Inf";

/// Prometheus's `floatToTime`: Unix seconds to nanoseconds, truncated to milliseconds as
/// `model.TimeFromUnixNano` does.
pub(crate) fn float_to_time(v: f64) -> Result<i64, String> {
    if !v.is_finite() {
        return Err(NAN_OR_INF.to_string());
    }
    let timestamp = v * 1e9;
    if timestamp > i64::MAX as f64 || timestamp < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            crate::model::format_float_g(v)
        ));
    }
    let nanos = go_float_to_int64(timestamp);
    // Go's integer division truncates toward zero.
    let millis = nanos / 1_000_000;
    Ok(millis * 1_000_000)
}

/// Go's `strings.Title` (2.x): upper-cases the letter after any separator.
pub(crate) fn title_go(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = ' ';
    for c in text.chars() {
        if is_title_separator(previous) {
            push_title(&mut out, c);
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

fn push_title(out: &mut String, c: char) {
    // The Latin digraphs are the characters whose title case differs from their upper case.
    let title = match c {
        '\u{1c4}'..='\u{1c6}' => Some('\u{1c5}'),
        '\u{1c7}'..='\u{1c9}' => Some('\u{1c8}'),
        '\u{1ca}'..='\u{1cc}' => Some('\u{1cb}'),
        '\u{1f1}'..='\u{1f3}' => Some('\u{1f2}'),
        _ => None,
    };
    if let Some(title) = title {
        out.push(title);
        return;
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => out.push(u),
        // Multi-character upper cases (`ß`) keep the character, as `unicode.ToTitle` maps it to
        // itself.
        _ => out.push(c),
    }
}

/// The 3.x `title` (`cases.Title(language.Und, cases.NoLower)`): upper-cases the first letter of
/// each word; apostrophes and similar inside a word do not start a new one.
pub(crate) fn title_unicode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphabetic() || c.is_numeric() {
            if !in_word && c.is_alphabetic() {
                push_title(&mut out, c);
            } else {
                out.push(c);
            }
            in_word = true;
        } else {
            out.push(c);
            // Case-ignorable characters continue the word.
            in_word = in_word && matches!(c, '\'' | '.' | ':' | '^' | '`' | '·' | '\u{2019}');
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if c.is_ascii() => out.push(c),
            c if !c.is_control() && !c.is_whitespace() || c == ' ' => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out
}

/// Go's `net.SplitHostPort`.
fn split_host_port(host_port: &str) -> Option<(&str, &str)> {
    let i = host_port.rfind(':')?;
    let host = if host_port.starts_with('[') {
        let end = host_port.find(']')?;
        if end + 1 != i {
            return None;
        }
        &host_port[1..end]
    } else {
        let host = &host_port[..i];
        if host.contains(':') {
            return None;
        }
        host
    };
    let port = &host_port[i + 1..];
    if host_port[..i].contains('[') && !host_port.starts_with('[')
        || host_port[i..].contains(['[', ']'])
    {
        return None;
    }
    Some((host, port))
}

/// `stripPort`.
pub(crate) fn strip_port(host_port: &str) -> String {
    match split_host_port(host_port) {
        Some((host, _)) => host.to_string(),
        None => host_port.to_string(),
    }
}

/// `stripDomain`.
pub(crate) fn strip_domain(host_port: &str) -> String {
    let (host, port) = split_host_port(host_port).unwrap_or((host_port, ""));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host_port.to_string();
    }
    let host = host.split('.').next().unwrap_or("");
    if port.is_empty() {
        return host.to_string();
    }
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Compiles a Go (RE2) regular expression with Rust's `regex`, which accepts nearly the same
/// syntax; Err is Go's error text (`error parsing regexp: <code>: `<expr>``), best effort since
/// the two word their errors differently.
pub(crate) fn compile_regexp(pattern: &str, version: GoVersion) -> Result<regex::Regex, String> {
    let translated = translate(pattern, version).map_err(|e| e.to_string())?;
    regex::Regex::new(&translated).map_err(|err| regexp_error(pattern, &err))
}

/// Go's `regexp` compile error text for a pattern Rust's `regex` rejected.
pub(crate) fn regexp_error(pattern: &str, err: &regex::Error) -> String {
    let message = err.to_string();
    let span = caret_span(pattern, &message).unwrap_or(pattern);
    let code = if message.contains("unclosed group") {
        format!("missing closing ): `{pattern}`")
    } else if message.contains("unopened group") {
        format!("unexpected ): `{pattern}`")
    } else if message.contains("unclosed character class") {
        format!(
            "missing closing ]: `{}`",
            &pattern[pattern.rfind('[').unwrap_or(0)..]
        )
    } else if message.contains("repetition operator missing expression") {
        format!("missing argument to repetition operator: `{span}`")
    } else if message.contains("repetition count") {
        format!("invalid repeat count: `{span}`")
    } else if message.contains("escape") || message.contains("backreferences") {
        format!("invalid escape sequence: `{span}`")
    } else if message.contains("invalid character class range") {
        format!("invalid character class range: `{span}`")
    } else if message.contains("flag") {
        format!("invalid or unsupported Perl syntax: `{span}`")
    } else {
        let last = message.lines().last().unwrap_or("").trim();
        let last = last.strip_prefix("error: ").unwrap_or(last);
        format!("{last}: `{pattern}`")
    };
    format!("error parsing regexp: {code}")
}

/// The part of a one-line pattern that `regex`'s error marks with carets.
fn caret_span<'p>(pattern: &'p str, message: &str) -> Option<&'p str> {
    if pattern.contains('\n') {
        return None;
    }
    let lines: Vec<&str> = message.lines().collect();
    let pattern_line = lines.iter().position(|l| l.trim_start() == pattern)?;
    let carets = lines.get(pattern_line + 1)?;
    let indent = lines[pattern_line].len() - pattern.len();
    let start_char = carets.find('^')?.checked_sub(indent)?;
    let count = carets.matches('^').count();
    let start = pattern.char_indices().nth(start_char)?.0;
    let end = pattern
        .char_indices()
        .nth(start_char + count)
        .map_or(pattern.len(), |(i, _)| i);
    pattern.get(start..end)
}

/// Go's `regexp` quoting of a pattern in panics: backquoted when possible.
pub(crate) fn regexp_quote(pattern: &str) -> String {
    let can_backquote = pattern
        .chars()
        .all(|c| c != '`' && c != '\u{feff}' && (c == '\t' || !c.is_control()));
    if can_backquote {
        format!("`{pattern}`")
    } else {
        super::lex::go_quote(pattern)
    }
}

/// `convertToFloat`'s string case: Go's `strconv.ParseFloat` and its error text.
pub(crate) fn parse_float_go(text: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            super::lex::go_quote(text)
        )
    };
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    let special = matches!(unsigned, "inf" | "infinity" | "nan");
    if let Some(value) = parse_hex_float(text) {
        return Ok(value);
    }
    if !special
        && !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE_".contains(&b))
    {
        return Err(syntax());
    }
    if text.contains(['_', 'x', 'X']) {
        return Err(syntax());
    }
    let Ok(value) = text.parse::<f64>() else {
        return Err(syntax());
    };
    if value.is_infinite() && !special {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            super::lex::go_quote(text)
        ));
    }
    Ok(value)
}

/// Go's hexadecimal floating-point literal (`0x1p-2`, `-0x1.8p1`); the `p` exponent is required.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let rest = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))?;
    let (mantissa, exponent) = rest.split_once(['p', 'P'])?;
    let exponent: i32 = exponent.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0.0f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let value = value * 2f64.powi(exponent);
    Some(if negative { -value } else { value })
}
