//! Grade ladders: ordered thresholds on one statistic, each with a grade and an action.

use serde::Deserialize;

use super::{StatsError, Summary};

/// The statistic of a [`Summary`] a ladder grades.
///
/// ```
/// use promgate::stats::{summarize, Statistic, SummaryOptions};
/// let s = summarize(&[Some(0.1), Some(0.3), None], &SummaryOptions::default()).unwrap();
/// assert_eq!(Statistic::Mean.of(&s), Some(0.2));
/// assert_eq!(Statistic::MissingFraction.of(&s), Some(1.0 / 3.0));
/// assert_eq!(Statistic::BreachFraction.of(&s), None); // no threshold was given
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// [`Summary::mean`].
    #[default]
    Mean,
    /// [`Summary::std_dev`].
    StdDev,
    /// [`Summary::min`].
    Min,
    /// [`Summary::max`].
    Max,
    /// The median.
    P50,
    /// The 0.9 quantile.
    P90,
    /// The 0.95 quantile.
    P95,
    /// The 0.99 quantile.
    P99,
    /// The lower end of the confidence interval of the mean.
    MeanCiLower,
    /// The upper end of the confidence interval of the mean (a cautious "mean is at most").
    MeanCiUpper,
    /// [`Summary::missing_fraction`].
    MissingFraction,
    /// Breaching samples over present samples (needs a threshold in the summary options).
    BreachFraction,
}

impl Statistic {
    /// The statistic's value in `summary`; `None` when the summary does not have it.
    ///
    /// ```
    /// use promgate::stats::{summarize, Statistic, SummaryOptions};
    /// let s = summarize(&[Some(1.0)], &SummaryOptions::default()).unwrap();
    /// assert_eq!(Statistic::StdDev.of(&s), None);
    /// assert_eq!(Statistic::P99.of(&s), Some(1.0));
    /// ```
    pub fn of(&self, summary: &Summary) -> Option<f64> {
        match self {
            Statistic::Mean => Some(summary.mean),
            Statistic::StdDev => summary.std_dev,
            Statistic::Min => Some(summary.min),
            Statistic::Max => Some(summary.max),
            Statistic::P50 => Some(summary.quantiles.p50),
            Statistic::P90 => Some(summary.quantiles.p90),
            Statistic::P95 => Some(summary.quantiles.p95),
            Statistic::P99 => Some(summary.quantiles.p99),
            Statistic::MeanCiLower => summary.mean_ci.map(|ci| ci.lower),
            Statistic::MeanCiUpper => summary.mean_ci.map(|ci| ci.upper),
            Statistic::MissingFraction => Some(summary.missing_fraction()),
            Statistic::BreachFraction => summary
                .breach
                .map(|breach| breach.samples as f64 / summary.count as f64),
        }
    }
}

/// How a value is compared with the rungs' limits.
///
/// ```
/// use promgate::stats::Comparison;
/// assert_eq!(Comparison::default(), Comparison::AtMost);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Lower is better: a rung applies when `value <= limit`; limits strictly increase.
    #[default]
    AtMost,
    /// Higher is better: a rung applies when `value >= limit`; limits strictly decrease.
    AtLeast,
}

/// One step of a ladder.
///
/// ```
/// use promgate::stats::Rung;
/// let rung = Rung { limit: 0.2, grade: "L4.9".into(), action: "promote".into() };
/// assert_eq!(rung.action, "promote");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// The limit the value is compared with.
    pub limit: f64,
    /// The grade given, e.g. `"L4.9"`.
    pub grade: String,
    /// What to do, e.g. `"promote"`.
    pub action: String,
}

/// The grade and action when no rung applies.
///
/// ```
/// use promgate::stats::Otherwise;
/// let otherwise = Otherwise { grade: "L4".into(), action: "investigate".into() };
/// assert_eq!(otherwise.grade, "L4");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Otherwise {
    /// The grade given.
    pub grade: String,
    /// What to do.
    pub action: String,
}

/// The ladder as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LadderSpec {
    #[serde(default)]
    statistic: Statistic,
    #[serde(default)]
    comparison: Comparison,
    rungs: Vec<Rung>,
    otherwise: Otherwise,
}

