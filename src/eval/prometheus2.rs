//! Prometheus 2.42's arithmetic where it differs from 3.x, for [`Semantics::Prometheus2`]
//! (`super::Semantics::Prometheus2`).
//!
//! Each function follows the v2.42.0 source step by step (the file and function are named in its
//! doc comment), so results agree with promtool 2.42 to the last bit: the order of floating-point
//! operations is part of the semantics here.

use crate::model::FPoint;
use crate::model::quantile::Bucket;

/// `promql/functions.go` `kahanSumInc` (2.42): Kahan–Neumaier summation without 3.x's reset of
/// the compensation when the sum overflows.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// `funcAvgOverTime` (2.42): an incremental mean, Kahan-compensated, that keeps an infinite
/// mean once reached unless a NaN or an infinity of the other sign comes.
pub(crate) fn avg_over_time(values: &[FPoint]) -> f64 {
    let (mut mean, mut count, mut c) = (0.0f64, 0.0f64, 0.0f64);
    for p in values {
        count += 1.0;
        let v = p.f;
        if mean.is_infinite() {
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                continue;
            }
        }
        (mean, c) = kahan_inc(v / count - mean / count, mean, c);
    }
    if mean.is_infinite() { mean } else { mean + c }
}

/// `funcSumOverTime` (2.42): a Kahan sum.
pub(crate) fn sum_over_time(values: &[FPoint]) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for p in values {
        (sum, c) = kahan_inc(p.f, sum, c);
    }
    if sum.is_infinite() { sum } else { sum + c }
}

