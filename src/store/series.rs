//! One stored series: its labels, its float and histogram samples in time order, and the
//! reads the evaluator makes of them.

use super::Window;
use crate::model::{FPoint, FloatHistogram, HPoint, Labels, SampleValue, Timestamp};
use std::sync::{Arc, OnceLock};

/// The counter-reset hint Prometheus's TSDB gives a histogram sample when it is read back.
///
/// Histogram chunks store a hint only in their header; reading back, the first sample of a
/// chunk says `unknown` and every later one `not_reset`, and gauge chunks say `gauge`. A new
/// chunk starts at the first histogram of a series, after a float or stale marker, on a switch
/// between gauge and counter histograms, at an explicit `reset` hint, at a schema, zero
/// threshold or custom-bounds change, and at a detected counter reset. (Chunks that fill up are
/// not emulated.) Fixtures and recording rules go through the TSDB in Prometheus, so queries
/// see these hints, and a few of Prometheus's tests check them.
pub(super) fn with_readback_hint(
    prev: Option<&FloatHistogram>,
    float_between: bool,
    h: Arc<FloatHistogram>,
) -> Arc<FloatHistogram> {
    use crate::model::CounterResetHint::*;
    let hint = match (h.counter_reset_hint, prev) {
        (Gauge, _) => Gauge,
        (_, None) => Unknown,
        (given, Some(p)) => {
            let new_chunk = float_between
                || p.counter_reset_hint == Gauge
                || given == Reset
                || p.schema != h.schema
                || p.zero_threshold != h.zero_threshold
                || (h.uses_custom_buckets() && p.custom_values != h.custom_values)
                || h.detect_reset(p);
            if new_chunk { Unknown } else { NotReset }
        }
    };
    if hint == h.counter_reset_hint {
        return h;
    }
    let mut changed = (*h).clone();
    changed.counter_reset_hint = hint;
    Arc::new(changed)
}

/// A handle to a series in a [`Store`](super::Store).
///
/// ```
/// use promgate::{Labels, store::Store};
/// let mut store = Store::new();
/// let id = store.series_id(Labels::from_pairs([("__name__", "up")])).unwrap();
/// assert_eq!(store.find(&Labels::from_pairs([("__name__", "up")])), Some(id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub(super) u32);

/// One series: its labels and its samples in time order.
///
/// ```
/// use promgate::{Labels, store::{Store, Window}};
/// use promgate::model::SampleValue;
/// let mut store = Store::new();
/// let id = store.series_id(Labels::from_pairs([("__name__", "up")])).unwrap();
/// store.append(id, 0, SampleValue::Float(1.0)).unwrap();
/// store.append(id, 60_000, SampleValue::Float(0.0)).unwrap();
/// let series = store.series(id);
/// assert_eq!(series.floats_in(0, 60_000, Window::LeftOpen).len(), 1);
/// assert_eq!(series.floats_in(0, 60_000, Window::LeftClosed).len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct StoredSeries {
    pub(super) labels: Labels,
    pub(super) floats: Vec<FPoint>,
    pub(super) histograms: Vec<HPoint>,
    /// Start timestamps parallel to `floats`; empty when the series has none (0 = unknown).
    pub(super) float_start_times: Vec<Timestamp>,
    /// Start timestamps parallel to `histograms`; empty when the series has none.
    pub(super) histogram_start_times: Vec<Timestamp>,
    /// `labels` without the metric name, computed on first use: functions drop the name of
    /// every series at every step, and this spares a label set per series and step.
    pub(super) without_name: OnceLock<Labels>,
    /// Positions in `floats` of stale markers, ascending: a range window asks whether it holds
    /// one in O(log n) instead of scanning its points at every step.
    pub(super) stale_at: Vec<u32>,
    /// Positions `j` in `floats` where the value drops (`floats[j] < floats[j - 1]`), ascending:
    /// a counter window without one has no reset, and `rate` skips its scan.
    pub(super) drops_at: Vec<u32>,
}

impl StoredSeries {
    pub(super) fn new(labels: Labels) -> StoredSeries {
        StoredSeries {
            without_name: OnceLock::new(),
            labels,
            floats: Vec::new(),
            histograms: Vec::new(),
            float_start_times: Vec::new(),
            histogram_start_times: Vec::new(),
            stale_at: Vec::new(),
            drops_at: Vec::new(),
        }
    }

    /// Notes the irregular points among `floats[from..]` (stale markers and drops), after
    /// they were appended.
    pub(super) fn index_floats_from(&mut self, from: usize) {
        for j in from..self.floats.len() {
            let f = self.floats[j].f;
            if crate::model::is_stale_nan(f) {
                self.stale_at.push(j as u32);
            } else if j > 0 && f < self.floats[j - 1].f {
                self.drops_at.push(j as u32);
            }
        }
    }