/// Ordered thresholds on one statistic: the first rung whose limit the value meets gives the
/// grade and action, else [`Otherwise`]. A `NaN` or unavailable value gets [`Otherwise`].
///
/// From YAML (validated while deserializing):
///
/// ```
/// use promgate::stats::GradeLadder;
/// let ladder: GradeLadder = serde_yaml::from_str(r#"
/// statistic: p99
/// comparison: at_most
/// rungs:
///   - { limit: 0.25, grade: A, action: promote }
///   - { limit: 0.50, grade: B, action: hold }
/// otherwise: { grade: C, action: roll back }
/// "#).unwrap();
/// assert_eq!(ladder.grade(0.3).grade, "B");
/// assert_eq!(ladder.grade(0.9).action, "roll back");
/// let unordered = "rungs: [{limit: 0.5, grade: A, action: a}, {limit: 0.25, grade: B, action: b}]\notherwise: {grade: C, action: c}";
/// assert!(serde_yaml::from_str::<GradeLadder>(unordered).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "LadderSpec")]
pub struct GradeLadder {
    statistic: Statistic,
    comparison: Comparison,
    rungs: Vec<Rung>,
    otherwise: Otherwise,
}

/// A ladder's verdict.
///
/// ```
/// let ladder = promgate::stats::GradeLadder::l4();
/// let graded = ladder.grade(0.25);
/// assert_eq!((graded.grade, graded.action, graded.rung), ("L4.7", "hold", Some(1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Graded<'a> {
    /// The grade.
    pub grade: &'a str,
    /// The action.
    pub action: &'a str,
    /// The index of the rung that applied; `None` for [`Otherwise`].
    pub rung: Option<usize>,
    /// The value graded; `None` when the statistic was unavailable.
    pub value: Option<f64>,
}

impl TryFrom<LadderSpec> for GradeLadder {
    type Error = StatsError;

    fn try_from(spec: LadderSpec) -> Result<Self, StatsError> {
        GradeLadder::new(spec.statistic, spec.comparison, spec.rungs, spec.otherwise)
    }
}

impl GradeLadder {
    /// A ladder.
    ///
    /// # Errors
    /// [`StatsError::UnorderedLadder`] when a limit is `NaN` or does not strictly follow the
    /// previous one in the comparison's order (it could never apply).
    ///
    /// ```
    /// use promgate::stats::{Comparison, GradeLadder, Otherwise, Rung, Statistic};
    /// let rung = |limit: f64, grade: &str| Rung { limit, grade: grade.into(), action: "go".into() };
    /// let otherwise = Otherwise { grade: "F".into(), action: "stop".into() };
    /// let ok = GradeLadder::new(Statistic::P50, Comparison::AtLeast, vec![rung(0.99, "A"), rung(0.95, "B")], otherwise.clone());
    /// assert_eq!(ok.unwrap().grade(0.97).grade, "B");
    /// let bad = GradeLadder::new(Statistic::P50, Comparison::AtLeast, vec![rung(0.95, "A"), rung(0.99, "B")], otherwise);
    /// assert!(bad.is_err());
    /// ```
    pub fn new(
        statistic: Statistic,
        comparison: Comparison,
        rungs: Vec<Rung>,
        otherwise: Otherwise,
    ) -> Result<Self, StatsError> {
        let (order, in_order): (&'static str, fn(f64, f64) -> bool) = match comparison {
            Comparison::AtMost => ("increasing", |previous, limit| limit > previous),
            Comparison::AtLeast => ("decreasing", |previous, limit| limit < previous),
        };
        let mut previous: Option<f64> = None;
        for (index, rung) in rungs.iter().enumerate() {
            let ordered = match previous {
                Some(previous) => in_order(previous, rung.limit),
                None => !rung.limit.is_nan(),
            };
            if !ordered {
                return Err(StatsError::UnorderedLadder {
                    index,
                    previous: previous.unwrap_or(f64::NAN),
                    limit: rung.limit,
                    order,
                });
            }
            previous = Some(rung.limit);
        }
        Ok(GradeLadder {
            statistic,
            comparison,
            rungs,
            otherwise,
        })
    }

