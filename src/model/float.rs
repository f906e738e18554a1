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
    // Rust's Display for f64 is the shortest round-trip representation without an exponent,
    // which is exactly Go's 'f' format with precision -1.
    format!("{f}")
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
    let text = format!("{f:E}");
    let (mantissa, exponent) = split_exponent(&text);
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exponent.abs())
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
    let text = format!("{f:e}");
    let (mantissa, exponent) = split_exponent(&text);
    // With the shortest precision Go decides on precision 6: %e form when the exponent is
    // below -4 or at least 6.
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    format!("{f}")
}

/// Splits Rust's `{:e}` output (`1.5e-3`) into mantissa and exponent.
fn split_exponent(text: &str) -> (&str, i32) {
    match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse().unwrap_or(0)),
        None => (text, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert_eq!(format_float_g(f), want, "{f}");
        }
    }
}
