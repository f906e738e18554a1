//! Running rule groups over a store, as Prometheus's rule manager does for one evaluation of
//! a group: rules in order, results written back (later rules see them at once), staleness for
//! series a rule stopped producing, the alert state machine, `ALERTS` and
//! `ALERTS_FOR_STATE`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::alert::{AlertTable, Candidate};
use super::{Alert, AlertState, Rule, RuleGroup, RuleKind};
use crate::eval::{Engine, EngineOptions, Semantics, Value};
use crate::model::fxhash::FxHashSet;
use crate::model::{SampleValue, Timestamp, format_float_g, stale_nan};
use crate::store::{Store, StoreError};
use crate::template::{AlertData, QuerySample, TemplateHost};
use crate::{Labels, LabelsBuilder};

/// Settings for running rule groups.
///
/// ```
/// use promgate::rules::RuleEvalOptions;
/// let o = RuleEvalOptions::default();
/// assert!(o.write_alert_series);
/// ```
#[derive(Debug, Clone)]
pub struct RuleEvalOptions {
    /// The query engine's settings.
    pub engine: EngineOptions,
    /// `$externalLabels` in templates (never added to alerts).
    pub external_labels: BTreeMap<String, String>,
    /// `$externalURL` in templates.
    pub external_url: String,
    /// Write `ALERTS` and `ALERTS_FOR_STATE` (Prometheus does once a rule's state is restored;
    /// unit tests always do).
    pub write_alert_series: bool,
}

impl Default for RuleEvalOptions {
    fn default() -> Self {
        RuleEvalOptions {
            engine: EngineOptions::default(),
            external_labels: BTreeMap::new(),
            external_url: String::new(),
            write_alert_series: true,
        }
    }
}

/// How Prometheus restores the `for` state of alerts at startup (its
/// `--rules.alert.for-grace-period` and `--rules.alert.for-outage-tolerance` flags).
///
/// ```
/// use promgate::rules::RestoreOptions;
/// assert_eq!(RestoreOptions::default().for_grace_period, 10 * 60_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    /// The least time between a restart and a restored alert firing (ms; default 10m).
    pub for_grace_period: i64,
    /// The longest outage after which state is still restored (ms; default 1h).
    pub outage_tolerance: i64,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            for_grace_period: 10 * 60_000,
            outage_tolerance: 60 * 60_000,
        }
    }
}

/// A rule's evaluation failed at one time; Prometheus keeps it as the rule's last error.
///
/// ```
/// use promgate::rules::RuleEvalError;
/// let e = RuleEvalError { rule: "r".into(), group: "g".into(), time: 60_000, message: "boom".into() };
/// assert_eq!(e.to_string(), "rule: r, time: 1m0s, err: boom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleEvalError {
    /// The rule's name.
    pub rule: String,
    /// Its group.
    pub group: String,
    /// The evaluation time (ms since the epoch).
    pub time: Timestamp,
    /// What went wrong, in Prometheus's words.
    pub message: String,
}

impl fmt::Display for RuleEvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rule: {}, time: {}, err: {}",
            self.rule,
            format_go_duration(self.time),
            self.message
        )
    }
}

/// Go's `time.Duration.String()` for milliseconds: `0s`, `1m0s`, `2h30m0s`, `1.5s`, `-1m0s`.
pub(crate) fn format_go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
    let (s, frac) = (ms / 1000 % 60, ms % 1000);
    let seconds = if frac == 0 {
        format!("{s}s")
    } else {
        let f = format!("{frac:03}");
        format!("{s}.{}s", f.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => format!("{sign}{seconds}"),
        (0, m) => format!("{sign}{m}m{seconds}"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}"),
    }
}

