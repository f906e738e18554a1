//! Date functions (`year`, `month`, `day_of_month`, `day_of_week`, `day_of_year`,
//! `days_in_month`, `hour`, `minute`) and the civil-date arithmetic behind them.
//!
//! Prometheus converts each value to whole Unix seconds (`time.Unix(int64(v), 0).UTC()`) and
//! reads the calendar fields of the proleptic Gregorian calendar in UTC. The arithmetic here
//! is Howard Hinnant's `civil_from_days`, done in `i128` so no input can overflow.

use super::instant::{scalar_vector, vector};
use crate::eval::engine::Evaluator;
use crate::eval::value::Val;
use crate::model::Timestamp;

/// A UTC calendar date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 (Sunday) to 6.
    pub weekday: u32,
    /// 1 to 366.
    pub year_day: u32,
}

impl Civil {
    /// The UTC calendar fields of `seconds` since the Unix epoch.
    pub fn from_unix_seconds(seconds: i64) -> Civil {
        let seconds = seconds as i128;
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday (4).
        let weekday = (days + 4).rem_euclid(7) as u32;
        let year_day = (days - days_from_civil(year, 1, 1)) as u32 + 1;
        Civil {
            year: clamp_i64(year),
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
            weekday,
            year_day,
        }
    }

    /// The number of days in this date's month.
    pub fn days_in_month(&self) -> u32 {
        days_in_month(self.year as i128, self.month)
    }

    /// Go's `time.RFC3339` layout for a UTC time: `2006-01-02T15:04:05Z`.
    pub fn rfc3339(&self) -> String {
        let year = if self.year < 0 {
            format!("-{:04}", -(self.year as i128))
        } else {
            format!("{:04}", self.year)
        };
        format!(
            "{year}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn is_leap(year: i128) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i128, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i128, month: u32, day: u32) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = month as i128;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i128 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// Go's `int64(f)` on amd64: truncation toward zero, and the "integer indefinite" value
/// (`i64::MIN`) for NaN, infinities and values out of range.
pub(crate) fn go_float_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        return i64::MIN;
    }
    f as i64
}

/// The calendar field a date function reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    DaysInMonth,
    Hour,
    Minute,
    Month,
    Year,
}

impl Field {
    fn of(self, c: &Civil) -> f64 {
        match self {
            Field::DayOfMonth => c.day as f64,
            Field::DayOfWeek => c.weekday as f64,
            Field::DayOfYear => c.year_day as f64,
            Field::DaysInMonth => c.days_in_month() as f64,
            Field::Hour => c.hour as f64,
            Field::Minute => c.minute as f64,
            Field::Month => c.month as f64,
            Field::Year => c.year as f64,
        }
    }
}

/// Prometheus's `dateWrapper`: without an argument, the field of the evaluation time as a
/// one-element vector; otherwise the field of every float sample's value (seconds since the
/// epoch), histograms ignored, names dropped.
pub(crate) fn date_function<'s>(
    ev: &mut Evaluator<'s>,
    t: Timestamp,
    args: Vec<Val<'s>>,
    field: Field,
) -> Val<'s> {
    if args.is_empty() {
        // Go divides the millisecond timestamp by 1000 with truncation toward zero.
        let civil = Civil::from_unix_seconds(t / 1000);
        return scalar_vector(field.of(&civil));
    }
    let mut out = Vec::new();
    for mut s in vector(args.into_iter().next()) {
        if s.h.is_some() {
            continue;
        }
        let civil = Civil::from_unix_seconds(go_float_to_i64(s.f));
        s.f = field.of(&civil);
        ev.drop_name(&mut s);
        out.push(s);
    }
    Val::Vector(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(seconds: i64) -> (i64, u32, u32, u32, u32, u32, u32, u32) {
        let c = Civil::from_unix_seconds(seconds);
        (
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.weekday,
            c.year_day,
            c.days_in_month(),
        )
    }

    #[test]
    fn epoch_is_a_thursday() {
        assert_eq!(fields(0), (1970, 1, 1, 0, 0, 4, 1, 31));
    }

    #[test]
    fn corpus_dates() {
        // 2006-01-02T22:04:05Z, a Monday.
        assert_eq!(fields(1_136_239_445), (2006, 1, 2, 22, 4, 1, 2, 31));
        // 2008-12-31 23:59:59 and 2009-01-01 00:00:00.
        assert_eq!(fields(1_230_767_999).0, 2008);
        assert_eq!(fields(1_230_768_000).0, 2009);
        // 2016-02-29 23:59:59 and 2016-03-01.
        assert_eq!(fields(1_456_790_399).1, 2);
        assert_eq!(fields(1_456_790_399).2, 29);
        assert_eq!(fields(1_456_790_400).1, 3);
        assert_eq!(fields(1_483_191_420).6, 366);
        assert_eq!(fields(1_672_493_820).6, 365);
        assert_eq!(fields(1_454_284_800).7, 29);
        assert_eq!(fields(1_485_907_200).7, 28);
    }

    #[test]
    fn before_the_epoch() {
        // 1969-12-31T23:59:59Z, a Wednesday.
        assert_eq!(fields(-1), (1969, 12, 31, 23, 59, 3, 365, 31));
        // 1900 is not a leap year, 2000 is.
        assert_eq!(Civil::from_unix_seconds(-2_206_310_400).days_in_month(), 28); // 1900-02-01
        assert_eq!(Civil::from_unix_seconds(949_363_200).days_in_month(), 29); // 2000-02-01
    }

    #[test]
    fn round_trips_day_counts() {
        for days in [
            -1_000_000i128,
            -719_468,
            -1,
            0,
            1,
            59,
            60,
            365,
            10_957,
            2_932_896,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        for s in [
            i64::MIN,
            i64::MAX,
            go_float_to_i64(f64::NAN),
            go_float_to_i64(1e300),
        ] {
            let c = Civil::from_unix_seconds(s);
            assert!((1..=12).contains(&c.month));
        }
        assert_eq!(go_float_to_i64(-1.9), -1);
    }

    #[test]
    fn rfc3339() {
        assert_eq!(
            Civil::from_unix_seconds(1_136_239_445).rfc3339(),
            "2006-01-02T22:04:05Z"
        );
    }
}