    /// Forgets the samples older than `cutoff` but the newest of them, keeping the newest of
    /// each kind (appending a histogram reads the one before it), when that frees at least
    /// half of them. Returns how
    /// many samples were dropped.
    pub(super) fn forget_before(&mut self, cutoff: Timestamp) -> usize {
        // The newest sample before the cutoff stays too: what came before a window (the last
        // sample, whether the series had started) reads the same.
        let floats = self
            .floats
            .partition_point(|p| p.t < cutoff)
            .saturating_sub(1)
            .min(self.floats.len().saturating_sub(1));
        let histograms = self
            .histograms
            .partition_point(|p| p.t < cutoff)
            .saturating_sub(1)
            .min(self.histograms.len().saturating_sub(1));
        let mut dropped = 0;
        if floats >= 32 && floats * 2 >= self.floats.len() {
            self.floats.drain(..floats);
            if !self.float_start_times.is_empty() {
                self.float_start_times.drain(..floats);
            }
            let n = floats as u32;
            let rebase = |v: &mut Vec<u32>| {
                v.retain(|&j| j >= n);
                v.iter_mut().for_each(|j| *j -= n);
            };
            rebase(&mut self.stale_at);
            rebase(&mut self.drops_at);
            dropped += floats;
        }
        if histograms >= 32 && histograms * 2 >= self.histograms.len() {
            self.histograms.drain(..histograms);
            if !self.histogram_start_times.is_empty() {
                self.histogram_start_times.drain(..histograms);
            }
            dropped += histograms;
        }
        dropped
    }

    /// Whether `floats[range]` holds a stale marker.
    pub(crate) fn any_stale(&self, range: std::ops::Range<usize>) -> bool {
        let first = self
            .stale_at
            .partition_point(|&j| (j as usize) < range.start);
        self.stale_at
            .get(first)
            .is_some_and(|&j| (j as usize) < range.end)
    }

    /// Whether a value of `floats[range]` is below the one before it in the range.
    pub(crate) fn any_drop(&self, range: std::ops::Range<usize>) -> bool {
        let first = self
            .drops_at
            .partition_point(|&j| (j as usize) <= range.start);
        self.drops_at
            .get(first)
            .is_some_and(|&j| (j as usize) < range.end)
    }

    /// The series' labels without the metric name and its metadata labels
    /// ([`Labels::drop_metric_name`]), computed once.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("__name__", "up"), ("job", "a")])).unwrap();
    /// assert_eq!(store.series(id).labels_without_name().to_string(), r#"{job="a"}"#);
    /// ```
    pub fn labels_without_name(&self) -> &Labels {
        self.without_name
            .get_or_init(|| self.labels.drop_metric_name())
    }

    /// The series' labels.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let labels = Labels::from_pairs([("__name__", "up")]);
    /// let id = store.series_id(labels.clone()).unwrap();
    /// assert_eq!(store.series(id).labels(), &labels);
    /// ```
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// All float samples (stale markers included), oldest first.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 5, 1.0).unwrap();
    /// assert_eq!(store.iter().next().unwrap().floats()[0].t, 5);
    /// ```
    pub fn floats(&self) -> &[FPoint] {
        &self.floats
    }

    /// All histogram samples, oldest first.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promgate::{FloatHistogram, Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_histogram(Labels::from_pairs([("a", "b")]), 5, Arc::new(FloatHistogram::default())).unwrap();
    /// assert_eq!(store.iter().next().unwrap().histograms().len(), 1);
    /// ```
    pub fn histograms(&self) -> &[HPoint] {
        &self.histograms
    }

