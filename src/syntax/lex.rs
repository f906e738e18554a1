//! Lexemes shared by the PromQL parser, the series notation and the script formats: Prometheus
//! durations, Go number literals, Go string quoting, and name validity.
//!
//! These functions work on complete tokens (`&str`); the nom parsers find the token boundaries
//! and call them to convert.

use std::fmt::Write as _;

/// Milliseconds in each Prometheus duration unit, largest first.
const DURATION_UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Why a duration token was rejected. The messages are those of Prometheus's
/// `model.ParseDuration`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The text is empty.
    #[error("empty duration string")]
    Empty,
    /// The text is not `<digits><unit>...` with units in descending order, each at most once.
    #[error("not a valid duration string: {}", quote(.0))]
    Invalid(String),
    /// A unit that is not one of `y w d h m s ms`.
    #[error("unknown unit {} in duration {}", quote(.unit), quote(.text))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration.
        text: String,
    },
    /// The value does not fit in 64-bit nanoseconds (Prometheus's limit).
    #[error("duration out of range: {}", quote(.0))]
    OutOfRange(String),
}

impl DurationError {
    /// The message as Prometheus 2.42 (prometheus/common before 0.60) words it: an unknown
    /// unit was then "not a valid duration string".
    ///
    /// ```
    /// use promgate::syntax::lex::parse_duration;
    /// let err = parse_duration("1x").unwrap_err();
    /// assert_eq!(err.to_string(), r#"unknown unit "x" in duration "1x""#);
    /// assert_eq!(err.legacy_message(), r#"not a valid duration string: "1x""#);
    /// ```
    pub fn legacy_message(&self) -> String {
        match self {
            DurationError::UnknownUnit { text, .. } => {
                DurationError::Invalid(text.clone()).to_string()
            }
            other => other.to_string(),
        }
    }
}

/// Parses a Prometheus duration (`1h30m`, `5m`, `100ms`, `1y`, `0`) into milliseconds.
///
/// This is Prometheus's `model.ParseDuration` (prometheus/common 0.60 and later, as Prometheus
/// 3 uses): `<digits><unit>` groups, units largest first and each at most once, and the total
/// must fit in `i64` nanoseconds.
///
/// ```
/// use promgate::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
/// assert_eq!(parse_duration("0"), Ok(0));
/// assert_eq!(
///     parse_duration("30m1h").unwrap_err().to_string(),
///     r#"not a valid duration string: "30m1h""#
/// );
/// assert_eq!(
///     parse_duration("5y1hs").unwrap_err().to_string(),
///     r#"unknown unit "hs" in duration "5y1hs""#
/// );
/// ```
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    match text {
        "0" => return Ok(0),
        "" => return Err(DurationError::Empty),
        _ => {}
    }
    let invalid = || DurationError::Invalid(text.to_string());
    let out_of_range = || DurationError::OutOfRange(text.to_string());
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut last_unit: Option<usize> = None;
    let mut total_ns: u64 = 0;
    while pos < bytes.len() {
        let digits_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == digits_start {
            return Err(invalid());
        }
        let value: u64 = text[digits_start..pos].parse().map_err(|_| invalid())?;
        // Go takes every non-digit as part of the unit, so `5y1hs` has the unit `hs`.
        let unit_start = pos;
        while pos < bytes.len() && !bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let unit = &text[unit_start..pos];
        if unit.is_empty() {
            return Err(invalid());
        }
        let Some(index) = DURATION_UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_string(),
                text: text.to_string(),
            });
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(invalid());
        }
        last_unit = Some(index);
        let unit_ns = DURATION_UNITS[index].1 as u64 * 1_000_000;
        if value > (1u64 << 63) / unit_ns {
            return Err(out_of_range());
        }
        total_ns = total_ns.saturating_add(value * unit_ns);
        if total_ns > i64::MAX as u64 {
            return Err(out_of_range());
        }
    }
    Ok((total_ns / 1_000_000) as i64)
}

