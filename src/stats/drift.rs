//! Drift detection: tabular CUSUM, Page-Hinkley and EWMA control charts, batch or streaming.
//!
//! All three work in units of the in-control standard deviation σ, so one set of defaults fits
//! every gate: σ (and the in-control mean μ0 where the method needs it) is given in a
//! [`Baseline`] or estimated from the first `warmup` present samples (sample mean and sample
//! standard deviation), which are then not monitored. Missing steps (`None`, `NaN`) and
//! infinite samples are skipped but still counted, so indices are positions in the series.
//! After an alarm a detector resets its statistic (not its baseline) and keeps watching, so a
//! series can have several change points. A warm-up with zero spread makes any later
//! difference from μ0 an immediate alarm.
//!
//! See the [module documentation](super) for the measured false-alarm rates and delays.

use serde::Deserialize;

use super::StatsError;

/// The in-control level a detector compares against.
///
/// ```
/// use promgate::stats::Baseline;
/// let known = Baseline { mean: Some(0.0), sigma: Some(1.0), warmup: 0 };
/// let estimated = Baseline::default();
/// assert_eq!(estimated.warmup, 360); // one hour of 10 s steps
/// # let _ = known;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Baseline {
    /// The in-control mean μ0; `None` to estimate it in the warm-up.
    pub mean: Option<f64>,
    /// The in-control standard deviation σ; `None` to estimate it in the warm-up.
    pub sigma: Option<f64>,
    /// How many present samples to estimate what is not given from (at least 2 when anything
    /// is estimated; ignored when both are given). Default 360.
    pub warmup: usize,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            mean: None,
            sigma: None,
            warmup: 360,
        }
    }
}

impl Baseline {
    fn validate(&self) -> Result<(), StatsError> {
        if let Some(mean) = self.mean
            && !mean.is_finite()
        {
            return Err(StatsError::invalid(
                "baseline.mean",
                mean,
                "a finite number",
            ));
        }
        if let Some(sigma) = self.sigma
            && !(sigma > 0.0 && sigma.is_finite())
        {
            return Err(StatsError::invalid(
                "baseline.sigma",
                sigma,
                "a positive finite number",
            ));
        }
        if (self.mean.is_none() || self.sigma.is_none()) && self.warmup < 2 {
            return Err(StatsError::invalid(
                "baseline.warmup",
                self.warmup as f64,
                "at least 2 samples when the mean or sigma is estimated",
            ));
        }
        Ok(())
    }
}

/// Which way a monitored level moved.
///
/// ```
/// use promgate::stats::{detect_changes, DriftOptions, Shift};
/// let mut series = vec![Some(0.0); 100];
/// series.extend(vec![Some(-5.0); 20]);
/// let options = DriftOptions::Cusum(promgate::stats::CusumOptions {
///     baseline: promgate::stats::Baseline { mean: Some(0.0), sigma: Some(1.0), warmup: 0 },
///     ..Default::default()
/// });
/// assert_eq!(detect_changes(&series, &options).unwrap()[0].shift, Shift::Down);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// The level went up.
    Up,
    /// The level went down.
    Down,
}

/// An alarm.
///
/// ```
/// use promgate::stats::{ChangePoint, Shift};
/// let change = ChangePoint { alarm_index: 5020, start_index: Some(5001), shift: Shift::Up };
/// assert_eq!(change.delay_from(5000), Some(20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangePoint {
    /// The index of the sample that raised the alarm.
    pub alarm_index: usize,
    /// The method's estimate of where the change began (CUSUM: the first step of the current
    /// excursion of the alarming sum; Page-Hinkley: the step after the statistic's extreme);
    /// `None` for EWMA, which gives no such estimate.
    pub start_index: Option<usize>,
    /// Which way the level moved.
    pub shift: Shift,
}

impl ChangePoint {
    /// Steps from a known change at `change_index` to the alarm; `None` for an alarm before it.
    ///
    /// ```
    /// use promgate::stats::{ChangePoint, Shift};
    /// let change = ChangePoint { alarm_index: 10, start_index: None, shift: Shift::Down };
    /// assert_eq!(change.delay_from(20), None);
    /// ```
    pub fn delay_from(&self, change_index: usize) -> Option<usize> {
        self.alarm_index.checked_sub(change_index)
    }
}