/// The state of one rule between evaluations.
#[derive(Debug, Clone, Default)]
pub(super) struct RuleState {
    /// Series written at the last successful evaluation (to stale the ones that go away).
    pub(super) written: FxHashSet<Labels>,
    pub(super) alerts: AlertTable,
    pub(super) last_error: Option<String>,
    /// The first evaluation time with a non-empty result (recording rule) or with an alert
    /// pending or firing (alerting rule), for coverage.
    pub(super) first_output: Option<Timestamp>,
    /// The first evaluation time with an alert firing.
    pub(super) first_firing: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub(super) struct GroupState {
    pub(super) group: Arc<RuleGroup>,
    pub(super) rules: Vec<RuleState>,
}

/// Runs rule groups over a store.
///
/// ```
/// use promgate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleLoadOptions};
/// use promgate::store::Store;
/// use promgate::Labels;
/// let text = "groups:\n- name: g\n  rules:\n  - record: two\n    expr: up * 2\n  - alert: Down\n    expr: up == 0\n";
/// let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
/// let mut store = Store::new();
/// store.append_float(Labels::from_pairs([("__name__", "up"), ("job", "a")]), 0, 0.0).unwrap();
/// let mut rules = GroupEvaluator::new(file.groups, RuleEvalOptions::default());
/// assert!(rules.eval_all(&mut store, 0).is_empty());
/// assert!(rules.alerts("Down").next().unwrap().is_firing());
/// ```
#[derive(Debug, Clone)]
pub struct GroupEvaluator {
    pub(super) groups: Vec<GroupState>,
    pub(super) engine: Engine,
    pub(super) options: RuleEvalOptions,
    /// The rules' order and what each reads, for block evaluation (`rules::block`), worked
    /// out once.
    pub(super) block_plan: std::sync::OnceLock<Arc<super::block::BlockPlan>>,
}

impl GroupEvaluator {
    /// An evaluator for `groups`, run in the given order.
    pub fn new(groups: Vec<RuleGroup>, options: RuleEvalOptions) -> GroupEvaluator {
        let groups = groups
            .into_iter()
            .map(|g| GroupState {
                rules: vec![RuleState::default(); g.rules.len()],
                group: Arc::new(g),
            })
            .collect();
        GroupEvaluator {
            groups,
            engine: Engine::new(options.engine.clone()),
            options,
            block_plan: std::sync::OnceLock::new(),
        }
    }

    /// The groups, in evaluation order.
    pub fn groups(&self) -> impl Iterator<Item = &RuleGroup> {
        self.groups.iter().map(|g| &*g.group)
    }

    /// Evaluates every group at `ts`, in order. Returns the rules whose last error is set
    /// after this evaluation (the rule's error, or a failed write of its result).
    pub fn eval_all(&mut self, store: &mut Store, ts: Timestamp) -> Vec<RuleEvalError> {
        let mut errors = Vec::new();
        for i in 0..self.groups.len() {
            errors.extend(self.eval_group(i, store, ts));
        }
        errors
    }

    /// Evaluates, in order, the groups due at `ts` as a rule manager would schedule them: each
    /// group every `interval` (its own, else `default_interval`) counted from `start`.
    /// Prometheus offsets each group's schedule by a hash of its name; this schedule is aligned
    /// to the start instead, so that runs are reproducible. Returns the rules' errors.
    ///
    /// ```
    /// use promgate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleLoadOptions};
    /// use promgate::store::Store;
    /// let text = "groups:\n- name: fast\n  interval: 10s\n  rules: [{record: f, expr: time()}]\n- name: slow\n  interval: 1m\n  rules: [{record: s, expr: time()}]\n";
    /// let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
    /// let mut rules = GroupEvaluator::new(file.groups, RuleEvalOptions::default());
    /// let mut store = Store::new();
    /// for t in (0..=60_000).step_by(10_000) {
    ///     rules.eval_due(&mut store, t, 0, 60_000);
    /// }
    /// assert_eq!(store.num_samples(), 7 + 2);
    /// ```
    pub fn eval_due(
        &mut self,
        store: &mut Store,
        ts: Timestamp,
        start: Timestamp,
        default_interval: i64,
    ) -> Vec<RuleEvalError> {
        let mut errors = Vec::new();
        for i in 0..self.groups.len() {
            let interval = self.groups[i]
                .group
                .interval
                .filter(|&i| i > 0)
                .unwrap_or(default_interval)
                .max(1);
            if (ts - start).rem_euclid(interval) == 0 {
                errors.extend(self.eval_group(i, store, ts));
            }
        }
        errors
    }

    /// Evaluates group `index` at `ts` and returns its rules' errors.
    pub fn eval_group(
        &mut self,
        index: usize,
        store: &mut Store,
        ts: Timestamp,
    ) -> Vec<RuleEvalError> {
        let state = &mut self.groups[index];
        let group = Arc::clone(&state.group);
        let offset = group.query_offset.unwrap_or(0);
        let t = ts - offset;
        for (rule, rule_state) in group.rules.iter().zip(state.rules.iter_mut()) {
            // The rule's query, then its result turned into the samples to write.
            let output = match query(&self.engine, store, rule, t).and_then(|samples| {
                apply_result(
                    &self.engine,
                    &self.options,
                    &group,
                    rule,
                    rule_state,
                    store,
                    ts,
                    samples,
                )
            }) {
                Ok(output) => output,
                Err(message) => {
                    rule_state.last_error = Some(message);
                    continue;
                }
            };
            rule_state.last_error = None;
            write_output(store, t, output, rule_state, self.options.engine.semantics);
        }
        group
            .rules
            .iter()
            .zip(&state.rules)
            .filter_map(|(rule, s)| {
                s.last_error.as_ref().map(|message| RuleEvalError {
                    rule: rule.name.clone(),
                    group: group.name.clone(),
                    time: ts,
                    message: message.clone(),
                })
            })
            .collect()
    }

