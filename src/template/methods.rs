//! The methods templates can call on `time.Time` (from `toTime`) and `time.Duration` (from
//! `toDuration`), as Prometheus 3.x documents (`{{ (now | toTime).Format "..." }}`,
//! `{{ (1800 | toDuration).String }}`): a subset of Go's `time` package.

use super::funcs::Param;
use super::value::{Value, format_go_duration, format_go_time};

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

/// The parameters of method `name` on `receiver`, or `None` if there is no such method.
pub(crate) fn params(receiver: &Value<'_>, name: &str) -> Option<&'static [Param]> {
    match receiver {
        Value::Time(..) => match name {
            "String" | "Unix" | "UnixMilli" | "UnixMicro" | "UnixNano" | "UTC" | "Year" | "Day"
            | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay" => Some(&[]),
            "Add" | "Truncate" => Some(&[Param::Duration]),
            "Sub" | "Before" | "After" | "Equal" => Some(&[Param::Time]),
            "Format" => Some(&[Param::String]),
            _ => None,
        },
        Value::Duration(..) => match name {
            "String" | "Seconds" | "Minutes" | "Hours" | "Milliseconds" | "Microseconds"
            | "Nanoseconds" | "Abs" => Some(&[]),
            "Round" | "Truncate" => Some(&[Param::Duration]),
            _ => None,
        },
        _ => None,
    }
}

/// Calls a method [`params`] knows, on converted arguments.
pub(crate) fn call<'a>(
    receiver: &Value<'a>,
    name: &str,
    args: &[Value<'a>],
) -> Result<Value<'a>, String> {
    let duration_arg = || match args.first() {
        Some(Value::Duration(d, _)) => *d,
        _ => 0,
    };
    let time_arg = || match args.first() {
        Some(Value::Time(t, _)) => *t,
        _ => 0,
    };
    Ok(match receiver {
        Value::Time(t, _) => {
            let t = *t;
            let (year, _, _) = civil(t);
            match name {
                "String" => Value::str(&format_go_time(t)),
                "Unix" => Value::Int(t.div_euclid(SECOND)),
                "UnixMilli" => Value::Int(t.div_euclid(1_000_000)),
                "UnixMicro" => Value::Int(t.div_euclid(1_000)),
                "UnixNano" => Value::Int(t),
                "UTC" => Value::Time(t, false),
                "Year" => Value::Int(year),
                "Day" => Value::Int(i64::from(civil(t).2)),
                "Hour" => Value::Int(t.div_euclid(HOUR).rem_euclid(24)),
                "Minute" => Value::Int(t.div_euclid(MINUTE).rem_euclid(60)),
                "Second" => Value::Int(t.div_euclid(SECOND).rem_euclid(60)),
                "Nanosecond" => Value::Int(t.rem_euclid(SECOND)),
                "YearDay" => Value::Int(year_day(t)),
                "Add" => Value::Time(t.saturating_add(duration_arg()), false),
                "Truncate" => {
                    let d = duration_arg();
                    if d <= 0 {
                        Value::Time(t, false)
                    } else {
                        Value::Time(t - t.rem_euclid(d), false)
                    }
                }
                "Sub" => Value::Duration(t.saturating_sub(time_arg()), false),
                "Before" => Value::Bool(t < time_arg()),
                "After" => Value::Bool(t > time_arg()),
                "Equal" => Value::Bool(t == time_arg()),
                "Format" => {
                    let layout = match args.first() {
                        Some(Value::Str(s)) => s.to_string(),
                        _ => String::new(),
                    };
                    Value::str(&format_layout(t, &layout))
                }
                _ => return Err(format!("no method {name}")),
            }
        }
        Value::Duration(d, _) => {
            let d = *d;
            match name {
                "String" => Value::str(&format_go_duration(d)),
                "Seconds" => Value::Float((d / SECOND) as f64 + (d % SECOND) as f64 / 1e9),
                "Minutes" => Value::Float((d / MINUTE) as f64 + (d % MINUTE) as f64 / (60.0 * 1e9)),
                "Hours" => Value::Float((d / HOUR) as f64 + (d % HOUR) as f64 / (3600.0 * 1e9)),
                "Milliseconds" => Value::Int(d / 1_000_000),
                "Microseconds" => Value::Int(d / 1_000),
                "Nanoseconds" => Value::Int(d),
                "Abs" => Value::Duration(if d == i64::MIN { i64::MAX } else { d.abs() }, false),
                "Truncate" => {
                    let m = duration_arg();
                    Value::Duration(if m <= 0 { d } else { d - d % m }, false)
                }
                "Round" => Value::Duration(round_duration(d, duration_arg()), false),
                _ => return Err(format!("no method {name}")),
            }
        }
        _ => return Err(format!("no method {name}")),
    })
}

/// Go's `Duration.Round`.
fn round_duration(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if r + r < m {
            return d + r;
        }
        return d.checked_sub(m - r).unwrap_or(i64::MIN);
    }
    if r + r < m {
        return d - r;
    }
    d.checked_add(m - r).unwrap_or(i64::MAX)
}

/// (year, month, day) of a UTC time in nanoseconds.
fn civil(t: i64) -> (i64, u32, u32) {
    let days = t.div_euclid(SECOND).div_euclid(86_400);
    super::value::civil_from_days(days)
}

