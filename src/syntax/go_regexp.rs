//! Go's regular expression syntax (`regexp/syntax`, RE2) translated to the syntax of Rust's
//! `regex` crate, so that every regex a user writes (label matchers, `label_replace`, the
//! template functions `match` and `reReplaceAll`) means what it means in Prometheus.
//!
//! The two engines share most of their syntax, but not all of it:
//! - `\d`, `\w`, `\s` (and `\D`, `\W`, `\S`, `\b`) are ASCII in Go, Unicode in Rust;
//! - Go reads a `{` that does not start a valid repetition as a literal (`a{,3}`, `" {.*}$"`,
//!   `x{01}`), Rust rejects it;
//! - Go has `\Q...\E` quoting and octal escapes (`\141`), and `\<`, `\>` are literals;
//! - inside a class, `&&`, `--` and `~~` are plain characters in Go, set operations in Rust,
//!   and `[` is a literal;
//! - Go rejects what Rust accepts: a repetition of a repetition (`x**`, `a{2}{3}`), repeat
//!   counts over 1000, and (before Go 1.22, as in Prometheus 2.42) `(?<name>...)`.
//!
//! [`translate`] parses the Go syntax as `regexp/syntax`'s parser does, rejects what it rejects
//! with its error code and the offending text, and writes an equivalent Rust pattern.

use std::fmt;

/// A regex Go's parser rejects: `error parsing regexp: <code>: `<expr>``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoRegexpError {
    /// Go's error code text (`invalid nested repetition operator`).
    pub code: &'static str,
    /// The offending part of the pattern, as Go reports it.
    pub expr: String,
}

impl fmt::Display for GoRegexpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const UNEXPECTED_PAREN: &str = "unexpected )";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_CHAR_RANGE: &str = "invalid character class range";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";

/// Which Go the syntax is that of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoVersion {
    /// Go 1.19, which built Prometheus 2.42: no `(?<name>...)`.
    Go119,
    /// Go 1.22 and later (Prometheus 3): `(?<name>...)` is a named group.
    Go122,
}

/// Go's ASCII Perl classes, as Rust class items.
const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\x0C\r ";

fn err(code: &'static str, expr: &str) -> GoRegexpError {
    GoRegexpError {
        code,
        expr: expr.to_string(),
    }
}

/// A literal character in Rust syntax, outside or inside a class: ASCII punctuation and
/// whitespace escaped by code point, everything else as itself.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii() && !c.is_ascii_alphanumeric() {
        out.push_str(&format!(r"\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// Translates a Go regular expression to an equivalent Rust `regex` pattern.
///
/// ```ignore
/// assert_eq!(translate(r"\d", GoVersion::Go122).unwrap(), "[0-9]");
/// assert_eq!(translate("x**", GoVersion::Go122).unwrap_err().to_string(),
///     "error parsing regexp: invalid nested repetition operator: `**`");
/// ```
pub(crate) fn translate(pattern: &str, version: GoVersion) -> Result<String, GoRegexpError> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    // Open groups; whether the item before is something a repetition may apply to; where the
    // previous item started when it was a repetition operator.
    let mut depth = 0usize;
    let mut operand = false;
    let mut last_repeat: Option<usize> = None;
    while i < pattern.len() {
        let rest = &pattern[i..];
        let c = rest.chars().next().unwrap_or_default();
        let mut repeat = None;
        match c {
            '(' => {
                if rest.starts_with("(?") {
                    let (end, text) = perl_group(pattern, i, version)?;
                    if text.ends_with(')') {
                        // A flag change: it applies to what follows, and repeats nothing.
                        out.push_str(if text == "(?)" { "" } else { text });
                    } else {
                        out.push_str(text);
                        depth += 1;
                        operand = false;
                    }
                    i = end;
                } else {
                    out.push('(');
                    depth += 1;
                    operand = false;
                    i += 1;
                }
            }
            ')' => {
                if depth == 0 {
                    return Err(err(UNEXPECTED_PAREN, pattern));
                }
                depth -= 1;
                out.push(')');
                operand = true;
                i += 1;
            }
            '|' => {
                out.push('|');
                operand = false;
                i += 1;
            }
            '^' | '$' | '.' => {
                out.push(c);
                operand = true;
                i += 1;
            }
            '[' => {
                i = class(pattern, i, &mut out)?;
                operand = true;
            }
            '*' | '+' | '?' | '{' => {
                let end = if c == '{' {
                    match parse_repeat(rest) {
                        None => {
                            // Not a repetition: a literal `{`.
                            push_literal(&mut out, '{');
                            operand = true;
                            last_repeat = None;
                            i += 1;
                            continue;
                        }
                        Some((min, max, len)) => {
                            let bad =
                                !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max);
                            if bad {
                                return Err(err(INVALID_REPEAT_SIZE, &rest[..len]));
                            }
                            i + len
                        }
                    }
                } else {
                    i + 1
                };
                let end = if pattern[end..].starts_with('?') {
                    end + 1
                } else {
                    end
                };
                if let Some(start) = last_repeat {
                    return Err(err(INVALID_REPEAT_OP, &pattern[start..end]));
                }
                if !operand {
                    return Err(err(MISSING_REPEAT_ARGUMENT, &pattern[i..end]));
                }
                out.push_str(&pattern[i..end]);
                repeat = Some(i);
                i = end;
            }
            '\\' => {
                let before = out.len();
                i = escape(pattern, i, &mut out)?;
                // An empty `\Q\E` adds nothing to repeat.
                operand |= out.len() > before;
            }
            _ => {
                push_literal(&mut out, c);
                operand = true;
                i += c.len_utf8();
            }
        }
        last_repeat = repeat;
    }
    if depth > 0 {
        return Err(err(MISSING_PAREN, pattern));
    }
    Ok(out)
}

