//! Go's `fmt` as templates reach it: `print`, `println` and `printf` with the verbs, flags,
//! width and precision Prometheus templates use, and Go's `%!verb(type=value)` error forms.

use std::fmt::Write as _;

use crate::model::format_float_g;

use super::lex::go_quote;
use super::value::Value;

/// `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is a
/// string.
pub(crate) fn sprint(args: &[Value<'_>]) -> String {
    let mut out = String::new();
    let mut previous_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::Str(_) | Value::Html(_));
        if i > 0 && !is_string && !previous_string {
            out.push(' ');
        }
        arg.write_go(&mut out);
        previous_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands separated by spaces, then a newline.
pub(crate) fn sprintln(args: &[Value<'_>]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        arg.write_go(&mut out);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    sharp_v: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value<'_>]) -> String {
    let mut out = String::new();
    let bytes = format.as_bytes();
    let end = bytes.len();
    let mut arg_num = 0;
    let mut reordered = false;
    let mut i = 0;
    while i < end {
        let literal_start = i;
        while i < end && bytes[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[literal_start..i]);
        if i >= end {
            break;
        }
        i += 1;
        let mut flags = Flags::default();
        while i < end {
            match bytes[i] {
                b'+' => flags.plus = true,
                b'-' => {
                    flags.minus = true;
                    flags.zero = false;
                }
                b'#' => flags.sharp = true,
                b' ' => flags.space = true,
                b'0' => flags.zero = !flags.minus,
                _ => break,
            }
            i += 1;
        }
        let mut good_arg_num = true;
        let mut after_index;
        (arg_num, i, after_index) = arg_number(
            format,
            i,
            arg_num,
            args.len(),
            &mut reordered,
            &mut good_arg_num,
        );
        if i < end && bytes[i] == b'*' {
            i += 1;
            flags.width = star_arg(args, &mut arg_num, &mut flags, &mut out, true);
            after_index = false;
        } else {
            let (number, next) = parse_number(format, i);
            flags.width = number;
            i = next;
            if after_index && number.is_some() {
                good_arg_num = false;
            }
        }
        if i + 1 < end && bytes[i] == b'.' {
            i += 1;
            if after_index {
                good_arg_num = false;
            }
            (arg_num, i, after_index) = arg_number(
                format,
                i,
                arg_num,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
            if i < end && bytes[i] == b'*' {
                i += 1;
                flags.precision = star_arg(args, &mut arg_num, &mut flags, &mut out, false);
                after_index = false;
            } else {
                let (number, next) = parse_number(format, i);
                flags.precision = Some(number.unwrap_or(0));
                i = next;
            }
        }
        if !after_index {
            (arg_num, i, _) = arg_number(
                format,
                i,
                arg_num,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_arg_num {
            let _ = write!(out, "%!{verb}(BADINDEX)");
            continue;
        }
        if arg_num >= args.len() {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        }
        if verb == 'v' {
            // `%#v` is Go syntax and `%+v` adds field names; neither is a sign flag.
            flags.sharp_v = flags.sharp;
            flags.sharp = false;
            flags.plus = false;
        }
        format_arg(&mut out, &args[arg_num], verb, flags);
        arg_num += 1;
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[arg_num..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if matches!(arg, Value::Nil | Value::Missing) {
                out.push_str("<nil>");
            } else {
                out.push_str(arg.type_name());
                out.push('=');
                arg.write_go(&mut out);
            }
        }
        out.push(')');
    }
    out
}

/// Go's `parsenum`: digits at `i`, capped at 1e6 (which also bounds our output).
fn parse_number(format: &str, mut i: usize) -> (Option<usize>, usize) {
    let bytes = format.as_bytes();
    let mut number: Option<usize> = None;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        let digit = usize::from(bytes[i] - b'0');
        number = Some((number.unwrap_or(0) * 10 + digit).min(1_000_000));
        i += 1;
    }
    (number, i)
}

/// Go's `argNumber`: an explicit `[n]` argument index.
fn arg_number(
    format: &str,
    i: usize,
    arg_num: usize,
    num_args: usize,
    reordered: &mut bool,
    good_arg_num: &mut bool,
) -> (usize, usize, bool) {
    let bytes = format.as_bytes();
    if i >= bytes.len() || bytes[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let Some(close) = format[i + 1..].find(']') else {
        *good_arg_num = false;
        return (arg_num, i + 1, false);
    };
    let inner = &format[i + 1..i + 1 + close];
    let next = i + close + 2;
    match inner.parse::<usize>() {
        Ok(index)
            if index >= 1 && index <= num_args && inner.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (index - 1, next, true)
        }
        _ => {
            *good_arg_num = false;
            (arg_num, next, inner.bytes().all(|b| b.is_ascii_digit()))
        }
    }
}

/// A `*` width or precision: the next argument, which must be an int.
fn star_arg(
    args: &[Value<'_>],
    arg_num: &mut usize,
    flags: &mut Flags,
    out: &mut String,
    width: bool,
) -> Option<usize> {
    let value = match args.get(*arg_num) {
        Some(Value::Int(n)) if n.unsigned_abs() <= 1_000_000 => Some(*n),
        _ => None,
    };
    *arg_num += 1;
    match value {
        Some(n) if width => {
            if n < 0 {
                flags.minus = true;
                flags.zero = false;
            }
            Some(n.unsigned_abs() as usize)
        }
        Some(n) if n >= 0 => Some(n as usize),
        Some(_) => None,
        None => {
            out.push_str(if width { "%!(BADWIDTH)" } else { "%!(BADPREC)" });
            None
        }
    }
}

fn format_arg(out: &mut String, arg: &Value<'_>, verb: char, flags: Flags) {
    match arg {
        Value::Nil | Value::Missing => match verb {
            'v' | 'T' => pad(out, "<nil>", flags),
            _ => bad_verb(out, arg, verb),
        },
        _ if verb == 'T' => pad(out, arg.type_name(), flags),
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, flags),
            _ => bad_verb(out, arg, verb),
        },
        Value::Int(i) => format_int(out, arg, *i, verb, flags),
        Value::Float(f) => format_float(out, arg, *f, verb, flags),
        Value::Complex(re, im) => match verb {
            'v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F' => {
                out.push('(');
                format_float(out, arg, *re, verb, flags);
                // The imaginary part always has a sign.
                format_float(
                    out,
                    arg,
                    *im,
                    verb,
                    Flags {
                        plus: true,
                        ..flags
                    },
                );
                out.push_str("i)");
            }
            _ => bad_verb(out, arg, verb),
        },
        Value::Str(s) | Value::Html(s) => format_string(out, arg, s, verb, flags),
        // Stringers: `time.Time`, `time.Duration`.
        // `time.Duration` is an integer for the integer verbs.
        Value::Duration(nanos, false) if matches!(verb, 'd' | 'x' | 'X' | 'o' | 'b') => {
            format_int(out, arg, *nanos, verb, flags)
        }
        Value::Time(..) | Value::Duration(..) => match verb {
            'v' | 's' | 'x' | 'X' | 'q' => {
                let text = arg.to_go_string();
                format_string(out, arg, &text, verb, flags)
            }
            _ => bad_verb(out, arg, verb),
        },
        Value::Labels(_) | Value::StrMap(_) | Value::AnyMap(_) => {
            // Go formats each key and value with the verb.
            let entries: Vec<(Value<'_>, Value<'_>)> = match arg {
                Value::Labels(labels) => labels
                    .iter()
                    .map(|l| (Value::str(l.name()), Value::str(l.value())))
                    .collect(),
                Value::StrMap(map) => map
                    .iter()
                    .map(|(k, v)| (Value::str(k), Value::str(v)))
                    .collect(),
                Value::AnyMap(map) => map
                    .iter()
                    .map(|(k, v)| (Value::str(k), v.clone()))
                    .collect(),
                _ => Vec::new(),
            };
            out.push_str("map[");
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, key, verb, flags);
                out.push(':');
                format_arg(out, value, verb, flags);
            }
            out.push(']');
        }
        _ => match verb {
            'v' => pad(out, &arg.to_go_string(), flags),
            _ => bad_verb(out, arg, verb),
        },
    }
}