/// Formats milliseconds as a Prometheus duration, the inverse of [`parse_duration`]: `0s`, `1m`,
/// `1h30m`, `1d12h`, `1y`, `100ms`; negative values get a leading `-`.
///
/// ```
/// use promgate::syntax::lex::format_duration;
/// assert_eq!(format_duration(0), "0s");
/// assert_eq!(format_duration(5_400_000), "1h30m");
/// assert_eq!(format_duration(-90_000), "-1m30s");
/// assert_eq!(format_duration(17 * 86_400_000), "17d");
/// assert_eq!(format_duration(14 * 86_400_000), "2w");
/// assert_eq!(format_duration(400 * 86_400_000), "400d");
/// ```
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (name, size) in DURATION_UNITS {
        let size = size as u64;
        // As Prometheus's `model.Duration.String`: years and weeks only when they divide what
        // is left exactly (`90d`, not `12w6d`).
        let exact_only = name == "y" || name == "w";
        if rest >= size && (!exact_only || rest % size == 0) {
            let _ = write!(out, "{}{name}", rest / size);
            rest %= size;
        }
    }
    out
}

/// Why a number token was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad number syntax: {0:?}")]
pub struct NumberError(pub String);

/// Parses a number token the way Prometheus's PromQL parser does: first as a Go integer literal
/// with base prefix (`0x1f`, `0o17`, `017` octal, `0b101`, `1_000`), and if that fails as a Go
/// float literal (`1.5e3`, `.5`, `0x1p-2`, `Inf`, `NaN`, any letter case, optional sign).
///
/// ```
/// use promgate::syntax::lex::parse_number;
/// assert_eq!(parse_number("0x1f"), Ok(31.0));
/// assert_eq!(parse_number("010"), Ok(8.0));
/// assert_eq!(parse_number("1_000"), Ok(1000.0));
/// assert_eq!(parse_number("-Inf"), Ok(f64::NEG_INFINITY));
/// assert!(parse_number("NaN").unwrap().is_nan());
/// assert!(parse_number("1__0").is_err());
/// ```
pub fn parse_number(text: &str) -> Result<f64, NumberError> {
    let err = || NumberError(text.to_string());
    if let Some(value) = parse_go_int(text) {
        return Ok(value);
    }
    parse_go_float(text).ok_or_else(err)
}