    /// The L4 dry-run ladder, on the mean of the violation series V (0 when every gate holds):
    /// mean ≤ 0.2 → `L4.9` "promote", ≤ 0.3 → `L4.7` "hold", else `L4` "investigate".
    ///
    /// The same ladder in YAML:
    ///
    /// ```
    /// use promgate::stats::GradeLadder;
    /// let yaml = r#"
    /// statistic: mean
    /// comparison: at_most
    /// rungs:
    ///   - { limit: 0.2, grade: "L4.9", action: promote }
    ///   - { limit: 0.3, grade: "L4.7", action: hold }
    /// otherwise: { grade: "L4", action: investigate }
    /// "#;
    /// assert_eq!(serde_yaml::from_str::<GradeLadder>(yaml).unwrap(), GradeLadder::l4());
    /// assert_eq!(GradeLadder::l4().grade(0.2).grade, "L4.9");
    /// assert_eq!(GradeLadder::l4().grade(0.31).action, "investigate");
    /// ```
    pub fn l4() -> Self {
        let rung = |limit: f64, grade: &str, action: &str| Rung {
            limit,
            grade: grade.into(),
            action: action.into(),
        };
        GradeLadder {
            statistic: Statistic::Mean,
            comparison: Comparison::AtMost,
            rungs: vec![rung(0.2, "L4.9", "promote"), rung(0.3, "L4.7", "hold")],
            otherwise: Otherwise {
                grade: "L4".into(),
                action: "investigate".into(),
            },
        }
    }

    /// Grades a value.
    ///
    /// ```
    /// let ladder = promgate::stats::GradeLadder::l4();
    /// assert_eq!(ladder.grade(f64::NAN).rung, None);
    /// assert_eq!(ladder.grade(0.0).rung, Some(0));
    /// ```
    pub fn grade(&self, value: f64) -> Graded<'_> {
        let applies = |rung: &Rung| match self.comparison {
            Comparison::AtMost => value <= rung.limit,
            Comparison::AtLeast => value >= rung.limit,
        };
        match self.rungs.iter().position(applies) {
            Some(index) => Graded {
                grade: &self.rungs[index].grade,
                action: &self.rungs[index].action,
                rung: Some(index),
                value: Some(value),
            },
            None => Graded {
                grade: &self.otherwise.grade,
                action: &self.otherwise.action,
                rung: None,
                value: Some(value),
            },
        }
    }

    /// Grades the ladder's statistic of `summary`.
    ///
    /// ```
    /// use promgate::stats::{summarize, GradeLadder, SummaryOptions};
    /// let v: Vec<Option<f64>> = (0..8640).map(|i| Some(if i % 10 == 0 { 1.0 } else { 0.0 })).collect();
    /// let s = summarize(&v, &SummaryOptions::default()).unwrap();
    /// let ladder = GradeLadder::l4();
    /// let graded = ladder.grade_summary(&s);
    /// assert_eq!((graded.grade, graded.action, graded.value), ("L4.9", "promote", Some(0.1)));
    /// ```
    pub fn grade_summary(&self, summary: &Summary) -> Graded<'_> {
        match self.statistic.of(summary) {
            Some(value) => self.grade(value),
            None => Graded {
                grade: &self.otherwise.grade,
                action: &self.otherwise.action,
                rung: None,
                value: None,
            },
        }
    }

    /// The statistic graded.
    ///
    /// ```
    /// use promgate::stats::{GradeLadder, Statistic};
    /// assert_eq!(GradeLadder::l4().statistic(), Statistic::Mean);
    /// ```
    pub fn statistic(&self) -> Statistic {
        self.statistic
    }

    /// The rungs, in order.
    ///
    /// ```
    /// assert_eq!(promgate::stats::GradeLadder::l4().rungs().len(), 2);
    /// ```
    pub fn rungs(&self) -> &[Rung] {
        &self.rungs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_inclusive_and_ordered() {
        let ladder = GradeLadder::l4();
        assert_eq!(ladder.grade(0.2).grade, "L4.9");
        assert_eq!(ladder.grade(0.200_000_000_000_000_04).grade, "L4.7");
        assert_eq!(ladder.grade(0.3).grade, "L4.7");
        assert_eq!(ladder.grade(f64::INFINITY).grade, "L4");
        assert_eq!(ladder.grade(f64::NEG_INFINITY).grade, "L4.9");
        let nan_limit =
            "rungs: [{limit: .nan, grade: A, action: a}]\notherwise: {grade: C, action: c}";
        let err = serde_yaml::from_str::<GradeLadder>(nan_limit).unwrap_err();
        assert!(err.to_string().contains("limit NaN at rung 0"), "{err}");
        let equal = "rungs: [{limit: 1, grade: A, action: a}, {limit: 1, grade: B, action: b}]\notherwise: {grade: C, action: c}";
        assert!(serde_yaml::from_str::<GradeLadder>(equal).is_err());
        let empty = "rungs: []\notherwise: {grade: C, action: c}";
        assert_eq!(
            serde_yaml::from_str::<GradeLadder>(empty)
                .unwrap()
                .grade(0.0)
                .grade,
            "C"
        );
    }
}
