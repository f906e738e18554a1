//! Histogram arithmetic: addition and subtraction (with schema reduction, zero-bucket
//! reconciliation and NHCB bound intersection), Kahan addition, scaling, compaction, equality
//! and resolution reduction, as Prometheus's `FloatHistogram` methods.
//!
//! Like Prometheus's, these methods change the receiver in place; [`FloatHistogram::add`] and
//! [`FloatHistogram::sub`] are value-returning conveniences on top.

use super::bounds::{custom_bucket_bounds_match, is_custom_buckets_schema};
use super::gomath::kahan_inc;
use super::iter::ForwardIter;
use super::spans::{
    add_buckets, add_custom_buckets_with_mismatches, check_layout, compact_buckets,
    intersect_custom_bucket_bounds, kahan_reduce_resolution, reduce_resolution, spans_match,
};
use super::{CounterResetHint, FloatHistogram, HistogramError};

/// What an addition or subtraction noticed besides its result; the evaluator turns these into
/// Prometheus's annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CombineFlags {
    /// One operand said `reset` and the other `not_reset` (Prometheus warns: "conflicting
    /// counter resets during histogram addition/subtraction").
    pub counter_reset_collision: bool,
    /// Custom-bucket operands had different bounds and were reduced to the bounds they share
    /// (Prometheus adds an info annotation).
    pub nhcb_bounds_reconciled: bool,
}

impl FloatHistogram {
    /// `self + other` as a new histogram, Prometheus's `Add` on a copy without its flags.
    /// The result is not compacted (the `+` operator compacts it afterwards).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let a = FloatHistogram {
    ///     count: 1.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 1 }],
    ///     positive_buckets: vec![1.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let sum = a.add(&a).unwrap();
    /// assert_eq!(sum.count, 2.0);
    /// assert_eq!(sum.positive_buckets, vec![2.0]);
    /// ```
    pub fn add(&self, other: &FloatHistogram) -> Result<FloatHistogram, HistogramError> {
        let mut result = self.clone();
        result.add_in_place(other)?;
        Ok(result)
    }

    /// `self - other` as a new histogram, Prometheus's `Sub` on a copy without its flags. The
    /// counter-reset hint combines as for addition; the `-` operator then marks the result as
    /// a gauge, this method does not.
    ///
    /// ```
    /// use promgate::FloatHistogram;
    /// let a = FloatHistogram { count: 3.0, sum: 2.0, ..FloatHistogram::default() };
    /// assert_eq!(a.sub(&a).unwrap().count, 0.0);
    /// ```
    pub fn sub(&self, other: &FloatHistogram) -> Result<FloatHistogram, HistogramError> {
        let mut result = self.clone();
        result.sub_in_place(other)?;
        Ok(result)
    }

    /// Adds `other` to `self` (Prometheus's `Add`): counts, sums and buckets are added, buckets
    /// missing in `self` are inserted. A finer schema is reduced to the coarser one, the zero
    /// buckets are widened until neither threshold cuts through a populated bucket, and
    /// custom-bucket histograms with different bounds are reduced to the bounds both share.
    /// Counter-reset hints combine: equal hints stay, otherwise `gauge` wins, then `unknown`;
    /// `reset` with `not_reset` gives `unknown` and reports a collision. The result may hold
    /// empty buckets; see [`FloatHistogram::compact`].
    ///
    /// On error `self` is unchanged. Besides mixing exponential and custom buckets, layouts that
    /// Prometheus would crash on (span lengths that disagree with the bucket counts, negative
    /// offsets after the first span, invalid schemas, custom bounds that do not cover the
    /// buckets) are errors.
    pub(crate) fn add_in_place(
        &mut self,
        other: &FloatHistogram,
    ) -> Result<CombineFlags, HistogramError> {
        self.combine_in_place(other, false)
    }

    /// Subtracts `other` from `self` (Prometheus's `Sub`), with the same reconciliation rules
    /// and counter-reset hint combination as [`FloatHistogram::add_in_place`].
    pub(crate) fn sub_in_place(
        &mut self,
        other: &FloatHistogram,
    ) -> Result<CombineFlags, HistogramError> {
        self.combine_in_place(other, true)
    }

