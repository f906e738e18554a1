//! Label sets: immutable, sorted by name, cheap to clone and compare.

use std::fmt;
use std::sync::Arc;

/// The label that holds the metric name.
pub const METRIC_NAME: &str = "__name__";

/// One name/value pair of a label set.
///
/// Names and values are reference-counted strings, so copying a label into a derived label set
/// (after an aggregation, say) does not copy its text.
///
/// ```
/// use promgate::Label;
/// let label = Label::new("job", "api");
/// assert_eq!(label.name(), "job");
/// assert_eq!(label.value(), "api");
/// ```
#[derive(Clone)]
pub struct Label {
    name: Arc<str>,
    value: Arc<str>,
}

impl Label {
    /// A label `name="value"`.
    ///
    /// ```
    /// # use promgate::Label;
    /// assert_eq!(Label::new("a", "b").to_string(), "a=\"b\"");
    /// ```
    pub fn new(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Label {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The label name.
    ///
    /// ```
    /// # use promgate::Label;
    /// assert_eq!(Label::new("a", "b").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label value.
    ///
    /// ```
    /// # use promgate::Label;
    /// assert_eq!(Label::new("a", "b").value(), "b");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The shared name string, for building other label sets without copying text.
    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The shared value string, for indexes that refer to it without copying text.
    pub(crate) fn value_arc(&self) -> &Arc<str> {
        &self.value
    }
}

/// Equal strings are often the same allocation (label sets derived from one another, series
/// loaded from one fixture block), so comparisons look at the pointers first.
fn same_str(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || **a == **b
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        same_str(&self.name, &other.name) && same_str(&self.value, &other.value)
    }
}

impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.value.hash(state);
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> std::cmp::Ordering {
        let cmp = |a: &Arc<str>, b: &Arc<str>| match Arc::ptr_eq(a, b) {
            true => std::cmp::Ordering::Equal,
            false => a.cmp(b),
        };
        cmp(&self.name, &other.name).then_with(|| cmp(&self.value, &other.value))
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}",
            self.name,
            crate::syntax::lex::quote(&self.value)
        )
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An immutable set of labels, sorted by name, with unique names and no empty values.
///
/// `__name__` is an ordinary label. Ordering is Prometheus's: pairs compared position by
/// position, name first, then value, bytewise; a label set that is a prefix of another sorts
/// first. Cloning is a reference-count increment.
///
/// ```
/// use promgate::Labels;
/// let a = Labels::from_pairs([("job", "api"), ("__name__", "up")]);
/// assert_eq!(a.to_string(), r#"{__name__="up", job="api"}"#);
/// assert_eq!(a.get("job"), Some("api"));
/// assert_eq!(a.metric_name(), Some("up"));
/// let b = Labels::from_pairs([("__name__", "up")]);
/// assert!(b < a);
/// ```
#[derive(Clone, PartialOrd, Ord, Default)]
pub struct Labels(Arc<[Label]>);

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Labels {}

impl Labels {
    /// The empty label set.
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert!(Labels::empty().is_empty());
    /// ```
    pub fn empty() -> Labels {
        Labels::default()
    }

    /// Builds a label set from pairs in any order. Pairs with an empty value are dropped (an empty
    /// value means "no such label" in Prometheus); for a repeated name the last pair wins.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
    /// assert_eq!(l.to_string(), r#"{a="3", b="2"}"#);
    /// ```
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Labels
    where
        N: Into<Arc<str>>,
        V: Into<Arc<str>>,
    {
        let labels: Vec<Label> = pairs
            .into_iter()
            .map(|(name, value)| Label::new(name, value))
            .collect();
        Labels::from_vec(labels)
    }