/// A drift episode: the alarms a detector raised while one shift lasted. After an alarm a
/// detector restarts its statistic; if the level stays shifted it alarms again a few steps
/// later, so a lasting shift gives a train of alarms. [`drift_episodes`] folds each train into
/// one episode.
///
/// ```
/// use promgate::stats::{ChangePoint, DriftEpisode, Shift, drift_episodes};
/// let alarms = [
///     ChangePoint { alarm_index: 30, start_index: Some(20), shift: Shift::Up },
///     ChangePoint { alarm_index: 40, start_index: Some(31), shift: Shift::Up },
/// ];
/// let episodes = drift_episodes(&alarms);
/// assert_eq!(episodes, vec![DriftEpisode { start_index: Some(20), first_alarm_index: 30, last_alarm_index: 40, alarms: 2, shift: Shift::Up }]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriftEpisode {
    /// Where the change began, as its first alarm estimated it.
    pub start_index: Option<usize>,
    /// The first alarm.
    pub first_alarm_index: usize,
    /// The last alarm of the train: the shift lasted at least until here.
    pub last_alarm_index: usize,
    /// How many alarms the episode holds.
    pub alarms: usize,
    /// Which way the level moved.
    pub shift: Shift,
}

/// Alarms of a detector without a start estimate (EWMA) at most this many steps apart, in the
/// same direction, belong to one episode.
pub const EPISODE_GAP_STEPS: usize = 30;

/// Folds alarms (in order, as a detector raised them) into episodes. An alarm continues the
/// previous episode when it moves the same way and the process did not come back in between:
/// its estimated change start is the step right after the previous alarm (the restarted sum
/// began to grow at once: CUSUM, Page-Hinkley), or, without an estimate (EWMA), it came at
/// most [`EPISODE_GAP_STEPS`] steps after the previous alarm.
///
/// ```
/// use promgate::stats::{ChangePoint, Shift, drift_episodes};
/// let alarms = [
///     ChangePoint { alarm_index: 30, start_index: Some(20), shift: Shift::Up },
///     ChangePoint { alarm_index: 90, start_index: Some(60), shift: Shift::Up }, // back in between
///     ChangePoint { alarm_index: 95, start_index: Some(91), shift: Shift::Down },
/// ];
/// assert_eq!(drift_episodes(&alarms).len(), 3);
/// ```
pub fn drift_episodes(alarms: &[ChangePoint]) -> Vec<DriftEpisode> {
    let mut episodes: Vec<DriftEpisode> = Vec::new();
    for alarm in alarms {
        if let Some(last) = episodes.last_mut()
            && last.shift == alarm.shift
            && match alarm.start_index {
                Some(start) => start <= last.last_alarm_index + 1,
                None => alarm.alarm_index <= last.last_alarm_index + EPISODE_GAP_STEPS,
            }
        {
            last.last_alarm_index = alarm.alarm_index;
            last.alarms += 1;
            continue;
        }
        episodes.push(DriftEpisode {
            start_index: alarm.start_index,
            first_alarm_index: alarm.alarm_index,
            last_alarm_index: alarm.alarm_index,
            alarms: 1,
            shift: alarm.shift,
        });
    }
    episodes
}

/// The baseline as given or being estimated.
#[derive(Debug, Clone)]
struct WarmUp {
    baseline: Baseline,
    count: usize,
    mean: f64,
    m2: f64,
    ready: Option<(f64, f64)>,
}

impl WarmUp {
    fn new(baseline: Baseline) -> Self {
        let ready = match (baseline.mean, baseline.sigma) {
            (Some(mean), Some(sigma)) => Some((mean, sigma)),
            _ => None,
        };
        WarmUp {
            baseline,
            count: 0,
            mean: 0.0,
            m2: 0.0,
            ready,
        }
    }

    /// `(μ0, σ)` when the baseline is known; otherwise takes `x` into the warm-up.
    fn observe(&mut self, x: f64) -> Option<(f64, f64)> {
        if self.ready.is_some() {
            return self.ready;
        }
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        if self.count >= self.baseline.warmup {
            let sd = (self.m2 / (self.count - 1) as f64).sqrt();
            self.ready = Some((
                self.baseline.mean.unwrap_or(self.mean),
                self.baseline.sigma.unwrap_or(sd),
            ));
        }
        None
    }
}

/// `(x - μ) / σ`, with a zero σ giving 0 for `x == μ` and an infinity otherwise.
fn standardize(x: f64, mean: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        return (x - mean) / sigma;
    }
    match x.partial_cmp(&mean) {
        Some(std::cmp::Ordering::Greater) => f64::INFINITY,
        Some(std::cmp::Ordering::Less) => f64::NEG_INFINITY,
        _ => 0.0,
    }
}