    fn combine_in_place(
        &mut self,
        other: &FloatHistogram,
        negative: bool,
    ) -> Result<CombineFlags, HistogramError> {
        self.check_compatible(other)?;
        let mut flags = CombineFlags {
            counter_reset_collision: self.adjust_counter_reset(other),
            nhcb_bounds_reconciled: false,
        };
        if !self.uses_custom_buckets() {
            let (other_zero_count, _) = self.reconcile_zero_buckets(other, None);
            if negative {
                self.zero_count -= other_zero_count;
            } else {
                self.zero_count += other_zero_count;
            }
        }
        if negative {
            self.count -= other.count;
            self.sum -= other.sum;
        } else {
            self.count += other.count;
            self.sum += other.sum;
        }

        if self.uses_custom_buckets() {
            flags.nhcb_bounds_reconciled = self.combine_custom_buckets(other, negative, None);
            return Ok(flags);
        }

        let mut reduced_other = None;
        if other.schema < self.schema {
            let (ps, pb) = reduce_resolution(
                &self.positive_spans,
                &self.positive_buckets,
                self.schema,
                other.schema,
            )?;
            let (ns, nb) = reduce_resolution(
                &self.negative_spans,
                &self.negative_buckets,
                self.schema,
                other.schema,
            )?;
            self.positive_spans = ps;
            self.positive_buckets = pb;
            self.negative_spans = ns;
            self.negative_buckets = nb;
            self.schema = other.schema;
        } else if other.schema > self.schema {
            let positive = reduce_resolution(
                &other.positive_spans,
                &other.positive_buckets,
                other.schema,
                self.schema,
            )?;
            let negative = reduce_resolution(
                &other.negative_spans,
                &other.negative_buckets,
                other.schema,
                self.schema,
            )?;
            reduced_other = Some((positive, negative));
        }
        let (other_positive, other_negative) = match &reduced_other {
            Some(((ps, pb), (ns, nb))) => (
                (ps.as_slice(), pb.as_slice()),
                (ns.as_slice(), nb.as_slice()),
            ),
            None => (
                (
                    other.positive_spans.as_slice(),
                    other.positive_buckets.as_slice(),
                ),
                (
                    other.negative_spans.as_slice(),
                    other.negative_buckets.as_slice(),
                ),
            ),
        };
        add_buckets(
            self.schema,
            self.zero_threshold,
            negative,
            &mut self.positive_spans,
            &mut self.positive_buckets,
            None,
            other_positive.0,
            other_positive.1,
            None,
        );
        add_buckets(
            self.schema,
            self.zero_threshold,
            negative,
            &mut self.negative_spans,
            &mut self.negative_buckets,
            None,
            other_negative.0,
            other_negative.1,
            None,
        );
        Ok(flags)
    }

    /// The custom-bucket part of `Add`, `Sub` and `KahanAdd`: `other`'s buckets added into
    /// (or, `negative`, subtracted from) ours, over the bounds both share when the bounds
    /// differ. `compensation` is `KahanAdd`'s, kept in step. Returns whether the bounds had to
    /// be reconciled.
    fn combine_custom_buckets(
        &mut self,
        other: &FloatHistogram,
        negative: bool,
        compensation: Option<&mut FloatHistogram>,
    ) -> bool {
        if custom_bucket_bounds_match(&self.custom_values, &other.custom_values) {
            add_buckets(
                self.schema,
                self.zero_threshold,
                negative,
                &mut self.positive_spans,
                &mut self.positive_buckets,
                compensation.map(|c| &mut c.positive_buckets),
                &other.positive_spans,
                &other.positive_buckets,
                None,
            );
            return false;
        }
        let intersected = intersect_custom_bucket_bounds(&self.custom_values, &other.custom_values);
        let (spans, buckets, compensations) = add_custom_buckets_with_mismatches(
            negative,
            &self.positive_spans,
            &self.positive_buckets,
            &self.custom_values,
            &other.positive_spans,
            &other.positive_buckets,
            &other.custom_values,
            compensation
                .as_deref()
                .map(|c| c.positive_buckets.as_slice()),
            &intersected,
        );
        self.positive_spans = spans;
        self.positive_buckets = buckets;
        if let Some(c) = compensation {
            c.positive_buckets = compensations;
            c.custom_values = intersected.clone();
        }
        self.custom_values = intersected;
        true
    }