    /// Restores the `for` state of the active alerts from the `ALERTS_FOR_STATE` series in
    /// `store`, as Prometheus's `Group.RestoreForState` does after the first evaluation at
    /// startup (`ts`). Rules whose `for` is shorter than `options.for_grace_period` are left
    /// alone; samples older than `ts - options.outage_tolerance` are not looked at. An alert
    /// that was firing keeps its old active time; one that was pending resumes where it
    /// stopped (its active time moves forward by the downtime), but fires no sooner than the
    /// grace period after `ts`. Returns each restored alert's rule name, labels and new active
    /// time.
    ///
    /// ```
    /// use promgate::rules::{GroupEvaluator, RestoreOptions, RuleEvalOptions, RuleFile, RuleLoadOptions};
    /// use promgate::store::Store;
    /// let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: 30m\n";
    /// let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
    /// let mut store = Store::new();
    /// let mut before = GroupEvaluator::new(file.groups.clone(), RuleEvalOptions::default());
    /// for t in (0..=20 * 60_000).step_by(60_000) {
    ///     before.eval_all(&mut store, t);
    /// }
    /// // Restarted 10 minutes later: 20 of the 30 minutes were spent pending.
    /// let mut after = GroupEvaluator::new(file.groups, RuleEvalOptions::default());
    /// after.eval_all(&mut store, 30 * 60_000);
    /// let restored = after.restore_for_state(&store, 30 * 60_000, &RestoreOptions::default());
    /// assert_eq!(restored[0].2, 10 * 60_000);
    /// ```
    pub fn restore_for_state(
        &mut self,
        store: &Store,
        ts: Timestamp,
        options: &RestoreOptions,
    ) -> Vec<(String, Labels, Timestamp)> {
        let mut restored = Vec::new();
        let mint = ts - options.outage_tolerance;
        for g in &mut self.groups {
            let group = Arc::clone(&g.group);
            for (rule, state) in group.rules.iter().zip(g.rules.iter_mut()) {
                let RuleKind::Alerting(spec) = &rule.kind else {
                    continue;
                };
                let hold = spec.hold;
                if hold < options.for_grace_period {
                    continue;
                }
                for alert in state.alerts.active.values_mut() {
                    let series = LabelsBuilder::new(alert.labels.clone())
                        .set("__name__", "ALERTS_FOR_STATE")
                        .build();
                    let Some(id) = store.find(&series) else {
                        continue;
                    };
                    let Some(last) = store
                        .series(id)
                        .floats()
                        .iter()
                        .rev()
                        // Before `ts`: Prometheus's first evaluation after startup writes no
                        // `ALERTS_FOR_STATE` (the rule is not restored yet), this one may have.
                        .find(|p| p.t < ts && p.t >= mint)
                    else {
                        continue;
                    };
                    if crate::model::is_stale_nan(last.f) {
                        continue;
                    }
                    // Prometheus keeps whole seconds of both times.
                    let down_at = last.t.div_euclid(1000) * 1000;
                    let mut active_at = (last.f as i64) * 1000;
                    let remaining = hold - (down_at - active_at);
                    if remaining <= 0 {
                        // It was firing: the next evaluation fires it again.
                    } else if remaining < options.for_grace_period {
                        active_at = ts + options.for_grace_period - hold;
                    } else {
                        active_at += ts - down_at;
                    }
                    alert.active_at = active_at;
                    restored.push((rule.name.clone(), alert.labels.clone(), active_at));
                }
            }
        }
        restored
    }

    /// The current alerts (pending, firing and resolved ones still kept) of every alerting rule
    /// named `name`, in every group, sorted by labels within each rule.
    pub fn alerts<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Alert> + 'a {
        self.groups.iter().flat_map(move |g| {
            g.group
                .rules
                .iter()
                .zip(&g.rules)
                .filter(move |(r, _)| r.is_alert() && r.name == name)
                .flat_map(|(_, s)| s.alerts.active.values())
        })
    }