fn year_day(t: i64) -> i64 {
    let (year, month, day) = civil(t);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let mut yday = BEFORE[(month - 1) as usize] + i64::from(day);
    if leap && month > 2 {
        yday += 1;
    }
    yday
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `Time.Format` for a UTC time: the reference-time layout elements (`2006-01-02
/// 15:04:05.000 MST`, `Jan _2`, `Monday`, `PM`, `-07:00`, `Z07:00`, ...).
pub(crate) fn format_layout(t: i64, layout: &str) -> String {
    let (year, month, day) = civil(t);
    let secs_of_day = t.div_euclid(SECOND).rem_euclid(86_400);
    let hour = secs_of_day / 3600;
    let minute = secs_of_day / 60 % 60;
    let second = secs_of_day % 60;
    let nanos = t.rem_euclid(SECOND);
    let weekday = (t.div_euclid(SECOND).div_euclid(86_400) + 4).rem_euclid(7) as usize;
    let hour12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    let mut out = String::new();
    let b = layout.as_bytes();
    let mut i = 0;
    let rest = |i: usize| &layout[i..];
    while i < b.len() {
        let r = rest(i);
        let (text, len): (String, usize) = if r.starts_with("January") {
            (MONTHS[month as usize - 1].to_string(), 7)
        } else if r.starts_with("Jan") {
            (MONTHS[month as usize - 1][..3].to_string(), 3)
        } else if r.starts_with("Monday") {
            (DAYS[weekday].to_string(), 6)
        } else if r.starts_with("Mon") {
            (DAYS[weekday][..3].to_string(), 3)
        } else if r.starts_with("MST") {
            ("UTC".to_string(), 3)
        } else if r.starts_with("2006") {
            (format!("{year:04}"), 4)
        } else if r.starts_with("002") {
            (format!("{:03}", year_day(t)), 3)
        } else if r.starts_with("01") {
            (format!("{month:02}"), 2)
        } else if r.starts_with("02") {
            (format!("{day:02}"), 2)
        } else if r.starts_with("03") {
            (format!("{hour12:02}"), 2)
        } else if r.starts_with("04") {
            (format!("{minute:02}"), 2)
        } else if r.starts_with("05") {
            (format!("{second:02}"), 2)
        } else if r.starts_with("06") {
            (format!("{:02}", year.rem_euclid(100)), 2)
        } else if r.starts_with("15") {
            (format!("{hour}"), 2)
        } else if r.starts_with('1') {
            (format!("{month}"), 1)
        } else if r.starts_with('2') {
            (format!("{day}"), 1)
        } else if r.starts_with("__2") {
            (format!("{:>3}", year_day(t)), 3)
        } else if r.starts_with("_2") {
            (format!("{day:>2}"), 2)
        } else if r.starts_with('3') {
            (format!("{hour12}"), 1)
        } else if r.starts_with('4') {
            (format!("{minute}"), 1)
        } else if r.starts_with('5') {
            (format!("{second}"), 1)
        } else if r.starts_with("PM") {
            ((if hour >= 12 { "PM" } else { "AM" }).to_string(), 2)
        } else if r.starts_with("pm") {
            ((if hour >= 12 { "pm" } else { "am" }).to_string(), 2)
        } else if let Some((text, len)) = zone(r) {
            (text.to_string(), len)
        } else if let Some((len, digits, trim)) = fraction(r) {
            let all = format!("{nanos:09}");
            let mut frac = all[..digits.min(9)].to_string();
            if trim {
                frac = frac.trim_end_matches('0').to_string();
            }
            if frac.is_empty() {
                (String::new(), len)
            } else {
                (format!("{}{frac}", &r[..1]), len)
            }
        } else {
            let c = r.chars().next().unwrap_or(' ');
            (c.to_string(), c.len_utf8())
        };
        out.push_str(&text);
        i += len;
    }
    out
}

/// A zone element, printed for UTC.
fn zone(r: &str) -> Option<(&'static str, usize)> {
    for (element, text) in [
        ("Z07:00:00", "Z"),
        ("-07:00:00", "+00:00:00"),
        ("Z070000", "Z"),
        ("-070000", "+000000"),
        ("Z07:00", "Z"),
        ("-07:00", "+00:00"),
        ("Z0700", "Z"),
        ("-0700", "+0000"),
        ("Z07", "Z"),
        ("-07", "+00"),
    ] {
        if r.starts_with(element) {
            return Some((text, element.len()));
        }
    }
    None
}

/// A fractional-second element `.000`/`,999...`: (length, digits, trim trailing zeros).
fn fraction(r: &str) -> Option<(usize, usize, bool)> {
    let b = r.as_bytes();
    if b.len() < 2 || !(b[0] == b'.' || b[0] == b',') || !(b[1] == b'0' || b[1] == b'9') {
        return None;
    }
    let digit = b[1];
    let mut j = 1;
    while j < b.len() && b[j] == digit {
        j += 1;
    }
    // Go only treats the run as a fraction when no other digit follows it.
    if j < b.len() && b[j].is_ascii_digit() {
        return None;
    }
    Some((j, j - 1, digit == b'9'))
}
