//! Float formatting as Go's `strconv.FormatFloat` does it, so output matches Prometheus byte for
//! byte.

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest decimal that round-trips, never in
/// exponent form; `+Inf`, `-Inf`, `NaN` for the special values. Prometheus uses it in its HTTP
/// API, in `count_values` labels and when printing number literals.
///
/// ```
/// use promgate::model::format_float;
/// assert_eq!(format_float(1.0), "1");
/// assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(format_float(1e21), "1000000000000000000000");
/// assert_eq!(format_float(f64::INFINITY), "+Inf");
/// assert_eq!(format_float(-0.0), "-0");
/// ```
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let d = Shortest::of(f);
    let mut out = String::from(if d.negative { "-" } else { "" });
    if d.digits.is_empty() {
        out.push('0');
        return out;
    }
    let n = d.digits.len() as i32;
    let dp = d.exponent + 1;
    if dp <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-dp) as usize));
        out.push_str(&d.digits);
    } else if dp >= n {
        out.push_str(&d.digits);
        out.extend(std::iter::repeat_n('0', (dp - n) as usize));
    } else {
        out.push_str(&d.digits[..dp as usize]);
        out.push('.');
        out.push_str(&d.digits[dp as usize..]);
    }
    out
}

/// The shortest decimal digits that read back as a float, as Go's `strconv` (Ryū since Go 1.17)
/// chooses them: the closest such digits, an exact tie rounded to even. (Rust's own formatting
/// breaks ties the other way, so `803975639385933.2` would print as `...933.3`, not Go's
/// `...933.2`.)
struct Shortest {
    negative: bool,
    /// No leading or trailing zeros; empty for zero.
    digits: String,
    /// The value is `d.ddd × 10^exponent`.
    exponent: i32,
}

impl Shortest {
    fn of(f: f64) -> Shortest {
        let mut buffer = ryu::Buffer::new();
        let text = buffer.format_finite(f);
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let int_len = mantissa.find('.').unwrap_or(mantissa.len()) as i32;
        let all: String = mantissa.chars().filter(|c| *c != '.').collect();
        let trimmed = all.trim_start_matches('0');
        let point = int_len - (all.len() - trimmed.len()) as i32;
        let digits = trimmed.trim_end_matches('0').to_string();
        Shortest {
            negative,
            exponent: point + exp - 1,
            digits,
        }
    }

    /// `d.ddd` (or `d`).
    fn mantissa(&self) -> String {
        let digits = if self.digits.is_empty() {
            "0"
        } else {
            &self.digits
        };
        let mut out = String::from(if self.negative { "-" } else { "" });
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out
    }

    fn exponent(&self) -> i32 {
        if self.digits.is_empty() {
            0
        } else {
            self.exponent
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'E', -1, 64)`: shortest round-trip digits as `d.dddE±XX` (at
/// least two exponent digits), as promtool prints expected and actual samples.
///
/// ```
/// use promgate::model::format_float_e;
/// assert_eq!(format_float_e(1.0), "1E+00");
/// assert_eq!(format_float_e(1.5e-3), "1.5E-03");
/// assert_eq!(format_float_e(1234567891.0), "1.234567891E+09");
/// assert_eq!(format_float_e(-0.0), "-0E+00");
/// assert_eq!(format_float_e(f64::NAN), "NaN");
/// ```
pub fn format_float_e(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let d = Shortest::of(f);
    let exponent = d.exponent();
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{}E{sign}{:02}", d.mantissa(), exponent.abs())
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (and `%v` for floats): exponent form when the
/// decimal exponent is below -4 or at least 6, plain decimal otherwise.
///
/// ```
/// use promgate::model::format_float_g;
/// assert_eq!(format_float_g(1.0), "1");
/// assert_eq!(format_float_g(1e21), "1e+21");
/// assert_eq!(format_float_g(123456.0), "123456");
/// assert_eq!(format_float_g(123456789.0), "1.23456789e+08");
/// assert_eq!(format_float_g(0.0001), "0.0001");
/// assert_eq!(format_float_g(0.00001), "1e-05");
/// ```
pub fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let d = Shortest::of(f);
    let (mantissa, exponent) = (d.mantissa(), d.exponent());
    // With the shortest precision Go decides on precision 6: %e form when the exponent is
    // below -4 or at least 6.
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    format_float(f)
}

/// Go's `%.<precision>g`.
pub(crate) fn format_float_g_precision(f: f64, precision: usize) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let p = precision.max(1);
    // Round to `p` significant digits first, then pick the form from the rounded exponent.
    let text = format!("{:.*e}", p - 1, f);
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (text.clone(), 0),
    };
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exponent < -4 || exponent >= p as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(&mantissa), exponent.abs());
    }
    let decimals = (p as i32 - 1 - exponent).max(0) as usize;
    trim(&format!("{:.*}", decimals, f))
}

/// Go's `%f`: six decimals, `+Inf`, `-Inf`, `NaN`.
pub(crate) fn format_float_f6(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    format!("{value:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_precision_g_format() {
        for (f, want) in [
            (0.5, "0.5"),
            (1.5e-5, "1.5e-05"),
            (100.0, "1e+02"),
            (12.0, "12"),
            (0.123456, "0.12"),
            (99.9, "1e+02"),
            (0.0001234, "0.00012"),
        ] {
            assert_eq!(format_float_g_precision(f, 2), want, "{f}");
        }
    }

    #[test]
    fn f6_format_matches_go() {
        assert_eq!(format_float_f6(2.5), "2.500000");
        assert_eq!(format_float_f6(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn e_format_matches_go() {
        for (f, want) in [
            (0.5, "5E-01"),
            (2.0, "2E+00"),
            (0.0, "0E+00"),
            (10.0, "1E+01"),
            (420.0, "4.2E+02"),
            (0.30000000000000004, "3.0000000000000004E-01"),
            (0.7999999999999999, "7.999999999999999E-01"),
            (1000.0, "1E+03"),
            (1e100, "1E+100"),
            (f64::NEG_INFINITY, "-Inf"),
            (-0.0, "-0E+00"),
            (1.5e-300, "1.5E-300"),
            (5e-324, "5E-324"),
            // An exact tie between two shortest candidates: Go rounds to even.
            (803975639385933.2, "8.039756393859332E+14"),
        ] {
            assert_eq!(format_float_e(f), want, "{f}");
        }
    }

    #[test]
    fn g_format_matches_go() {
        for (f, want) in [
            (100000.0, "100000"),
            (1e20, "1e+20"),
            (999999.0, "999999"),
            (1234567.0, "1.234567e+06"),
            (1.5, "1.5"),
            (-2.5e-7, "-2.5e-07"),
            (1e6, "1e+06"),
            (0.0, "0"),
            (-0.0, "-0"),
            (0.0001, "0.0001"),
            (123456789.0, "1.23456789e+08"),
            (999999.5, "999999.5"),
            (0.00001, "1e-05"),
            (1.5e-300, "1.5e-300"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_float_g(f), want, "{f}");
        }
    }

    #[test]
    fn f_format_matches_go() {
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1e21, "1000000000000000000000"),
            (1.5e-7, "0.00000015"),
            (-123.456, "-123.456"),
            (803975639385933.2, "803975639385933.2"),
            (100.0, "100"),
        ] {
            assert_eq!(format_float(f), want, "{f}");
        }
    }
}
