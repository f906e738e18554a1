//! The probability that a gate passes, from its pass/fail outcomes per step.

use super::{StatsError, special};

/// What a missing outcome (`None`) counts as.
///
/// ```
/// use promgate::stats::{pass_probability, MissingOutcome, PassProbabilityOptions};
/// let outcomes = [Some(true), None, Some(true)];
/// let fail = PassProbabilityOptions { missing: MissingOutcome::Fail, ..Default::default() };
/// assert_eq!(pass_probability(&outcomes, &fail).unwrap().successes, 2);
/// assert_eq!(pass_probability(&outcomes, &fail).unwrap().trials, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingOutcome {
    /// Leave the step out; its neighbours become adjacent for the autocorrelation.
    #[default]
    Skip,
    /// Count the step as a failure (the conservative choice for a gate).
    Fail,
    /// Count the step as a pass.
    Pass,
}

/// How to compute a [`PassProbability`].
///
/// ```
/// let options = promgate::stats::PassProbabilityOptions::default();
/// assert_eq!(options.credible_level, 0.95);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassProbabilityOptions {
    /// The probability mass of the equal-tailed credible interval, in (0, 1). Default 0.95.
    pub credible_level: f64,
    /// What a missing outcome counts as. Default [`MissingOutcome::Skip`].
    pub missing: MissingOutcome,
}

impl Default for PassProbabilityOptions {
    fn default() -> Self {
        PassProbabilityOptions {
            credible_level: 0.95,
            missing: MissingOutcome::Skip,
        }
    }
}

/// The posterior of a gate's pass probability θ.
///
/// The model: steps pass independently with probability θ, prior Beta(1, 1) (uniform: no
/// opinion before the run). Consecutive steps of a monitor are not independent — a failing
/// gate tends to keep failing — so `n` steps carry less information than `n` independent
/// trials. The lag-1 autocorrelation ρ of the 0/1 outcome series, clamped to [0, 0.99]
/// (negative correlation is not credited, 0.99 keeps some information), gives the effective
/// sample size of an AR(1) process `n_eff = n (1 - ρ) / (1 + ρ)`; successes scale by the same
/// factor, `s_eff = s · n_eff / n`. The posterior is Beta(1 + s_eff, 1 + n_eff - s_eff), and the
/// interval runs between its `(1 - c) / 2` and `(1 + c) / 2` quantiles, from the inverse
/// regularized incomplete beta function (accurate to about 1e-12). A constant outcome series
/// has no defined autocorrelation; it is taken as ρ = 0.
///
/// ```
/// use promgate::stats::{pass_probability, PassProbabilityOptions};
/// // 90 passes then 10 fails: strongly clustered, so the interval is wide.
/// let outcomes: Vec<Option<bool>> = (0..100).map(|i| Some(i < 90)).collect();
/// let p = pass_probability(&outcomes, &PassProbabilityOptions::default()).unwrap();
/// assert!(p.rho > 0.8);
/// assert!(p.effective_trials < 10.0);
/// assert!(p.lower < 0.6 && p.upper > 0.95);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassProbability {
    /// Outcomes counted (after [`MissingOutcome`]).
    pub trials: usize,
    /// Passes among them.
    pub successes: usize,
    /// The lag-1 autocorrelation of the outcomes as estimated, in [-1, 1] (0 when undefined).
    pub lag1_autocorrelation: f64,
    /// The autocorrelation used: the estimate clamped to [0, 0.99].
    pub rho: f64,
    /// `n_eff = n (1 - ρ) / (1 + ρ)`.
    pub effective_trials: f64,
    /// `s · n_eff / n`.
    pub effective_successes: f64,
    /// The posterior's first parameter, `1 + s_eff`.
    pub alpha: f64,
    /// The posterior's second parameter, `1 + n_eff - s_eff`.
    pub beta: f64,
    /// The posterior mean `α / (α + β)`.
    pub mean: f64,
    /// The lower end of the credible interval.
    pub lower: f64,
    /// The upper end of the credible interval.
    pub upper: f64,
    /// The credible level, e.g. 0.95.
    pub level: f64,
}

impl PassProbability {
    /// The posterior probability that θ is at least `p`: `1 - I_p(α, β)`.
    ///
    /// ```
    /// use promgate::stats::{pass_probability, PassProbabilityOptions};
    /// let p = pass_probability(&[], &PassProbabilityOptions::default()).unwrap();
    /// // The uniform prior: P(θ >= 0.9) = 0.1.
    /// assert!((p.probability_at_least(0.9) - 0.1).abs() < 1e-12);
    /// ```
    pub fn probability_at_least(&self, p: f64) -> f64 {
        1.0 - special::regularized_incomplete_beta(self.alpha, self.beta, p)
    }
}