    /// Builds a label set from labels in any order, with the same rules as
    /// [`Labels::from_pairs`].
    ///
    /// ```
    /// # use promgate::{Label, Labels};
    /// let l = Labels::from_vec(vec![Label::new("z", "1"), Label::new("a", "2")]);
    /// assert_eq!(l.names().collect::<Vec<_>>(), ["a", "z"]);
    /// ```
    pub fn from_vec(mut labels: Vec<Label>) -> Labels {
        // A stable sort keeps later duplicates after earlier ones, so "last wins" below.
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(labels.len());
        for label in labels {
            match out.last_mut() {
                Some(last) if last.name == label.name => *last = label,
                _ => out.push(label),
            }
        }
        out.retain(|l| !l.value.is_empty());
        Labels(out.into())
    }

    /// Like [`Labels::from_pairs`] but keeping empty values: for alert annotations, which
    /// Prometheus keeps even when a template expands to nothing, and for the expected side of
    /// promtool's comparisons, which keeps what the test file wrote.
    pub(crate) fn from_pairs_keeping_empty<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Labels
    where
        N: Into<Arc<str>>,
        V: Into<Arc<str>>,
    {
        let mut labels: Vec<Label> = pairs
            .into_iter()
            .map(|(name, value)| Label::new(name, value))
            .collect();
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        labels.dedup_by(|later, earlier| {
            let same = later.name == earlier.name;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        Labels(labels.into())
    }

    /// Wraps labels that are already sorted by name, unique and non-empty. The caller
    /// guarantees the invariant; it is checked in debug builds.
    pub(crate) fn from_sorted(labels: Vec<Label>) -> Labels {
        debug_assert!(labels.windows(2).all(|w| w[0].name < w[1].name));
        debug_assert!(labels.iter().all(|l| !l.value.is_empty()));
        Labels(labels.into())
    }

    /// The number of labels.
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert_eq!(Labels::from_pairs([("a", "1")]).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert!(Labels::from_pairs([("a", "")]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of label `name`, if present.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1")]);
    /// assert_eq!(l.get("a"), Some("1"));
    /// assert_eq!(l.get("b"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| (*l.name).cmp(name))
            .ok()
            .map(|i| &*self.0[i].value)
    }

    /// The value of label `name`, or `""` when absent (how matchers see a missing label).
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert_eq!(Labels::empty().get_or_empty("a"), "");
    /// ```
    pub fn get_or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether label `name` is present.
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert!(Labels::from_pairs([("a", "1")]).has("a"));
    /// ```
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The metric name (`__name__`), if present.
    ///
    /// ```
    /// # use promgate::Labels;
    /// assert_eq!(Labels::from_pairs([("__name__", "up")]).metric_name(), Some("up"));
    /// ```
    pub fn metric_name(&self) -> Option<&str> {
        // `__name__` sorts before lower-case names, so it is usually first.
        match self.0.first() {
            Some(l) if &*l.name == METRIC_NAME => Some(&l.value),
            _ => self.get(METRIC_NAME),
        }
    }

    /// An identity for this label set while it is alive: two label sets with the same key
    /// share their storage (and so are equal). Keep a clone next to a stored key, or the
    /// storage may be freed and reused by another label set.
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const Label as usize
    }

    /// The labels in order.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1"), ("b", "2")]);
    /// assert_eq!(l.iter().map(|l| l.value()).collect::<String>(), "12");
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The label names in order.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("b", "1"), ("a", "2")]);
    /// assert_eq!(l.names().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|l| l.name())
    }

    /// Prometheus's `Labels.Hash()` (default `stringlabels` build): xxHash64 of the labels
    /// encoded as length-prefixed names and values. `limit_ratio` samples series by it.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let a = Labels::from_pairs([("a", "1")]);
    /// assert_eq!(a.prometheus_hash(), a.clone().prometheus_hash());
    /// ```
    pub fn prometheus_hash(&self) -> u64 {
        let mut data = Vec::with_capacity(64);
        for label in self.0.iter() {
            for text in [label.name(), label.value()] {
                let len = text.len();
                if len < 255 {
                    data.push(len as u8);
                } else {
                    data.extend_from_slice(&[255, len as u8, (len >> 8) as u8, (len >> 16) as u8]);
                }
                data.extend_from_slice(text.as_bytes());
            }
        }
        super::xxhash64(&data)
    }