/// `funcStdvarOverTime` (2.42; `funcStddevOverTime` takes its square root): Welford's
/// algorithm with Kahan-compensated mean and sum of squares.
pub(crate) fn stdvar_over_time(values: &[FPoint]) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in values {
        count += 1.0;
        let delta = p.f - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (p.f - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

/// `linearRegression` (2.42): least squares with 2.42's Kahan sums; x in seconds from
/// `intercept_time`. Returns the slope and the value at `intercept_time`.
pub(crate) fn linear_regression(samples: &[FPoint], intercept_time: i64) -> (f64, f64) {
    crate::eval::functions::range::linear_regression_with(samples, intercept_time, kahan_inc)
}

/// `extrapolatedRate` (2.42) over floats: the counter-corrected difference, extrapolated to the
/// window edges (the zero-point limit applies before the half-interval rule), then scaled by one
/// factor: `result * (extrapolated / sampled / range)`, in Go's operation order.
pub(crate) fn extrapolated_rate(
    floats: &[FPoint],
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if floats.len() < 2 {
        return None;
    }
    let first = floats[0];
    let last = floats[floats.len() - 1];
    let mut result = last.f - first.f;
    if is_counter {
        let mut prev = first.f;
        for p in &floats[1..] {
            if p.f < prev {
                result += prev;
            }
            prev = p.f;
        }
    }
    let mut duration_to_start = first.t.wrapping_sub(range_start) as f64 / 1000.0;
    let duration_to_end = range_end.wrapping_sub(last.t) as f64 / 1000.0;
    let sampled_interval = last.t.wrapping_sub(first.t) as f64 / 1000.0;
    let average = sampled_interval / (floats.len() - 1) as f64;
    if is_counter && result > 0.0 && first.f >= 0.0 {
        let duration_to_zero = sampled_interval * (first.f / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut extrapolate_to = sampled_interval;
    extrapolate_to += if duration_to_start < threshold {
        duration_to_start
    } else {
        average / 2.0
    };
    extrapolate_to += if duration_to_end < threshold {
        duration_to_end
    } else {
        average / 2.0
    };
    let mut factor = extrapolate_to / sampled_interval;
    if is_rate {
        // Go's `ms.Range.Seconds()`: whole seconds plus the fraction, as a float.
        factor /= duration_seconds(range_ms);
    }
    Some(result * factor)
}

/// Go's `time.Duration.Seconds()` of a duration in ms.
fn duration_seconds(ms: i64) -> f64 {
    let ns = ms.saturating_mul(1_000_000);
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// `bucketQuantile` (2.42, `promql/quantile.go`): as 3.x's, but monotonicity is forced with
/// the older `ensureMonotonic` (no tolerance for floating-point noise, no annotation).
pub(crate) fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // Go's `sort.Sort`: insertion sort up to 12 elements (stable), pdqsort beyond; equal
    // bounds are coalesced right after, so only their summation order could tell.
    insertion_sort_or_stable(buckets, |a, b| a.upper_bound < b.upper_bound);
    match buckets.last() {
        Some(last) if last.upper_bound == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    coalesce_buckets(buckets);
    ensure_monotonic(buckets);
    crate::model::quantile::interpolate_quantile(q, buckets)
}

/// `coalesceBuckets` (2.42, the same as 3.x's): merges neighbours with equal upper bounds.
fn coalesce_buckets(buckets: &mut Vec<Bucket>) {
    let kept = crate::model::quantile::coalesce_buckets(buckets);
    buckets.truncate(kept);
}

/// `ensureMonotonic` (2.42): raises each count to the largest count before it.
fn ensure_monotonic(buckets: &mut [Bucket]) {
    let mut max = buckets[0].count;
    for b in buckets.iter_mut().skip(1) {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
        }
    }
}

/// Go's `sort.Sort` for the slices PromQL sorts: Go 1.19's pdqsort sorts up to 12 elements with
/// this insertion sort (a `Less` that is not a strict order, like the NaN-first ones PromQL
/// uses, gives Go's arrangement). Longer slices fall back to a stable sort, which agrees with
/// pdqsort whenever `less` is a strict weak order without ties.
pub(crate) fn insertion_sort_or_stable<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    if items.len() <= 12 {
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 && less(&items[j], &items[j - 1]) {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        items.sort_by(|a, b| crate::eval::aggregate::order_by(&less, a, b));
    }
}

/// `quantile` (2.42, `promql/quantile.go`): NaNs sort first (`vectorByValueHeap`), then linear
/// interpolation between the neighbouring ranks.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    crate::model::quantile::quantile_with(q, values, |values| {
        insertion_sort_or_stable(values, |a, b| a.is_nan() || a < b)
    })
}

/// Go's `math.Exp` on amd64 (`exp_amd64.s`, Shibata's method): a Taylor series of
/// `e^(r/16)` squared four times, scaled by `2^k`; results below the normal range are 0.
/// Go takes a fused multiply-add path on CPUs with AVX2 and FMA, so this does too.
#[allow(clippy::excessive_precision)]
pub(crate) fn exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2U: f64 = 0.69314718055966295651160180568695068359375;
    const LN2L: f64 = 0.28235290563031577122588448175013436025525412068e-12;
    const OVERFLOW: f64 = 7.09782712893384e+02;
    const C: [f64; 7] = [
        2.4801587301587301587e-5,
        1.9841269841269841270e-4,
        1.3888888888888888889e-3,
        8.3333333333333333333e-3,
        4.1666666666666666667e-2,
        1.6666666666666666667e-1,
        0.5,
    ];
    let bits = x.to_bits();
    if bits & !(1u64 << 63) >= 0x7FF0_0000_0000_0000 {
        // NaN or ±Inf: -Inf gives 0, the others themselves.
        return if bits == 0xFFF0_0000_0000_0000 {
            0.0
        } else {
            x
        };
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    // CVTSD2SL: round to nearest even; out of range gives the "integer indefinite" i32::MIN.
    let t = LOG2E * x;
    let k: i32 = if (-2147483648.5..2147483647.5).contains(&t) {
        t.round_ties_even() as i32
    } else {
        i32::MIN
    };
    let kf = k as f64;
    let mut r;
    if use_fma() {
        r = (-LN2U).mul_add(kf, x);
        r = (-LN2L).mul_add(kf, r);
        r *= 0.0625;
        let mut p = C[0];
        for &c in &C[1..] {
            p = p.mul_add(r, c);
        }
        p = p.mul_add(r, 1.0);
        r *= p;
        for _ in 0..3 {
            r *= r + 2.0;
        }
        r = r.mul_add(r + 2.0, 1.0);
    } else {
        r = x - LN2U * kf;
        r -= LN2L * kf;
        r *= 0.0625;
        let mut p = C[0] * r;
        for &c in &C[1..] {
            p = (p + c) * r;
        }
        p += 1.0;
        r *= p;
        for _ in 0..4 {
            r *= 2.0 + r;
        }
        r += 1.0;
    }
    let biased = k.wrapping_add(0x3FF);
    if biased <= 0 {
        return 0.0;
    }
    if biased >= 0x7FF {
        return f64::INFINITY;
    }
    r * f64::from_bits((biased as u64) << 52)
}

/// Whether Go's `math` package takes its FMA paths (`cpu.X86.HasAVX2 && cpu.X86.HasFMA`).
fn use_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static FMA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *FMA.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Go's `math.Log` (amd64): see [`gomath::log`](crate::model::gomath::log).
pub(crate) fn ln(x: f64) -> f64 {
    crate::model::gomath::log(x)
}

/// Go's `math.Log2`.
pub(crate) fn log2(x: f64) -> f64 {
    crate::model::gomath::log2(x)
}

/// Go's `math.Log10`: `Log(x) * (1/Ln10)`, the constant rounded once (`LOG10_E`).
pub(crate) fn log10(x: f64) -> f64 {
    crate::model::gomath::log(x) * std::f64::consts::LOG10_E
}

/// Go's `math.Modf` for the non-negative values `pow` gives it.
fn modf(f: f64) -> (f64, f64) {
    let int = f.trunc();
    (int, f - int)
}

/// Go's `isOddInt`.
fn is_odd_int(x: f64) -> bool {
    if x.abs() >= (1u64 << 53) as f64 {
        return false;
    }
    let (xi, xf) = if x < 0.0 {
        let (i, f) = modf(-x);
        (-i, -f)
    } else {
        modf(x)
    };
    xf == 0.0 && (xi as i64) & 1 == 1
}

/// Go's `math.Pow` (pure Go on amd64): special cases as IEEE, then `x^frac` through `Exp` and
/// `Log`, times `x^int` by repeated squaring of the mantissa, each product rounded.
pub(crate) fn pow(x: f64, y: f64) -> f64 {
    use crate::model::gomath::{frexp, ldexp};
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        if y < 0.0 {
            return if x.is_sign_negative() && is_odd_int(y) {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        }
        return if x.is_sign_negative() && is_odd_int(y) {
            x
        } else {
            0.0
        };
    }
    if y.is_infinite() {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            return pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let (mut yi, mut yf) = modf(y.abs());
    if yf != 0.0 && x < 0.0 {
        return f64::NAN;
    }
    if yi >= 9.223372036854776e18 {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = exp(yf * ln(x));
    }
    let (mut x1, mut xe) = frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[f64]) -> Vec<FPoint> {
        values
            .iter()
            .enumerate()
            .map(|(i, &f)| FPoint {
                t: i as i64 * 1000,
                f,
            })
            .collect()
    }

    #[test]
    fn kahan_keeps_its_compensation_on_overflow() {
        let (sum, c) = kahan_inc(f64::MAX, f64::MAX, 0.0);
        assert_eq!(sum, f64::INFINITY);
        // 3.x resets the compensation to 0 here; 2.42 carries (MAX - Inf) + MAX.
        assert_eq!(c, f64::NEG_INFINITY);
    }

    #[test]
    fn avg_over_time_keeps_an_infinite_mean() {
        assert_eq!(
            avg_over_time(&points(&[1.0, f64::INFINITY, 5.0])),
            f64::INFINITY
        );
        assert!(avg_over_time(&points(&[f64::INFINITY, f64::NEG_INFINITY])).is_nan());
        assert!((avg_over_time(&points(&[1.0, 2.0, 4.0])) - 7.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn rate_scales_by_one_factor() {
        // 2.42 multiplies the difference by (extrapolated / sampled / range): a single
        // rounding of the product, not (result * ratio) / range.
        let f = points(&[3.0, 10.0, 20.0, 31.0]);
        let got = extrapolated_rate(&f, -1000, 4000, 5000, true, true).unwrap();
        let to_zero: f64 = 3.0 * (3.0 / 28.0);
        let extrapolated = 3.0 + to_zero.min(1.0) + 1.0;
        assert_eq!(got, 28.0 * (extrapolated / 3.0 / 5.0));
    }

    #[test]
    fn go_math() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!(exp(-800.0), 0.0);
        assert!((exp(1.0) - std::f64::consts::E).abs() < 1e-15);
        assert_eq!(pow(3.0, 2.0), 9.0);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert!(pow(-2.0, 0.5).is_nan());
        assert_eq!(pow(0.0, -3.0), f64::INFINITY);
        assert_eq!(pow(-0.0, -3.0), f64::NEG_INFINITY);
        assert_eq!(pow(4.0, 0.5), 2.0);
        assert_eq!(pow(2.0, -2.0), 0.25);
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(log2(8.0), 3.0);
    }

    #[test]
    fn bucket_quantile_has_no_noise_tolerance() {
        let mut b = vec![
            Bucket {
                upper_bound: 1.0,
                count: 1.0,
            },
            Bucket {
                upper_bound: 2.0,
                count: 1.0 - 1e-15,
            },
            Bucket {
                upper_bound: f64::INFINITY,
                count: 2.0,
            },
        ];
        let q = bucket_quantile(0.5, &mut b);
        assert_eq!(b[1].count, 1.0);
        assert_eq!(q, 1.0);
    }

    #[test]
    fn quantile_sorts_nan_first() {
        let mut v = vec![3.0, f64::NAN, 1.0];
        assert_eq!(quantile(1.0, &mut v), 3.0);
        assert!(v[0].is_nan());
    }

    #[test]
    fn duration_seconds_is_gos() {
        assert_eq!(duration_seconds(90_000), 90.0);
        assert_eq!(duration_seconds(1_500), 1.5);
    }
}
