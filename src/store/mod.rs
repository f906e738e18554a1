//! The in-memory, deterministic series store that fixtures load into and the evaluator reads.
//!
//! Series are kept in label order; an inverted index from label pairs to series makes
//! selection cheap: equality matchers look their list up, and other matchers that cannot match
//! a missing label (`=~"a|b"`, `=~"5.."`, `!=""`) take the union of the lists of the label values
//! they match, so only the distinct values are tested, not every series. Per series, float and
//! histogram samples are kept in two time-sorted vectors (as Prometheus's query results keep
//! `Floats` and `Histograms` apart), so the float path stays dense and binary-searchable.

use crate::model::{FPoint, FloatHistogram, HPoint, Labels, SampleValue, Timestamp};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

mod select;
mod series;
mod window;

use select::{Order, SelectionCache};
use series::with_readback_hint;
pub use series::{SeriesId, StoredSeries};
pub use window::Window;

/// Limits that protect the store from fixtures that would exhaust memory.
///
/// ```
/// use promgate::store::StoreLimits;
/// let limits = StoreLimits::default();
/// assert_eq!(limits.max_samples, 50_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// The most samples the store holds in total. A native histogram sample counts as its
    /// size ([`FloatHistogram::sample_cost`]: 11 plus one per two buckets or spans), as
    /// Prometheus counts it against its sample limit.
    pub max_samples: usize,
    /// The most series the store holds.
    pub max_series: usize,
}

impl Default for StoreLimits {
    /// 50 million samples and 1 million series, unless a program changed the process-wide
    /// defaults with [`StoreLimits::set_default`].
    fn default() -> Self {
        StoreLimits {
            max_samples: DEFAULT_MAX_SAMPLES.load(std::sync::atomic::Ordering::Relaxed),
            max_series: DEFAULT_MAX_SERIES.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}

static DEFAULT_MAX_SAMPLES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(50_000_000);
static DEFAULT_MAX_SERIES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(1_000_000);

impl StoreLimits {
    /// Changes what [`StoreLimits::default`] gives for the rest of the process: what the
    /// command line's `--max-store-samples` and `--max-series` do, so every store a command
    /// builds (fixtures, test groups, the dry-run) gets them. A library that wants other
    /// limits for one store should pass them to [`Store::with_limits`] instead.
    ///
    /// ```
    /// use promgate::store::StoreLimits;
    /// let before = StoreLimits::default();
    /// StoreLimits::set_default(StoreLimits { max_samples: 1_000, ..before });
    /// assert_eq!(StoreLimits::default().max_samples, 1_000);
    /// StoreLimits::set_default(before);
    /// ```
    pub fn set_default(limits: StoreLimits) {
        DEFAULT_MAX_SAMPLES.store(limits.max_samples, std::sync::atomic::Ordering::Relaxed);
        DEFAULT_MAX_SERIES.store(limits.max_series, std::sync::atomic::Ordering::Relaxed);
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
        "series {series}: {requested} more samples would exceed the limit of {limit} samples (the store holds {held}; a histogram counts as its size; raise StoreLimits::max_samples, or --max-store-samples on the command line)"
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
    #[error(
        "series {series}: would exceed the limit of {limit} series (raise StoreLimits::max_series, or --max-series on the command line)"
    )]
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

    /// The number of samples of all series, histogram samples counted by their size
    /// ([`FloatHistogram::sample_cost`]).
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

    /// Forgets samples older than `cutoff` (ms) that no later query can read, to bound the
    /// memory of long runs: a runner that knows how far back its queries reach (their ranges,
    /// offsets and lookback) calls it as time advances. Each series keeps its newest sample of
    /// each kind and its newest sample before the cutoff (so what preceded a window still
    /// reads the same), and a series is only compacted when at least half of it goes, so the cost is
    /// amortised over the appends. Series and their labels stay.
    ///
    /// ```
    /// use promgate::{Labels, store::{Store, Window}};
    /// let mut store = Store::new();
    /// let up = Labels::from_pairs([("__name__", "up")]);
    /// store.append_floats(up, (0..100).map(|i| (i * 1000, i as f64))).unwrap();
    /// store.forget_before(90_000);
    /// assert_eq!(store.num_samples(), 11, "the newest sample before the cutoff stays");
    /// let series = store.iter().next().unwrap();
    /// assert_eq!(series.floats()[0].t, 89_000);
    /// ```
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        let dropped: usize = self
            .series
            .iter_mut()
            .map(|s| s.forget_before(cutoff))
            .sum();
        self.total_samples -= dropped;
    }

    /// [`Store::forget_before`] with a cutoff per series, given by its labels: for a reader
    /// that looks further back at some series than at others.
    ///
    /// ```
    /// use promgate::{Labels, store::Store};
    /// let mut store = Store::new();
    /// let (a, b) = (Labels::from_pairs([("__name__", "a")]), Labels::from_pairs([("__name__", "b")]));
    /// store.append_floats(a, (0..100).map(|i| (i * 1000, 1.0))).unwrap();
    /// store.append_floats(b, (0..100).map(|i| (i * 1000, 1.0))).unwrap();
    /// store.forget_before_by(|l| if l.metric_name() == Some("a") { 90_000 } else { 0 });
    /// assert_eq!(store.num_samples(), 11 + 100);
    /// ```
    pub fn forget_before_by(&mut self, cutoff: impl Fn(&Labels) -> Timestamp) {
        let dropped: usize = self
            .series
            .iter_mut()
            .map(|s| {
                let cutoff = cutoff(s.labels());
                s.forget_before(cutoff)
            })
            .sum();
        self.total_samples -= dropped;
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
        self.check_sample_limit(id, value.cost())?;
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
        self.total_samples +=
            floats.len() + histograms.iter().map(|p| p.h.sample_cost()).sum::<usize>();
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
        series.index_floats_from(0);
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
        self.total_samples += value.cost();
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
                series.index_floats_from(series.floats.len() - 1);
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
    /// assert_eq!(store.num_samples(), 11, "a histogram counts as its size");
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stale_nan;
    use crate::model::{MatchOp, Matcher};

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
            r#"series {a="2"}: would exceed the limit of 1 series (raise StoreLimits::max_series, or --max-series on the command line)"#
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