    /// Each rule's first evaluation time with a non-empty result (a recording rule) or a
    /// pending or firing alert (an alerting rule), and its first time with a firing alert:
    /// (group, rule index, first output, first firing), in evaluation order.
    pub(crate) fn activity(
        &self,
    ) -> impl Iterator<Item = (&RuleGroup, usize, Option<Timestamp>, Option<Timestamp>)> {
        self.groups.iter().flat_map(|g| {
            g.rules
                .iter()
                .enumerate()
                .map(move |(i, s)| (&*g.group, i, s.first_output, s.first_firing))
        })
    }

    /// Every alert of every rule: (group, rule, alert).
    pub fn all_alerts(&self) -> impl Iterator<Item = (&RuleGroup, &Rule, &Alert)> {
        self.groups.iter().flat_map(|g| {
            g.group
                .rules
                .iter()
                .zip(&g.rules)
                .flat_map(move |(r, s)| s.alerts.active.values().map(move |a| (&*g.group, r, a)))
        })
    }
}

/// Writes one evaluation's output at `t`, and stale markers for the series the rule wrote
/// last time and not now; a failed write becomes the rule's last error.
pub(super) fn write_output(
    store: &mut Store,
    t: Timestamp,
    output: Vec<(Labels, SampleValue)>,
    rule_state: &mut RuleState,
    semantics: Semantics,
) {
    let mut written = FxHashSet::with_capacity_and_hasher(output.len(), Default::default());
    for (labels, value) in output {
        match store
            .series_id(labels.clone())
            .and_then(|id| store.append(id, t, value.clone()))
        {
            Ok(()) => {
                written.insert(labels);
            }
            Err(e) => rule_state.last_error = Some(append_error(store, &e, &value, semantics)),
        }
    }
    // Series this rule wrote last time and not now go stale at once.
    let mut gone: Vec<&Labels> = rule_state.written.difference(&written).collect();
    gone.sort();
    for labels in gone {
        if let Ok(id) = store.series_id(labels.clone()) {
            let _ = store.append(id, t, SampleValue::Float(stale_nan()));
        }
    }
    rule_state.written = written;
}

/// Prometheus's wording for a failed write of a rule result.
fn append_error(
    store: &Store,
    e: &StoreError,
    value: &SampleValue,
    semantics: Semantics,
) -> String {
    match e {
        StoreError::DuplicateTimestamp { series, t } => {
            if semantics == Semantics::Prometheus2 || *t == 0 {
                return "duplicate sample for timestamp".to_string();
            }
            let existing = store
                .find(series)
                .and_then(|id| store.series(id).floats().last().map(|p| p.f));
            match (existing, value.as_float()) {
                (Some(old), Some(new)) => format!(
                    "duplicate sample for timestamp {t}; overrides not allowed: existing {}, new value {}",
                    format_float_g(old),
                    format_float_g(new)
                ),
                _ => "duplicate sample for timestamp".to_string(),
            }
        }
        StoreError::OutOfOrder { .. } => "out of order sample".to_string(),
        other => other.to_string(),
    }
}