    /// Adds `other` with Kahan summation (Prometheus's `KahanAdd`, used by `sum`, `avg` and
    /// `*_over_time` aggregation). `compensation` holds the running compensation histogram: pass
    /// `None` at the start; it is created with `self`'s layout and kept in step with it. When
    /// done, add the compensation to the sum (`sum.add_in_place(&compensation)`) as Prometheus
    /// does.
    pub(crate) fn kahan_add(
        &mut self,
        other: &FloatHistogram,
        compensation: &mut Option<FloatHistogram>,
    ) -> Result<CombineFlags, HistogramError> {
        self.check_compatible(other)?;
        let mut flags = CombineFlags {
            counter_reset_collision: self.adjust_counter_reset(other),
            nhcb_bounds_reconciled: false,
        };
        let c = compensation.get_or_insert_with(|| self.new_compensation_histogram());
        // Keep the compensation buckets aligned with ours even if the caller passed one that
        // does not fit (Prometheus would crash).
        c.positive_buckets.resize(self.positive_buckets.len(), 0.0);
        c.negative_buckets.resize(self.negative_buckets.len(), 0.0);

        if !self.uses_custom_buckets() {
            let (other_zero_count, other_c_zero_count) =
                self.reconcile_zero_buckets(other, Some(c));
            (self.zero_count, c.zero_count) =
                kahan_inc(other_zero_count, self.zero_count, c.zero_count);
            (self.zero_count, c.zero_count) =
                kahan_inc(other_c_zero_count, self.zero_count, c.zero_count);
        }
        (self.count, c.count) = kahan_inc(other.count, self.count, c.count);
        (self.sum, c.sum) = kahan_inc(other.sum, self.sum, c.sum);

        if self.uses_custom_buckets() {
            flags.nhcb_bounds_reconciled = self.combine_custom_buckets(other, false, Some(c));
            c.positive_spans = self.positive_spans.clone();
            return Ok(flags);
        }

        let mut other_positive = (
            other.positive_spans.clone(),
            other.positive_buckets.clone(),
            None,
        );
        let mut other_negative = (
            other.negative_spans.clone(),
            other.negative_buckets.clone(),
            None,
        );
        if other.schema < self.schema {
            let (ps, pb, pc) = kahan_reduce_resolution(
                &self.positive_spans,
                &self.positive_buckets,
                &c.positive_buckets,
                self.schema,
                other.schema,
            );
            let (ns, nb, nc) = kahan_reduce_resolution(
                &self.negative_spans,
                &self.negative_buckets,
                &c.negative_buckets,
                self.schema,
                other.schema,
            );
            (
                self.positive_spans,
                self.positive_buckets,
                c.positive_buckets,
            ) = (ps, pb, pc);
            (
                self.negative_spans,
                self.negative_buckets,
                c.negative_buckets,
            ) = (ns, nb, nc);
            self.schema = other.schema;
        } else if other.schema > self.schema {
            if !other.positive_buckets.is_empty() {
                let zeros = vec![0.0; other.positive_buckets.len()];
                let (s, b, c) = kahan_reduce_resolution(
                    &other.positive_spans,
                    &other.positive_buckets,
                    &zeros,
                    other.schema,
                    self.schema,
                );
                other_positive = (s, b, Some(c));
            }
            if !other.negative_buckets.is_empty() {
                let zeros = vec![0.0; other.negative_buckets.len()];
                let (s, b, c) = kahan_reduce_resolution(
                    &other.negative_spans,
                    &other.negative_buckets,
                    &zeros,
                    other.schema,
                    self.schema,
                );
                other_negative = (s, b, Some(c));
            }
        }
        add_buckets(
            self.schema,
            self.zero_threshold,
            false,
            &mut self.positive_spans,
            &mut self.positive_buckets,
            Some(&mut c.positive_buckets),
            &other_positive.0,
            &other_positive.1,
            other_positive.2.as_deref(),
        );
        add_buckets(
            self.schema,
            self.zero_threshold,
            false,
            &mut self.negative_spans,
            &mut self.negative_buckets,
            Some(&mut c.negative_buckets),
            &other_negative.0,
            &other_negative.1,
            other_negative.2.as_deref(),
        );
        c.schema = self.schema;
        c.zero_threshold = self.zero_threshold;
        c.positive_spans = self.positive_spans.clone();
        c.negative_spans = self.negative_spans.clone();
        Ok(flags)
    }

