//! The alert state machine of one alerting rule, as Prometheus's `AlertingRule.Eval`.

use std::collections::BTreeMap;
use std::fmt;

use crate::Labels;
use crate::model::Timestamp;

/// How long a resolved alert is kept before it is forgotten (Prometheus's
/// `resolvedRetention`).
pub(crate) const RESOLVED_RETENTION: i64 = 15 * 60_000;

/// The state of an alert.
///
/// ```
/// use promgate::rules::AlertState;
/// assert_eq!(AlertState::Firing.to_string(), "firing");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AlertState {
    /// Resolved: the condition went away.
    #[default]
    Inactive,
    /// The condition holds, for less than the rule's `for`.
    Pending,
    /// The condition has held for `for` (or is kept firing by `keep_firing_for`).
    Firing,
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        })
    }
}

/// One alert of an alerting rule.
///
/// ```
/// use promgate::rules::{Alert, AlertState};
/// let a = Alert { state: AlertState::Pending, ..Alert::default() };
/// assert!(!a.is_firing());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Alert {
    /// Its labels: the sample's without `__name__`, the rule's expanded labels, `alertname`.
    pub labels: Labels,
    /// Its expanded annotations, sorted by name.
    pub annotations: Labels,
    /// Its state.
    pub state: AlertState,
    /// The sample value it was last seen with.
    pub value: f64,
    /// When it became pending (ms).
    pub active_at: Timestamp,
    /// When it started firing (ms), if it did.
    pub fired_at: Option<Timestamp>,
    /// When it resolved (ms), if it did.
    pub resolved_at: Option<Timestamp>,
    /// Since when it has been kept firing by `keep_firing_for` after its condition went away.
    pub keep_firing_since: Option<Timestamp>,
    /// The last evaluation that had it in its result (ms).
    pub last_seen_at: Timestamp,
}

impl Alert {
    /// Is it firing (including kept firing)?
    pub fn is_firing(&self) -> bool {
        self.state == AlertState::Firing
    }

    /// Is it being kept firing by `keep_firing_for` (its condition has gone)?
    pub fn is_kept_firing(&self) -> bool {
        self.state == AlertState::Firing && self.keep_firing_since.is_some()
    }
}

/// The alerts of one rule, keyed by label set (ordered, so output is deterministic).
#[derive(Debug, Clone, Default)]
pub(crate) struct AlertTable {
    pub active: BTreeMap<Labels, Alert>,
}

/// An alert built from one result sample at this evaluation.
pub(crate) struct Candidate {
    pub labels: Labels,
    pub annotations: Labels,
    pub value: f64,
}

impl AlertTable {
    /// Applies one evaluation's candidates at `ts`. Returns the number of pending and firing
    /// alerts (for the group's limit). `hold` and `keep_firing_for` in ms.
    pub fn update(
        &mut self,
        candidates: Vec<Candidate>,
        ts: Timestamp,
        hold: i64,
        keep_firing_for: i64,
    ) -> usize {
        let mut seen: crate::model::fxhash::FxHashSet<Labels> =
            crate::model::fxhash::FxHashSet::with_capacity_and_hasher(
                candidates.len(),
                Default::default(),
            );
        for c in candidates {
            seen.insert(c.labels.clone());
            match self.active.get_mut(&c.labels) {
                Some(alert) if alert.state != AlertState::Inactive => {
                    alert.value = c.value;
                    alert.annotations = c.annotations;
                    alert.last_seen_at = ts;
                }
                _ => {
                    self.active.insert(
                        c.labels.clone(),
                        Alert {
                            labels: c.labels,
                            annotations: c.annotations,
                            state: AlertState::Pending,
                            value: c.value,
                            active_at: ts,
                            fired_at: None,
                            resolved_at: None,
                            keep_firing_since: None,
                            last_seen_at: ts,
                        },
                    );
                }
            }
        }
        let mut active = 0;
        self.active.retain(|labels, a| {
            if !seen.contains(labels) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && keep_firing_for > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < keep_firing_for;
                }
                let delete = a.state == AlertState::Pending
                    || a.resolved_at.is_some_and(|r| ts - r > RESOLVED_RETENTION);
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep_firing {
                    return !delete;
                }
            } else {
                a.keep_firing_since = None;
            }
            active += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= hold {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            true
        });
        active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(i: &str) -> Candidate {
        Candidate {
            labels: Labels::from_pairs([("alertname", "A"), ("i", i)]),
            annotations: Labels::empty(),
            value: 1.0,
        }
    }

    /// The spec's verified 2.42 trace: `keep_firing_for: 90s`, `for: 1m`, 1m steps, condition
    /// `1 1 1 0 0 0 0 1 0 1 1 1`.
    #[test]
    fn keep_firing_for_trace() {
        let condition = [1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1];
        let mut table = AlertTable::default();
        let mut states = Vec::new();
        for (step, &c) in condition.iter().enumerate() {
            let ts = step as i64 * 60_000;
            let cands = if c == 1 { vec![cand("1")] } else { vec![] };
            table.update(cands, ts, 60_000, 90_000);
            let a = table.active.values().next();
            states.push(match a {
                Some(a) if a.state == AlertState::Firing && a.keep_firing_since.is_some() => {
                    "kept".to_string()
                }
                Some(a) if a.state != AlertState::Inactive => {
                    format!("{}@{}", a.state, a.active_at / 60_000)
                }
                _ => "gone".to_string(),
            });
        }
        assert_eq!(
            states,
            [
                "pending@0",
                "firing@0",
                "firing@0",
                "kept",
                "kept",
                "gone",
                "gone",
                "pending@7",
                "gone",
                "pending@9",
                "firing@9",
                "firing@9"
            ]
        );
    }

    #[test]
    fn for_90s_fires_at_the_first_step_past_it() {
        let mut table = AlertTable::default();
        let mut fired = None;
        for step in 1..6 {
            let ts = step * 60_000;
            table.update(vec![cand("1")], ts, 90_000, 0);
            if fired.is_none() && table.active.values().any(Alert::is_firing) {
                fired = Some(step);
            }
        }
        assert_eq!(fired, Some(3), "active at 1m, fires at 1m + 2m");
    }

    #[test]
    fn resolved_alerts_are_kept_for_the_retention_then_dropped() {
        let mut table = AlertTable::default();
        table.update(vec![cand("1")], 0, 0, 0);
        table.update(vec![], 60_000, 0, 0);
        let a = table.active.values().next().unwrap();
        assert_eq!(
            (a.state, a.resolved_at),
            (AlertState::Inactive, Some(60_000))
        );
        table.update(vec![], 60_000 + RESOLVED_RETENTION, 0, 0);
        assert_eq!(table.active.len(), 1);
        table.update(vec![], 60_000 + RESOLVED_RETENTION + 1, 0, 0);
        assert!(table.active.is_empty());
    }
}
