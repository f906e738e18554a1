//! The in-memory, deterministic series store that fixtures load into and the evaluator reads.
//!
//! Series are kept in label order; an inverted index from label pairs to series makes
//! selection cheap: equality matchers look their list up, and other matchers that cannot match
//! a missing label (`=~"a|b"`, `=~"5.."`, `!=""`) take the union of the lists of the label values
//! they match, so only the distinct values are tested, not every series. Per series, float and
//! histogram samples are kept in two time-sorted vectors (as Prometheus's query results keep
//! `Floats` and `Histograms` apart), so the float path stays dense and binary-searchable.

use crate::model::fxhash::FxHashMap;
use crate::model::{
    FPoint, FloatHistogram, HPoint, Labels, MatchOp, Matcher, SampleValue, Timestamp,
};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// Which end of a time window is included.
///
/// ```
/// use promgate::store::Window;
/// assert!(Window::LeftOpen.contains(0, 10, 10));
/// assert!(!Window::LeftOpen.contains(0, 10, 0));
/// assert!(Window::LeftClosed.contains(0, 10, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// `(mint, maxt]`: Prometheus 3 range selectors and lookback.
    #[default]
    LeftOpen,
    /// `[mint, maxt]`: Prometheus 2.
    LeftClosed,
}

impl Window {
    /// Whether `t` lies in the window from `mint` to `maxt`.
    ///
    /// ```
    /// use promgate::store::Window;
    /// assert!(!Window::LeftClosed.contains(0, 10, 11));
    /// ```
    pub fn contains(self, mint: Timestamp, maxt: Timestamp, t: Timestamp) -> bool {
        let after_start = match self {
            Window::LeftOpen => t > mint,
            Window::LeftClosed => t >= mint,
        };
        after_start && t <= maxt
    }

    /// The index range of `times` (sorted ascending) inside the window.
    ///
    /// The two searches are independent (so the processor overlaps them) and branchy: when an
    /// evaluator sweeps the steps of a query, consecutive searches take the same branches,
    /// which measured 2-4x faster than the branchless `slice::partition_point`.
    fn bounds(
        self,
        times: impl Fn(usize) -> Timestamp,
        len: usize,
        mint: Timestamp,
        maxt: Timestamp,
    ) -> std::ops::Range<usize> {
        let first = match self {
            Window::LeftOpen => partition(len, |i| times(i) <= mint),
            Window::LeftClosed => partition(len, |i| times(i) < mint),
        };
        let end = partition(len, |i| times(i) <= maxt);
        first..end.max(first)
    }

    /// The index of the newest of `times` (sorted ascending) inside the window.
    fn last(
        self,
        times: impl Fn(usize) -> Timestamp,
        len: usize,
        mint: Timestamp,
        maxt: Timestamp,
    ) -> Option<usize> {
        let last = partition(len, |i| times(i) <= maxt).checked_sub(1)?;
        self.contains(mint, maxt, times(last)).then_some(last)
    }
}

/// The first index in `0..len` for which `pred` is false (`pred` must be monotone).
fn partition(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The counter-reset hint Prometheus's TSDB gives a histogram sample when it is read back.
///
/// Histogram chunks store a hint only in their header; reading back, the first sample of a
/// chunk says `unknown` and every later one `not_reset`, and gauge chunks say `gauge`. A new
/// chunk starts at the first histogram of a series, after a float or stale marker, on a switch
/// between gauge and counter histograms, at an explicit `reset` hint, at a schema, zero
/// threshold or custom-bounds change, and at a detected counter reset. (Chunks that fill up are
/// not emulated.) Fixtures and recording rules go through the TSDB in Prometheus, so queries
/// see these hints, and a few of Prometheus's tests check them.
fn with_readback_hint(
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

/// Limits that protect the store from fixtures that would exhaust memory.
///
/// ```
/// use promgate::store::StoreLimits;
/// let limits = StoreLimits::default();
/// assert_eq!(limits.max_samples, 50_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// The most samples the store holds in total.
    pub max_samples: usize,
    /// The most series the store holds.
    pub max_series: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_samples: 50_000_000,
            max_series: 1_000_000,
        }
    }
}