/// `(?flags)`, `(?flags:`, `(?P<name>` (and `(?<name>` from Go 1.22) at `start`: the end of
/// the group's opening and its Rust text.
fn perl_group(
    pattern: &str,
    start: usize,
    version: GoVersion,
) -> Result<(usize, &str), GoRegexpError> {
    let t = &pattern[start..];
    let named = if t.len() > 4 && t.starts_with("(?P<") {
        Some(4)
    } else if version == GoVersion::Go122 && t.len() > 3 && t.starts_with("(?<") {
        Some(3)
    } else {
        None
    };
    if let Some(name_start) = named {
        let Some(end) = t.find('>') else {
            return Err(err(INVALID_NAMED_CAPTURE, t));
        };
        let name = &t[name_start..end];
        if name.is_empty() || !name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()) {
            return Err(err(INVALID_NAMED_CAPTURE, &t[..=end]));
        }
        return Ok((start + end + 1, &t[..=end]));
    }
    let mut negated = false;
    let mut saw_flag = false;
    let mut chars = t.char_indices().skip(2);
    for (j, c) in chars.by_ref() {
        match c {
            'i' | 'm' | 's' | 'U' => saw_flag = true,
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => return Ok((start + j + 1, &t[..=j])),
            _ => return Err(err(INVALID_PERL_OP, &t[..j + c.len_utf8()])),
        }
    }
    Err(err(INVALID_PERL_OP, t))
}

/// Go's `parseRepeat` on text starting with `{`: `(min, max, length)`, max -1 for `{n,}`;
/// `None` when the text is not a repetition (then `{` is a literal). Numbers too big to
/// count give -1 (an invalid repeat count).
fn parse_repeat(text: &str) -> Option<(i64, i64, usize)> {
    let b = text.as_bytes();
    let mut i = 1;
    let (min, len) = parse_int(&b[i..])?;
    i += len;
    let max = match b.get(i)? {
        b',' => {
            i += 1;
            if *b.get(i)? == b'}' {
                -1
            } else {
                let (max, len) = parse_int(&b[i..])?;
                i += len;
                max
            }
        }
        _ => min,
    };
    let min = if max < -1 { -1 } else { min };
    (*b.get(i)? == b'}').then_some((min, if max < -1 { -1 } else { max }, i + 1))
}