    /// A builder starting from this label set.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
    /// let out = l.builder().del("__name__").set("env", "prod").build();
    /// assert_eq!(out.to_string(), r#"{env="prod", job="a"}"#);
    /// ```
    pub fn builder(&self) -> LabelsBuilder {
        LabelsBuilder::new(self.clone())
    }

    /// Whether both label sets share one allocation (cheap clones of each other).
    #[cfg(test)]
    pub(crate) fn same_allocation(&self, other: &Labels) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// This label set without `__name__`.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
    /// assert_eq!(l.without_metric_name().to_string(), r#"{job="a"}"#);
    /// ```
    pub fn without_metric_name(&self) -> Labels {
        match self.0.first() {
            Some(first) if &*first.name == METRIC_NAME => Labels(self.0[1..].into()),
            _ => self.clone(),
        }
    }

    /// This label set as PromQL leaves it after a function or operator that changes the
    /// metric's meaning: without `__name__` and the metadata labels that go with it
    /// (`__type__`, `__unit__`), as Prometheus's `DropReserved`/`DropMetricName` do.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("__name__", "up"), ("__unit__", "s"), ("job", "a")]);
    /// assert_eq!(l.drop_metric_name().to_string(), r#"{job="a"}"#);
    /// ```
    pub fn drop_metric_name(&self) -> Labels {
        const METADATA: [&str; 3] = [METRIC_NAME, "__type__", "__unit__"];
        if !self
            .iter()
            .any(|l| l.name().starts_with("__") && METADATA.contains(&l.name()))
        {
            return self.clone();
        }
        self.drop(&METADATA)
    }

    /// Only the labels whose names are in `names` (order of `names` irrelevant).
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1"), ("b", "2"), ("c", "3")]);
    /// assert_eq!(l.keep(&["c", "a"]).to_string(), r#"{a="1", c="3"}"#);
    /// ```
    pub fn keep<S: AsRef<str>>(&self, names: &[S]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|l| names.iter().any(|n| n.as_ref() == &*l.name))
                .cloned()
                .collect::<Vec<_>>()
                .into(),
        )
    }

    /// All labels except those whose names are in `names`.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1"), ("b", "2")]);
    /// assert_eq!(l.drop(&["a"]).to_string(), r#"{b="2"}"#);
    /// ```
    pub fn drop<S: AsRef<str>>(&self, names: &[S]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|l| !names.iter().any(|n| n.as_ref() == &*l.name))
                .cloned()
                .collect::<Vec<_>>()
                .into(),
        )
    }
}

impl fmt::Display for Labels {
    /// Prometheus's `Labels.String()` form: `{a="1", b="2"}` with Go-quoted values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, label) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{label}")?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Builds a new label set from a base by setting and deleting labels, as Prometheus's
/// `labels.Builder` does. Setting a label to `""` deletes it.
///
/// ```
/// use promgate::Labels;
/// let base = Labels::from_pairs([("a", "1"), ("b", "2")]);
/// let mut b = base.builder();
/// b.set_mut("a", "x");
/// b.del_mut("b");
/// assert_eq!(b.build().to_string(), r#"{a="x"}"#);
/// ```
#[derive(Debug, Clone)]
pub struct LabelsBuilder {
    base: Labels,
    /// Pending changes in the order given; a later change to the same name wins.
    changes: Vec<(Arc<str>, Option<Arc<str>>)>,
}

impl LabelsBuilder {
    /// A builder starting from `base`.
    ///
    /// ```
    /// # use promgate::{Labels, LabelsBuilder};
    /// assert!(LabelsBuilder::new(Labels::empty()).build().is_empty());
    /// ```
    pub fn new(base: Labels) -> LabelsBuilder {
        LabelsBuilder {
            base,
            changes: Vec::new(),
        }
    }

    /// Sets `name` to `value` (deletes it when `value` is empty).
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::empty().builder().set("a", "1").build();
    /// assert_eq!(l.get("a"), Some("1"));
    /// ```
    pub fn set(mut self, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        self.set_mut(name, value);
        self
    }