fn positive_finite(parameter: &'static str, value: f64) -> Result<(), StatsError> {
    if value > 0.0 && value.is_finite() {
        return Ok(());
    }
    Err(StatsError::invalid(
        parameter,
        value,
        "a positive finite number",
    ))
}

/// Options of the two-sided tabular CUSUM.
///
/// ```
/// let options = promgate::stats::CusumOptions::default();
/// assert_eq!((options.k, options.h), (0.5, 12.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CusumOptions {
    /// μ0 and σ.
    pub baseline: Baseline,
    /// The slack `k` in σ units: half the shift to detect fastest. Default 0.5 (a 1σ shift).
    pub k: f64,
    /// The decision threshold `h` in σ units. Default 12: with the textbook `h = 4..5` the
    /// in-control average run length is a few hundred steps, and a day of 10 s steps would
    /// raise dozens of false alarms; see the measured table in the module documentation.
    pub h: f64,
}

impl Default for CusumOptions {
    fn default() -> Self {
        CusumOptions {
            baseline: Baseline::default(),
            k: 0.5,
            h: 12.0,
        }
    }
}

/// The two-sided tabular CUSUM (Page 1954; Montgomery, *Introduction to Statistical Quality
/// Control*, §9.1): with `z = (x - μ0) / σ`,
/// `C⁺ = max(0, C⁺ + z - k)` and `C⁻ = max(0, C⁻ - z - k)`; an alarm when either exceeds `h`.
/// The change is estimated to start at the first step of the alarming sum's current positive
/// excursion.
///
/// ```
/// use promgate::stats::{Baseline, Cusum, CusumOptions};
/// let mut cusum = Cusum::new(CusumOptions {
///     baseline: Baseline { mean: Some(0.0), sigma: Some(1.0), warmup: 0 },
///     ..Default::default()
/// }).unwrap();
/// let alarm = (0..100).find_map(|i| cusum.push(Some(if i < 50 { 0.0 } else { 2.0 }))).unwrap();
/// assert_eq!((alarm.alarm_index, alarm.start_index), (58, Some(50)));
/// ```
#[derive(Debug, Clone)]
pub struct Cusum {
    options: CusumOptions,
    warmup: WarmUp,
    steps: usize,
    upper: f64,
    lower: f64,
    upper_start: usize,
    lower_start: usize,
}

impl Cusum {
    /// A detector.
    ///
    /// # Errors
    /// [`StatsError::InvalidParameter`] for a negative or non-finite `k`, a non-positive `h`,
    /// or a baseline that cannot be estimated.
    ///
    /// ```
    /// use promgate::stats::{Cusum, CusumOptions};
    /// assert!(Cusum::new(CusumOptions { h: 0.0, ..Default::default() }).is_err());
    /// ```
    pub fn new(options: CusumOptions) -> Result<Self, StatsError> {
        options.baseline.validate()?;
        if !(options.k >= 0.0 && options.k.is_finite()) {
            return Err(StatsError::invalid(
                "k",
                options.k,
                "a non-negative finite number",
            ));
        }
        positive_finite("h", options.h)?;
        Ok(Cusum {
            warmup: WarmUp::new(options.baseline),
            options,
            steps: 0,
            upper: 0.0,
            lower: 0.0,
            upper_start: 0,
            lower_start: 0,
        })
    }

    /// Adds the next step; returns an alarm it raises.
    ///
    /// ```
    /// use promgate::stats::{Cusum, CusumOptions};
    /// let mut cusum = Cusum::new(CusumOptions::default()).unwrap();
    /// assert_eq!(cusum.push(None), None);
    /// ```
    pub fn push(&mut self, sample: Option<f64>) -> Option<ChangePoint> {
        let index = self.steps;
        self.steps += 1;
        let x = sample.filter(|x| x.is_finite())?;
        let (mean, sigma) = self.warmup.observe(x)?;
        let z = standardize(x, mean, sigma);
        let k = self.options.k;
        if self.upper == 0.0 {
            self.upper_start = index;
        }
        if self.lower == 0.0 {
            self.lower_start = index;
        }
        self.upper = (self.upper + z - k).max(0.0);
        self.lower = (self.lower - z - k).max(0.0);
        let alarm = if self.upper > self.options.h {
            Some((Shift::Up, self.upper_start))
        } else if self.lower > self.options.h {
            Some((Shift::Down, self.lower_start))
        } else {
            None
        };
        let (shift, start) = alarm?;
        self.upper = 0.0;
        self.lower = 0.0;
        Some(ChangePoint {
            alarm_index: index,
            start_index: Some(start),
            shift,
        })
    }
}