/// Go's `parseInt`: digits without a leading zero; -2 stands for a number too big to count
/// (Go's -1, told apart from "no maximum").
fn parse_int(b: &[u8]) -> Option<(i64, usize)> {
    let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || (len >= 2 && b[0] == b'0') {
        return None;
    }
    let mut n: i64 = 0;
    for &d in &b[..len] {
        if n >= 100_000_000 {
            return Some((-2, len));
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some((n, len))
}

/// A backslash sequence outside a class at `start`; returns where it ends.
fn escape(pattern: &str, start: usize, out: &mut String) -> Result<usize, GoRegexpError> {
    let t = &pattern[start..];
    let Some(c) = t[1..].chars().next() else {
        return Err(err(TRAILING_BACKSLASH, ""));
    };
    match c {
        'A' => out.push_str(r"\A"),
        'z' => out.push_str(r"\z"),
        'b' => out.push_str(r"(?-u:\b)"),
        // Rust has no ASCII `\B` for text; Unicode's differs only next to non-ASCII letters.
        'B' => out.push_str(r"\B"),
        'C' => return Err(err(INVALID_ESCAPE, &t[..2])),
        'Q' => {
            let body = &t[2..];
            let (literal, after) = match body.find(r"\E") {
                Some(end) => (&body[..end], start + 2 + end + 2),
                None => (body, pattern.len()),
            };
            // Each character on its own, so that a repetition after `\E` applies to the last.
            for c in literal.chars() {
                push_literal(out, c);
            }
            return Ok(after);
        }
        'p' | 'P' => return unicode_class(pattern, start, out),
        'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
            let (set, negated) = perl_class(c);
            out.push_str(if negated { "[^" } else { "[" });
            out.push_str(set);
            out.push(']');
        }
        _ => {
            let (literal, end) = single_escape(pattern, start)?;
            push_literal(out, literal);
            return Ok(end);
        }
    }
    Ok(start + 2)
}

/// `\d`, `\w`, `\s` (lowercase) and their negations: the ASCII set and whether it is negated.
fn perl_class(c: char) -> (&'static str, bool) {
    let set = match c.to_ascii_lowercase() {
        'd' => DIGIT,
        'w' => WORD,
        _ => SPACE,
    };
    (set, c.is_ascii_uppercase())
}

/// `\pL`, `\p{Greek}`, `\P{...}`, `\p{^...}` at `start`, kept as they are (Rust knows the
/// same names); returns where it ends.
fn unicode_class(pattern: &str, start: usize, out: &mut String) -> Result<usize, GoRegexpError> {
    let t = &pattern[start..];
    let Some(c) = t[2..].chars().next() else {
        return Err(err(INVALID_CHAR_RANGE, t));
    };
    let end = if c == '{' {
        match t.find('}') {
            Some(close) => close + 1,
            None => return Err(err(INVALID_CHAR_RANGE, t)),
        }
    } else {
        2 + c.len_utf8()
    };
    let text = &t[..end];
    let name = text[2..].trim_start_matches('{').trim_end_matches('}');
    // `\p{^Greek}` is `\P{Greek}` and `\P{^Greek}` is `\p{Greek}`.
    let (name, flip) = match name.strip_prefix('^') {
        Some(name) => (name, true),
        None => (name, false),
    };
    if name != "Any" && regex::Regex::new(&format!(r"\p{{{name}}}")).is_err() {
        return Err(err(INVALID_CHAR_RANGE, text));
    }
    let negated = text.starts_with("\\P") != flip;
    out.push_str(if negated { "\\P{" } else { "\\p{" });
    out.push_str(name);
    out.push('}');
    Ok(start + end)
}

/// Go's `parseEscape`: the character an escape stands for, and where the escape ends.
fn single_escape(pattern: &str, start: usize) -> Result<(char, usize), GoRegexpError> {
    let t = &pattern[start..];
    let mut chars = t[1..].char_indices().map(|(j, c)| (j + 1, c));
    let Some((_, c)) = chars.next() else {
        return Err(err(TRAILING_BACKSLASH, ""));
    };
    let after_c = 1 + c.len_utf8();
    let invalid = |end: usize| err(INVALID_ESCAPE, &t[..end.min(t.len())]);
    let octal = |b: Option<&u8>| b.is_some_and(|b| (b'0'..=b'7').contains(b));
    let bytes = t.as_bytes();
    match c {
        '1'..='7' | '0' => {
            // A single non-zero digit would be a backreference, which Go does not support.
            if c != '0' && !octal(bytes.get(2)) {
                return Err(invalid(after_c));
            }
            let mut value = c as u32 - '0' as u32;
            let mut end = 2;
            while end < 4 && octal(bytes.get(end)) {
                value = value * 8 + u32::from(bytes[end] - b'0');
                end += 1;
            }
            Ok((char::from_u32(value).unwrap_or('\0'), start + end))
        }
        'x' => {
            let Some((_, first)) = chars.next() else {
                return Err(invalid(after_c));
            };
            if first == '{' {
                let body_start = 3;
                let Some(close) = t[body_start..].find('}') else {
                    return Err(invalid(t.len()));
                };
                let digits = &t[body_start..body_start + close];
                let value = u32::from_str_radix(digits, 16).ok();
                let ok = !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_hexdigit())
                    && value.is_some_and(|v| v <= 0x10FFFF);
                return match value.and_then(char::from_u32) {
                    Some(ch) if ok => Ok((ch, start + body_start + close + 1)),
                    _ => Err(invalid(body_start + close + 1)),
                };
            }
            let Some((_, second)) = chars.next() else {
                return Err(invalid(t.len()));
            };
            match (first.to_digit(16), second.to_digit(16)) {
                (Some(x), Some(y)) => Ok((
                    char::from_u32(x * 16 + y).unwrap_or('\0'),
                    start + 2 + first.len_utf8() + second.len_utf8(),
                )),
                _ => Err(invalid(2 + first.len_utf8() + second.len_utf8())),
            }
        }
        'a' => Ok(('\x07', start + 2)),
        'f' => Ok(('\x0C', start + 2)),
        'n' => Ok(('\n', start + 2)),
        'r' => Ok(('\r', start + 2)),
        't' => Ok(('\t', start + 2)),
        'v' => Ok(('\x0B', start + 2)),
        // Escaped ASCII punctuation is always itself.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, start + 2)),
        _ => Err(invalid(after_c)),
    }
}