/// The posterior pass probability of a gate from its outcomes per step (`Some(true)` pass,
/// `Some(false)` fail, `None` missing); see [`PassProbability`] for the model. No outcomes at
/// all give the prior: mean 0.5, interval [0.025, 0.975].
///
/// # Errors
/// [`StatsError::InvalidParameter`] for a credible level outside (0, 1).
///
/// ```
/// use promgate::stats::{pass_probability, PassProbabilityOptions};
/// let outcomes: Vec<Option<bool>> = (0..8640).map(|i| Some(i % 100 != 0)).collect();
/// let p = pass_probability(&outcomes, &PassProbabilityOptions::default()).unwrap();
/// assert_eq!((p.trials, p.successes), (8640, 8553));
/// assert_eq!(p.rho, 0.0); // isolated failures: no positive autocorrelation
/// assert!((p.mean - 8554.0 / 8642.0).abs() < 1e-12);
/// assert!(p.lower < p.mean && p.mean < p.upper);
/// ```
pub fn pass_probability(
    outcomes: &[Option<bool>],
    options: &PassProbabilityOptions,
) -> Result<PassProbability, StatsError> {
    let level = options.credible_level;
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::invalid(
            "credible_level",
            level,
            "a number in (0, 1)",
        ));
    }
    let values: Vec<f64> = outcomes
        .iter()
        .filter_map(|outcome| match (outcome, options.missing) {
            (Some(pass), _) => Some(*pass),
            (None, MissingOutcome::Skip) => None,
            (None, MissingOutcome::Fail) => Some(false),
            (None, MissingOutcome::Pass) => Some(true),
        })
        .map(|pass| if pass { 1.0 } else { 0.0 })
        .collect();
    let trials = values.len();
    let successes = values.iter().filter(|&&v| v == 1.0).count();
    let lag1_autocorrelation = lag1_autocorrelation(&values);
    let rho = lag1_autocorrelation.clamp(0.0, 0.99);
    let effective_trials = trials as f64 * (1.0 - rho) / (1.0 + rho);
    let effective_successes = if trials == 0 {
        0.0
    } else {
        successes as f64 * effective_trials / trials as f64
    };
    let alpha = 1.0 + effective_successes;
    let beta = 1.0 + effective_trials - effective_successes;
    let tail = (1.0 - level) / 2.0;
    Ok(PassProbability {
        trials,
        successes,
        lag1_autocorrelation,
        rho,
        effective_trials,
        effective_successes,
        alpha,
        beta,
        mean: alpha / (alpha + beta),
        lower: special::beta_quantile(tail, alpha, beta),
        upper: special::beta_quantile(1.0 - tail, alpha, beta),
        level,
    })
}

/// `Σ (x_t - x̄)(x_{t+1} - x̄) / Σ (x_t - x̄)²`, 0 when undefined (fewer than two values or no
/// variation).
fn lag1_autocorrelation(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let denominator: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    if denominator == 0.0 {
        return 0.0;
    }
    let numerator: f64 = values
        .windows(2)
        .map(|w| (w[0] - mean) * (w[1] - mean))
        .sum();
    (numerator / denominator).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_outcomes_give_the_uniform_prior() {
        let p = pass_probability(&[None, None], &PassProbabilityOptions::default()).unwrap();
        assert_eq!((p.trials, p.alpha, p.beta, p.mean), (0, 1.0, 1.0, 0.5));
        assert!((p.lower - 0.025).abs() < 1e-12 && (p.upper - 0.975).abs() < 1e-12);
    }

    #[test]
    fn independent_outcomes_give_the_textbook_posterior() {
        // Alternating outcomes have ρ = -1 (clamped to 0), so n_eff = n: Beta(3, 3) for
        // 2 passes and 2 fails, whose median is 0.5 and whose 2.5% quantile solves
        // 6x^5 - 15x^4 + 10x^3 = 0.025 (the Beta(3, 3) CDF): x = 0.146632...
        let outcomes = [Some(true), Some(false), Some(true), Some(false)];
        let p = pass_probability(&outcomes, &PassProbabilityOptions::default()).unwrap();
        assert_eq!((p.rho, p.alpha, p.beta), (0.0, 3.0, 3.0));
        assert!(p.lag1_autocorrelation < -0.5);
        let cdf = |x: f64| 6.0 * x.powi(5) - 15.0 * x.powi(4) + 10.0 * x.powi(3);
        assert!((cdf(p.lower) - 0.025).abs() < 1e-12);
        assert!((cdf(p.upper) - 0.975).abs() < 1e-12);
        assert!((p.lower + p.upper - 1.0).abs() < 1e-12);
    }

    #[test]
    fn clustering_shrinks_the_effective_sample() {
        let clustered: Vec<Option<bool>> = (0..1000).map(|i| Some((i / 100) % 2 == 0)).collect();
        let p = pass_probability(&clustered, &PassProbabilityOptions::default()).unwrap();
        // Runs of 100: ρ ≈ 1 - 2/100 = 0.98.
        assert!((p.rho - 0.98).abs() < 0.002, "{}", p.rho);
        let expected_n = 1000.0 * (1.0 - p.rho) / (1.0 + p.rho);
        assert!((p.effective_trials - expected_n).abs() < 1e-9);
        assert!((p.effective_successes - expected_n / 2.0).abs() < 1e-9);
        assert!(p.upper - p.lower > 0.3);
    }

    #[test]
    fn all_passes_are_bounded_by_the_prior() {
        let outcomes = vec![Some(true); 8640];
        let p = pass_probability(&outcomes, &PassProbabilityOptions::default()).unwrap();
        // Beta(8641, 1): the lower quantile is 0.025^(1/8641).
        assert!((p.lower - 0.025_f64.powf(1.0 / 8641.0)).abs() < 1e-12);
        assert!(p.upper <= 1.0 && p.upper > 0.99999);
        assert!((p.probability_at_least(0.999) - (1.0 - 0.999_f64.powf(8641.0))).abs() < 1e-10);
    }

    #[test]
    fn bad_level_is_an_error() {
        let options = PassProbabilityOptions {
            credible_level: 0.0,
            ..Default::default()
        };
        assert!(pass_probability(&[Some(true)], &options).is_err());
    }
}
