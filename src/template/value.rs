//! The values templates compute with: the Go types Prometheus's templates can see, their Go type
//! names (for error messages) and their `%v` printing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use crate::Labels;
use crate::model::format_float_g;

use super::TemplateDialect;

/// One sample of a `query` result (Prometheus's `*template.sample`).
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) labels: Labels,
    pub(crate) value: f64,
}

/// The alert data the template is executed on (the anonymous struct of `AlertTemplateData`).
#[derive(Clone, Copy)]
pub(crate) struct Root<'a> {
    pub(crate) labels: &'a Labels,
    pub(crate) external_labels: &'a BTreeMap<String, String>,
    pub(crate) external_url: &'a str,
    pub(crate) value: f64,
    pub(crate) dialect: TemplateDialect,
}

/// A Go value as the template executor sees it.
#[derive(Clone)]
pub(crate) enum Value<'a> {
    /// Go's invalid `reflect.Value` (prints as `<no value>`).
    Missing,
    /// A nil `interface{}` (prints as `<nil>`).
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `complex128`, from a complex constant such as `1+2i`.
    Complex(f64, f64),
    Str(Rc<str>),
    /// `html/template.HTML`, from `safeHtml`.
    Html(Rc<str>),
    /// A `map[string]string` backed by a label set.
    Labels(Labels),
    /// A `map[string]string` backed by a borrowed map (external labels).
    StrMap(&'a BTreeMap<String, String>),
    /// `map[string]interface {}`, from `args`.
    AnyMap(Rc<BTreeMap<String, Value<'a>>>),
    /// `template.queryResult`.
    Samples(Rc<Vec<Rc<Sample>>>),
    /// `*template.sample`.
    Sample(Rc<Sample>),
    /// `time.Time` (`*time.Time` when the flag is set), as nanoseconds since the epoch (UTC).
    Time(i64, bool),
    /// `time.Duration` (`*time.Duration` when the flag is set), in nanoseconds.
    Duration(i64, bool),
    /// The alert data struct.
    Root(Root<'a>),
}

impl Value<'_> {
    pub(crate) fn str(text: &str) -> Value<'static> {
        Value::Str(Rc::from(text))
    }

    /// The Go type name, as `%T` and reflection errors print it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Complex(..) => "complex128",
            Value::Str(_) => "string",
            Value::Html(_) => "template.HTML",
            Value::Labels(_) | Value::StrMap(_) => "map[string]string",
            Value::AnyMap(_) => "map[string]interface {}",
            Value::Samples(_) => "template.queryResult",
            Value::Sample(_) => "*template.sample",
            Value::Time(_, true) => "*time.Time",
            Value::Time(_, false) => "time.Time",
            Value::Duration(_, true) => "*time.Duration",
            Value::Duration(_, false) => "time.Duration",
            Value::Root(root) => match root.dialect {
                TemplateDialect::Prometheus2 => {
                    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"
                }
                TemplateDialect::Prometheus3 => {
                    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"
                }
            },
        }
    }

    /// Go's template truth: non-zero, non-empty, non-nil.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Complex(re, im) => *re != 0.0 || *im != 0.0,
            Value::Str(s) | Value::Html(s) => !s.is_empty(),
            Value::Labels(labels) => !labels.is_empty(),
            Value::StrMap(map) => !map.is_empty(),
            Value::AnyMap(map) => !map.is_empty(),
            Value::Samples(samples) => !samples.is_empty(),
            Value::Duration(nanos, false) => *nanos != 0,
            Value::Sample(_) | Value::Time(..) | Value::Duration(..) | Value::Root(_) => true,
        }
    }

    /// Writes the value as `fmt.Print` (`%v`) does.
    pub(crate) fn write_go(&self, out: &mut String) {
        match self {
            Value::Missing => out.push_str("<no value>"),
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float_g(*f)),
            Value::Complex(re, im) => {
                out.push('(');
                out.push_str(&format_float_g(*re));
                let imaginary = format_float_g(*im);
                if !imaginary.starts_with(['-', '+']) {
                    out.push('+');
                }
                out.push_str(&imaginary);
                out.push_str("i)");
            }
            Value::Str(s) | Value::Html(s) => out.push_str(s),
            Value::Labels(labels) => {
                out.push_str("map[");
                for (i, label) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(label.name());
                    out.push(':');
                    out.push_str(label.value());
                }
                out.push(']');
            }
            Value::StrMap(map) => {
                out.push_str("map[");
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    out.push_str(v);
                }
                out.push(']');
            }
            Value::AnyMap(map) => {
                out.push_str("map[");
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_go(out);
                }
                out.push(']');
            }
            Value::Samples(samples) => {
                // Go prints the element pointers as addresses; there is nothing stable to
                // match, so print them as `&{...}` like a top-level pointer.
                out.push('[');
                for (i, sample) in samples.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    Value::Sample(sample.clone()).write_go(out);
                }
                out.push(']');
            }
            Value::Sample(sample) => {
                out.push_str("&{");
                Value::Labels(sample.labels.clone()).write_go(out);
                out.push(' ');
                out.push_str(&format_float_g(sample.value));
                out.push('}');
            }
            Value::Time(nanos, _) => out.push_str(&format_go_time(*nanos)),
            Value::Duration(nanos, _) => out.push_str(&format_go_duration(*nanos)),
            Value::Root(root) => {
                out.push('{');
                Value::Labels(root.labels.clone()).write_go(out);
                out.push(' ');
                Value::StrMap(root.external_labels).write_go(out);
                out.push(' ');
                out.push_str(root.external_url);
                out.push(' ');
                out.push_str(&format_float_g(root.value));
                out.push('}');
            }
        }
    }

    /// The `%v` text as a new string.
    pub(crate) fn to_go_string(&self) -> String {
        let mut out = String::new();
        self.write_go(&mut out);
        out
    }
}

/// Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub(crate) fn format_go_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Go's `time.Duration.String()`: `1h30m0s`, `1.5s`, `500ms`, `0s`.
pub(crate) fn format_go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let negative = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: one unit with a fraction.
        let (unit, scale) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&fraction(u, scale));
        out.push_str(unit);
    } else {
        let hours = u / 3_600_000_000_000;
        let minutes = u / 60_000_000_000 % 60;
        let secs_nanos = u % 60_000_000_000;
        if hours > 0 {
            let _ = write!(out, "{hours}h");
        }
        if hours > 0 || minutes > 0 {
            let _ = write!(out, "{minutes}m");
        }
        out.push_str(&fraction(secs_nanos, 1_000_000_000));
        out.push('s');
    }
    if negative {
        out.insert(0, '-');
    }
    out
}

/// `value / scale` with the fraction's trailing zeros dropped.
fn fraction(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}