/// A character class `[...]` at `start`, as Go's `parseClass` reads it; returns where it ends.
fn class(pattern: &str, start: usize, out: &mut String) -> Result<usize, GoRegexpError> {
    let whole = &pattern[start..];
    let missing = || err(MISSING_BRACKET, whole);
    let mut i = start + 1;
    let mut body = String::new();
    let negated = pattern[i..].starts_with('^');
    if negated {
        i += 1;
    }
    let mut first = true;
    loop {
        let t = &pattern[i..];
        if t.is_empty() {
            return Err(missing());
        }
        if t.starts_with(']') && !first {
            i += 1;
            break;
        }
        first = false;
        // POSIX classes: `[:alpha:]`, `[:^alpha:]`; a `[` that starts none is a literal.
        if t.len() > 2
            && t.starts_with("[:")
            && let Some(close) = t[2..].find(":]")
        {
            let name = &t[2..2 + close];
            let text = &t[..close + 4];
            if !POSIX_CLASSES.contains(&name.strip_prefix('^').unwrap_or(name)) {
                return Err(err(INVALID_CHAR_RANGE, text));
            }
            body.push_str(text);
            i += text.len();
            continue;
        }
        if t.starts_with("\\p") || t.starts_with("\\P") {
            i = unicode_class(pattern, i, &mut body)?;
            continue;
        }
        if let Some(c) = t.strip_prefix('\\').and_then(|r| r.chars().next())
            && matches!(c, 'd' | 'D' | 'w' | 'W' | 's' | 'S')
        {
            let (set, negated) = perl_class(c);
            if negated {
                body.push_str("[^");
                body.push_str(set);
                body.push(']');
            } else {
                body.push_str(set);
            }
            i += 2;
            continue;
        }
        let range_start = i;
        let (lo, next) = class_char(pattern, i, whole)?;
        i = next;
        let mut hi = lo;
        let t = &pattern[i..];
        if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
            let (h, next) = class_char(pattern, i + 1, whole)?;
            i = next;
            hi = h;
            if hi < lo {
                return Err(err(INVALID_CHAR_RANGE, &pattern[range_start..i]));
            }
        }
        push_literal(&mut body, lo);
        if hi != lo {
            body.push('-');
            push_literal(&mut body, hi);
        }
    }
    out.push('[');
    if negated {
        out.push('^');
    }
    out.push_str(&body);
    out.push(']');
    Ok(i)
}

