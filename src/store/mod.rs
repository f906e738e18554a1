//! The in-memory, deterministic series store that fixtures load into and the evaluator reads.
//!
//! Series are kept in label order; an inverted index from label pairs to series makes
//! equality matchers cheap. Per series, float and histogram samples are kept in two
//! time-sorted vectors (as Prometheus's query results keep `Floats` and `Histograms` apart), so
//! the float path stays dense and binary-searchable.

use crate::model::{
    FPoint, FloatHistogram, HPoint, Labels, MatchOp, Matcher, SampleValue, Timestamp,
};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    pub fn contains(self, mint: Timestamp, maxt: Timestamp, t: Timestamp) -> bool {
        let after_start = match self {
            Window::LeftOpen => t > mint,
            Window::LeftClosed => t >= mint,
        };
        after_start && t <= maxt
    }

    /// The index range of `times` (sorted ascending) inside the window.
    fn bounds(self, times: impl Fn(usize) -> Timestamp, len: usize, mint: Timestamp, maxt: Timestamp) -> std::ops::Range<usize> {
        let first = match self {
            Window::LeftOpen => partition(len, |i| times(i) <= mint),
            Window::LeftClosed => partition(len, |i| times(i) < mint),
        };
        let end = partition(len, |i| times(i) <= maxt);
        first..end.max(first)
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
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Adding the samples would pass [`StoreLimits::max_samples`].
    #[error("series {series}: {requested} more samples would exceed the limit of {limit} samples (the store holds {held})")]
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
pub struct Series {
    labels: Labels,
    floats: Vec<FPoint>,
    histograms: Vec<HPoint>,
    /// Start timestamps parallel to `floats`; empty when the series has none (0 = unknown).
    float_start_times: Vec<Timestamp>,
    /// Start timestamps parallel to `histograms`; empty when the series has none.
    histogram_start_times: Vec<Timestamp>,
}

impl Series {
    fn new(labels: Labels) -> Series {
        Series {
            labels,
            floats: Vec::new(),
            histograms: Vec::new(),
            float_start_times: Vec::new(),
            histogram_start_times: Vec::new(),
        }
    }

    /// The series' labels.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// All float samples (stale markers included), oldest first.
    pub fn floats(&self) -> &[FPoint] {
        &self.floats
    }

    /// All histogram samples, oldest first.
    pub fn histograms(&self) -> &[HPoint] {
        &self.histograms
    }

    /// The number of samples of both kinds.
    pub fn len(&self) -> usize {
        self.floats.len() + self.histograms.len()
    }

    /// Whether the series has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index range of float samples in the window.
    pub fn float_range(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> std::ops::Range<usize> {
        window.bounds(|i| self.floats[i].t, self.floats.len(), mint, maxt)
    }

    /// The index range of histogram samples in the window.
    pub fn histogram_range(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> std::ops::Range<usize> {
        window.bounds(|i| self.histograms[i].t, self.histograms.len(), mint, maxt)
    }

    /// Float samples (stale markers included) in the window.
    pub fn floats_in(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> &[FPoint] {
        &self.floats[self.float_range(mint, maxt, window)]
    }

    /// Histogram samples in the window.
    pub fn histograms_in(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> &[HPoint] {
        &self.histograms[self.histogram_range(mint, maxt, window)]
    }

    /// Start timestamps of the floats in `range` (from [`Series::float_range`]), or `None`
    /// when the series has no start timestamps.
    pub fn float_start_times(&self, range: std::ops::Range<usize>) -> Option<&[Timestamp]> {
        (!self.float_start_times.is_empty()).then(|| &self.float_start_times[range])
    }

    /// Start timestamps of the histograms in `range`, or `None` when the series has none.
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
    pub fn latest(&self, mint: Timestamp, maxt: Timestamp, window: Window) -> Option<(Timestamp, SampleValue)> {
        let float = {
            let r = self.float_range(mint, maxt, window);
            (!r.is_empty()).then(|| self.floats[r.end - 1])
        };
        let hist = {
            let r = self.histogram_range(mint, maxt, window);
            (!r.is_empty()).then(|| &self.histograms[r.end - 1])
        };
        match (float, hist) {
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

    /// The sample at exactly `t`, if any.
    fn at(&self, t: Timestamp) -> Option<SampleValue> {
        if let Ok(i) = self.floats.binary_search_by(|p| p.t.cmp(&t)) {
            return Some(SampleValue::Float(self.floats[i].f));
        }
        self.histograms
            .binary_search_by(|p| p.t.cmp(&t))
            .ok()
            .map(|i| SampleValue::Histogram(self.histograms[i].h.clone()))
    }
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
    series: Vec<Series>,
    by_labels: BTreeMap<Labels, SeriesId>,
    /// Label name → label value → series ids (ascending).
    postings: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Vec<SeriesId>>>,
    limits: StoreLimits,
    total_samples: usize,
}

impl Store {
    /// An empty store with default limits.
    pub fn new() -> Store {
        Store::default()
    }

    /// An empty store with the given limits.
    pub fn with_limits(limits: StoreLimits) -> Store {
        Store {
            limits,
            ..Store::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// The number of series.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// The number of samples of all series.
    pub fn num_samples(&self) -> usize {
        self.total_samples
    }

    /// Drops every series (the promqltest `clear` command).
    pub fn clear(&mut self) {
        let limits = self.limits;
        *self = Store::with_limits(limits);
    }

    /// The id of the series with exactly `labels`, creating it if needed.
    pub fn series_id(&mut self, labels: Labels) -> Result<SeriesId, StoreError> {
        if let Some(&id) = self.by_labels.get(&labels) {
            return Ok(id);
        }
        if self.series.len() >= self.limits.max_series {
            return Err(StoreError::TooManySeries {
                series: labels,
                limit: self.limits.max_series,
            });
        }
        let id = SeriesId(self.series.len() as u32);
        for label in labels.iter() {
            self.postings
                .entry(label.name_arc().clone())
                .or_default()
                .entry(Arc::from(label.value()))
                .or_default()
                .push(id);
        }
        self.by_labels.insert(labels.clone(), id);
        self.series.push(Series::new(labels));
        Ok(id)
    }

    /// The id of the series with exactly `labels`, if it exists.
    pub fn find(&self, labels: &Labels) -> Option<SeriesId> {
        self.by_labels.get(labels).copied()
    }

    /// The series behind `id`.
    pub fn series(&self, id: SeriesId) -> &Series {
        &self.series[id.0 as usize]
    }

    /// Checks that `count` more samples fit, before anything is allocated for them.
    pub fn reserve(&self, id: SeriesId, count: usize) -> Result<(), StoreError> {
        let held = self.total_samples;
        if held.saturating_add(count) > self.limits.max_samples {
            return Err(StoreError::TooManySamples {
                series: self.series(id).labels.clone(),
                requested: count,
                held,
                limit: self.limits.max_samples,
            });
        }
        Ok(())
    }

    /// Appends a sample. Samples of a series must come in time order; re-adding an identical
    /// sample at the newest timestamp is a no-op, a different value there is an error.
    pub fn append(&mut self, id: SeriesId, t: Timestamp, value: SampleValue) -> Result<(), StoreError> {
        self.append_with_start_time(id, t, value, None)
    }

    /// Appends a sample with a start timestamp (`None` or `Some(0)` = unknown).
    pub fn append_with_start_time(
        &mut self,
        id: SeriesId,
        t: Timestamp,
        value: SampleValue,
        start_time: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let series = &self.series[id.0 as usize];
        if let Some(newest) = series.newest() {
            if t < newest {
                return Err(StoreError::OutOfOrder {
                    series: series.labels.clone(),
                    t,
                    newest,
                });
            }
            if t == newest {
                let same = match (series.at(t), &value) {
                    (Some(SampleValue::Float(a)), SampleValue::Float(b)) => a.to_bits() == b.to_bits(),
                    (Some(SampleValue::Histogram(a)), SampleValue::Histogram(b)) => &a == b,
                    _ => false,
                };
                if same {
                    return Ok(());
                }
                return Err(StoreError::DuplicateTimestamp {
                    series: series.labels.clone(),
                    t,
                });
            }
        }
        self.reserve(id, 1)?;
        let series = &mut self.series[id.0 as usize];
        let start_time = start_time.unwrap_or(0);
        match value {
            SampleValue::Float(f) => {
                // Start times are kept once a series has one, 0 (unknown) for the samples before.
                if start_time != 0 || !series.float_start_times.is_empty() {
                    series.float_start_times.resize(series.floats.len(), 0);
                    series.float_start_times.push(start_time);
                }
                series.floats.push(FPoint { t, f });
            }
            SampleValue::Histogram(h) => {
                if start_time != 0 || !series.histogram_start_times.is_empty() {
                    series.histogram_start_times.resize(series.histograms.len(), 0);
                    series.histogram_start_times.push(start_time);
                }
                series.histograms.push(HPoint { t, h });
            }
        }
        self.total_samples += 1;
        Ok(())
    }

    /// Appends a float sample to the series with `labels`, creating it if needed (recording
    /// rules write their results back this way).
    pub fn append_float(&mut self, labels: Labels, t: Timestamp, f: f64) -> Result<(), StoreError> {
        let id = self.series_id(labels)?;
        self.append(id, t, SampleValue::Float(f))
    }

    /// Appends a histogram sample to the series with `labels`, creating it if needed.
    pub fn append_histogram(&mut self, labels: Labels, t: Timestamp, h: Arc<FloatHistogram>) -> Result<(), StoreError> {
        let id = self.series_id(labels)?;
        self.append(id, t, SampleValue::Histogram(h))
    }

    /// Every series, in label order.
    pub fn iter(&self) -> impl Iterator<Item = &Series> {
        self.by_labels.values().map(|id| self.series(*id))
    }

    /// The series matching all `matchers`, in label order.
    pub fn select(&self, matchers: &[Matcher]) -> Vec<&Series> {
        let mut ids = self.candidates(matchers);
        ids.retain(|id| {
            let labels = &self.series(*id).labels;
            matchers.iter().all(|m| m.matches(labels.get_or_empty(&m.name)))
        });
        let mut found: Vec<&Series> = ids.into_iter().map(|id| self.series(id)).collect();
        found.sort_by(|a, b| a.labels.cmp(&b.labels));
        found
    }

    /// Series ids that may match: the intersection of the postings of the equality matchers with
    /// non-empty values, or every series when there are none.
    fn candidates(&self, matchers: &[Matcher]) -> Vec<SeriesId> {
        let mut lists: Vec<&[SeriesId]> = Vec::new();
        for m in matchers {
            if m.op == MatchOp::Equal && !m.value.is_empty() {
                let list = self
                    .postings
                    .get(m.name.as_str())
                    .and_then(|values| values.get(m.value.as_str()));
                match list {
                    Some(list) => lists.push(list),
                    None => return Vec::new(),
                }
            }
        }
        if lists.is_empty() {
            return (0..self.series.len() as u32).map(SeriesId).collect();
        }
        lists.sort_by_key(|l| l.len());
        let mut result: Vec<SeriesId> = lists[0].to_vec();
        for other in &lists[1..] {
            result.retain(|id| other.binary_search(id).is_ok());
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{stale_nan, MatchOp};

    #[test]
    fn start_time_of_the_first_sample_is_kept() {
        let mut store = Store::new();
        let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
        store.append_with_start_time(id, 10, SampleValue::Float(1.0), Some(5)).unwrap();
        store.append_with_start_time(id, 20, SampleValue::Float(2.0), None).unwrap();
        let h = Arc::new(FloatHistogram::default());
        store.append_with_start_time(id, 30, SampleValue::Histogram(h.clone()), None).unwrap();
        store.append_with_start_time(id, 40, SampleValue::Histogram(h), Some(35)).unwrap();
        let series = store.series(id);
        assert_eq!(series.float_start_times(0..2), Some(&[5, 0][..]));
        assert_eq!(series.histogram_start_times(0..2), Some(&[0, 35][..]));
    }

    fn store_with(series: &[(&str, &str, &[(i64, f64)])]) -> Store {
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
        assert_eq!(none_label.len(), 3, "a missing label matches the empty value");
    }

    #[test]
    fn windows_differ_at_the_left_edge() {
        let store = store_with(&[("x", "a", &[(0, 1.0), (10, 2.0), (20, 3.0)])]);
        let s = store.iter().next().unwrap();
        assert_eq!(s.floats_in(0, 20, Window::LeftOpen).len(), 2);
        assert_eq!(s.floats_in(0, 20, Window::LeftClosed).len(), 3);
        assert_eq!(s.floats_in(25, 30, Window::LeftOpen).len(), 0);
        assert_eq!(s.floats_in(-5, 5, Window::LeftOpen).len(), 1);
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let mut store = Store::new();
        let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
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
        store.append(id, 20, SampleValue::Float(stale_nan())).unwrap();
        assert_eq!(store.num_samples(), 2);
    }

    #[test]
    fn sample_limit_names_the_series() {
        let mut store = Store::with_limits(StoreLimits {
            max_samples: 2,
            max_series: 10,
        });
        let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
        store.append(id, 1, SampleValue::Float(1.0)).unwrap();
        store.append(id, 2, SampleValue::Float(1.0)).unwrap();
        let err = store.append(id, 3, SampleValue::Float(1.0)).unwrap_err();
        assert!(err.to_string().contains(r#"{__name__="x"}"#), "{err}");
        assert!(store.reserve(id, 99_999_999_999).is_err());
    }

    #[test]
    fn start_times_are_parallel_to_samples() {
        let mut store = Store::new();
        let id = store.series_id(Labels::from_pairs([("__name__", "x")])).unwrap();
        store.append(id, 0, SampleValue::Float(1.0)).unwrap();
        store
            .append_with_start_time(id, 60_000, SampleValue::Float(2.0), Some(30_000))
            .unwrap();
        let s = store.series(id);
        let r = s.float_range(-1, 60_000, Window::LeftOpen);
        assert_eq!(s.float_start_times(r), Some(&[0, 30_000][..]));
    }
}
