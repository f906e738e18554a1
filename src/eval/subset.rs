//! Grouping and matching label sets by a subset of their labels without building the subsets.
//!
//! Aggregations group by `by (...)`/`without (...)` labels and vector matching joins on
//! `on (...)`/`ignoring (...)` labels, for every sample at every step. Building each subset as a
//! label set costs an allocation per sample; hashing the included pairs in place and comparing
//! label sets pair by pair does not.

use crate::model::fxhash::{FxHashMap, FxHasher};
use crate::model::{Label, Labels, METRIC_NAME};
use std::hash::Hasher;

/// Which labels of a label set take part: only `names`, or all but `names` and `__name__`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subset<'a> {
    names: &'a [String],
    include: bool,
}

impl<'a> Subset<'a> {
    /// `by (names)` / `on (names)`: only these labels.
    pub fn only(names: &'a [String]) -> Subset<'a> {
        Subset {
            names,
            include: true,
        }
    }

    /// `without (names)` / `ignoring (names)`: every label but these and the metric name.
    pub fn all_but(names: &'a [String]) -> Subset<'a> {
        Subset {
            names,
            include: false,
        }
    }

    fn takes(&self, label: &Label) -> bool {
        let listed = self.names.iter().any(|n| n == label.name());
        if self.include {
            listed
        } else {
            !listed && label.name() != METRIC_NAME
        }
    }

    fn pairs<'l>(&self, labels: &'l Labels) -> impl Iterator<Item = &'l Label> + use<'l, '_, 'a> {
        labels.iter().filter(move |l| self.takes(l))
    }

    /// The hash of the subset of `labels`.
    pub fn hash(&self, labels: &Labels) -> u64 {
        let mut h = FxHasher::default();
        for l in self.pairs(labels) {
            h.write(l.name().as_bytes());
            h.write_u8(0xff);
            h.write(l.value().as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// Whether `a` and `b` agree on the subset.
    pub fn same(&self, a: &Labels, b: &Labels) -> bool {
        self.pairs(a).eq(self.pairs(b))
    }

    /// Whether `candidate` is exactly the subset of `labels` (has no label outside the subset
    /// and agrees with `labels` on it).
    pub fn is_subset_of(&self, candidate: &Labels, labels: &Labels) -> bool {
        self.pairs(candidate).count() == candidate.len() && self.same(candidate, labels)
    }

    /// The subset as a label set.
    pub fn labels(&self, labels: &Labels) -> Labels {
        if self.include {
            labels.keep(self.names)
        } else {
            let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
            names.push(METRIC_NAME);
            labels.drop(&names)
        }
    }
}

/// Label sets built from subsets, kept for reuse: an aggregation builds the same group labels
/// at every step of a range query, and one shared label set also makes later comparisons
/// pointer-fast. Lookups verify the candidate exactly, so any subset may share the memo.
#[derive(Debug, Default)]
pub(crate) struct SubsetLabelsMemo {
    by_hash: FxHashMap<u64, Labels>,
    /// Label sets whose hash was taken by another one (rare).
    collided: Vec<Labels>,
}

impl SubsetLabelsMemo {
    /// The most label sets held before the memo starts over (bounds its memory).
    const CAPACITY: usize = 100_000;

    /// `subset.labels(metric)`, built once.
    pub fn labels(&mut self, subset: Subset<'_>, metric: &Labels) -> Labels {
        let hash = subset.hash(metric);
        match self.by_hash.get(&hash) {
            Some(found) if subset.is_subset_of(found, metric) => return found.clone(),
            Some(_) => {
                if let Some(found) = self
                    .collided
                    .iter()
                    .find(|c| subset.is_subset_of(c, metric))
                {
                    return found.clone();
                }
            }
            None => {}
        }
        let labels = subset.labels(metric);
        if self.by_hash.len() + self.collided.len() >= Self::CAPACITY {
            self.by_hash.clear();
            self.collided.clear();
        }
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(labels.clone());
            }
            std::collections::hash_map::Entry::Occupied(_) => self.collided.push(labels.clone()),
        }
        labels
    }
}

/// The groups of one aggregation across the steps of a query: each input label set's group
/// key, found by the label set's identity once it was seen (input series are mostly the same
/// label sets at every step), so that grouping a sample costs one lookup instead of hashing
/// and comparing its labels.
#[derive(Debug, Default)]
pub(crate) struct GroupKeys {
    /// Input label set (by identity) → key. The label set is kept, so its identity stays its
    /// own.
    by_identity: FxHashMap<usize, (Labels, u32)>,
    /// Per key: the group's labels and one member's labels (to compare others with).
    keys: Vec<(Labels, Labels)>,
    /// Subset hash → keys with it.
    by_hash: FxHashMap<u64, Vec<u32>>,
    /// Per key: its group's position at the current step, or `u32::MAX`.
    slots: Vec<u32>,
    /// The keys with a slot at the current step.
    taken: Vec<u32>,
}

impl GroupKeys {
    /// The most label sets and keys held before starting over (bounds the memory).
    const CAPACITY: usize = 100_000;

    /// Starts a step: forgets the groups of the last one (and everything, when full).
    pub fn start_step(&mut self) {
        for key in self.taken.drain(..) {
            self.slots[key as usize] = u32::MAX;
        }
        if self.keys.len() >= Self::CAPACITY || self.by_identity.len() >= Self::CAPACITY {
            *self = GroupKeys::default();
        }
    }

    /// The position at this step of the group `metric` belongs to, or `next` newly given
    /// to it; whether it is new; and the group's labels.
    pub fn group(
        &mut self,
        subset: Subset<'_>,
        metric: &Labels,
        next: usize,
        memo: &mut SubsetLabelsMemo,
    ) -> (usize, bool, &Labels) {
        let key = match self.by_identity.get(&metric.identity()) {
            Some((_, key)) => *key,
            None => {
                let bucket = self.by_hash.entry(subset.hash(metric)).or_default();
                let keys = &mut self.keys;
                let key = match bucket
                    .iter()
                    .find(|&&k| subset.same(&keys[k as usize].1, metric))
                {
                    Some(&k) => k,
                    None => {
                        let k = keys.len() as u32;
                        keys.push((memo.labels(subset, metric), metric.clone()));
                        self.slots.push(u32::MAX);
                        bucket.push(k);
                        k
                    }
                };
                self.by_identity
                    .insert(metric.identity(), (metric.clone(), key));
                key
            }
        };
        let slot = &mut self.slots[key as usize];
        let new = *slot == u32::MAX;
        if new {
            *slot = next as u32;
            self.taken.push(key);
        }
        (*slot as usize, new, &self.keys[key as usize].0)
    }
}

/// An index from subsets to the first item that has each: groups items that agree on a
/// subset. Items are referred to by their position in the caller's list.
#[derive(Debug)]
pub(crate) struct SubsetIndex<'a> {
    subset: Subset<'a>,
    buckets: FxHashMap<u64, Vec<usize>>,
}

impl<'a> SubsetIndex<'a> {
    pub fn new(subset: Subset<'a>) -> SubsetIndex<'a> {
        SubsetIndex {
            subset,
            buckets: FxHashMap::default(),
        }
    }

    /// The item (by position) whose labels agree with `labels` on the subset, where
    /// `labels_of` gives an item's labels.
    pub fn find<'l>(
        &self,
        labels: &Labels,
        labels_of: impl Fn(usize) -> &'l Labels,
    ) -> Option<usize> {
        let candidates = self.buckets.get(&self.subset.hash(labels))?;
        candidates
            .iter()
            .copied()
            .find(|&i| self.subset.same(labels_of(i), labels))
    }

