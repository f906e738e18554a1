//! Selecting series by label matchers: the label order of the series, the inverted index,
//! and a cache of selections.

use super::{SeriesId, Store, StoredSeries};
use crate::model::fxhash::FxHashMap;
use crate::model::{MatchOp, Matcher};
use std::borrow::Cow;
use std::sync::Arc;

/// Series ids in label order, and each id's rank in that order; rebuilt after series are added.
#[derive(Debug, Clone)]
pub(super) struct Order {
    sorted: Vec<SeriesId>,
    rank: Vec<u32>,
}

/// Cached selections: matchers (with their regex dialects) to the selected ids in label order.
#[derive(Debug, Default)]
pub(super) struct SelectionCache(std::sync::Mutex<SelectionMap>);

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

    pub(super) fn clear(&mut self) {
        if let Ok(m) = self.0.get_mut() {
            m.clear();
        }
    }
}

impl Store {
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
        self.selected_ids(matchers)
            .iter()
            .map(|id| self.series(*id))
            .collect()
    }

    /// The series matching all `matchers`, in the order they were created: Prometheus 2's
    /// storage order, which its engine keeps wherever it does not sort (ties in `topk`, the
    /// series a many-to-many error names).
    pub(crate) fn select_in_creation_order(&self, matchers: &[Matcher]) -> Vec<&StoredSeries> {
        let mut ids = self.selected_ids(matchers).to_vec();
        ids.sort_unstable();
        ids.iter().map(|id| self.series(*id)).collect()
    }

    /// The ids of the series matching all `matchers`, in label order, from the cache.
    fn selected_ids(&self, matchers: &[Matcher]) -> Arc<[SeriesId]> {
        let key = (
            matchers.to_vec(),
            matchers.iter().map(Matcher::dialect).collect(),
        );
        if let Some(ids) = self.selections.get(&key) {
            return ids;
        }
        let ids: Arc<[SeriesId]> = self.select_ids(matchers).into();
        self.selections.insert(key, ids.clone());
        ids
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