    /// Scales counts, zero count, sum and buckets by `factor` (Prometheus's `Mul`); a negative
    /// factor makes the histogram a gauge.
    ///
    /// ```
    /// use promgate::{CounterResetHint, FloatHistogram};
    /// let mut h = FloatHistogram { count: 2.0, sum: 3.0, ..FloatHistogram::default() };
    /// h.mul(-2.0);
    /// assert_eq!((h.count, h.sum), (-4.0, -6.0));
    /// assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
    /// ```
    pub fn mul(&mut self, factor: f64) -> &mut Self {
        self.zero_count *= factor;
        self.count *= factor;
        self.sum *= factor;
        for bucket in self
            .positive_buckets
            .iter_mut()
            .chain(self.negative_buckets.iter_mut())
        {
            *bucket *= factor;
        }
        if factor < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
        self
    }

    /// Divides counts, zero count, sum and buckets by `scalar` (Prometheus's `Div`). Division
    /// by zero (either sign) turns count, sum and zero count into `±Inf`/NaN and removes all
    /// buckets, leaving the hint alone; a negative divisor makes the histogram a gauge.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let mut h = FloatHistogram {
    ///     count: 2.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 1 }],
    ///     positive_buckets: vec![2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// h.div(0.0);
    /// assert_eq!(h.count, f64::INFINITY);
    /// assert!(h.sum.is_nan());
    /// assert!(h.positive_buckets.is_empty() && h.positive_spans.is_empty());
    /// ```
    pub fn div(&mut self, scalar: f64) -> &mut Self {
        self.zero_count /= scalar;
        self.count /= scalar;
        self.sum /= scalar;
        if scalar == 0.0 {
            self.positive_buckets.clear();
            self.negative_buckets.clear();
            self.positive_spans.clear();
            self.negative_spans.clear();
            return self;
        }
        for bucket in self
            .positive_buckets
            .iter_mut()
            .chain(self.negative_buckets.iter_mut())
        {
            *bucket /= scalar;
        }
        if scalar < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
        self
    }

    /// Unary minus: Prometheus evaluates `-h` as `h.Copy().Mul(-1)`, so every count changes
    /// sign and the histogram becomes a gauge.
    ///
    /// ```
    /// use promgate::{CounterResetHint, FloatHistogram};
    /// let mut h = FloatHistogram { count: 2.0, ..FloatHistogram::default() };
    /// h.negate();
    /// assert_eq!(h.count, -2.0);
    /// assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
    /// ```
    pub fn negate(&mut self) -> &mut Self {
        self.mul(-1.0)
    }