/// Options of the two-sided Page-Hinkley test.
///
/// ```
/// let options = promgate::stats::PageHinkleyOptions::default();
/// assert_eq!((options.delta, options.lambda, options.alpha), (0.5, 12.0, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageHinkleyOptions {
    /// σ, given or estimated from the first `warmup` samples. Page-Hinkley compares each
    /// sample with the running mean, so `baseline.mean` is not used.
    pub baseline: Baseline,
    /// δ, the magnitude of changes tolerated, in σ units. Default 0.5.
    pub delta: f64,
    /// λ, the alarm threshold, in σ units. Default 12.
    pub lambda: f64,
    /// α in (0, 1], the fading factor applied to the cumulative sum at each step (1: no
    /// forgetting, the classic test). Default 1.
    pub alpha: f64,
}

impl Default for PageHinkleyOptions {
    fn default() -> Self {
        PageHinkleyOptions {
            baseline: Baseline::default(),
            delta: 0.5,
            lambda: 12.0,
            alpha: 1.0,
        }
    }
}

/// The two-sided Page-Hinkley test (Page 1954, Hinkley 1971; as in Gama et al., *A survey on
/// concept drift adaptation*, 2014): with `x̄_t` the mean of the samples since the start or the
/// last alarm (warm-up included) and `u_t = (x_t - x̄_t) / σ`, the sums
/// `m⁺ = α m⁺ + (u - δ)` and `m⁻ = α m⁻ + (u + δ)` are compared with their running minimum and
/// maximum: an alarm when `m⁺ - min m⁺ > λ` (up) or `max m⁻ - m⁻ > λ` (down). The change is
/// estimated to start at the step after that extreme.
///
/// ```
/// use promgate::stats::{Baseline, PageHinkley, PageHinkleyOptions};
/// let mut ph = PageHinkley::new(PageHinkleyOptions {
///     baseline: Baseline { mean: None, sigma: Some(1.0), warmup: 0 },
///     ..Default::default()
/// }).unwrap();
/// let alarm = (0..200).find_map(|i| ph.push(Some(if i < 100 { 0.0 } else { 3.0 }))).unwrap();
/// assert_eq!(alarm.start_index, Some(100));
/// assert!(alarm.alarm_index < 110);
/// ```
#[derive(Debug, Clone)]
pub struct PageHinkley {
    options: PageHinkleyOptions,
    sigma: Option<f64>,
    warmup: WarmUp,
    steps: usize,
    count: usize,
    mean: f64,
    fresh: bool,
    up: f64,
    up_min: f64,
    up_start: usize,
    down: f64,
    down_max: f64,
    down_start: usize,
}

impl PageHinkley {
    /// A detector.
    ///
    /// # Errors
    /// [`StatsError::InvalidParameter`] for a negative δ, a non-positive λ, α outside (0, 1]
    /// or a σ that cannot be estimated.
    ///
    /// ```
    /// use promgate::stats::{PageHinkley, PageHinkleyOptions};
    /// assert!(PageHinkley::new(PageHinkleyOptions { alpha: 1.5, ..Default::default() }).is_err());
    /// ```
    pub fn new(options: PageHinkleyOptions) -> Result<Self, StatsError> {
        // Only σ comes from the baseline; a given mean must still be sane.
        let baseline = Baseline {
            mean: Some(options.baseline.mean.unwrap_or(0.0)),
            ..options.baseline
        };
        baseline.validate()?;
        if !(options.delta >= 0.0 && options.delta.is_finite()) {
            return Err(StatsError::invalid(
                "delta",
                options.delta,
                "a non-negative finite number",
            ));
        }
        positive_finite("lambda", options.lambda)?;
        if !(options.alpha > 0.0 && options.alpha <= 1.0) {
            return Err(StatsError::invalid(
                "alpha",
                options.alpha,
                "a number in (0, 1]",
            ));
        }
        Ok(PageHinkley {
            sigma: options.baseline.sigma,
            warmup: WarmUp::new(baseline),
            options,
            steps: 0,
            count: 0,
            mean: 0.0,
            fresh: true,
            up: 0.0,
            up_min: 0.0,
            up_start: 0,
            down: 0.0,
            down_max: 0.0,
            down_start: 0,
        })
    }