/// Why the store refused a change.
///
/// ```
/// use promgate::Labels;
/// use promgate::store::{Store, StoreError, StoreLimits};
/// let mut store = Store::with_limits(StoreLimits { max_samples: 10, max_series: 10 });
/// let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
/// let err = store.check_sample_limit(id, 11).unwrap_err();
/// assert!(matches!(err, StoreError::TooManySamples { requested: 11, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Adding the samples would pass [`StoreLimits::max_samples`].
    #[error(
        "series {series}: {requested} more samples would exceed the limit of {limit} samples (the store holds {held})"
    )]
    TooManySamples {
        /// The series being added to.
        series: Labels,
        /// How many samples were being added.
        requested: usize,
        /// How many the store already holds.
        held: usize,
        /// The limit.
        limit: usize,
    },
    /// Adding the series would pass [`StoreLimits::max_series`].
    #[error("series {series}: would exceed the limit of {limit} series")]
    TooManySeries {
        /// The series being created.
        series: Labels,
        /// The limit.
        limit: usize,
    },
    /// A sample is older than the newest sample of its series.
    #[error("series {series}: out-of-order sample at {t} (newest is {newest})")]
    OutOfOrder {
        /// The series.
        series: Labels,
        /// The rejected timestamp.
        t: Timestamp,
        /// The newest timestamp held.
        newest: Timestamp,
    },
    /// A sample has the same timestamp as an existing one but a different value.
    #[error("series {series}: duplicate sample for timestamp {t} with a different value")]
    DuplicateTimestamp {
        /// The series.
        series: Labels,
        /// The timestamp.
        t: Timestamp,
    },
}

/// A handle to a series in a [`Store`].
///
/// ```
/// use promgate::{Labels, store::Store};
/// let mut store = Store::new();
/// let id = store.series_id(Labels::from_pairs([("__name__", "up")])).unwrap();
/// assert_eq!(store.find(&Labels::from_pairs([("__name__", "up")])), Some(id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(u32);

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
    labels: Labels,
    floats: Vec<FPoint>,
    histograms: Vec<HPoint>,
    /// Start timestamps parallel to `floats`; empty when the series has none (0 = unknown).
    float_start_times: Vec<Timestamp>,
    /// Start timestamps parallel to `histograms`; empty when the series has none.
    histogram_start_times: Vec<Timestamp>,
    /// `labels` without the metric name, computed on first use: functions drop the name of
    /// every series at every step, and this spares a label set per series and step.
    without_name: OnceLock<Labels>,
}

impl StoredSeries {
    fn new(labels: Labels) -> StoredSeries {
        StoredSeries {
            without_name: OnceLock::new(),
            labels,
            floats: Vec::new(),
            histograms: Vec::new(),
            float_start_times: Vec::new(),
            histogram_start_times: Vec::new(),
        }
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
    fn newest(&self) -> Option<Timestamp> {
        let f = self.floats.last().map(|p| p.t);
        let h = self.histograms.last().map(|p| p.t);
        f.max(h)
    }

    /// Whether the sample at exactly `t` (if any) is `value`: floats bit for bit, histograms with
    /// Prometheus's `Equals` (its storage accepts such exact duplicates).
    fn holds(&self, t: Timestamp, value: &SampleValue) -> bool {
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

/// Series ids in label order, and each id's rank in that order; rebuilt after series are added.
#[derive(Debug, Clone)]
struct Order {
    sorted: Vec<SeriesId>,
    rank: Vec<u32>,
}

/// The in-memory series store.
///
/// ```
/// use promgate::{Labels, Matcher, store::Store};
/// use promgate::model::SampleValue;
/// let mut store = Store::new();
/// for job in ["b", "a"] {
///     let id = store.series_id(Labels::from_pairs([("__name__", "up"), ("job", job)])).unwrap();
///     store.append(id, 0, SampleValue::Float(1.0)).unwrap();
/// }
/// let found = store.select(&[Matcher::equal("__name__", "up")]);
/// let jobs: Vec<_> = found.iter().map(|s| s.labels().get("job").unwrap()).collect();
/// assert_eq!(jobs, ["a", "b"], "results come in label order");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Store {
    series: Vec<StoredSeries>,
    by_labels: BTreeMap<Labels, SeriesId>,
    /// Label name → label value → series ids (ascending).
    postings: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Vec<SeriesId>>>,
    limits: StoreLimits,
    total_samples: usize,
    /// The label order of the series, computed on the first selection after a change.
    order: OnceLock<Order>,
    /// Selections by matcher set, valid until the next new series (appending samples does
    /// not change which series a matcher set selects). Rule runners evaluate the same
    /// selectors at thousands of steps.
    selections: SelectionCache,
}

/// Cached selections: matchers (with their regex dialects) to the selected ids in label order.
#[derive(Debug, Default)]
struct SelectionCache(std::sync::Mutex<SelectionMap>);

type SelectionMap = FxHashMap<(Vec<Matcher>, Vec<crate::model::RegexDialect>), Arc<[SeriesId]>>;

impl Clone for SelectionCache {
    /// A clone starts with an empty cache.
    fn clone(&self) -> Self {
        SelectionCache::default()
    }
}

impl SelectionCache {
    /// The most matcher sets kept; past this the cache starts over.
    const CAPACITY: usize = 4096;

    fn get(
        &self,
        key: &(Vec<Matcher>, Vec<crate::model::RegexDialect>),
    ) -> Option<Arc<[SeriesId]>> {
        self.0.lock().ok().and_then(|m| m.get(key).cloned())
    }

    fn insert(&self, key: (Vec<Matcher>, Vec<crate::model::RegexDialect>), ids: Arc<[SeriesId]>) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= Self::CAPACITY {
                m.clear();
            }
            m.insert(key, ids);
        }
    }