fn bad_verb(out: &mut String, arg: &Value<'_>, verb: char) {
    let _ = write!(out, "%!{verb}(");
    match arg {
        Value::Nil | Value::Missing => out.push_str("<nil>"),
        _ => {
            out.push_str(arg.type_name());
            out.push('=');
            arg.write_go(out);
        }
    }
    out.push(')');
}

/// Pads to the width with spaces (or zeros), on the left unless `-`.
fn pad(out: &mut String, text: &str, flags: Flags) {
    let width = flags.width.unwrap_or(0);
    let len = text.chars().count();
    if len >= width {
        out.push_str(text);
        return;
    }
    let fill = if flags.zero { '0' } else { ' ' };
    if flags.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', width - len));
    } else {
        out.extend(std::iter::repeat_n(fill, width - len));
        out.push_str(text);
    }
}

/// Pads a number whose first character may be a sign: zero padding goes after the sign.
fn pad_number(out: &mut String, text: &str, flags: Flags) {
    let width = flags.width.unwrap_or(0);
    if flags.zero && !flags.minus && text.len() < width {
        let (sign, digits) = match text.as_bytes().first() {
            Some(b'+' | b'-' | b' ') => text.split_at(1),
            _ => ("", text),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', width - text.len()));
        out.push_str(digits);
        return;
    }
    let no_zero = Flags {
        zero: false,
        ..flags
    };
    pad(out, text, no_zero);
}

fn format_int(out: &mut String, arg: &Value<'_>, value: i64, verb: char, flags: Flags) {
    let magnitude = value.unsigned_abs();
    let mut digits = match verb {
        'v' | 'd' => magnitude.to_string(),
        'b' => format!("{magnitude:b}"),
        'o' | 'O' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        'c' => {
            let c = char::from_u32(value as u32).unwrap_or('\u{fffd}');
            return pad(out, &c.to_string(), flags);
        }
        'q' => {
            let c = char::from_u32(value as u32).unwrap_or('\u{fffd}');
            return pad(out, &super::lex::go_quote_rune(c), flags);
        }
        'U' => {
            let text = format!("U+{magnitude:04X}");
            return pad(out, &text, flags);
        }
        _ => return bad_verb(out, arg, verb),
    };
    if let Some(precision) = flags.precision {
        if precision == 0 && value == 0 {
            digits.clear();
        }
        while digits.len() < precision {
            digits.insert(0, '0');
        }
    }
    let prefix = match (verb, flags.sharp) {
        ('x', true) => "0x",
        ('X', true) => "0X",
        ('o', true) if !digits.starts_with('0') => "0",
        ('O', _) => "0o",
        ('b', true) => "0b",
        _ => "",
    };
    let sign = if value < 0 {
        "-"
    } else if flags.plus {
        "+"
    } else if flags.space {
        " "
    } else {
        ""
    };
    let text = format!("{sign}{prefix}{digits}");
    if flags.precision.is_some() {
        // A precision turns zero padding off for integers.
        return pad(
            out,
            &text,
            Flags {
                zero: false,
                ..flags
            },
        );
    }
    pad_number(out, &text, flags)
}

fn format_float(out: &mut String, arg: &Value<'_>, value: f64, verb: char, flags: Flags) {
    let body = match verb {
        'v' => match flags.precision {
            None => format_float_g(value),
            Some(p) => format_g(value, p),
        },
        'g' | 'G' => match flags.precision {
            None => format_float_g(value),
            Some(p) => format_g(value, p),
        },
        'e' | 'E' => format_e(value, flags.precision.unwrap_or(6)),
        'f' | 'F' => format_f(value, flags.precision.unwrap_or(6)),
        // Shortest hexadecimal mantissa; a precision is not applied.
        'x' | 'X' if flags.precision.is_none() => format_hex_float(value),
        _ => return bad_verb(out, arg, verb),
    };
    let body = if matches!(verb, 'G' | 'E' | 'X') {
        body.to_uppercase()
            .replace("INF", "Inf")
            .replace("NAN", "NaN")
    } else {
        body
    };
    if value.is_nan() || value.is_infinite() {
        let mut text = if value.is_nan() {
            "NaN".to_string()
        } else if value > 0.0 {
            "+Inf".to_string()
        } else {
            "-Inf".to_string()
        };
        if value.is_nan() && (flags.plus || flags.space) {
            text.insert(0, if flags.plus { '+' } else { ' ' });
        } else if flags.space && !flags.plus && value > 0.0 {
            text.replace_range(0..1, " ");
        }
        return pad(
            out,
            &text,
            Flags {
                zero: false,
                ..flags
            },
        );
    }
    let text = if body.starts_with('-') {
        body
    } else if flags.plus {
        format!("+{body}")
    } else if flags.space {
        format!(" {body}")
    } else {
        body
    };
    pad_number(out, &text, flags)
}

/// Go's `%x` of a float: `0x1.cp+01` (shortest mantissa, at least two exponent digits).
fn format_hex_float(value: f64) -> String {
    if !value.is_finite() {
        return format_float_g(value);
    }
    let bits = value.to_bits();
    let negative = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut exp = if biased == 0 {
        // Subnormal.
        1 - 1023
    } else {
        mant |= 1u64 << 52;
        biased - 1023
    };
    if mant == 0 {
        exp = 0;
    }
    // Put the leading 1 at bit 60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    let mut out = String::from(if negative { "-0x" } else { "0x" });
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    if mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(char::from(
                b"0123456789abcdef"[((mant >> 60) & 15) as usize],
            ));
            mant <<= 4;
        }
    }
    let sign = if exp < 0 { '-' } else { '+' };
    let _ = write!(out, "p{sign}{:02}", exp.abs());
    out
}

