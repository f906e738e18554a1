//! Selectors: which store series a selector reads, and the samples of instant and range
//! vector selectors and subqueries at one step.

use super::*;

impl<'s> Evaluator<'s> {
    /// The store series matching a selector, selected once per query.
    pub fn select(&mut self, vs: &VectorSelector) -> Rc<Vec<&'s StoreSeries>> {
        let key = vs as *const VectorSelector;
        if let Some(found) = self.selections.get(&key) {
            return found.clone();
        }
        let found = match self.opts.semantics {
            Semantics::Prometheus3 => self.store.select(&vs.matchers),
            Semantics::Prometheus2 => {
                let matchers: Vec<Matcher> = vs
                    .matchers
                    .iter()
                    .map(|m| {
                        m.in_dialect(crate::model::RegexDialect::Prometheus2)
                            .unwrap_or_else(|_| m.clone())
                    })
                    .collect();
                self.store.select_in_creation_order(&matchers)
            }
        };
        let found = Rc::new(found);
        self.selections.insert(key, found.clone());
        found
    }

    /// Whether the series a selector matches stay distinct without their metric names, so
    /// that no result of a function over them can hold duplicates.
    ///
    /// A selector with `__name__="..."` selects series of one name, distinct without it unless
    /// the metadata labels that are dropped with it (`__type__`, `__unit__`) tell them apart.
    /// Otherwise, with `scan`, the selection is checked once per query (worth it when the query
    /// repeats steps); without, the answer is "unknown" (`false`).
    pub fn selection_unique_without_name(&mut self, vs: &VectorSelector, scan: bool) -> bool {
        let one_name = vs
            .matchers
            .iter()
            .any(|m| m.name == crate::model::METRIC_NAME && m.op == crate::model::MatchOp::Equal);
        if one_name
            && !self.store.has_label_name("__type__")
            && !self.store.has_label_name("__unit__")
        {
            return true;
        }
        if !scan {
            return false;
        }
        let key = vs as *const VectorSelector;
        if let Some(&unique) = self.unique_without_name.get(&key) {
            return unique;
        }
        let series = self.select(vs);
        let mut seen: FxHashSet<&Labels> =
            FxHashSet::with_capacity_and_hasher(series.len(), Default::default());
        let unique = series.iter().all(|s| seen.insert(s.labels_without_name()));
        self.unique_without_name.insert(key, unique);
        unique
    }

    /// An instant vector selector at `t`: the newest sample of each series within the lookback
    /// window, unless it is a stale marker.
    pub fn vector_selector(
        &mut self,
        vs: &VectorSelector,
        span: Span,
        t: Timestamp,
    ) -> Result<Vec<Sample>, EvalError> {
        let series = self.select(vs);
        let ref_t = self.reference_time(vs.at, &vs.offset, t)?;
        if vs.smoothed {
            return self.smoothed_selector(&series, ref_t, span);
        }
        let lookback = self.opts.lookback_delta;
        let stats = self.is_stats_selector(vs);
        let mut out = Vec::with_capacity(series.len());
        let mut hints = self.take_latest_hints(vs, series.len());
        let mint = ref_t.saturating_sub(lookback);
        for (i, s) in series.iter().enumerate() {
            let Some((ts, value)) = s.latest_near(mint, ref_t, self.window, hints.get_mut(i))
            else {
                continue;
            };
            match value {
                SampleValue::Float(f) if is_stale_nan(f) => continue,
                SampleValue::Float(f) => out.push(Sample::float(s.labels().clone(), f)),
                SampleValue::Histogram(h) => {
                    let h = if stats {
                        // The iterator seeks to the lookback start and reads forward, so the
                        // sample is compared with the histogram before it in that span.
                        let earlier = s.histogram_range(
                            ref_t.saturating_sub(lookback) - 1,
                            ts - 1,
                            Window::LeftOpen,
                        );
                        let prev = earlier
                            .end
                            .checked_sub(1)
                            .filter(|i| *i >= earlier.start)
                            .map(|i| &*s.histograms()[i].h);
                        stats_hint(prev, h)
                    } else {
                        h
                    };
                    out.push(Sample::histogram(s.labels().clone(), h));
                }
            }
        }
        self.keep_latest_hints(vs, hints);
        self.account(out.iter().map(Sample::cost).sum())?;
        Ok(out)
    }

    /// Over several steps (`repeats`), the instant selector's search starts per series, for
    /// `StoredSeries::latest_near`; otherwise none.
    fn take_latest_hints(&mut self, vs: &VectorSelector, series: usize) -> Vec<u32> {
        if !self.repeats {
            return Vec::new();
        }
        let mut hints = self
            .latest_hints
            .remove(&(vs as *const VectorSelector))
            .unwrap_or_default();
        hints.resize(series, 0);
        hints
    }

    /// Keeps the hints [`Evaluator::take_latest_hints`] gave, updated, for the next step.
    fn keep_latest_hints(&mut self, vs: &VectorSelector, hints: Vec<u32>) {
        if self.repeats {
            self.latest_hints.insert(vs as *const VectorSelector, hints);
        }
    }

    /// The timestamp of each series' sample seen by an instant selector (for `timestamp()`).
    pub fn vector_selector_timestamps(
        &mut self,
        vs: &VectorSelector,
        t: Timestamp,
    ) -> Result<Vec<(Labels, Timestamp, Timestamp)>, EvalError> {
        let ref_t = self.reference_time(vs.at, &vs.offset, t)?;
        self.vector_selector_timestamps_at(vs, ref_t)
    }

    /// Like [`Evaluator::vector_selector_timestamps`], with the reference time given.
    pub fn vector_selector_timestamps_at(
        &mut self,
        vs: &VectorSelector,
        ref_t: Timestamp,
    ) -> Result<Vec<(Labels, Timestamp, Timestamp)>, EvalError> {
        let series = self.select(vs);
        let lookback = self.opts.lookback_delta;
        let mut out = Vec::with_capacity(series.len());
        let mut hints = self.take_latest_hints(vs, series.len());
        let mint = ref_t.saturating_sub(lookback);
        for (i, s) in series.iter().enumerate() {
            let Some((ts, value)) = s.latest_near(mint, ref_t, self.window, hints.get_mut(i))
            else {
                continue;
            };
            if value.is_stale() {
                continue;
            }
            let start_time = start_time_at(s, ts);
            out.push((s.labels().clone(), ts, start_time));
        }
        self.keep_latest_hints(vs, hints);
        self.account(out.len())?;
        Ok(out)
    }

    /// A `smoothed` instant selector: the value interpolated at the reference time from the
    /// samples around it.
    fn smoothed_selector(
        &mut self,
        series: &[&'s StoreSeries],
        ref_t: Timestamp,
        span: Span,
    ) -> Result<Vec<Sample>, EvalError> {
        let lb = self.opts.lookback_delta;
        let mut out = Vec::new();
        for s in series {
            let floats: Vec<FPoint> = s
                .floats_in(
                    ref_t.saturating_sub(lb),
                    ref_t.saturating_add(lb),
                    Window::LeftOpen,
                )
                .iter()
                .copied()
                .filter(|p| !is_stale_nan(p.f))
                .collect();
            let hists = s.histograms_in(
                ref_t.saturating_sub(lb),
                ref_t.saturating_add(lb),
                Window::LeftOpen,
            );
            if floats.is_empty() && hists.is_empty() {
                continue;
            }
            if !floats.is_empty() && !hists.is_empty() {
                let name = s.labels().metric_name().unwrap_or("");
                self.annotations.warn(
                    format!(
                        "encountered a mix of histograms and floats for metric name {}",
                        crate::syntax::lex::quote(name)
                    ),
                    span,
                );
                continue;
            }
            if !hists.is_empty() {
                if let Some(h) = self.smoothed_histogram(
                    hists,
                    ref_t,
                    s.labels().metric_name().unwrap_or(""),
                    span,
                ) {
                    out.push(Sample::histogram(s.labels().clone(), Arc::new(h)));
                }
                continue;
            }
            let i = floats.partition_point(|p| p.t < ref_t);
            let value = if i < floats.len() && floats[i].t == ref_t {
                Some(floats[i].f)
            } else if i > 0 && i < floats.len() {
                Some(interpolate(floats[i - 1], floats[i], ref_t, false))
            } else if i > 0 {
                Some(floats[i - 1].f)
            } else {
                None
            };
            if let Some(f) = value {
                out.push(Sample::float(s.labels().clone(), f));
            }
        }
        self.account(out.len())?;
        Ok(out)
    }

    /// The histogram a `smoothed` selector sees at `ref_t`: the sample there, or one interpolated
    /// between its neighbours (as a counter unless both are gauges), or the last one carried
    /// forward with an unknown counter-reset hint (Prometheus's `smoothSeries`).
    fn smoothed_histogram(
        &mut self,
        hists: &[HPoint],
        ref_t: Timestamp,
        name: &str,
        span: Span,
    ) -> Option<crate::model::FloatHistogram> {
        use crate::eval::functions::rate::{interpolate_histograms, mixed_exponential_custom};
        let i = hists.partition_point(|p| p.t < ref_t);
        if i < hists.len() && hists[i].t == ref_t {
            return Some((*hists[i].h).clone());
        }
        if i > 0 && i < hists.len() {
            let (prev, next) = (&hists[i - 1], &hists[i]);
            if prev.h.uses_custom_buckets() != next.h.uses_custom_buckets() {
                self.annotations.warn(mixed_exponential_custom(name), span);
                return None;
            }
            let is_counter = prev.h.counter_reset_hint != CounterResetHint::Gauge
                || next.h.counter_reset_hint != CounterResetHint::Gauge;
            return match interpolate_histograms(
                &mut self.annotations,
                span,
                prev,
                next,
                ref_t,
                is_counter,
            ) {
                Ok(h) => Some(h),
                Err(_) => {
                    self.annotations.warn(mixed_exponential_custom(name), span);
                    None
                }
            };
        }
        if i > 0 {
            let mut h = (*hists[i - 1].h).clone();
            h.counter_reset_hint = CounterResetHint::Unknown;
            return Some(h);
        }
        None
    }

    /// A range vector selector at `t`, as a query result: `anchored` and `smoothed` windows are
    /// extended with points at their edges (Prometheus's `matrixSelector` with `extendFloats`).
    pub fn matrix_selector(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        self.range_selection(ms, t, true)
    }

    /// A range vector selector at `t` as a range function's argument: the raw samples, with the
    /// window widened by the lookback delta for `anchored` (before) and `smoothed` (both sides);
    /// the function picks or interpolates the edges itself.
    pub fn matrix_selector_for_function(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        self.range_selection(ms, t, false)
    }

    fn range_selection(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
        extend: bool,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        let vs = &ms.selector;
        let series = self.select(vs);
        let range = self.duration_ms(&ms.range, false)?;
        let lb = self.opts.lookback_delta;
        let maxt0 = self.reference_time(vs.at, &vs.offset, t)?;
        let mint0 = maxt0.saturating_sub(range);
        let (mint, maxt) = if vs.anchored {
            (mint0.saturating_sub(lb), maxt0)
        } else if vs.smoothed {
            (mint0.saturating_sub(lb), maxt0.saturating_add(lb))
        } else {
            (mint0, maxt0)
        };
        // A drifting `@` window (see `at_drift`) still only sees the samples that Prometheus
        // 2's storage returned for the selector: those in its planned range, `[@ - range, @]`
        // (minus the offset), as the TSDB trims to the select hints.
        let (mint, maxt) = if self.at_drift && vs.at.is_some() {
            self.at_drift = false;
            let planned = self.reference_time(vs.at, &vs.offset, t);
            self.at_drift = true;
            let planned = planned?;
            (mint.max(planned.saturating_sub(range)), maxt.min(planned))
        } else {
            (mint, maxt)
        };
        if mint > maxt {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(series.len());
        let mut held = 0usize;
        // Over several steps, each series' window starts from where it was last time.
        let mut hints = if self.repeats {
            let mut hints = self
                .window_hints
                .remove(&(vs as *const VectorSelector))
                .unwrap_or_default();
            hints.resize(series.len(), (0, 0));
            hints
        } else {
            Vec::new()
        };
        for (i, s) in series.iter().enumerate() {
            if mint == maxt {
                continue;
            }
            let float_range = match hints.get_mut(i) {
                Some(hint) => s.float_range_near(mint, maxt, self.window, hint),
                None => s.float_range(mint, maxt, self.window),
            };
            let hist_range = s.histogram_range(mint, maxt, self.window);
            let all_floats = &s.floats()[float_range.clone()];
            let (floats, float_start_times): (Cow<'s, [FPoint]>, Option<Cow<'s, [Timestamp]>>) =
                if s.any_stale(float_range.clone()) {
                    let starts = s.float_start_times(float_range.clone());
                    let mut kept = Vec::with_capacity(all_floats.len());
                    let mut kept_starts = Vec::new();
                    for (i, p) in all_floats.iter().enumerate() {
                        if !is_stale_nan(p.f) {
                            kept.push(*p);
                            if let Some(st) = starts {
                                kept_starts.push(st[i]);
                            }
                        }
                    }
                    (Cow::Owned(kept), starts.map(|_| Cow::Owned(kept_starts)))
                } else {
                    (
                        Cow::Borrowed(all_floats),
                        s.float_start_times(float_range.clone()).map(Cow::Borrowed),
                    )
                };
            let mut histograms: Cow<'s, [HPoint]> =
                Cow::Borrowed(&s.histograms()[hist_range.clone()]);
            if self.is_stats_selector(vs) && !histograms.is_empty() {
                // The iterator seeks to the window start (inclusive) and reads forward,
                // detecting counter resets against the previous histogram it read.
                let seek = s.histogram_range(mint - 1, maxt, Window::LeftOpen);
                let all = &s.histograms()[seek.start..hist_range.end];
                let mut prev: Option<&crate::model::FloatHistogram> = None;
                let mut with_hints = Vec::with_capacity(histograms.len());
                for p in all {
                    let h = stats_hint(prev, p.h.clone());
                    prev = Some(&p.h);
                    if p.t > mint || self.window == Window::LeftClosed {
                        with_hints.push(HPoint { t: p.t, h });
                    }
                }
                histograms = Cow::Owned(with_hints);
            }
            let histogram_start_times = s.histogram_start_times(hist_range).map(Cow::Borrowed);
            let no_float_drops =
                matches!(floats, Cow::Borrowed(_)) && !s.any_drop(float_range.clone());
            let mut rs = RangeSeries {
                metric: s.labels().clone(),
                store_without_name: Some(s.labels_without_name()),
                floats,
                histograms,
                float_start_times,
                histogram_start_times,
                drop_name: false,
                no_float_drops,
            };
            if extend && (vs.anchored || vs.smoothed) {
                if !rs.histograms.is_empty() {
                    return Err(if vs.anchored {
                        EvalError::AnchoredWithHistograms
                    } else {
                        EvalError::SmoothedWithHistograms
                    });
                }
                if rs.floats.is_empty() {
                    continue;
                }
                rs.floats = Cow::Owned(extend_floats(&rs.floats, mint0, maxt0, vs.smoothed));
                rs.float_start_times = None;
            }
            if rs.floats.is_empty() && rs.histograms.is_empty() {
                continue;
            }
            held += rs.floats.len()
                + rs.histograms
                    .iter()
                    .map(|p| p.h.sample_cost())
                    .sum::<usize>();
            out.push(rs);
        }
        if self.repeats {
            self.window_hints.insert(vs as *const VectorSelector, hints);
        }
        self.account(held)?;
        Ok(out)
    }

    /// A subquery at `t`: the inner expression evaluated at every step-aligned timestamp in the
    /// window, collected into series.
    pub fn subquery(
        &mut self,
        sq: &SubqueryExpr,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        let range = self.duration_ms(&sq.range, false)?;
        let step = match &sq.step {
            Some(step) => self.duration_ms(step, false)?,
            None => self.opts.default_subquery_step,
        }
        .max(1);
        let end = self.reference_time(sq.at, &sq.offset, t)?;
        let window_start = end.saturating_sub(range);
        // The first step-aligned timestamp inside the window: after its start for left-open
        // windows, at or after it for left-closed ones.
        let mut first = window_start.div_euclid(step) * step;
        match self.window {
            Window::LeftOpen => {
                if first <= window_start {
                    first += step;
                }
            }
            Window::LeftClosed => {
                if first < window_start {
                    first += step;
                }
            }
        }
        let mut series: Vec<(Labels, Series, bool)> = Vec::new();
        let mut index: FxHashMap<Labels, usize> = FxHashMap::default();
        let saved_samples = self.samples;
        if self.always_empty(&sq.expr) {
            // Nothing to evaluate at any step: `[1y:1s]` over an absent series is free.
            return Ok(Vec::new());
        }
        if first <= end {
            let count = ((end - first) / step) as u64 + 1;
            self.take_steps(count)?;
            self.repeats |= count > 1;
        }
        let saved_start = std::mem::replace(&mut self.range_eval_start, first);
        let mut ts = first;
        // Samples collected so far stay in memory until the subquery ends: they count against
        // `max_samples` at every step, not only once it is done.
        let mut collected = 0usize;
        while ts <= end {
            self.tick()?;
            self.samples = saved_samples.saturating_add(collected);
            match self.eval(&sq.expr, ts)? {
                Val::Vector(vector) => {
                    collected =
                        collected.saturating_add(vector.iter().map(Sample::cost).sum::<usize>());
                    if saved_samples.saturating_add(collected) > self.opts.max_samples {
                        return Err(EvalError::TooManySamples);
                    }
                    for sample in vector {
                        let slot = match index.get(&sample.metric) {
                            Some(&i) => i,
                            None => {
                                index.insert(sample.metric.clone(), series.len());
                                series.push((
                                    sample.metric.clone(),
                                    empty_series(sample.metric.clone()),
                                    false,
                                ));
                                series.len() - 1
                            }
                        };
                        let entry = &mut series[slot];
                        entry.2 |= sample.drop_name;
                        match sample.h {
                            Some(h) => {
                                let h = match h.counter_reset_hint {
                                    CounterResetHint::Reset | CounterResetHint::NotReset => {
                                        let mut copy = (*h).clone();
                                        copy.counter_reset_hint = CounterResetHint::Unknown;
                                        Arc::new(copy)
                                    }
                                    _ => h,
                                };
                                entry.1.histograms.push(HPoint { t: ts, h });
                            }
                            None => entry.1.floats.push(FPoint { t: ts, f: sample.f }),
                        }
                    }
                }
                Val::Scalar(f) => {
                    // The parser only allows subqueries over instant vectors; a scalar inner
                    // expression cannot occur, but is handled as an unlabelled series.
                    if series.is_empty() {
                        series.push((Labels::empty(), empty_series(Labels::empty()), false));
                    }
                    series[0].1.floats.push(FPoint { t: ts, f });
                }
                _ => {}
            }
            ts += step;
        }
        self.range_eval_start = saved_start;
        self.samples = saved_samples;
        // Prometheus 3 sorts a subquery's series; 2.42 keeps the order its steps produced them
        // in (storage order over selectors; a Go map's order over computed series, which we
        // take to be the same).
        if self.opts.semantics == Semantics::Prometheus3 {
            series.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let mut held = 0;
        let out: Vec<RangeSeries<'s>> = series
            .into_iter()
            .map(|(metric, s, drop_name)| {
                held += s.floats.len()
                    + s.histograms
                        .iter()
                        .map(|p| p.h.sample_cost())
                        .sum::<usize>();
                RangeSeries {
                    metric,
                    store_without_name: None,
                    floats: Cow::Owned(s.floats),
                    histograms: Cow::Owned(s.histograms),
                    float_start_times: None,
                    histogram_start_times: None,
                    drop_name,
                    no_float_drops: false,
                }
            })
            .collect();
        self.account(held)?;
        Ok(out)
    }
}