    /// The number of samples of both kinds.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 5, 1.0).unwrap();
    /// assert_eq!(store.iter().next().unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.floats.len() + self.histograms.len()
    }

    /// Whether the series has no samples.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert!(store.series(id).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index range of float samples in the window.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// let mut store = Store::new();
    /// for t in [0, 10, 20] {
    ///     store.append_float(Labels::from_pairs([("a", "b")]), t, 1.0).unwrap();
    /// }
    /// assert_eq!(store.iter().next().unwrap().float_range(0, 20, Window::LeftOpen), 1..3);
    /// ```
    pub fn float_range(
        &self,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
    ) -> std::ops::Range<usize> {
        window.bounds(|i| self.floats[i].t, self.floats.len(), mint, maxt)
    }

    /// [`StoredSeries::float_range`] starting from the range of a nearby window (`hint`,
    /// updated): what a query evaluating the series at consecutive steps asks.
    pub(crate) fn float_range_near(
        &self,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
        hint: &mut (u32, u32),
    ) -> std::ops::Range<usize> {
        window.bounds_near(|i| self.floats[i].t, self.floats.len(), mint, maxt, hint)
    }

    /// The index range of histogram samples in the window.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// let store = Store::new();
    /// assert!(store.iter().next().is_none());
    /// ```
    pub fn histogram_range(
        &self,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
    ) -> std::ops::Range<usize> {
        window.bounds(|i| self.histograms[i].t, self.histograms.len(), mint, maxt)
    }

    /// Float samples (stale markers included) in the window.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 10, 1.0).unwrap();
    /// assert_eq!(store.iter().next().unwrap().floats_in(0, 10, Window::LeftOpen).len(), 1);
    /// ```
    pub fn floats_in(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> &[FPoint] {
        &self.floats[self.float_range(mint, maxt, window)]
    }

    /// Histogram samples in the window.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promgate::{FloatHistogram, Labels, store::{Store, Window}};
    /// let mut store = Store::new();
    /// store.append_histogram(Labels::from_pairs([("a", "b")]), 10, Arc::new(FloatHistogram::default())).unwrap();
    /// assert_eq!(store.iter().next().unwrap().histograms_in(10, 20, Window::LeftOpen).len(), 0);
    /// ```
    pub fn histograms_in(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> &[HPoint] {
        &self.histograms[self.histogram_range(mint, maxt, window)]
    }

    /// Start timestamps of the floats in `range` (from [`StoredSeries::float_range`]), or `None`
    /// when the series has no start timestamps.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 10, 1.0).unwrap();
    /// let s = store.iter().next().unwrap();
    /// assert_eq!(s.float_start_times(s.float_range(0, 10, Window::LeftOpen)), None);
    /// ```
    pub fn float_start_times(&self, range: std::ops::Range<usize>) -> Option<&[Timestamp]> {
        (!self.float_start_times.is_empty()).then(|| &self.float_start_times[range])
    }

    /// Start timestamps of the histograms in `range`, or `None` when the series has none.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert_eq!(store.series(id).histogram_start_times(0..0), None);
    /// ```
    pub fn histogram_start_times(&self, range: std::ops::Range<usize>) -> Option<&[Timestamp]> {
        (!self.histogram_start_times.is_empty()).then(|| &self.histogram_start_times[range])
    }

    /// The newest sample in the window, of either kind, stale markers included: what an instant
    /// selector sees before it drops stale markers.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// use promgate::model::SampleValue;
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
    /// store.append(id, 1000, SampleValue::Float(7.0)).unwrap();
    /// let s = store.series(id);
    /// assert_eq!(s.latest(0, 5000, Window::LeftOpen).map(|(t, _)| t), Some(1000));
    /// assert!(s.latest(1000, 5000, Window::LeftOpen).is_none());
    /// ```
    pub fn latest(
        &self,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
    ) -> Option<(Timestamp, SampleValue)> {
        let float = window
            .last(|i| self.floats[i].t, self.floats.len(), mint, maxt)
            .map(|i| self.floats[i]);
        self.latest_of(float, mint, maxt, window)
    }

    /// [`StoredSeries::latest`], starting from the answer at a nearby time when there is a
    /// `hint` (updated): what a query evaluating the series at consecutive steps asks.
    pub(crate) fn latest_near(
        &self,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
        hint: Option<&mut u32>,
    ) -> Option<(Timestamp, SampleValue)> {
        let Some(hint) = hint else {
            return self.latest(mint, maxt, window);
        };
        let float = window
            .last_near(|i| self.floats[i].t, self.floats.len(), mint, maxt, hint)
            .map(|i| self.floats[i]);
        self.latest_of(float, mint, maxt, window)
    }

    /// The newer of the float `float` and the newest histogram in the window.
    fn latest_of(
        &self,
        float: Option<FPoint>,
        mint: Timestamp,
        maxt: Timestamp,
        window: Window,
    ) -> Option<(Timestamp, SampleValue)> {
        let histogram = window
            .last(|i| self.histograms[i].t, self.histograms.len(), mint, maxt)
            .map(|i| &self.histograms[i]);
        match (float, histogram) {
            (Some(f), Some(h)) if h.t > f.t => Some((h.t, SampleValue::Histogram(h.h.clone()))),
            (Some(f), _) => Some((f.t, SampleValue::Float(f.f))),
            (None, Some(h)) => Some((h.t, SampleValue::Histogram(h.h.clone()))),
            (None, None) => None,
        }
    }

    /// The newest timestamp of either kind.
    pub(super) fn newest(&self) -> Option<Timestamp> {
        let f = self.floats.last().map(|p| p.t);
        let h = self.histograms.last().map(|p| p.t);
        f.max(h)
    }

    /// Whether the sample at exactly `t` (if any) is `value`: floats bit for bit, histograms with
    /// Prometheus's `Equals` (its storage accepts such exact duplicates).
    pub(super) fn holds(&self, t: Timestamp, value: &SampleValue) -> bool {
        match value {
            SampleValue::Float(f) => self
                .floats
                .binary_search_by(|p| p.t.cmp(&t))
                .is_ok_and(|i| self.floats[i].f.to_bits() == f.to_bits()),
            SampleValue::Histogram(h) => self
                .histograms
                .binary_search_by(|p| p.t.cmp(&t))
                .is_ok_and(|i| self.histograms[i].h.equals(h)),
        }
    }
}