const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// One character of a class (`parseClassChar`): a plain character or an escape.
fn class_char(pattern: &str, i: usize, whole: &str) -> Result<(char, usize), GoRegexpError> {
    let t = &pattern[i..];
    match t.chars().next() {
        None => Err(err(MISSING_BRACKET, whole)),
        Some('\\') => single_escape(pattern, i),
        Some(c) => Ok((c, i + c.len_utf8())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(pattern: &str) -> Result<regex::Regex, String> {
        let rust = translate(pattern, GoVersion::Go119).map_err(|e| e.to_string())?;
        regex::Regex::new(&format!("^(?:{rust})$")).map_err(|e| format!("{rust}: {e}"))
    }

    fn error(pattern: &str) -> String {
        go(pattern).unwrap_err()
    }

    #[test]
    fn perl_classes_are_ascii() {
        let digit = go(r"\d+").unwrap();
        assert!(digit.is_match("123"));
        assert!(
            !digit.is_match("١٢٣"),
            "Arabic-Indic digits are not \\d in Go"
        );
        assert!(!go(r"\w").unwrap().is_match("é"));
        assert!(go(r"\W").unwrap().is_match("é"));
        assert!(!go(r"\s").unwrap().is_match("\u{a0}"));
        assert!(go(r"[\d\s]+").unwrap().is_match("1 2"));
        assert!(!go(r"[\w]").unwrap().is_match("é"));
        assert!(go(r"[^\d]").unwrap().is_match("é"));
        assert!(go(r"[\D]").unwrap().is_match("a"));
        assert!(go(r"a\b").unwrap().is_match("a"));
        assert!(
            go(r".*a\b.*").unwrap().is_match("aé"),
            "é is not a word character in Go"
        );
        assert!(go(r"\p{^Greek}\P{^Greek}").unwrap().is_match("aα"));
        assert!(go(r"\Qab\E*").unwrap().is_match("abbb"));
    }

    #[test]
    fn literal_braces_quotes_and_octal() {
        assert!(go(r"\Qa.b\E").unwrap().is_match("a.b"));
        assert!(!go(r"\Qa.b\E").unwrap().is_match("axb"));
        assert!(go(r"\Q*+").unwrap().is_match("*+"));
        assert!(go(r"\141").unwrap().is_match("a"));
        assert!(go("a{,3}").unwrap().is_match("a{,3}"));
        assert!(go(".* {.*}").unwrap().is_match("Peering: x {#cableid}"));
        assert!(go("x{01}").unwrap().is_match("x{01}"));
        assert!(go("a{2}").unwrap().is_match("aa"));
        assert!(go("a{2,}?").unwrap().is_match("aaa"));
        assert!(go(r"\<\>").unwrap().is_match("<>"));
        assert!(go("[a&&b]+").unwrap().is_match("&a"));
        assert!(go("[[]").unwrap().is_match("["));
        assert!(go("[]a]+").unwrap().is_match("]a"));
        assert!(go("[a-]+").unwrap().is_match("-a"));
        assert!(go("[[:alpha:]]+").unwrap().is_match("ab"));
        assert!(go(r"\pL\p{Greek}").unwrap().is_match("aα"));
        assert!(go("(?i)A(?:b)(?P<n>c)(?)").unwrap().is_match("abC"));
        assert!(go(r"\x41\x{42}").unwrap().is_match("AB"));
    }

    #[test]
    fn what_go_rejects() {
        let cases = [
            ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
            ("x**", "invalid nested repetition operator: `**`"),
            ("x+?*", "invalid nested repetition operator: `+?*`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a{2,1}", "invalid repeat count: `{2,1}`"),
            ("(?<n>a)", "invalid or unsupported Perl syntax: `(?<`"),
            ("(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?P<>a)", "invalid named capture: `(?P<>`"),
            ("*a", "missing argument to repetition operator: `*`"),
            ("(+)", "missing argument to repetition operator: `+`"),
            ("a(", "missing closing ): `a(`"),
            ("a)", "unexpected ): `a)`"),
            ("a[bc", "missing closing ]: `[bc`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            (r"\1", r"invalid escape sequence: `\1`"),
            (r"\q", r"invalid escape sequence: `\q`"),
            (r"\C", r"invalid escape sequence: `\C`"),
            (r"[\b]", r"invalid escape sequence: `\b`"),
            ("a\\", "trailing backslash at end of expression: ``"),
            (r"\p{Foo}", r"invalid character class range: `\p{Foo}`"),
        ];
        for (pattern, want) in cases {
            assert_eq!(
                error(pattern),
                format!("error parsing regexp: {want}"),
                "{pattern}"
            );
        }
        assert!(translate("(?<n>a)", GoVersion::Go122).is_ok());
    }
}