/// Go's `%.<p>f`.
pub(crate) fn format_f(value: f64, precision: usize) -> String {
    if !value.is_finite() {
        return format_float_g(value);
    }
    format!("{value:.precision$}")
}

/// Go's `%.<p>e`: `d.ddde±XX`.
pub(crate) fn format_e(value: f64, precision: usize) -> String {
    if !value.is_finite() {
        return format_float_g(value);
    }
    let text = format!("{value:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// Go's `%.<p>g`: `p` significant digits (at least 1), trailing zeros dropped, exponent form
/// when the exponent is below -4 or at least the precision.
pub(crate) fn format_g(value: f64, precision: usize) -> String {
    if !value.is_finite() {
        return format_float_g(value);
    }
    let precision = precision.max(1);
    let text = format!("{:.*e}", precision - 1, value);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i32;
    let dp = if value == 0.0 { 1 } else { exponent + 1 };
    let mut eprec = precision as i32;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let sign = if negative { "-" } else { "" };
    let exp = dp - 1;
    if exp < -4 || exp >= eprec {
        let mut out = format!("{sign}{}", &digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{esign}{:02}", exp.abs());
        return out;
    }
    // Plain notation with the significant digits we have.
    let mut out = String::from(sign);
    if dp <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-dp) as usize));
        out.push_str(digits);
    } else if dp >= nd {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (dp - nd) as usize));
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

fn format_string(out: &mut String, arg: &Value<'_>, text: &str, verb: char, flags: Flags) {
    let text = match flags.precision {
        Some(p) => match text.char_indices().nth(p) {
            Some((cut, _)) => &text[..cut],
            None => text,
        },
        None => text,
    };
    match verb {
        'v' if flags.sharp_v => pad(out, &go_quote(text), flags),
        'v' | 's' => pad(out, text, flags),
        'q' => {
            if flags.sharp && !text.contains('`') {
                pad(out, &format!("`{text}`"), flags)
            } else {
                pad(out, &go_quote(text), flags)
            }
        }
        'x' | 'X' => {
            let mut hex = String::new();
            for (i, b) in text.bytes().enumerate() {
                if flags.space && i > 0 {
                    hex.push(' ');
                }
                if verb == 'x' {
                    let _ = write!(hex, "{b:02x}");
                } else {
                    let _ = write!(hex, "{b:02X}");
                }
            }
            pad(out, &hex, flags)
        }
        _ => bad_verb(out, arg, verb),
    }
}