    /// Removes empty buckets at the start and end of spans, merges spans that are adjacent or at
    /// most `max_empty_buckets` apart, and splits spans at runs of more than `max_empty_buckets`
    /// empty buckets (Prometheus's `Compact`). `compact(0)` gives the canonical layout that
    /// PromQL results and test comparisons use.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let mut h = FloatHistogram {
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 4 }],
    ///     positive_buckets: vec![0.0, 1.0, 0.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// h.compact(0);
    /// assert_eq!(
    ///     h.positive_spans,
    ///     vec![BucketSpan { offset: 1, length: 1 }, BucketSpan { offset: 1, length: 1 }]
    /// );
    /// assert_eq!(h.positive_buckets, vec![1.0, 2.0]);
    /// ```
    pub fn compact(&mut self, max_empty_buckets: usize) -> &mut Self {
        compact_buckets(
            &mut self.positive_buckets,
            None,
            &mut self.positive_spans,
            max_empty_buckets,
        );
        compact_buckets(
            &mut self.negative_buckets,
            None,
            &mut self.negative_spans,
            max_empty_buckets,
        );
        self
    }

    /// Compacts `self` and the compensation histogram `c` together (Prometheus's
    /// `kahanCompact`), keeping compensation terms aligned with their buckets.
    fn kahan_compact(&mut self, max_empty_buckets: usize, c: &mut FloatHistogram) {
        compact_buckets(
            &mut self.positive_buckets,
            Some(&mut c.positive_buckets),
            &mut self.positive_spans,
            max_empty_buckets,
        );
        compact_buckets(
            &mut self.negative_buckets,
            Some(&mut c.negative_buckets),
            &mut self.negative_spans,
            max_empty_buckets,
        );
    }

    /// Prometheus's `Equals`: exact data equality. Schema, zero threshold, custom bounds (for
    /// custom buckets only) and the bucket layout must match; counts, sum and bucket values are
    /// compared bit for bit (so NaN equals the same NaN). Empty spans are ignored, empty buckets
    /// are not; the counter-reset hint is not compared.
    ///
    /// ```
    /// use promgate::FloatHistogram;
    /// let a = FloatHistogram { count: f64::NAN, ..FloatHistogram::default() };
    /// assert!(a.equals(&a.clone()));
    /// assert!(!a.equals(&FloatHistogram::default()));
    /// ```
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        if self.schema != other.schema
            || self.count.to_bits() != other.count.to_bits()
            || self.sum.to_bits() != other.sum.to_bits()
        {
            return false;
        }
        if self.uses_custom_buckets()
            && !custom_bucket_bounds_match(&self.custom_values, &other.custom_values)
        {
            return false;
        }
        if self.zero_threshold != other.zero_threshold
            || self.zero_count.to_bits() != other.zero_count.to_bits()
        {
            return false;
        }
        let same_bits = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
        };
        spans_match(&self.negative_spans, &other.negative_spans)
            && same_bits(&self.negative_buckets, &other.negative_buckets)
            && spans_match(&self.positive_spans, &other.positive_spans)
            && same_bits(&self.positive_buckets, &other.positive_buckets)
    }

    /// A copy in the coarser `target_schema` (Prometheus's `CopyToSchema`). As in Prometheus, a
    /// copy in a different schema has the `unknown` counter-reset hint.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     schema: 1,
    ///     positive_spans: vec![BucketSpan { offset: 1, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let coarse = h.copy_to_schema(0).unwrap();
    /// assert_eq!(coarse.positive_buckets, vec![3.0]);
    /// assert!(h.copy_to_schema(2).is_err());
    /// ```
    pub fn copy_to_schema(&self, target_schema: i32) -> Result<FloatHistogram, HistogramError> {
        if target_schema == self.schema {
            return Ok(self.clone());
        }
        if self.uses_custom_buckets() {
            return Err(HistogramError::ReduceCustomBuckets);
        }
        if is_custom_buckets_schema(target_schema) {
            return Err(HistogramError::ReduceToCustomBuckets);
        }
        if target_schema > self.schema {
            return Err(HistogramError::ReduceToFinerSchema {
                from: self.schema,
                to: target_schema,
            });
        }
        check_layout(self)?;
        let (positive_spans, positive_buckets) = reduce_resolution(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            target_schema,
        )?;
        let (negative_spans, negative_buckets) = reduce_resolution(
            &self.negative_spans,
            &self.negative_buckets,
            self.schema,
            target_schema,
        )?;
        Ok(FloatHistogram {
            counter_reset_hint: CounterResetHint::Unknown,
            schema: target_schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count,
            count: self.count,
            sum: self.sum,
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            custom_values: Vec::new(),
        })
    }

    /// Reduces the resolution to the coarser `target_schema` in place (Prometheus's
    /// `ReduceResolution`, with its errors). Unlike Prometheus, `self` is unchanged on error.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let mut h = FloatHistogram {
    ///     schema: 0,
    ///     positive_spans: vec![BucketSpan { offset: -2, length: 4 }],
    ///     positive_buckets: vec![1.0, 3.0, 1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// h.reduce_resolution(-1).unwrap();
    /// // Buckets -2 | -1, 0 | 1 of schema 0 are buckets -1, 0, 1 of schema -1.
    /// assert_eq!(h.positive_spans, vec![BucketSpan { offset: -1, length: 3 }]);
    /// assert_eq!(h.positive_buckets, vec![1.0, 4.0, 2.0]);
    /// assert_eq!(
    ///     h.reduce_resolution(0).unwrap_err().to_string(),
    ///     "cannot reduce resolution from schema -1 to 0"
    /// );
    /// ```
    pub fn reduce_resolution(&mut self, target_schema: i32) -> Result<(), HistogramError> {
        if self.uses_custom_buckets() {
            return Err(HistogramError::ReduceCustomBuckets);
        }
        if is_custom_buckets_schema(target_schema) {
            return Err(HistogramError::ReduceToCustomBuckets);
        }
        if target_schema >= self.schema {
            return Err(HistogramError::ReduceToFinerSchema {
                from: self.schema,
                to: target_schema,
            });
        }
        let (ps, pb) = reduce_resolution(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            target_schema,
        )?;
        let (ns, nb) = reduce_resolution(
            &self.negative_spans,
            &self.negative_buckets,
            self.schema,
            target_schema,
        )?;
        self.positive_spans = ps;
        self.positive_buckets = pb;
        self.negative_spans = ns;
        self.negative_buckets = nb;
        self.schema = target_schema;
        Ok(())
    }

    /// Whether any count, the sum, a bucket or a custom bound is infinite (Prometheus's
    /// `HasOverflow`, checked after aggregations).
    ///
    /// ```
    /// use promgate::FloatHistogram;
    /// assert!(FloatHistogram { sum: f64::INFINITY, ..FloatHistogram::default() }.has_overflow());
    /// assert!(!FloatHistogram::default().has_overflow());
    /// ```
    pub fn has_overflow(&self) -> bool {
        [self.zero_count, self.count, self.sum]
            .iter()
            .chain(&self.positive_buckets)
            .chain(&self.negative_buckets)
            .chain(&self.custom_values)
            .any(|v| v.is_infinite())
    }

    /// Errors unless `self` and `other` can be combined: both exponential or both custom
    /// (Prometheus's `checkSchemaAndBounds`), and both with layouts the bucket arithmetic can
    /// rely on.
    fn check_compatible(&self, other: &FloatHistogram) -> Result<(), HistogramError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(HistogramError::MixedSchemas);
        }
        check_layout(self)?;
        check_layout(other)
    }

    /// Prometheus's `adjustCounterReset`: combines the hints for addition and subtraction and
    /// returns whether `reset` met `not_reset`.
    fn adjust_counter_reset(&mut self, other: &FloatHistogram) -> bool {
        use CounterResetHint::{Gauge, Unknown};
        let (mine, theirs) = (self.counter_reset_hint, other.counter_reset_hint);
        if theirs == mine || mine == Gauge {
            return false;
        }
        if theirs == Gauge {
            self.counter_reset_hint = Gauge;
            return false;
        }
        if mine == Unknown {
            return false;
        }
        self.counter_reset_hint = Unknown;
        // Unknown on the other side is no collision; reset against not_reset is.
        theirs != Unknown
    }

    /// Prometheus's `newCompensationHistogram`: zero buckets in `self`'s layout.
    fn new_compensation_histogram(&self) -> FloatHistogram {
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            custom_values: self.custom_values.clone(),
            positive_spans: self.positive_spans.clone(),
            positive_buckets: vec![0.0; self.positive_buckets.len()],
            negative_spans: self.negative_spans.clone(),
            negative_buckets: if self.uses_custom_buckets() {
                Vec::new()
            } else {
                vec![0.0; self.negative_buckets.len()]
            },
            ..FloatHistogram::default()
        }
    }

    /// Prometheus's `reconcileZeroBuckets`: widens the zero buckets of `self` (and `c`) and,
    /// virtually, of `other` until their thresholds agree and neither cuts through a populated
    /// bucket. Returns `other`'s zero count for the common threshold and the Kahan compensation
    /// of computing it.
    fn reconcile_zero_buckets(
        &mut self,
        other: &FloatHistogram,
        mut c: Option<&mut FloatHistogram>,
    ) -> (f64, f64) {
        let mut other_zero_count = other.zero_count;
        let mut other_c_zero_count = 0.0;
        let mut other_threshold = other.zero_threshold;
        // Each round moves a threshold up to a bucket boundary, so this ends; the cap and the
        // NaN check only guard against inputs on which Prometheus would loop forever.
        let mut rounds = 0;
        while other_threshold != self.zero_threshold
            && !other_threshold.is_nan()
            && !self.zero_threshold.is_nan()
        {
            rounds += 1;
            if rounds > 10_000 {
                break;
            }
            if self.zero_threshold > other_threshold {
                (other_zero_count, other_threshold, other_c_zero_count) =
                    other.zero_count_for_larger_threshold(self.zero_threshold, None);
            }
            if other_threshold > self.zero_threshold {
                let (zero_count, threshold, c_zero_count) =
                    self.zero_count_for_larger_threshold(other_threshold, c.as_deref());
                self.zero_count = zero_count;
                self.zero_threshold = threshold;
                if let Some(c) = c.as_deref_mut() {
                    c.zero_count = c_zero_count;
                }
                self.trim_buckets_in_zero_bucket(c.as_deref_mut());
            }
        }
        (other_zero_count, other_c_zero_count)
    }

    /// Prometheus's `zeroCountForLargerThreshold`: the zero count `self` would have with the
    /// larger threshold, the threshold actually needed (moved up to the upper bound of a
    /// populated bucket it would cut through) and the Kahan compensation of the zero count
    /// (starting from `c`'s, if given, whose bucket compensations are added in as well).
    pub(super) fn zero_count_for_larger_threshold(
        &self,
        larger_threshold: f64,
        c: Option<&FloatHistogram>,
    ) -> (f64, f64, f64) {
        let mut c_zero_count = c.map(|c| c.zero_count).unwrap_or(0.0);
        if larger_threshold <= self.zero_threshold {
            // Equal is Prometheus's fast path; smaller is a programming error there.
            return (
                self.zero_count,
                larger_threshold.max(self.zero_threshold),
                c_zero_count,
            );
        }
        let mut larger_threshold = larger_threshold;
        'outer: loop {
            let mut zero_count = self.zero_count;
            for (i, bucket) in ForwardIter::new(self, true, 0.0, self.schema).enumerate() {
                if bucket.lower >= larger_threshold {
                    break;
                }
                // Merge the bucket into the zero bucket.
                (zero_count, c_zero_count) = kahan_inc(bucket.count, zero_count, c_zero_count);
                if let Some(comp) = c.and_then(|c| c.positive_buckets.get(i)) {
                    (zero_count, c_zero_count) = kahan_inc(*comp, zero_count, c_zero_count);
                }
                if bucket.upper > larger_threshold {
                    // The new threshold is inside this bucket; if it is populated, the
                    // threshold moves to its upper bound.
                    if bucket.count != 0.0 {
                        larger_threshold = bucket.upper;
                    }
                    break;
                }
            }
            for (i, bucket) in ForwardIter::new(self, false, 0.0, self.schema).enumerate() {
                if bucket.upper <= -larger_threshold {
                    break;
                }
                (zero_count, c_zero_count) = kahan_inc(bucket.count, zero_count, c_zero_count);
                if let Some(comp) = c.and_then(|c| c.negative_buckets.get(i)) {
                    (zero_count, c_zero_count) = kahan_inc(*comp, zero_count, c_zero_count);
                }
                if bucket.lower < -larger_threshold {
                    // If populated, the threshold moves and the positive side must be redone.
                    if bucket.count != 0.0 {
                        larger_threshold = -bucket.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (zero_count, larger_threshold, c_zero_count);
        }
    }

    /// Prometheus's `trimBucketsInZeroBucket`: empties and then removes the buckets inside the
    /// zero bucket (whose counts are already part of the zero count).
    fn trim_buckets_in_zero_bucket(&mut self, c: Option<&mut FloatHistogram>) {
        let positive = ForwardIter::new(self, true, 0.0, self.schema)
            .take_while(|b| b.lower < self.zero_threshold)
            .count();
        let negative = ForwardIter::new(self, false, 0.0, self.schema)
            .take_while(|b| b.upper > -self.zero_threshold)
            .count();
        self.positive_buckets
            .iter_mut()
            .take(positive)
            .for_each(|b| *b = 0.0);
        self.negative_buckets
            .iter_mut()
            .take(negative)
            .for_each(|b| *b = 0.0);
        match c {
            Some(c) => {
                c.positive_buckets
                    .iter_mut()
                    .take(positive)
                    .for_each(|b| *b = 0.0);
                c.negative_buckets
                    .iter_mut()
                    .take(negative)
                    .for_each(|b| *b = 0.0);
                self.kahan_compact(0, c);
            }
            None => {
                self.compact(0);
            }
        }
    }
}