    fn clear(&mut self) {
        if let Ok(m) = self.0.get_mut() {
            m.clear();
        }
    }
}

impl Store {
    /// An empty store with default limits.
    ///
    /// ```
    /// assert_eq!(promgate::store::Store::new().num_series(), 0);
    /// ```
    pub fn new() -> Store {
        Store::default()
    }

    /// An empty store with the given limits.
    ///
    /// ```
    /// use promgate::store::{Store, StoreLimits};
    /// let limits = StoreLimits { max_samples: 5, max_series: 1 };
    /// assert_eq!(Store::with_limits(limits).limits(), limits);
    /// ```
    pub fn with_limits(limits: StoreLimits) -> Store {
        Store {
            limits,
            ..Store::default()
        }
    }

    /// The limits in force.
    ///
    /// ```
    /// use promgate::store::{Store, StoreLimits};
    /// assert_eq!(Store::new().limits(), StoreLimits::default());
    /// ```
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// The number of series.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert_eq!(store.num_series(), 1);
    /// ```
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// The number of samples of all series.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 0, 1.0).unwrap();
    /// assert_eq!(store.num_samples(), 1);
    /// ```
    pub fn num_samples(&self) -> usize {
        self.total_samples
    }

    /// Drops every series (the promqltest `clear` command).
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("a", "b")]), 0, 1.0).unwrap();
    /// store.clear();
    /// assert_eq!((store.num_series(), store.num_samples()), (0, 0));
    /// ```
    pub fn clear(&mut self) {
        let limits = self.limits;
        *self = Store::with_limits(limits);
    }

    /// The id of the series with exactly `labels`, creating it if needed.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let a = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert_eq!(store.series_id(Labels::from_pairs([("a", "b")])).unwrap(), a);
    /// ```
    pub fn series_id(&mut self, labels: Labels) -> Result<SeriesId, StoreError> {
        let next = SeriesId(self.series.len() as u32);
        let entry = match self.by_labels.entry(labels) {
            std::collections::btree_map::Entry::Occupied(entry) => return Ok(*entry.get()),
            std::collections::btree_map::Entry::Vacant(entry) => entry,
        };
        if self.series.len() >= self.limits.max_series {
            return Err(StoreError::TooManySeries {
                series: entry.into_key(),
                limit: self.limits.max_series,
            });
        }
        let labels = entry.key().clone();
        entry.insert(next);
        for label in labels.iter() {
            self.postings
                .entry(label.name_arc().clone())
                .or_default()
                .entry(label.value_arc().clone())
                .or_default()
                .push(next);
        }
        self.series.push(StoredSeries::new(labels));
        self.order = OnceLock::new();
        self.selections.clear();
        Ok(next)
    }

    /// Whether any series has a label called `name`.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.series_id(Labels::from_pairs([("__name__", "up"), ("job", "a")])).unwrap();
    /// assert!(store.has_label_name("job"));
    /// assert!(!store.has_label_name("__unit__"));
    /// ```
    pub fn has_label_name(&self, name: &str) -> bool {
        self.postings.contains_key(name)
    }

    /// The id of the series with exactly `labels`, if it exists.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// assert!(Store::new().find(&Labels::from_pairs([("a", "b")])).is_none());
    /// ```
    pub fn find(&self, labels: &Labels) -> Option<SeriesId> {
        self.by_labels.get(labels).copied()
    }

    /// The series behind `id`.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert_eq!(store.series(id).labels().get("a"), Some("b"));
    /// ```
    pub fn series(&self, id: SeriesId) -> &StoredSeries {
        &self.series[id.0 as usize]
    }

    /// Checks that `count` more samples for the series `id` fit within
    /// [`StoreLimits::max_samples`]. It only checks: nothing is allocated or held for them.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// assert!(store.check_sample_limit(id, 99_999_999_999).is_err());
    /// ```
    pub fn check_sample_limit(&self, id: SeriesId, count: usize) -> Result<(), StoreError> {
        self.check_capacity(&self.series(id).labels, count)
    }

    /// Checks that `count` more samples for the series `labels` (which need not exist yet) fit.
    pub(crate) fn check_capacity(&self, labels: &Labels, count: usize) -> Result<(), StoreError> {
        let held = self.total_samples;
        if held.saturating_add(count) > self.limits.max_samples {
            return Err(StoreError::TooManySamples {
                series: labels.clone(),
                requested: count,
                held,
                limit: self.limits.max_samples,
            });
        }
        Ok(())
    }

    /// Appends a sample. Samples of a series must come in time order; re-adding an identical
    /// sample at the newest timestamp is a no-op, a different value there is an error.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// use promgate::model::SampleValue;
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// store.append(id, 10, SampleValue::Float(1.0)).unwrap();
    /// assert!(store.append(id, 5, SampleValue::Float(1.0)).is_err());
    /// ```
    pub fn append(
        &mut self,
        id: SeriesId,
        t: Timestamp,
        value: SampleValue,
    ) -> Result<(), StoreError> {
        self.append_with_start_time(id, t, value, None)
    }

    /// Appends a sample with a start timestamp (`None` or `Some(0)` = unknown).
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// use promgate::model::SampleValue;
    /// let mut store = Store::new();
    /// let id = store.series_id(Labels::from_pairs([("a", "b")])).unwrap();
    /// store.append_with_start_time(id, 10, SampleValue::Float(1.0), Some(4)).unwrap();
    /// let s = store.series(id);
    /// assert_eq!(s.float_start_times(0..1), Some(&[4][..]));
    /// ```
    pub fn append_with_start_time(
        &mut self,
        id: SeriesId,
        t: Timestamp,
        value: SampleValue,
        start_time: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        if !self.is_new_sample(id, t, &value)? {
            return Ok(());
        }
        self.check_sample_limit(id, 1)?;
        self.push(id, t, value, start_time);
        Ok(())
    }

    /// [`Store::append_with_start_time`] for loaders that have checked the sample limit for all
    /// the samples they add (with [`Store::check_capacity`]): the order is still checked.
    pub(crate) fn append_within_capacity(
        &mut self,
        id: SeriesId,
        t: Timestamp,
        value: SampleValue,
        start_time: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        if self.is_new_sample(id, t, &value)? {
            self.push(id, t, value, start_time);
        }
        Ok(())
    }

    /// Gives an empty series its samples at once: the fast path for fixtures whose samples are
    /// known to be in strictly increasing time order and within the sample limit.
    pub(crate) fn fill_empty_series(
        &mut self,
        id: SeriesId,
        floats: Vec<FPoint>,
        histograms: Vec<HPoint>,
    ) {
        let series = &mut self.series[id.0 as usize];
        debug_assert!(series.is_empty());
        debug_assert!(floats.windows(2).all(|w| w[0].t < w[1].t));
        debug_assert!(histograms.windows(2).all(|w| w[0].t < w[1].t));
        self.total_samples += floats.len() + histograms.len();
        let mut histograms = histograms;
        for i in 0..histograms.len() {
            let (before, rest) = histograms.split_at_mut(i);
            let prev = before.last();
            let float_between = prev.is_some_and(|p| {
                let next_float = floats.partition_point(|f| f.t <= p.t);
                next_float < floats.len() && floats[next_float].t < rest[0].t
            });
            let h = std::mem::take(&mut rest[0].h);
            rest[0].h = with_readback_hint(prev.map(|p| &*p.h), float_between, h);
        }
        series.floats = floats;
        series.histograms = histograms;
    }

    /// Makes room for `floats` and `histograms` more samples of a series, so that loading a
    /// fixture does not grow the vectors step by step.
    pub(crate) fn reserve_capacity(&mut self, id: SeriesId, floats: usize, histograms: usize) {
        let series = &mut self.series[id.0 as usize];
        series.floats.reserve(floats);
        series.histograms.reserve(histograms);
    }

    /// Whether a sample at `t` is new (`Ok(false)` for an identical sample at the newest time),
    /// or why it cannot be appended.
    fn is_new_sample(
        &self,
        id: SeriesId,
        t: Timestamp,
        value: &SampleValue,
    ) -> Result<bool, StoreError> {
        let series = &self.series[id.0 as usize];
        let Some(newest) = series.newest() else {
            return Ok(true);
        };
        if t > newest {
            return Ok(true);
        }
        if t < newest {
            return Err(StoreError::OutOfOrder {
                series: series.labels.clone(),
                t,
                newest,
            });
        }
        if series.holds(t, value) {
            return Ok(false);
        }
        Err(StoreError::DuplicateTimestamp {
            series: series.labels.clone(),
            t,
        })
    }

    fn push(
        &mut self,
        id: SeriesId,
        t: Timestamp,
        value: SampleValue,
        start_time: Option<Timestamp>,
    ) {
        let series = &mut self.series[id.0 as usize];
        let start_time = start_time.unwrap_or(0);
        // Start times are stored only once a series has one; earlier samples get 0 (unknown).
        let record = |start_times: &mut Vec<Timestamp>, len: usize| {
            if start_time != 0 || !start_times.is_empty() {
                start_times.resize(len, 0);
                start_times.push(start_time);
            }
        };
        match value {
            SampleValue::Float(f) => {
                record(&mut series.float_start_times, series.floats.len());
                series.floats.push(FPoint { t, f });
            }
            SampleValue::Histogram(h) => {
                record(&mut series.histogram_start_times, series.histograms.len());
                let prev = series.histograms.last();
                let float_between = match (prev, series.floats.last()) {
                    (Some(p), Some(f)) => f.t > p.t,
                    _ => false,
                };
                let h = with_readback_hint(prev.map(|p| &*p.h), float_between, h);
                series.histograms.push(HPoint { t, h });
            }
        }
        self.total_samples += 1;
    }

    /// Appends a float sample to the series with `labels`, creating it if needed (recording
    /// rules write their results back this way).
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// store.append_float(Labels::from_pairs([("__name__", "job:up:sum")]), 0, 3.0).unwrap();
    /// assert_eq!(store.num_samples(), 1);
    /// ```
    pub fn append_float(&mut self, labels: Labels, t: Timestamp, f: f64) -> Result<(), StoreError> {
        let id = self.series_id(labels)?;
        self.append(id, t, SampleValue::Float(f))
    }

    /// Appends float samples in time order to the series with `labels`, creating it if needed,
    /// and returns its id: the labels are looked up once, not cloned per sample. It stops at
    /// the first sample the store refuses; the ones before it stay.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let labels = Labels::from_pairs([("__name__", "up")]);
    /// let id = store.append_floats(labels, (0..10).map(|i| (i * 60_000, 1.0))).unwrap();
    /// assert_eq!(store.series(id).floats().len(), 10);
    /// ```
    pub fn append_floats(
        &mut self,
        labels: Labels,
        samples: impl IntoIterator<Item = (Timestamp, f64)>,
    ) -> Result<SeriesId, StoreError> {
        let id = self.series_id(labels)?;
        for (t, f) in samples {
            self.append(id, t, SampleValue::Float(f))?;
        }
        Ok(id)
    }

    /// Appends a histogram sample to the series with `labels`, creating it if needed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promgate::{FloatHistogram, Labels, store::Store};
    /// let mut store = Store::new();
    /// let h = Arc::new(FloatHistogram::default());
    /// store.append_histogram(Labels::from_pairs([("__name__", "h")]), 0, h).unwrap();
    /// assert_eq!(store.num_samples(), 1);
    /// ```
    pub fn append_histogram(
        &mut self,
        labels: Labels,
        t: Timestamp,
        h: Arc<FloatHistogram>,
    ) -> Result<(), StoreError> {
        let id = self.series_id(labels)?;
        self.append(id, t, SampleValue::Histogram(h))
    }

    /// Every series, in label order.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// for v in ["b", "a"] {
    ///     store.series_id(Labels::from_pairs([("x", v)])).unwrap();
    /// }
    /// let values: Vec<_> = store.iter().map(|s| s.labels().get("x").unwrap()).collect();
    /// assert_eq!(values, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &StoredSeries> {
        self.by_labels.values().map(|id| self.series(*id))
    }

    /// The series matching all `matchers`, in label order.
    ///
    /// ```
    /// use promgate::{Labels, MatchOp, Matcher, store::Store};
    /// let mut store = Store::new();
    /// for (name, code) in [("req", "200"), ("req", "500"), ("err", "503")] {
    ///     store.series_id(Labels::from_pairs([("__name__", name), ("code", code)])).unwrap();
    /// }
    /// let five = Matcher::new(MatchOp::RegexMatch, "code", "5..").unwrap();
    /// assert_eq!(store.select(&[five.clone()]).len(), 2);
    /// assert_eq!(store.select(&[Matcher::equal("__name__", "req"), five]).len(), 1);
    /// ```
    pub fn select(&self, matchers: &[Matcher]) -> Vec<&StoredSeries> {
        let key = (
            matchers.to_vec(),
            matchers.iter().map(Matcher::dialect).collect(),
        );
        if let Some(ids) = self.selections.get(&key) {
            return ids.iter().map(|id| self.series(*id)).collect();
        }
        let ids: Arc<[SeriesId]> = self.select_ids(matchers).into();
        let found = ids.iter().map(|id| self.series(*id)).collect();
        self.selections.insert(key, ids);
        found
    }

    /// The ids of the series matching all `matchers`, in label order.
    fn select_ids(&self, matchers: &[Matcher]) -> Vec<SeriesId> {
        let keep = |id: &SeriesId| {
            let labels = &self.series(*id).labels;
            matchers
                .iter()
                .all(|m| m.matches(labels.get_or_empty(&m.name)))
        };
        let order = self.order();
        match self.candidates(matchers) {
            None => order.sorted.iter().copied().filter(|id| keep(id)).collect(),
            Some(mut ids) => {
                ids.retain(keep);
                ids.sort_unstable_by_key(|id| order.rank[id.0 as usize]);
                ids
            }
        }
    }

    fn order(&self) -> &Order {
        self.order.get_or_init(|| {
            let sorted: Vec<SeriesId> = self.by_labels.values().copied().collect();
            let mut rank = vec![0u32; self.series.len()];
            for (i, id) in sorted.iter().enumerate() {
                rank[id.0 as usize] = i as u32;
            }
            Order { sorted, rank }
        })
    }

    /// Series ids that may match, from the index: the intersection of the postings of the
    /// equality matchers with non-empty values; without those, the intersection of the unions
    /// of postings of the values each matcher not matching `""` accepts. `None` means every
    /// series is a candidate.
    fn candidates(&self, matchers: &[Matcher]) -> Option<Vec<SeriesId>> {
        let mut lists: Vec<Cow<'_, [SeriesId]>> = Vec::new();
        for m in matchers {
            if m.op == MatchOp::Equal && !m.value.is_empty() {
                match self.postings_for_value(&m.name, &m.value) {
                    Some(list) => lists.push(Cow::Borrowed(list)),
                    None => return Some(Vec::new()),
                }
            }
        }
        if lists.is_empty() {
            for m in matchers {
                if m.op != MatchOp::Equal && !m.matches_empty() {
                    lists.push(Cow::Owned(self.postings_for_matcher(m)));
                }
            }
        }
        if lists.is_empty() {
            return None;
        }
        lists.sort_by_key(|l| l.len());
        let mut result: Vec<SeriesId> = lists[0].to_vec();
        for other in &lists[1..] {
            if result.is_empty() {
                break;
            }
            result.retain(|id| other.binary_search(id).is_ok());
        }
        Some(result)
    }

    fn postings_for_value(&self, name: &str, value: &str) -> Option<&[SeriesId]> {
        self.postings
            .get(name)
            .and_then(|values| values.get(value))
            .map(Vec::as_slice)
    }

    /// The sorted ids of series whose label `m.name` has a value `m` accepts. A regex that is
    /// an alternation of literals (`a|b|c`) looks its values up; anything else tests each
    /// distinct value once.
    fn postings_for_matcher(&self, m: &Matcher) -> Vec<SeriesId> {
        let Some(values) = self.postings.get(m.name.as_str()) else {
            return Vec::new();
        };
        let mut ids: Vec<SeriesId> = Vec::new();
        match literal_alternatives(m) {
            Some(literals) => {
                for literal in literals {
                    if let Some(list) = values.get(literal) {
                        ids.extend_from_slice(list);
                    }
                }
            }
            None => {
                for (value, list) in values {
                    if m.matches(value) {
                        ids.extend_from_slice(list);
                    }
                }
            }
        }
        // A series has one value per label name, so the lists are disjoint.
        ids.sort_unstable();
        ids
    }
}