/// Splits an optional leading sign off `text`.
fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, converted to `f64`. Underscores are allowed only between
/// digits or after a base prefix, as Go's `underscoreOK` demands.
fn parse_go_int(text: &str) -> Option<f64> {
    let (negative, body) = split_sign(text);
    if body.is_empty() || !underscores_ok(body) {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    // ParseInt fails on overflow; the caller then falls back to ParseFloat, which for decimal
    // text gives the nearest float and for other bases fails as Go's does.
    let magnitude = i64::from_str_radix(&digits, radix).ok()?;
    Some(if negative {
        -(magnitude as f64)
    } else {
        magnitude as f64
    })
}

/// Go's rule for where `_` may appear in a number literal: only between digits, or between a
/// base prefix and a digit.
fn underscores_ok(body: &str) -> bool {
    if !body.contains('_') {
        return true;
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut hex = false;
    // Optional base prefix: the '_' may follow it directly.
    let mut saw = b'^';
    if bytes.len() >= 2 && bytes[0] == b'0' && matches!(bytes[1] | 0x20, b'x' | b'o' | b'b') {
        hex = bytes[1] | 0x20 == b'x';
        i = 2;
        saw = b'0';
    }
    while i < bytes.len() {
        let c = bytes[i];
        let is_digit = c.is_ascii_digit() || (hex && c.is_ascii_hexdigit());
        if is_digit {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms PromQL can produce.
fn parse_go_float(text: &str) -> Option<f64> {
    let (negative, body) = split_sign(text);
    let signed = |v: f64| if negative { -v } else { v };
    match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => return Some(signed(f64::INFINITY)),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if body.is_empty() || !underscores_ok(body) {
        return None;
    }
    let cleaned: String = body.chars().filter(|&c| c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return parse_hex_float(hex).map(signed);
    }
    // Rust accepts "inf"/"nan" and forms like "1." and ".5" as Go does; reject what Go rejects.
    if !lower
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    if !lower.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    lower.parse::<f64>().ok().map(signed)
}

/// A Go hexadecimal float without its `0x` prefix, lower-cased: `1p-2`, `1.8p1`, `ff`.
pub(crate) fn parse_hex_float(hex: &str) -> Option<f64> {
    let (mantissa, exponent) = match hex.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (hex, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // Go requires the 'p' exponent for hex floats with a fraction.
    if !frac_part.is_empty() && !hex.contains('p') {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exponent))
}

/// Why a quoted string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnquoteError {
    /// The text does not start and end with the same quote character.
    #[error("string is not quoted")]
    NotQuoted,
    /// A backslash escape is not one Go accepts, at this byte offset in the quoted text.
    #[error("invalid escape sequence at offset {0}")]
    InvalidEscape(usize),
    /// A `"` or `'` string contains a raw newline.
    #[error("newline in string")]
    Newline,
}

/// Unquotes a PromQL string literal: `"..."` and `'...'` with Go escapes (`\n`, `\t`, `\\`,
/// `\"`, `\'`, `\x41`, `\101`, `\u00e9`, `\U0001F600`, `\a\b\f\r\v`), or a raw `` `...` ``
/// string taken as written.
///
/// PromQL accepts both `\"` and `\'` in either quoting, unlike Go, which only allows the escape
/// of the enclosing quote.
///
/// ```
/// use promgate::syntax::lex::unquote;
/// assert_eq!(unquote(r#""a\"b\n""#).unwrap(), "a\"b\n");
/// assert_eq!(unquote(r"'\x41\u00e9'").unwrap(), "Aé");
/// assert_eq!(unquote(r"`raw\n`").unwrap(), "raw\\n");
/// assert!(unquote(r#""\q""#).is_err());
/// ```
pub fn unquote(text: &str) -> Result<String, UnquoteError> {
    unquote_bytes(text).map(|bytes| match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Like [`unquote`], but keeps the bytes exactly as the escapes give them: Go strings may hold
/// invalid UTF-8 (`"\xff"`), which PromQL rejects only where a label name is needed.
///
/// ```
/// use promgate::syntax::lex::unquote_bytes;
/// assert_eq!(unquote_bytes(r#""a\xc5z""#).unwrap(), b"a\xc5z");
/// assert_eq!(unquote_bytes(r#""\u00e9""#).unwrap(), "é".as_bytes());
/// ```
pub fn unquote_bytes(text: &str) -> Result<Vec<u8>, UnquoteError> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 || bytes[0] != bytes[bytes.len() - 1] {
        return Err(UnquoteError::NotQuoted);
    }
    let quote = bytes[0];
    let inner = &text[1..text.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return Err(UnquoteError::NotQuoted);
            }
            Ok(inner.as_bytes().to_vec())
        }
        b'"' | b'\'' => unescape(inner, quote as char),
        _ => Err(UnquoteError::NotQuoted),
    }
}

fn unescape(inner: &str, quote: char) -> Result<Vec<u8>, UnquoteError> {
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    let push = |out: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    while let Some((i, c)) = chars.next() {
        let offset = i + 1;
        if c == '\n' {
            return Err(UnquoteError::Newline);
        }
        if c == quote {
            return Err(UnquoteError::InvalidEscape(offset));
        }
        if c != '\\' {
            push(&mut out, c);
            continue;
        }
        let (_, e) = chars.next().ok_or(UnquoteError::InvalidEscape(offset))?;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            push(&mut out, s);
            continue;
        }
        let mut take_digits = |n: usize, radix: u32| -> Result<u32, UnquoteError> {
            let mut value = 0u32;
            for _ in 0..n {
                let (_, d) = chars.next().ok_or(UnquoteError::InvalidEscape(offset))?;
                value = value * radix
                    + d.to_digit(radix)
                        .ok_or(UnquoteError::InvalidEscape(offset))?;
            }
            Ok(value)
        };
        match e {
            'x' => out.push(take_digits(2, 16)? as u8),
            '0'..='7' => {
                let rest = take_digits(2, 8)?;
                let value = e.to_digit(8).unwrap_or(0) * 64 + rest;
                if value > 255 {
                    return Err(UnquoteError::InvalidEscape(offset));
                }
                out.push(value as u8);
            }
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let value = take_digits(n, 16)?;
                let c = char::from_u32(value).ok_or(UnquoteError::InvalidEscape(offset))?;
                push(&mut out, c);
            }
            _ => return Err(UnquoteError::InvalidEscape(offset)),
        }
    }
    Ok(out)
}

/// Quotes a string as Go's `strconv.Quote` does: double quotes, `\"` and `\\` escaped, control
/// and non-printable characters as `\n`, `\t`, `\x00`, `\u2028`; printable non-ASCII kept.
///
/// ```
/// use promgate::syntax::lex::quote;
/// assert_eq!(quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
/// assert_eq!(quote("é"), "\"é\"");
/// assert_eq!(quote("\u{7f}"), r#""\x7f""#);
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Quotes bytes as Go's `strconv.Quote` does a string that may hold invalid UTF-8: valid parts
/// as [`quote`], each invalid byte as `\xNN`.
pub(crate) fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        let valid = quote(chunk.valid());
        out.push_str(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and the ASCII space. Control characters, separators other than space, and unassigned or
/// private-use code points are not printable.
pub(crate) fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() {
        return false;
    }
    let cp = c as u32;
    // Unicode separators (Zs other than space, Zl, Zp), format characters commonly met, and
    // private-use areas.
    !matches!(cp,
        0x00a0 | 0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff
        | 0xe000..=0xf8ff | 0xfff9..=0xfffb | 0xf0000..=0x10ffff)
}

/// Whether `name` is a metric name in the legacy (pre-UTF-8) scheme:
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// ```
/// use promgate::syntax::lex::is_legacy_metric_name;
/// assert!(is_legacy_metric_name("job:up:sum"));
/// assert!(!is_legacy_metric_name("my.metric"));
/// ```
pub fn is_legacy_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` is a label name in the legacy scheme: `[a-zA-Z_][a-zA-Z0-9_]*`.
///
/// ```
/// use promgate::syntax::lex::is_legacy_label_name;
/// assert!(is_legacy_label_name("instance"));
/// assert!(!is_legacy_label_name("0bad"));
/// ```
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for (text, ms) in [
            ("1y", 31_536_000_000),
            ("2w", 1_209_600_000),
            ("1d12h", 129_600_000),
            ("9m10s", 550_000),
            ("100ms", 100),
            ("1s500ms", 1500),
        ] {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
            assert_eq!(format_duration(ms), text);
        }
    }

    #[test]
    fn durations_rejected() {
        for text in ["", "1", "5x", "1m1h", "1h1h", "-1m", "1.5h", "m", "1ms1s"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        assert!(matches!(
            parse_duration("99999999999999y"),
            Err(DurationError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_duration("300000y"),
            Err(DurationError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_duration("5y1hs"),
            Err(DurationError::UnknownUnit { .. })
        ));
    }

    #[test]
    fn numbers() {
        for (text, want) in [
            ("1", 1.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E-2", 0.01),
            ("0x10", 16.0),
            ("0X1F", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("017", 15.0),
            ("1_000_000", 1e6),
            ("0x_1f", 31.0),
            ("+Inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("0x1p-2", 0.25),
            ("-2", -2.0),
            ("9.98e+307", 9.98e307),
            ("99999999999999999999", 1e20),
        ] {
            assert_eq!(parse_number(text), Ok(want), "{text}");
        }
        for text in [
            "", "1_", "_1", "1__0", "1._5", "0x", "e3", "1e", "1.2.3", "abc",
        ] {
            assert!(parse_number(text).is_err(), "{text}");
        }
    }

    #[test]
    fn unquote_forms() {
        assert_eq!(unquote("\"\\101\\x42\"").unwrap(), "AB");
        assert_eq!(unquote("'\\xc3\\xa9'").unwrap(), "é");
        assert_eq!(unquote("'a\"b'").unwrap(), "a\"b");
        assert_eq!(unquote("\"a\\'b\"").unwrap(), "a'b");
        assert!(unquote("\"a").is_err());
        assert!(unquote("\"a\nb\"").is_err());
        assert!(unquote("\"\\400\"").is_err());
        assert_eq!(unquote("\"\\U0001F600\"").unwrap(), "😀");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("\u{0}"), "\"\\x00\"");
        assert_eq!(quote("\u{2028}"), "\"\\u2028\"");
        assert_eq!(quote("tab\there"), "\"tab\\there\"");
    }
}
