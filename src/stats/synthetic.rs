//! A small deterministic random source for synthetic series in tests, benchmarks and the drift
//! measurements: SplitMix64 for uniform bits, Box–Muller for normal samples.

/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit state advanced by a Weyl sequence and
/// mixed, with normal samples by the Box–Muller transform. The same seed gives the same
/// numbers on every run (the normal samples use `ln`, `sqrt`, `sin` and `cos`, so they can
/// differ in the last bits between platforms' math libraries).
///
/// ```
/// use promgate::stats::SplitMix64;
/// let mut a = SplitMix64::new(42);
/// let mut b = SplitMix64::new(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.next_f64();
/// assert!((0.0..1.0).contains(&u));
/// let z = a.next_normal();
/// assert!(z.is_finite());
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
    spare_normal: Option<f64>,
}

impl SplitMix64 {
    /// A generator from a seed.
    ///
    /// ```
    /// let _rng = promgate::stats::SplitMix64::new(7);
    /// ```
    pub fn new(seed: u64) -> Self {
        SplitMix64 {
            state: seed,
            spare_normal: None,
        }
    }

    /// The next 64 uniform bits.
    ///
    /// ```
    /// // The first output for seed 0, as in the reference implementation.
    /// assert_eq!(promgate::stats::SplitMix64::new(0).next_u64(), 0xe220a8397b1dcdaf);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform sample in [0, 1) with 53 random bits.
    ///
    /// ```
    /// let x = promgate::stats::SplitMix64::new(1).next_f64();
    /// assert!(x >= 0.0 && x < 1.0);
    /// ```
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal sample (Box–Muller; the second value of each pair is kept for the
    /// next call).
    ///
    /// ```
    /// let mut rng = promgate::stats::SplitMix64::new(3);
    /// let mean = (0..10_000).map(|_| rng.next_normal()).sum::<f64>() / 10_000.0;
    /// assert!(mean.abs() < 0.05);
    /// ```
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * u2;
        self.spare_normal = Some(radius * angle.sin());
        radius * angle.cos()
    }
}
