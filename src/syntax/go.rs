//! Pieces of Prometheus's Go lexer (`promql/parser/lex.go`) and of Go's `fmt` that PromQL's
//! lexer and the series notation's lexer share: character classes, the number scanner, and
//! how tokens and runes are quoted in error messages. One copy, so the two cannot drift.

use super::lex::{is_go_printable, quote};

/// `lex.go`'s `isAlpha`: ASCII letters and `_`.
pub(crate) fn is_alpha(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

/// `lex.go`'s `isAlphaNumeric`: ASCII letters, digits and `_`.
pub(crate) fn is_alnum(c: char) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

/// [`is_alnum`] for a byte.
pub(crate) fn is_alnum_byte(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// A token value as `Item.String()` prints it: Go's `%q`, or `%.10q...` when the value is
/// longer than 10 bytes. Go tests the length in bytes and truncates to 10 characters, so
/// `"ééééé"` (12 bytes, 7 characters) is quoted whole and followed by `...`.
pub(crate) fn quote_token(text: &str) -> String {
    if text.len() <= 10 {
        return quote(text);
    }
    match text.char_indices().nth(10) {
        Some((cut, _)) => format!("{}...", quote(&text[..cut])),
        None => format!("{}...", quote(text)),
    }
}

/// Go's `%q` of a rune: `'a'`, `'\n'`, `'\''`.
pub(crate) fn quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        _ => {
            let quoted = quote(c.encode_utf8(&mut [0; 4]));
            format!("'{}'", &quoted[1..quoted.len() - 1])
        }
    }
}

/// Go's `%#U` of a rune: `U+0063 'c'`, with the character only when it is printable.
pub(crate) fn unicode(c: char) -> String {
    match is_go_printable(c) {
        true => format!("U+{:04X} '{c}'", c as u32),
        false => format!("U+{:04X}", c as u32),
    }
}

/// `lex.go`'s `scanNumber` from byte `start` of `b`: `Ok(end)` for a number in
/// `b[start..end]`, or `Err(end)` with the bytes read before it failed (Prometheus quotes them
/// in "bad number or duration syntax").
///
/// In a series description (`series_desc`) hexadecimal is off (`0x5` is 0 repeated 5 times)
/// and the number may run into the `x` of a repetition, as in Prometheus.
pub(crate) fn scan_number(b: &[u8], start: usize, series_desc: bool) -> Result<usize, usize> {
    const DECIMAL: &[u8] = b"0123456789";
    const HEX: &[u8] = b"0123456789abcdefABCDEF";
    let peek = |pos: usize| b.get(pos).copied();
    let accept = |pos: &mut usize, set: &[u8]| match b.get(*pos) {
        Some(c) if set.contains(c) => {
            *pos += 1;
            true
        }
        _ => false,
    };
    let mut pos = start;
    let mut digits = DECIMAL;
    if !series_desc && accept(&mut pos, b"0") && accept(&mut pos, b"xX") {
        accept(&mut pos, b"_");
        digits = HEX;
    }
    let is_digit = |c: u8| digits.contains(&c);
    accept(&mut pos, b".");
    accept(&mut pos, digits);
    let (mut dot, mut exponent) = (false, false);
    while let Some(c) = peek(pos) {
        if !(is_digit(c) || matches!(c, b'.' | b'_' | b'e' | b'E')) {
            break;
        }
        if (c == b'.' && dot) || (matches!(c, b'e' | b'E') && exponent) {
            return Err(pos + 1);
        }
        if accept(&mut pos, b".") {
            dot = true;
            if accept(&mut pos, b"_.") || digits == HEX {
                return Err(pos);
            }
            continue;
        }
        if accept(&mut pos, b"eE") {
            exponent = true;
            accept(&mut pos, b"+-");
            if accept(&mut pos, b"._eE") || peek(pos).is_none() {
                return Err(pos);
            }
            continue;
        }
        if accept(&mut pos, b"_") {
            if accept(&mut pos, b"._eE") || peek(pos).is_none() {
                return Err(pos);
            }
            continue;
        }
        while peek(pos).is_some_and(is_digit) {
            pos += 1;
        }
    }
    if pos == start {
        return Err(pos);
    }
    match peek(pos) {
        Some(b'x') if series_desc => Ok(pos),
        Some(c) if is_alnum_byte(c) => Err(pos),
        _ => Ok(pos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, series_desc: bool) -> Result<&str, &str> {
        scan_number(text.as_bytes(), 0, series_desc)
            .map(|end| &text[..end])
            .map_err(|end| &text[..end])
    }

    #[test]
    fn numbers_scan_like_prometheus() {
        for (text, want) in [
            ("1", Ok("1")),
            ("1.5e3", Ok("1.5e3")),
            (".5", Ok(".5")),
            ("0x1f", Ok("0x1f")),
            ("0x1.f", Err("0x1.")),
            ("1_000", Ok("1_000")),
            ("2.5.", Err("2.5.")),
            ("0deadbeef", Err("0")),
            ("1e", Err("1e")),
            ("5m", Err("5")),
            ("1x3", Err("1")),
        ] {
            assert_eq!(scan(text, false), want, "{text}");
        }
    }

    #[test]
    fn series_descriptions_have_no_hex_and_allow_repetitions() {
        assert_eq!(scan("0x10", true), Ok("0"));
        assert_eq!(scan("1x3", true), Ok("1"));
        assert_eq!(scan("1ex2", true), Ok("1e"));
        assert_eq!(scan("1a", true), Err("1"));
    }

    #[test]
    fn long_tokens_are_cut_by_characters_after_a_byte_count() {
        assert_eq!(quote_token("short"), r#""short""#);
        assert_eq!(quote_token(r#""ééééé""#), r#""\"ééééé\""..."#);
        assert_eq!(quote_token("abcdefghijkl"), r#""abcdefghij"..."#);
    }

    #[test]
    fn runes_quote_like_go() {
        assert_eq!(quote_rune('.'), "'.'");
        assert_eq!(quote_rune('\''), "'\\''");
        assert_eq!(quote_rune('\n'), "'\\n'");
        assert_eq!(unicode('c'), "U+0063 'c'");
        assert_eq!(unicode('\n'), "U+000A");
    }
}