    /// The item agreeing with `labels`, or `position` newly recorded for it. Returns the
    /// found or recorded position and whether it is new.
    pub fn find_or_insert<'l>(
        &mut self,
        labels: &Labels,
        position: usize,
        labels_of: impl Fn(usize) -> &'l Labels,
    ) -> (usize, bool) {
        let subset = self.subset;
        let bucket = self.buckets.entry(subset.hash(labels)).or_default();
        if let Some(&found) = bucket.iter().find(|&&i| subset.same(labels_of(i), labels)) {
            return (found, false);
        }
        bucket.push(position);
        (position, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_agree_on_the_subset_only() {
        let names = vec!["job".to_string()];
        let by_job = Subset::only(&names);
        let a = Labels::from_pairs([("__name__", "x"), ("job", "a"), ("i", "1")]);
        let b = Labels::from_pairs([("__name__", "y"), ("job", "a"), ("i", "2")]);
        let c = Labels::from_pairs([("job", "b")]);
        assert!(by_job.same(&a, &b));
        assert_eq!(by_job.hash(&a), by_job.hash(&b));
        assert!(!by_job.same(&a, &c));
        assert_eq!(by_job.labels(&a).to_string(), r#"{job="a"}"#);

        let without_i = vec!["i".to_string()];
        let without = Subset::all_but(&without_i);
        assert!(without.same(&a, &b), "the metric name and i are ignored");
        assert_eq!(without.labels(&a).to_string(), r#"{job="a"}"#);

        let items = [a.clone(), b.clone(), c.clone()];
        let mut memo = SubsetLabelsMemo::default();
        let first = memo.labels(by_job, &a);
        assert!(
            first.same_allocation(&memo.labels(by_job, &b)),
            "built once"
        );
        assert_eq!(memo.labels(by_job, &c).to_string(), r#"{job="b"}"#);
        // A subset of other names never reuses a label set that has more labels.
        let by_job_i = vec!["job".to_string(), "i".to_string()];
        let wide = memo.labels(Subset::only(&by_job_i), &a);
        assert_eq!(wide.to_string(), r#"{i="1", job="a"}"#);
        assert_eq!(memo.labels(by_job, &a).to_string(), r#"{job="a"}"#);
        assert_eq!(memo.labels(without, &a).to_string(), r#"{job="a"}"#);
        assert!(!without.is_subset_of(&wide, &a));

        let mut index = SubsetIndex::new(by_job);
        assert_eq!(index.find_or_insert(&a, 0, |i| &items[i]), (0, true));
        assert_eq!(index.find_or_insert(&b, 1, |i| &items[i]), (0, false));
        assert_eq!(index.find_or_insert(&c, 2, |i| &items[i]), (2, true));
        assert_eq!(index.find(&b, |i| &items[i]), Some(0));
    }

    #[test]
    fn a_missing_label_differs_from_an_empty_subset() {
        let names = vec!["job".to_string()];
        let by_job = Subset::only(&names);
        let none = Labels::from_pairs([("i", "1")]);
        let some = Labels::from_pairs([("job", "")]);
        assert!(by_job.same(&none, &some), "an empty value is no label");
    }
}