/// The literals of a `=~` regex made only of literals and `|` (`GET|POST`), deduplicated.
fn literal_alternatives(m: &Matcher) -> Option<Vec<&str>> {
    const META: &[char] = &[
        '\\', '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '^', '$',
    ];
    if m.op != MatchOp::RegexMatch || m.value.contains(META) {
        return None;
    }
    let mut literals: Vec<&str> = m.value.split('|').collect();
    literals.sort_unstable();
    literals.dedup();
    Some(literals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stale_nan;

    /// `(metric name, job, samples)` per series.
    type Samples<'a> = &'a [(i64, f64)];

    fn store_with(series: &[(&str, &str, Samples<'_>)]) -> Store {
        let mut store = Store::new();
        for (name, job, samples) in series {
            let id = store
                .series_id(Labels::from_pairs([("__name__", *name), ("job", *job)]))
                .unwrap();
            for (t, f) in *samples {
                store.append(id, *t, SampleValue::Float(*f)).unwrap();
            }
        }
        store
    }

    fn names(found: Vec<&StoredSeries>) -> Vec<String> {
        found.iter().map(|s| s.labels().to_string()).collect()
    }

    #[test]
    fn select_uses_all_matchers() {
        let store = store_with(&[
            ("up", "a", &[(0, 1.0)]),
            ("up", "b", &[(0, 1.0)]),
            ("down", "a", &[(0, 1.0)]),
        ]);
        let re = Matcher::new(MatchOp::RegexMatch, "job", "a|c").unwrap();
        let found = store.select(&[Matcher::equal("__name__", "up"), re]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].labels().to_string(), r#"{__name__="up", job="a"}"#);
        let missing = store.select(&[Matcher::equal("__name__", "nope")]);
        assert!(missing.is_empty());
        let none_label = store.select(&[Matcher::equal("env", "")]);
        assert_eq!(
            none_label.len(),
            3,
            "a missing label matches the empty value"
        );
    }

    #[test]
    fn every_matcher_kind_through_the_index() {
        let mut store = Store::new();
        for (name, code, env) in [
            ("req", "200", "prod"),
            ("req", "500", ""),
            ("req", "503", "dev"),
            ("err", "500", "prod"),
            ("lat", "", "prod"),
        ] {
            store
                .series_id(Labels::from_pairs([
                    ("__name__", name),
                    ("code", code),
                    ("env", env),
                ]))
                .unwrap();
        }
        let m = |op, name: &str, value: &str| Matcher::new(op, name, value).unwrap();
        let count = |ms: &[Matcher]| store.select(ms).len();
        use MatchOp::*;
        assert_eq!(count(&[m(Equal, "code", "500")]), 2);
        assert_eq!(
            count(&[m(NotEqual, "code", "500")]),
            3,
            "includes the series without code"
        );
        assert_eq!(count(&[m(NotEqual, "code", "")]), 4);
        assert_eq!(count(&[m(RegexMatch, "code", "5..")]), 3);
        assert_eq!(count(&[m(RegexMatch, "code", "500|200|200")]), 3);
        assert_eq!(
            count(&[m(RegexMatch, "code", "500|")]),
            3,
            "matches empty: filtered"
        );
        assert_eq!(count(&[m(RegexMatch, "code", ".*")]), 5);
        assert_eq!(count(&[m(RegexMatch, "code", ".+")]), 4);
        assert_eq!(count(&[m(RegexNoMatch, "code", "5..")]), 2);
        assert_eq!(count(&[m(RegexNoMatch, "env", "")]), 4);
        assert_eq!(count(&[m(RegexMatch, "nope", "x|y")]), 0);
        assert_eq!(
            count(&[
                m(Equal, "__name__", "req"),
                m(RegexMatch, "env", "prod|dev")
            ]),
            2
        );
        assert_eq!(
            count(&[
                m(RegexMatch, "__name__", "re.*"),
                m(RegexNoMatch, "code", "2..")
            ]),
            2
        );
        // The result is in label order whichever path found it.
        let found = names(store.select(&[m(RegexMatch, "code", "5..")]));
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(
            found,
            [
                r#"{__name__="err", code="500", env="prod"}"#,
                r#"{__name__="req", code="500"}"#,
                r#"{__name__="req", code="503", env="dev"}"#,
            ]
        );
        assert_eq!(
            names(store.select(&[m(RegexMatch, "code", ".*")])),
            names(store.iter().collect())
        );
    }

    #[test]
    fn order_is_refreshed_after_new_series() {
        let mut store = store_with(&[("b", "x", &[])]);
        assert_eq!(store.select(&[]).len(), 1);
        store
            .series_id(Labels::from_pairs([("__name__", "a")]))
            .unwrap();
        let found =
            names(store.select(&[Matcher::new(MatchOp::RegexMatch, "__name__", "a|b").unwrap()]));
        assert_eq!(found, [r#"{__name__="a"}"#, r#"{__name__="b", job="x"}"#]);
        let cloned = store.clone();
        assert_eq!(cloned.select(&[]).len(), 2);
    }

    #[test]
    fn windows_differ_at_the_left_edge() {
        let store = store_with(&[("x", "a", &[(0, 1.0), (10, 2.0), (20, 3.0)])]);
        let s = store.iter().next().unwrap();
        assert_eq!(s.floats_in(0, 20, Window::LeftOpen).len(), 2);
        assert_eq!(s.floats_in(0, 20, Window::LeftClosed).len(), 3);
        assert_eq!(s.floats_in(25, 30, Window::LeftOpen).len(), 0);
        assert_eq!(s.floats_in(-5, 5, Window::LeftOpen).len(), 1);
        assert_eq!(s.floats_in(30, 20, Window::LeftClosed).len(), 0);
    }

    #[test]
    fn instant_lookups_take_the_newest_of_either_kind() {
        let mut store = Store::new();
        let id = store
            .series_id(Labels::from_pairs([("__name__", "x")]))
            .unwrap();
        store.append(id, 0, SampleValue::Float(1.0)).unwrap();
        let h = Arc::new(FloatHistogram::default());
        store.append(id, 10, SampleValue::Histogram(h)).unwrap();
        store
            .append(id, 20, SampleValue::Float(stale_nan()))
            .unwrap();
        let s = store.series(id);
        let at = |t: i64, window| s.latest(t - 15, t, window).map(|(t, v)| (t, v.is_stale()));
        assert_eq!(at(5, Window::LeftOpen), Some((0, false)));
        assert_eq!(at(15, Window::LeftOpen), Some((10, false)));
        assert!(matches!(
            s.latest(0, 15, Window::LeftOpen),
            Some((10, SampleValue::Histogram(_)))
        ));
        assert_eq!(at(25, Window::LeftOpen), Some((20, true)));
        assert_eq!(at(35, Window::LeftOpen), None, "window is (20, 35]");
        assert_eq!(
            at(35, Window::LeftClosed),
            Some((20, true)),
            "window is [20, 35]"
        );
        assert_eq!(at(-1, Window::LeftOpen), None);
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let mut store = Store::new();
        let id = store
            .series_id(Labels::from_pairs([("__name__", "x")]))
            .unwrap();
        store.append(id, 10, SampleValue::Float(1.0)).unwrap();
        store.append(id, 10, SampleValue::Float(1.0)).unwrap();
        assert!(matches!(
            store.append(id, 10, SampleValue::Float(2.0)),
            Err(StoreError::DuplicateTimestamp { .. })
        ));
        assert!(matches!(
            store.append(id, 5, SampleValue::Float(2.0)),
            Err(StoreError::OutOfOrder { .. })
        ));
        store
            .append(id, 20, SampleValue::Float(stale_nan()))
            .unwrap();
        store
            .append(id, 20, SampleValue::Float(stale_nan()))
            .unwrap();
        assert!(store.append(id, 20, SampleValue::Float(f64::NAN)).is_err());
        assert_eq!(store.num_samples(), 2);
    }

    #[test]
    fn sample_limit_names_the_series() {
        let mut store = Store::with_limits(StoreLimits {
            max_samples: 2,
            max_series: 10,
        });
        let id = store
            .series_id(Labels::from_pairs([("__name__", "x")]))
            .unwrap();
        store.append(id, 1, SampleValue::Float(1.0)).unwrap();
        store.append(id, 2, SampleValue::Float(1.0)).unwrap();
        let err = store.append(id, 3, SampleValue::Float(1.0)).unwrap_err();
        assert!(err.to_string().contains(r#"{__name__="x"}"#), "{err}");
        assert!(store.check_sample_limit(id, 99_999_999_999).is_err());
    }

    #[test]
    fn series_limit() {
        let mut store = Store::with_limits(StoreLimits {
            max_samples: 10,
            max_series: 1,
        });
        store
            .append_float(Labels::from_pairs([("a", "1")]), 0, 1.0)
            .unwrap();
        let err = store
            .append_float(Labels::from_pairs([("a", "2")]), 0, 1.0)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"series {a="2"}: would exceed the limit of 1 series"#
        );
        assert_eq!(store.num_series(), 1);
    }

    #[test]
    fn recording_rule_appends() {
        let mut store = Store::new();
        let labels = Labels::from_pairs([("__name__", "job:up:sum"), ("job", "a")]);
        for step in 0..3 {
            store
                .append_float(labels.clone(), step * 60_000, step as f64)
                .unwrap();
        }
        store
            .append_float(labels.clone(), 180_000, stale_nan())
            .unwrap();
        let found = store.select(&[Matcher::equal("__name__", "job:up:sum")]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].floats().len(), 4);
        assert!(
            found[0]
                .latest(150_000, 180_000, Window::LeftOpen)
                .unwrap()
                .1
                .is_stale()
        );
    }

    #[test]
    fn start_times_are_parallel_to_samples() {
        let mut store = Store::new();
        let id = store
            .series_id(Labels::from_pairs([("__name__", "x")]))
            .unwrap();
        store.append(id, 0, SampleValue::Float(1.0)).unwrap();
        store
            .append_with_start_time(id, 60_000, SampleValue::Float(2.0), Some(30_000))
            .unwrap();
        let s = store.series(id);
        let r = s.float_range(-1, 60_000, Window::LeftOpen);
        assert_eq!(s.float_start_times(r), Some(&[0, 30_000][..]));
    }

    #[test]
    fn start_time_on_the_first_sample_is_kept() {
        let mut store = Store::new();
        let id = store
            .series_id(Labels::from_pairs([("__name__", "x")]))
            .unwrap();
        store
            .append_with_start_time(id, 60_000, SampleValue::Float(2.0), Some(30_000))
            .unwrap();
        store.append(id, 120_000, SampleValue::Float(3.0)).unwrap();
        let s = store.series(id);
        assert_eq!(s.float_start_times(0..2), Some(&[30_000, 0][..]));
    }
}