/// Turns a rule's query result at `ts` into the samples to write (for an alerting rule, after
/// updating its alerts).
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_result(
    engine: &Engine,
    options: &RuleEvalOptions,
    group: &RuleGroup,
    rule: &Rule,
    state: &mut RuleState,
    store: &Store,
    ts: Timestamp,
    samples: Vec<crate::eval::Sample>,
) -> Result<Vec<(Labels, SampleValue)>, String> {
    match &rule.kind {
        RuleKind::Recording => {
            let mut out = Vec::with_capacity(samples.len());
            for s in samples {
                let mut b = LabelsBuilder::new(s.metric);
                b.set_mut("__name__", rule.name.as_str());
                for l in rule.labels.iter() {
                    set_or_delete(&mut b, l.name(), l.value());
                }
                let value = match s.h {
                    Some(h) => SampleValue::Histogram(h),
                    None => SampleValue::Float(s.f),
                };
                out.push((b.build(), value));
            }
            let mut seen = FxHashSet::with_capacity_and_hasher(out.len(), Default::default());
            if !out.iter().all(|(l, _)| seen.insert(l)) {
                return Err(
                    "vector contains metrics with the same labelset after applying rule labels"
                        .into(),
                );
            }
            if group.limit > 0 && out.len() as i64 > group.limit {
                return Err(format!(
                    "exceeded limit of {} with {} series",
                    group.limit,
                    out.len()
                ));
            }
            if !out.is_empty() {
                state.first_output.get_or_insert(ts);
            }
            Ok(out)
        }
        RuleKind::Alerting(spec) => {
            let host = StoreHost {
                engine,
                store,
                time: ts,
            };
            let mut candidates = Vec::with_capacity(samples.len());
            let mut seen = FxHashSet::with_capacity_and_hasher(samples.len(), Default::default());
            for s in samples {
                let data = AlertData {
                    labels: &s.metric,
                    external_labels: &options.external_labels,
                    external_url: &options.external_url,
                    value: s.f,
                };
                let mut b = LabelsBuilder::new(s.metric.drop_metric_name());
                for (name, template) in &spec.label_templates {
                    set_or_delete(&mut b, name, &template.expand(&data, &host));
                }
                b.set_mut("alertname", rule.name.as_str());
                let labels = b.build();
                let annotations = Labels::from_pairs_keeping_empty(
                    spec.annotations
                        .iter()
                        .map(|(name, template)| (Arc::clone(name), template.expand(&data, &host))),
                );
                if !seen.insert(labels.clone()) {
                    return Err(
                        "vector contains metrics with the same labelset after applying alert labels"
                            .into(),
                    );
                }
                candidates.push(Candidate {
                    labels,
                    annotations,
                    value: s.f,
                });
            }
            let active = state
                .alerts
                .update(candidates, ts, spec.hold, spec.keep_firing_for);
            if group.limit > 0 && active as i64 > group.limit {
                state.alerts.active.clear();
                return Err(format!(
                    "exceeded limit of {} with {active} alerts",
                    group.limit
                ));
            }
            for a in state.alerts.active.values() {
                match a.state {
                    AlertState::Inactive => {}
                    AlertState::Pending => {
                        state.first_output.get_or_insert(ts);
                    }
                    AlertState::Firing => {
                        state.first_output.get_or_insert(ts);
                        state.first_firing.get_or_insert(ts);
                    }
                }
            }
            if !options.write_alert_series {
                return Ok(Vec::new());
            }
            let mut out = Vec::with_capacity(2 * state.alerts.active.len());
            for a in state.alerts.active.values() {
                if a.state == AlertState::Inactive {
                    continue;
                }
                let base = LabelsBuilder::new(a.labels.clone());
                let alerts = base
                    .clone()
                    .set("__name__", "ALERTS")
                    .set("alertstate", a.state.to_string())
                    .build();
                let for_state = base.set("__name__", "ALERTS_FOR_STATE").build();
                out.push((alerts, SampleValue::Float(1.0)));
                out.push((
                    for_state,
                    SampleValue::Float(a.active_at.div_euclid(1000) as f64),
                ));
            }
            Ok(out)
        }
    }
}

/// Prometheus's `labels.Builder.Set`: an empty value deletes the label.
pub(super) fn set_or_delete(b: &mut LabelsBuilder, name: &str, value: &str) {
    if value.is_empty() {
        b.del_mut(name);
    } else {
        b.set_mut(name, value);
    }
}

/// The rule query function: an instant query whose result must be a vector or a scalar.
fn query(
    engine: &Engine,
    store: &Store,
    rule: &Rule,
    t: Timestamp,
) -> Result<Vec<crate::eval::Sample>, String> {
    let result = engine
        .instant_query(store, &rule.expr, t)
        .map_err(|e| e.to_string())?;
    match result.value {
        Value::Vector(v) => Ok(v),
        Value::Scalar(f) => Ok(vec![crate::eval::Sample::float(Labels::empty(), f)]),
        _ => Err("rule result is not a vector or scalar".into()),
    }
}

/// Templates' `query` runs against the store at the evaluation time.
struct StoreHost<'a> {
    engine: &'a Engine,
    store: &'a Store,
    time: Timestamp,
}

impl TemplateHost for StoreHost<'_> {
    fn query(&self, query: &str) -> Result<Vec<QuerySample>, String> {
        let expr = crate::promql::parse(query).map_err(|e| e.prometheus_message())?;
        let result = self
            .engine
            .instant_query(self.store, &expr, self.time)
            .map_err(|e| e.to_string())?;
        match result.value {
            Value::Vector(v) => Ok(v
                .into_iter()
                .map(|s| QuerySample {
                    labels: s.metric,
                    value: s.f,
                })
                .collect()),
            Value::Scalar(f) => Ok(vec![QuerySample {
                labels: Labels::empty(),
                value: f,
            }]),
            other => Err(format!(
                "query {query:?} returned a {}, want a vector or a scalar",
                other.type_name()
            )),
        }
    }

    fn now_ms(&self) -> i64 {
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (ms, want) in [
            (0, "0s"),
            (60_000, "1m0s"),
            (9_000_000, "2h30m0s"),
            (1_500, "1.5s"),
            (500, "500ms"),
            (-60_000, "-1m0s"),
            (86_400_000, "24h0m0s"),
        ] {
            assert_eq!(format_go_duration(ms), want, "{ms}");
        }
    }
}