    /// Adds the next step; returns an alarm it raises.
    ///
    /// ```
    /// use promgate::stats::{PageHinkley, PageHinkleyOptions};
    /// let mut ph = PageHinkley::new(PageHinkleyOptions::default()).unwrap();
    /// assert_eq!(ph.push(Some(1.0)), None);
    /// ```
    pub fn push(&mut self, sample: Option<f64>) -> Option<ChangePoint> {
        let index = self.steps;
        self.steps += 1;
        let x = sample.filter(|x| x.is_finite())?;
        self.count += 1;
        self.mean += (x - self.mean) / self.count as f64;
        let sigma = match self.sigma {
            Some(sigma) => sigma,
            None => self.warmup.observe(x)?.1,
        };
        if self.fresh {
            self.fresh = false;
            self.up_start = index;
            self.down_start = index;
        }
        let u = standardize(x, self.mean, sigma);
        let (alpha, delta) = (self.options.alpha, self.options.delta);
        self.up = alpha * self.up + (u - delta);
        if self.up < self.up_min {
            self.up_min = self.up;
            self.up_start = index + 1;
        }
        self.down = alpha * self.down + (u + delta);
        if self.down > self.down_max {
            self.down_max = self.down;
            self.down_start = index + 1;
        }
        let alarm = if self.up - self.up_min > self.options.lambda {
            Some((Shift::Up, self.up_start))
        } else if self.down_max - self.down > self.options.lambda {
            Some((Shift::Down, self.down_start))
        } else {
            None
        };
        let (shift, start) = alarm?;
        if self.sigma.is_none() {
            // Keep the warm-up's σ for the next segment.
            self.sigma = Some(sigma);
        }
        self.count = 0;
        self.mean = 0.0;
        self.fresh = true;
        self.up = 0.0;
        self.up_min = 0.0;
        self.down = 0.0;
        self.down_max = 0.0;
        Some(ChangePoint {
            alarm_index: index,
            start_index: Some(start),
            shift,
        })
    }
}

/// Options of the EWMA control chart.
///
/// ```
/// let options = promgate::stats::EwmaOptions::default();
/// assert_eq!((options.lambda, options.l), (0.1, 4.6));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EwmaOptions {
    /// μ0 and σ.
    pub baseline: Baseline,
    /// The smoothing weight λ in (0, 1]; smaller reacts to smaller shifts, more slowly.
    /// Default 0.1.
    pub lambda: f64,
    /// The width `L` of the control limits, in standard deviations of the EWMA statistic.
    /// Default 4.6 (the textbook 2.7–3 gives an in-control run length of hundreds of steps;
    /// an estimated baseline shortens it further).
    pub l: f64,
}

impl Default for EwmaOptions {
    fn default() -> Self {
        EwmaOptions {
            baseline: Baseline::default(),
            lambda: 0.1,
            l: 4.6,
        }
    }
}

/// The EWMA control chart (Roberts 1959; Montgomery §9.2): `z_t = λ x_t + (1 - λ) z_{t-1}`,
/// `z_0 = μ0`, with the exact time-varying limits
/// `μ0 ± L σ sqrt(λ / (2 - λ) · (1 - (1 - λ)^{2t}))`; an alarm when `z_t` leaves them. It gives
/// no estimate of where the change started.
///
/// ```
/// use promgate::stats::{Baseline, Ewma, EwmaOptions, Shift};
/// let mut ewma = Ewma::new(EwmaOptions {
///     baseline: Baseline { mean: Some(10.0), sigma: Some(2.0), warmup: 0 },
///     ..Default::default()
/// }).unwrap();
/// let alarm = (0..100).find_map(|i| ewma.push(Some(if i < 50 { 10.0 } else { 14.0 }))).unwrap();
/// assert_eq!((alarm.shift, alarm.start_index), (Shift::Up, None));
/// assert!(alarm.alarm_index < 60);
/// ```
#[derive(Debug, Clone)]
pub struct Ewma {
    options: EwmaOptions,
    warmup: WarmUp,
    steps: usize,
    /// `(1 - λ)^{2t}` for the `t` monitored steps since the start or the last alarm.
    decay: f64,
    z: Option<f64>,
}

