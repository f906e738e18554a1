//! Would this alert have fired, and when: an alerting rule replayed over a past window from
//! any [`Source`] (one range query), with its `for` and `keep_firing_for`.
//!
//! The rule is evaluated at every step of the window, as the rule manager evaluates it at
//! every group interval: give the group's interval as the step for an exact replay (a longer
//! step can miss short episodes; a shorter one can fire earlier than Prometheus would).
//!
//! ```
//! use promgate::decision::backtest::alert_history;
//! use promgate::rules::{RuleFile, RuleLoadOptions};
//! use promgate::source::StoreSource;
//! use promgate::{Labels, Store};
//! let rules = "groups: [{name: g, rules: [{alert: Down, expr: 'up == 0', for: 1m}]}]";
//! let file = RuleFile::parse("r.yml", rules, &RuleLoadOptions::default()).unwrap();
//! let mut store = Store::new();
//! let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
//! store.append_floats(up, (0..10).map(|i| (i * 30_000, if (2..7).contains(&i) { 0.0 } else { 1.0 }))).unwrap();
//! let episodes = alert_history(&StoreSource::new(&store), &file.groups[0].rules[0], 0, 270_000, 30_000).unwrap();
//! assert_eq!(episodes.len(), 1);
//! assert_eq!(episodes[0].active_from, 60_000);
//! assert_eq!(episodes[0].firing_from, Some(120_000));
//! assert_eq!(episodes[0].resolved_at, Some(210_000));
//! ```

use std::collections::BTreeMap;

use crate::Labels;
use crate::model::Timestamp;
use crate::rules::{Rule, RuleKind};
use crate::source::{Source, SourceError};

/// One alert episode: from the first step its expression had the series to its resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEpisode {
    /// The series of the expression's result (before the rule's labels are added).
    pub labels: Labels,
    /// The first step it was active (pending, or firing at once without `for`).
    pub active_from: Timestamp,
    /// When it started firing (`None`: it stayed pending).
    pub firing_from: Option<Timestamp>,
    /// The first step it was no longer active (`None`: still active at the window's end).
    pub resolved_at: Option<Timestamp>,
}

/// The episodes of an alerting rule over `start..=end` at `step`, sorted by labels then time.
/// A recording rule is an error.
pub fn alert_history(
    source: &dyn Source,
    rule: &Rule,
    start: Timestamp,
    end: Timestamp,
    step: i64,
) -> Result<Vec<AlertEpisode>, SourceError> {
    let RuleKind::Alerting(alert) = &rule.kind else {
        return Err(SourceError::new(format!(
            "{} is a recording rule, not an alert",
            rule.name
        )));
    };
    let steps = source.range(&rule.expr, start, end, step)?;
    // Per series: the open episode and when the series was last seen.
    let mut open: BTreeMap<Labels, (AlertEpisode, Timestamp)> = BTreeMap::new();
    let mut done = Vec::new();
    for (i, samples) in steps.iter().enumerate() {
        let t = start + i as i64 * step;
        let present: std::collections::BTreeSet<&Labels> = samples.iter().map(|(l, _)| l).collect();
        for labels in &present {
            let (episode, seen) = open.entry((*labels).clone()).or_insert_with(|| {
                (
                    AlertEpisode {
                        labels: (*labels).clone(),
                        active_from: t,
                        firing_from: None,
                        resolved_at: None,
                    },
                    t,
                )
            });
            *seen = t;
            if episode.firing_from.is_none() && t - episode.active_from >= alert.hold {
                episode.firing_from = Some(t);
            }
        }
        let gone: Vec<Labels> = open
            .iter()
            .filter(|(l, (episode, seen))| {
                !present.contains(l)
                    && (episode.firing_from.is_none() || t - seen >= alert.keep_firing_for)
            })
            .map(|(l, _)| l.clone())
            .collect();
        for l in gone {
            if let Some((mut episode, _)) = open.remove(&l) {
                episode.resolved_at = Some(t);
                done.push(episode);
            }
        }
    }
    done.extend(open.into_values().map(|(e, _)| e));
    done.sort_by(|a, b| {
        a.labels
            .cmp(&b.labels)
            .then(a.active_from.cmp(&b.active_from))
    });
    Ok(done)
}