    /// Deletes `name`.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1")]).builder().del("a").build();
    /// assert!(l.is_empty());
    /// ```
    pub fn del(mut self, name: impl Into<Arc<str>>) -> Self {
        self.del_mut(name);
        self
    }

    /// In-place form of [`LabelsBuilder::set`].
    ///
    /// ```
    /// # use promgate::Labels;
    /// let mut b = Labels::empty().builder();
    /// b.set_mut("a", "1");
    /// assert_eq!(b.get("a"), Some("1"));
    /// ```
    pub fn set_mut(&mut self, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) {
        let value: Arc<str> = value.into();
        let value = if value.is_empty() { None } else { Some(value) };
        self.changes.push((name.into(), value));
    }

    /// In-place form of [`LabelsBuilder::del`].
    ///
    /// ```
    /// # use promgate::Labels;
    /// let mut b = Labels::from_pairs([("a", "1")]).builder();
    /// b.del_mut("a");
    /// assert_eq!(b.get("a"), None);
    /// ```
    pub fn del_mut(&mut self, name: impl Into<Arc<str>>) {
        self.changes.push((name.into(), None));
    }

    /// Keeps only the labels named in `names` (applied to the current state).
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::from_pairs([("a", "1"), ("b", "2")]).builder().keep(&["b"]).build();
    /// assert_eq!(l.to_string(), r#"{b="2"}"#);
    /// ```
    pub fn keep<S: AsRef<str>>(self, names: &[S]) -> Self {
        let current = self.build();
        LabelsBuilder::new(current.keep(names))
    }

    /// The current value of `name`, with pending changes applied.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let b = Labels::from_pairs([("a", "1")]).builder().set("a", "2");
    /// assert_eq!(b.get("a"), Some("2"));
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        for (changed, value) in self.changes.iter().rev() {
            if &**changed == name {
                return value.as_deref();
            }
        }
        self.base.get(name)
    }

    /// The resulting label set.
    ///
    /// ```
    /// # use promgate::Labels;
    /// let l = Labels::empty().builder().set("b", "2").set("a", "1").build();
    /// assert_eq!(l.to_string(), r#"{a="1", b="2"}"#);
    /// ```
    pub fn build(&self) -> Labels {
        if self.changes.is_empty() {
            return self.base.clone();
        }
        let mut out: Vec<Label> = Vec::with_capacity(self.base.len() + self.changes.len());
        for label in self.base.iter() {
            if !self.changes.iter().any(|(n, _)| **n == *label.name) {
                out.push(label.clone());
            }
        }
        // The last change to each name wins.
        for (i, (name, value)) in self.changes.iter().enumerate() {
            let overridden = self.changes[i + 1..].iter().any(|(n, _)| n == name);
            if let (false, Some(value)) = (overridden, value) {
                out.push(Label {
                    name: name.clone(),
                    value: value.clone(),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Labels::from_sorted(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_is_prometheus_order() {
        let a = Labels::from_pairs([("a", "1")]);
        let ab = Labels::from_pairs([("a", "1"), ("b", "1")]);
        let a2 = Labels::from_pairs([("a", "2")]);
        let b = Labels::from_pairs([("b", "0")]);
        let mut v = vec![b.clone(), a2.clone(), ab.clone(), a.clone()];
        v.sort();
        assert_eq!(v, vec![a, ab, a2, b]);
    }

    #[test]
    fn builder_last_change_wins() {
        let base = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let l = base
            .builder()
            .set("a", "x")
            .del("a")
            .set("c", "3")
            .set("b", "")
            .build();
        assert_eq!(l.to_string(), r#"{c="3"}"#);
        let l = base.builder().del("a").set("a", "y").build();
        assert_eq!(l.to_string(), r#"{a="y", b="2"}"#);
    }

    #[test]
    fn display_quotes_values() {
        let l = Labels::from_pairs([("a", "x\"y\n")]);
        assert_eq!(l.to_string(), r#"{a="x\"y\n"}"#);
    }
}