impl Ewma {
    /// A chart.
    ///
    /// # Errors
    /// [`StatsError::InvalidParameter`] for λ outside (0, 1], a non-positive `L`, or a
    /// baseline that cannot be estimated.
    ///
    /// ```
    /// use promgate::stats::{Ewma, EwmaOptions};
    /// assert!(Ewma::new(EwmaOptions { lambda: 0.0, ..Default::default() }).is_err());
    /// ```
    pub fn new(options: EwmaOptions) -> Result<Self, StatsError> {
        options.baseline.validate()?;
        if !(options.lambda > 0.0 && options.lambda <= 1.0) {
            return Err(StatsError::invalid(
                "lambda",
                options.lambda,
                "a number in (0, 1]",
            ));
        }
        positive_finite("l", options.l)?;
        Ok(Ewma {
            warmup: WarmUp::new(options.baseline),
            options,
            steps: 0,
            decay: 1.0,
            z: None,
        })
    }

    /// Adds the next step; returns an alarm it raises.
    ///
    /// ```
    /// use promgate::stats::{Ewma, EwmaOptions};
    /// let mut ewma = Ewma::new(EwmaOptions::default()).unwrap();
    /// assert_eq!(ewma.push(Some(f64::INFINITY)), None);
    /// ```
    pub fn push(&mut self, sample: Option<f64>) -> Option<ChangePoint> {
        let index = self.steps;
        self.steps += 1;
        let x = sample.filter(|x| x.is_finite())?;
        let (mean, sigma) = self.warmup.observe(x)?;
        let lambda = self.options.lambda;
        let z = lambda * x + (1.0 - lambda) * self.z.unwrap_or(mean);
        // Updated by multiplication rather than `powi`: it underflows to 0 after a few
        // thousand steps, where the limits have long been constant.
        self.decay *= (1.0 - lambda) * (1.0 - lambda);
        let spread = lambda / (2.0 - lambda) * (1.0 - self.decay);
        let width = self.options.l * sigma * spread.sqrt();
        let shift = if z > mean + width {
            Shift::Up
        } else if z < mean - width {
            Shift::Down
        } else {
            self.z = Some(z);
            return None;
        };
        self.z = None;
        self.decay = 1.0;
        Some(ChangePoint {
            alarm_index: index,
            start_index: None,
            shift,
        })
    }
}

/// Which detector to run, with its options; `method: cusum | page_hinkley | ewma` in YAML.
///
/// ```
/// use promgate::stats::DriftOptions;
/// let options: DriftOptions = serde_yaml::from_str("method: cusum\nh: 8\n").unwrap();
/// match options {
///     DriftOptions::Cusum(cusum) => assert_eq!((cusum.k, cusum.h), (0.5, 8.0)),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DriftOptions {
    /// [`Cusum`].
    Cusum(CusumOptions),
    /// [`PageHinkley`].
    PageHinkley(PageHinkleyOptions),
    /// [`Ewma`].
    Ewma(EwmaOptions),
}

/// Any of the detectors, chosen at run time from [`DriftOptions`].
///
/// ```
/// use promgate::stats::{DriftDetector, DriftOptions, EwmaOptions};
/// let mut detector = DriftDetector::new(&DriftOptions::Ewma(EwmaOptions::default())).unwrap();
/// assert_eq!(detector.push(Some(0.0)), None);
/// ```
#[derive(Debug, Clone)]
pub enum DriftDetector {
    /// A tabular CUSUM.
    Cusum(Cusum),
    /// A Page-Hinkley test.
    PageHinkley(PageHinkley),
    /// An EWMA chart.
    Ewma(Ewma),
}

impl DriftDetector {
    /// A detector from its options.
    ///
    /// # Errors
    /// As the detector's own constructor.
    ///
    /// ```
    /// use promgate::stats::{DriftDetector, DriftOptions, CusumOptions};
    /// assert!(DriftDetector::new(&DriftOptions::Cusum(CusumOptions { k: -1.0, ..Default::default() })).is_err());
    /// ```
    pub fn new(options: &DriftOptions) -> Result<Self, StatsError> {
        Ok(match *options {
            DriftOptions::Cusum(options) => DriftDetector::Cusum(Cusum::new(options)?),
            DriftOptions::PageHinkley(options) => {
                DriftDetector::PageHinkley(PageHinkley::new(options)?)
            }
            DriftOptions::Ewma(options) => DriftDetector::Ewma(Ewma::new(options)?),
        })
    }

