//! The native-histogram operations the functions use, in the shape of Prometheus's
//! `functions.go` calls: in-place arithmetic that reports bucket-bound reconciliation, and
//! errors reduced to the one the functions react to. The operations themselves are
//! `model::histogram`'s.

use crate::model::{FloatHistogram, HistogramError};

pub(crate) use crate::model::quantile::{
    Bucket as ClassicBucket, BucketQuantile, NanObservationsInfo, bucket_fraction, bucket_quantile,
    histogram_fraction_with_info, histogram_quantile_with_info, histogram_stdvar,
};

/// Why two histograms could not be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistError {
    /// One uses exponential buckets, the other custom buckets (Prometheus's
    /// `ErrHistogramsIncompatibleSchema`). Layout errors that Prometheus would crash on are
    /// reported the same way; loaded data never has them.
    IncompatibleSchema,
}

impl From<HistogramError> for HistError {
    fn from(_: HistogramError) -> HistError {
        HistError::IncompatibleSchema
    }
}

/// Side results of an addition or subtraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Custom bucket bounds differed and were reduced to the bounds both share.
    pub nhcb_reconciled: bool,
}

/// `h += other` (Prometheus's `FloatHistogram.Add`).
pub(crate) fn add(h: &mut FloatHistogram, other: &FloatHistogram) -> Result<Outcome, HistError> {
    let flags = h.add_in_place(other)?;
    Ok(Outcome {
        nhcb_reconciled: flags.nhcb_bounds_reconciled,
    })
}

/// `h -= other` (Prometheus's `FloatHistogram.Sub`).
pub(crate) fn sub(h: &mut FloatHistogram, other: &FloatHistogram) -> Result<Outcome, HistError> {
    let flags = h.sub_in_place(other)?;
    Ok(Outcome {
        nhcb_reconciled: flags.nhcb_bounds_reconciled,
    })
}

/// Kahan-compensated `h += other` with compensation histogram `c` (Prometheus's `KahanAdd`);
/// returns the updated compensation.
pub(crate) fn kahan_add(
    h: &mut FloatHistogram,
    other: &FloatHistogram,
    c: Option<FloatHistogram>,
) -> Result<(Option<FloatHistogram>, Outcome), HistError> {
    let mut c = c;
    let flags = h.kahan_add(other, &mut c)?;
    Ok((
        c,
        Outcome {
            nhcb_reconciled: flags.nhcb_bounds_reconciled,
        },
    ))
}

/// Scales every count and the sum (Prometheus's `Mul`); a negative factor makes a gauge.
pub(crate) fn mul(h: &mut FloatHistogram, factor: f64) {
    h.mul(factor);
}

/// Divides every count and the sum (Prometheus's `Div`).
pub(crate) fn div(h: &mut FloatHistogram, divisor: f64) {
    h.div(divisor);
}

/// Drops empty buckets (Prometheus's `Compact(0)`).
pub(crate) fn compact(h: &mut FloatHistogram) {
    h.compact(0);
}

/// A copy of `h` at the lower resolution `schema` (Prometheus's `CopyToSchema`; the callers
/// only ask for schemas it can reach, otherwise the copy is unchanged).
pub(crate) fn copy_to_schema(h: &FloatHistogram, schema: i32) -> FloatHistogram {
    h.copy_to_schema(schema).unwrap_or_else(|_| h.clone())
}

/// Whether any count or the sum is infinite (Prometheus's `HasOverflow`).
pub(crate) fn has_overflow(h: &FloatHistogram) -> bool {
    h.has_overflow()
}

/// Bit-exact data equality (Prometheus's `Equals`).
pub(crate) fn equals(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    a.equals(b)
}

/// Whether `cur` shows a counter reset relative to `prev` (Prometheus's `DetectReset`).
pub(crate) fn detect_reset(cur: &FloatHistogram, prev: &FloatHistogram) -> bool {
    cur.detect_reset(prev)
}