    /// Adds the next step; returns an alarm it raises.
    ///
    /// ```
    /// use promgate::stats::{DriftDetector, DriftOptions, PageHinkleyOptions};
    /// let mut detector = DriftDetector::new(&DriftOptions::PageHinkley(PageHinkleyOptions::default())).unwrap();
    /// assert_eq!(detector.push(None), None);
    /// ```
    pub fn push(&mut self, sample: Option<f64>) -> Option<ChangePoint> {
        match self {
            DriftDetector::Cusum(detector) => detector.push(sample),
            DriftDetector::PageHinkley(detector) => detector.push(sample),
            DriftDetector::Ewma(detector) => detector.push(sample),
        }
    }
}

/// Runs a detector over a whole series and returns every alarm, in order.
///
/// # Errors
/// As [`DriftDetector::new`].
///
/// ```
/// use promgate::stats::{detect_changes, DriftOptions, PageHinkleyOptions};
/// let quiet = vec![Some(1.0); 1000];
/// let options = DriftOptions::PageHinkley(PageHinkleyOptions::default());
/// assert!(detect_changes(&quiet, &options).unwrap().is_empty());
/// ```
pub fn detect_changes(
    series: &[Option<f64>],
    options: &DriftOptions,
) -> Result<Vec<ChangePoint>, StatsError> {
    let mut detector = DriftDetector::new(options)?;
    Ok(series
        .iter()
        .filter_map(|&sample| detector.push(sample))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::SplitMix64;

    const STEPS: usize = 8640;
    const RUNS: u64 = 200;
    const SHIFT_AT: usize = 1000;

    fn noise(seed: u64, shift_at: Option<usize>) -> Vec<Option<f64>> {
        let mut rng = SplitMix64::new(seed);
        (0..STEPS)
            .map(|i| {
                let shift = if shift_at.is_some_and(|at| i >= at) {
                    1.0
                } else {
                    0.0
                };
                Some(rng.next_normal() + shift)
            })
            .collect()
    }

    #[derive(Debug)]
    struct Measured {
        runs_with_false_alarm: usize,
        false_alarms: usize,
        mean_delay: f64,
        max_delay: usize,
        missed: usize,
    }

    fn measure(options: &DriftOptions) -> Measured {
        let mut measured = Measured {
            runs_with_false_alarm: 0,
            false_alarms: 0,
            mean_delay: 0.0,
            max_delay: 0,
            missed: 0,
        };
        let mut delays = Vec::new();
        for run in 0..RUNS {
            let alarms = detect_changes(&noise(run, None), options).unwrap();
            measured.false_alarms += alarms.len();
            measured.runs_with_false_alarm += usize::from(!alarms.is_empty());
            let alarms = detect_changes(&noise(1_000_000 + run, Some(SHIFT_AT)), options).unwrap();
            match alarms.iter().find_map(|alarm| alarm.delay_from(SHIFT_AT)) {
                Some(delay) => delays.push(delay),
                None => measured.missed += 1,
            }
        }
        measured.mean_delay = delays.iter().sum::<usize>() as f64 / delays.len().max(1) as f64;
        measured.max_delay = delays.iter().copied().max().unwrap_or(0);
        measured
    }

    fn defaults() -> [(&'static str, DriftOptions); 3] {
        [
            (
                "CUSUM k=0.5 h=12",
                DriftOptions::Cusum(CusumOptions::default()),
            ),
            (
                "Page-Hinkley δ=0.5 λ=12 α=1",
                DriftOptions::PageHinkley(PageHinkleyOptions::default()),
            ),
            (
                "EWMA λ=0.1 L=4.6",
                DriftOptions::Ewma(EwmaOptions::default()),
            ),
        ]
    }

    fn with_known_baseline(options: DriftOptions) -> DriftOptions {
        let known = Baseline {
            mean: Some(0.0),
            sigma: Some(1.0),
            warmup: 0,
        };
        match options {
            DriftOptions::Cusum(o) => DriftOptions::Cusum(CusumOptions {
                baseline: known,
                ..o
            }),
            DriftOptions::PageHinkley(o) => DriftOptions::PageHinkley(PageHinkleyOptions {
                baseline: known,
                ..o
            }),
            DriftOptions::Ewma(o) => DriftOptions::Ewma(EwmaOptions {
                baseline: known,
                ..o
            }),
        }
    }

    /// The table in the module documentation: 200 in-control runs of 8640 N(0, 1) steps, and
    /// 200 runs with a +1σ shift at step 1000. `cargo test --lib measured_drift_table --
    /// --nocapture` prints it.
    #[test]
    #[allow(clippy::print_stderr)]
    fn measured_drift_table_stays_within_bounds() {
        eprintln!(
            "| detector | baseline | runs with a false alarm | false alarms per run | mean delay | max delay | missed |"
        );
        for (name, options) in defaults() {
            for (baseline, options) in [
                ("warm-up 360", options),
                ("known", with_known_baseline(options)),
            ] {
                let m = measure(&options);
                eprintln!(
                    "| {name} | {baseline} | {}/{RUNS} | {:.3} | {:.1} | {} | {} |",
                    m.runs_with_false_alarm,
                    m.false_alarms as f64 / RUNS as f64,
                    m.mean_delay,
                    m.max_delay,
                    m.missed
                );
                assert!(m.runs_with_false_alarm <= 12, "{name} {baseline}: {m:?}");
                assert!(
                    m.mean_delay <= 35.0 && m.max_delay <= 200,
                    "{name} {baseline}: {m:?}"
                );
                assert_eq!(m.missed, 0, "{name} {baseline}: {m:?}");
            }
        }
    }

    #[test]
    fn change_at_5000_is_found_and_a_quiet_series_has_no_alarm() {
        for (name, options) in defaults() {
            // Seeds chosen so that no detector has a (rare) false alarm.
            let quiet = detect_changes(&noise(7, None), &options).unwrap();
            assert_eq!(quiet, vec![], "{name}");
            let mut rng = SplitMix64::new(11);
            let shifted: Vec<Option<f64>> = (0..STEPS)
                .map(|i| Some(rng.next_normal() + if i >= 5000 { 1.0 } else { 0.0 }))
                .collect();
            let alarms = detect_changes(&shifted, &options).unwrap();
            let first = alarms[0];
            assert!(
                first.alarm_index >= 5000 && first.alarm_index < 5000 + 80,
                "{name}: {first:?}"
            );
            assert_eq!(first.shift, Shift::Up);
            if let Some(start) = first.start_index {
                assert!(start.abs_diff(5000) <= 30, "{name}: {first:?}");
            }
            // Streaming gives the same alarms as the batch helper.
            let mut detector = DriftDetector::new(&options).unwrap();
            let streamed: Vec<_> = shifted.iter().filter_map(|&x| detector.push(x)).collect();
            assert_eq!(streamed, alarms);
        }
    }

    #[test]
    fn gaps_keep_indices_and_are_skipped() {
        let options = DriftOptions::Cusum(CusumOptions {
            baseline: Baseline {
                mean: Some(0.0),
                sigma: Some(1.0),
                warmup: 0,
            },
            ..Default::default()
        });
        let mut series = vec![Some(0.0); 10];
        series.extend([None, Some(f64::NAN), Some(f64::INFINITY)]);
        series.extend(vec![Some(5.0); 3]);
        let alarms = detect_changes(&series, &options).unwrap();
        // 4.5 per sample over h = 12: the third sample at index 15 alarms, starting at 13.
        assert_eq!(
            alarms,
            vec![ChangePoint {
                alarm_index: 15,
                start_index: Some(13),
                shift: Shift::Up
            }]
        );
    }

    #[test]
    fn constant_warm_up_only_alarms_on_a_difference() {
        for (_, options) in defaults() {
            let mut series = vec![Some(2.0); 500];
            assert_eq!(detect_changes(&series, &options).unwrap(), vec![]);
            series.push(Some(2.5));
            // CUSUM and EWMA alarm at once; Page-Hinkley compares with the running mean,
            // which the new sample moves too, so it also sees an infinite deviation.
            let alarms = detect_changes(&series, &options).unwrap();
            assert_eq!(alarms.len(), 1);
            assert_eq!(alarms[0].alarm_index, 500);
        }
    }

    #[test]
    fn bad_baselines_are_errors() {
        let bad = [
            Baseline {
                mean: None,
                sigma: Some(1.0),
                warmup: 1,
            },
            Baseline {
                mean: Some(f64::NAN),
                sigma: Some(1.0),
                warmup: 0,
            },
            Baseline {
                mean: Some(0.0),
                sigma: Some(0.0),
                warmup: 0,
            },
        ];
        for baseline in bad {
            assert!(
                Cusum::new(CusumOptions {
                    baseline,
                    ..Default::default()
                })
                .is_err()
            );
            assert!(
                Ewma::new(EwmaOptions {
                    baseline,
                    ..Default::default()
                })
                .is_err()
            );
        }
    }
}
