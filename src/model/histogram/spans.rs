//! Operations on span/bucket layouts: merging two layouts (`addBuckets`), compaction
//! (`compactBuckets`), resolution reduction (`reduceResolution`), custom-bound intersection and
//! layout comparison, ported from Prometheus's `model/histogram`.
//!
//! Callers validate layouts first ([`check_layout`]), so the positional bookkeeping below can rely
//! on span lengths adding up to the number of buckets and on non-negative offsets after the first
//! span. Index arithmetic is done in `i64` so that no input can overflow it.

use super::bounds::{
    get_bound_exponential, is_custom_buckets_schema, is_exponential_schema, target_index,
};
use super::gomath::{kahan_dec, kahan_inc};
use super::{BucketSide, BucketSpan, FloatHistogram, HistogramError};

/// Checks that spans and buckets agree, that offsets after the first span are non-negative,
/// that the schema is usable and, for custom buckets, that the bounds cover the spans. Returns
/// the same errors as Prometheus's `Validate` for these conditions (but accepts negative counts,
/// which arithmetic must handle).
pub(crate) fn check_layout(h: &FloatHistogram) -> Result<(), HistogramError> {
    if is_custom_buckets_schema(h.schema) {
        return check_custom_bounds(
            &h.custom_values,
            &h.positive_spans,
            h.positive_buckets.len(),
        );
    }
    if !is_exponential_schema(h.schema) {
        return Err(HistogramError::InvalidSchema { schema: h.schema });
    }
    check_spans(
        &h.positive_spans,
        h.positive_buckets.len(),
        Some(BucketSide::Positive),
    )?;
    check_spans(
        &h.negative_spans,
        h.negative_buckets.len(),
        Some(BucketSide::Negative),
    )
}

/// Prometheus's `checkHistogramSpans`.
pub(crate) fn check_spans(
    spans: &[BucketSpan],
    buckets: usize,
    side: Option<BucketSide>,
) -> Result<(), HistogramError> {
    let mut span_buckets: u64 = 0;
    for (n, span) in spans.iter().enumerate() {
        if n > 0 && span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side,
                span_number: n + 1,
                offset: span.offset,
            });
        }
        span_buckets += u64::from(span.length);
    }
    if span_buckets != buckets as u64 {
        return Err(HistogramError::SpansBucketsMismatch {
            side,
            spans_need: span_buckets,
            buckets,
        });
    }
    Ok(())
}

/// Prometheus's `checkHistogramCustomBounds`, with the `custom buckets: ` context.
pub(crate) fn check_custom_bounds(
    bounds: &[f64],
    spans: &[BucketSpan],
    buckets: usize,
) -> Result<(), HistogramError> {
    let mut previous = f64::NEG_INFINITY;
    for (i, &current) in bounds.iter().enumerate() {
        if current.is_nan() {
            return Err(HistogramError::CustomBoundsNaN);
        }
        if i > 0 && current <= previous {
            return Err(HistogramError::CustomBoundsNotIncreasing { previous, current });
        }
        previous = current;
    }
    if previous == f64::INFINITY {
        return Err(HistogramError::CustomBoundsInfinite);
    }

    let mut span_buckets: u64 = 0;
    let mut total_span_length: i64 = 0;
    for (n, span) in spans.iter().enumerate() {
        if span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side: Some(BucketSide::CustomBuckets),
                span_number: n + 1,
                offset: span.offset,
            });
        }
        span_buckets += u64::from(span.length);
        total_span_length += i64::from(span.length) + i64::from(span.offset);
    }
    if span_buckets != buckets as u64 {
        return Err(HistogramError::SpansBucketsMismatch {
            side: Some(BucketSide::CustomBuckets),
            spans_need: span_buckets,
            buckets,
        });
    }
    if (bounds.len() as i64 + 1) < total_span_length {
        return Err(HistogramError::CustomBoundsTooFew {
            bounds: bounds.len(),
            span_length: total_span_length,
        });
    }
    Ok(())
}

/// Prometheus's `addBuckets` (and, with compensation, `kahanAddBuckets`): adds (or, with
/// `negative`, subtracts) the buckets of B to those of A, inserting buckets missing in A. For
/// exponential schemas, buckets of B whose upper bound is at most `threshold` (inside the zero
/// bucket) are skipped. Both layouts must use `schema`.
///
/// With `compensation_a` (same layout as A) the additions are Kahan summations and
/// `compensation_b` holds B's own compensation terms.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_buckets(
    schema: i32,
    threshold: f64,
    negative: bool,
    spans_a: &mut Vec<BucketSpan>,
    buckets_a: &mut Vec<f64>,
    mut compensation_a: Option<&mut Vec<f64>>,
    spans_b: &[BucketSpan],
    buckets_b: &[f64],
    compensation_b: Option<&[f64]>,
) {
    let kahan = compensation_a.is_some();
    // Prometheus assumes the first span of A is not empty (it would add to the wrong bucket or
    // crash otherwise). Folding leading empty spans into the next span's offset keeps the
    // bucket layout and only drops spans that compaction drops anyway.
    while spans_a.first().is_some_and(|s| s.length == 0) {
        let empty = spans_a.remove(0);
        if let Some(next) = spans_a.first_mut() {
            next.offset = (i64::from(next.offset) + i64::from(empty.offset)) as i32;
        }
    }
    // Adds `value` (and its compensation) to bucket `i` of A.
    let add_at = |buckets_a: &mut Vec<f64>,
                  comp_a: &mut Option<&mut Vec<f64>>,
                  i: usize,
                  value: f64,
                  comp: f64| match comp_a {
        Some(c) => {
            let (s, k) = kahan_inc(value, buckets_a[i], c[i]);
            buckets_a[i] = s;
            c[i] = k;
            if comp != 0.0 {
                let (s, k) = kahan_inc(comp, buckets_a[i], c[i]);
                buckets_a[i] = s;
                c[i] = k;
            }
        }
        None => buckets_a[i] += value,
    };
    // Inserts a new bucket of A at position `i`.
    let insert_at = |buckets_a: &mut Vec<f64>,
                     comp_a: &mut Option<&mut Vec<f64>>,
                     i: usize,
                     value: f64,
                     comp: f64| {
        buckets_a.insert(i, value);
        if let Some(c) = comp_a {
            c.insert(i, comp);
        }
    };

    let mut i_span: i64 = -1;
    let mut i_bucket: i64 = -1;
    let mut i_in_span: i64 = 0;
    let mut index_a: i64 = 0;
    let mut index_b: i64 = 0;
    let mut b_index: usize = 0;
    let mut lower_than_threshold = true;

    for span_b in spans_b {
        index_b += i64::from(span_b.offset);
        for _ in 0..span_b.length {
            'next: {
                if lower_than_threshold
                    && is_exponential_schema(schema)
                    && get_bound_exponential(index_b as i32, schema) <= threshold
                {
                    break 'next;
                }
                lower_than_threshold = false;

                let Some(&raw_b) = buckets_b.get(b_index) else {
                    return;
                };
                let mut bucket_b = raw_b;
                let mut comp_b = if kahan {
                    compensation_b
                        .and_then(|c| c.get(b_index).copied())
                        .unwrap_or(0.0)
                } else {
                    0.0
                };
                if negative {
                    bucket_b *= -1.0;
                    comp_b *= -1.0;
                }

                if i_span == -1 {
                    if spans_a.is_empty() || i64::from(spans_a[0].offset) > index_b {
                        // Add the bucket before all others.
                        insert_at(buckets_a, &mut compensation_a, 0, bucket_b, comp_b);
                        if !spans_a.is_empty() && i64::from(spans_a[0].offset) == index_b + 1 {
                            spans_a[0].length += 1;
                            spans_a[0].offset -= 1;
                            break 'next;
                        }
                        spans_a.insert(
                            0,
                            BucketSpan {
                                offset: index_b as i32,
                                length: 1,
                            },
                        );
                        if spans_a.len() > 1 {
                            // Make the formerly first span's absolute offset relative.
                            spans_a[1].offset =
                                (i64::from(spans_a[1].offset) - (index_b + 1)) as i32;
                        }
                        break 'next;
                    } else if i64::from(spans_a[0].offset) == index_b {
                        // Just add to the first bucket.
                        add_at(buckets_a, &mut compensation_a, 0, bucket_b, comp_b);
                        break 'next;
                    }
                    i_span = 0;
                    i_bucket = 0;
                    i_in_span = 0;
                    index_a = i64::from(spans_a[0].offset);
                }
                let mut delta_index = index_b - index_a;
                loop {
                    let remaining_in_span = i64::from(spans_a[i_span as usize].length) - i_in_span;
                    if delta_index < remaining_in_span {
                        // The bucket is in the current span.
                        i_bucket += delta_index;
                        i_in_span += delta_index;
                        add_at(
                            buckets_a,
                            &mut compensation_a,
                            i_bucket as usize,
                            bucket_b,
                            comp_b,
                        );
                        break;
                    }
                    delta_index -= remaining_in_span;
                    i_bucket += remaining_in_span;
                    i_span += 1;
                    let past_end = i_span as usize == spans_a.len();
                    if past_end || delta_index < i64::from(spans_a[i_span as usize].offset) {
                        // The bucket is in the gap behind the previous span (or there are no
                        // further spans).
                        insert_at(
                            buckets_a,
                            &mut compensation_a,
                            i_bucket as usize,
                            bucket_b,
                            comp_b,
                        );
                        if delta_index == 0 {
                            // Directly after the previous span: extend it.
                            if !past_end {
                                spans_a[i_span as usize].offset -= 1;
                            }
                            i_span -= 1;
                            i_in_span = i64::from(spans_a[i_span as usize].length);
                            spans_a[i_span as usize].length += 1;
                        } else if !past_end
                            && delta_index == i64::from(spans_a[i_span as usize].offset) - 1
                        {
                            // Directly before the next span: extend it.
                            i_in_span = 0;
                            spans_a[i_span as usize].offset -= 1;
                            spans_a[i_span as usize].length += 1;
                        } else {
                            // Not adjacent to the next span (or there is none): new span.
                            i_in_span = 0;
                            if !past_end {
                                let next = &mut spans_a[i_span as usize];
                                next.offset = (i64::from(next.offset) - (delta_index + 1)) as i32;
                            }
                            spans_a.insert(
                                i_span as usize,
                                BucketSpan {
                                    offset: delta_index as i32,
                                    length: 1,
                                },
                            );
                        }
                        break;
                    }
                    // Try the start of the next span.
                    delta_index -= i64::from(spans_a[i_span as usize].offset);
                    i_in_span = 0;
                }
            }
            index_a = index_b;
            index_b += 1;
            b_index += 1;
        }
    }
}

/// Prometheus's `compactBuckets` for absolute counts, with optional compensation buckets kept in
/// step: drops empty buckets at the start and end of spans, merges spans that are adjacent or at
/// most `max_empty_buckets` apart, and splits spans at runs of more than `max_empty_buckets`
/// empty buckets. A bucket counts as empty only if its compensation term is zero too.
pub(crate) fn compact_buckets(
    buckets: &mut Vec<f64>,
    mut compensation: Option<&mut Vec<f64>>,
    spans: &mut Vec<BucketSpan>,
    max_empty_buckets: usize,
) {
    if let Some(c) = compensation.as_deref_mut() {
        // The layouts must agree; pad or cut the compensation rather than fail.
        c.resize(buckets.len(), 0.0);
    }
    // Fast path: no empty buckets, no offset ≤ max_empty_buckets and no empty span.
    let nothing_to_do = !buckets.contains(&0.0)
        && spans
            .iter()
            .all(|s| offset_exceeds(s.offset, max_empty_buckets) && s.length != 0);
    if nothing_to_do {
        return;
    }

    // Merge spans with zero offset to avoid special cases later.
    if spans.len() > 1 {
        let mut merged: Vec<BucketSpan> = Vec::with_capacity(spans.len());
        merged.push(spans[0]);
        for &span in &spans[1..] {
            if span.offset == 0 {
                if let Some(last) = merged.last_mut() {
                    last.length = last.length.wrapping_add(span.length);
                }
                continue;
            }
            merged.push(span);
        }
        *spans = merged;
    }

    // Merge zero-length spans into their successors' offsets.
    let mut kept: Vec<BucketSpan> = Vec::with_capacity(spans.len());
    let mut carried_offset: i32 = 0;
    for (i, span) in spans.iter().enumerate() {
        let span = BucketSpan {
            offset: span.offset.wrapping_add(carried_offset),
            length: span.length,
        };
        carried_offset = 0;
        if span.length == 0 {
            if i + 1 < spans.len() {
                carried_offset = span.offset;
            }
            continue;
        }
        kept.push(span);
    }
    *spans = kept;

    if spans.is_empty() {
        // All spans were empty; no bucket remains valid.
        buckets.clear();
        if let Some(c) = compensation.as_deref_mut() {
            c.clear();
        }
        return;
    }

    let comp_at = |compensation: &Option<&mut Vec<f64>>, i: usize| -> f64 {
        compensation
            .as_ref()
            .and_then(|c| c.get(i).copied())
            .unwrap_or(0.0)
    };

    // Cut out empty buckets at the start and end of spans, and runs of more than
    // max_empty_buckets empty buckets in the middle of spans.
    let mut i_bucket: usize = 0;
    let mut i_span: usize = 0;
    let mut pos_in_span: u32 = 0;
    while i_bucket < buckets.len() && i_span < spans.len() {
        // The number of consecutive empty buckets starting here, within the current span.
        let n_empty = {
            let mut i: usize = 0;
            let mut value = buckets[i_bucket];
            let mut comp = comp_at(&compensation, i_bucket);
            while (i as u64 + u64::from(pos_in_span)) < u64::from(spans[i_span].length)
                && value == 0.0
                && comp == 0.0
            {
                i += 1;
                if i + i_bucket >= buckets.len() {
                    break;
                }
                value = buckets[i + i_bucket];
                comp = comp_at(&compensation, i + i_bucket);
            }
            i
        };
        if n_empty > 0 {
            let span_length = spans[i_span].length;
            if pos_in_span > 0
                && (n_empty as u64) < u64::from(span_length - pos_in_span)
                && n_empty <= max_empty_buckets
            {
                // Few enough empty buckets in the middle of a span: keep them.
                i_bucket += n_empty;
                pos_in_span += n_empty as u32;
                continue;
            }
            // Cut out the empty buckets.
            let end = (i_bucket + n_empty).min(buckets.len());
            buckets.drain(i_bucket..end);
            if let Some(c) = compensation.as_deref_mut() {
                let end = (i_bucket + n_empty).min(c.len());
                c.drain(i_bucket.min(end)..end);
            }
            if pos_in_span == 0 {
                // At the start of the span.
                if n_empty as u64 == u64::from(span_length) {
                    // The whole span is empty.
                    let offset = spans[i_span].offset;
                    spans.remove(i_span);
                    if i_span < spans.len() {
                        spans[i_span].offset = spans[i_span]
                            .offset
                            .wrapping_add(offset)
                            .wrapping_add(n_empty as i32);
                    }
                    continue;
                }
                spans[i_span].length -= n_empty as u32;
                spans[i_span].offset = spans[i_span].offset.wrapping_add(n_empty as i32);
                continue;
            }
            // In the middle or at the end of the span: split it.
            let new_span = BucketSpan {
                offset: n_empty as i32,
                length: span_length - pos_in_span - n_empty as u32,
            };
            spans[i_span].length = pos_in_span;
            i_span += 1;
            pos_in_span = 0;
            if new_span.length == 0 {
                // We were at the end of a span already; just shift the next span.
                if i_span < spans.len() {
                    spans[i_span].offset = spans[i_span].offset.wrapping_add(n_empty as i32);
                }
                continue;
            }
            spans.insert(i_span, new_span);
            continue;
        }
        i_bucket += 1;
        pos_in_span += 1;
        if pos_in_span >= spans[i_span].length {
            pos_in_span = 0;
            i_span += 1;
        }
    }
    if max_empty_buckets == 0 || buckets.is_empty() || spans.is_empty() {
        return;
    }

    // Finally, merge spans separated by at most max_empty_buckets empty buckets.
    let mut i_bucket = spans[0].length as usize;
    let mut i_span = 1;
    while i_span < spans.len() {
        let offset = spans[i_span].offset;
        let length = spans[i_span].length as usize;
        if offset_exceeds(offset, max_empty_buckets) {
            i_bucket += length;
            i_span += 1;
            continue;
        }
        // Merge the span into the previous one and insert the empty buckets.
        let gap = offset.max(0) as usize;
        spans[i_span - 1].length = spans[i_span - 1]
            .length
            .wrapping_add(gap as u32)
            .wrapping_add(spans[i_span].length);
        spans.remove(i_span);
        let at = i_bucket.min(buckets.len());
        buckets.splice(at..at, std::iter::repeat_n(0.0, gap));
        if let Some(c) = compensation.as_deref_mut() {
            let at = i_bucket.min(c.len());
            c.splice(at..at, std::iter::repeat_n(0.0, gap));
        }
        i_bucket += gap + length;
    }
}

/// Whether a span offset (a gap of empty buckets) is larger than `max_empty_buckets`, as Go's
/// `int(offset) > maxEmptyBuckets`.
fn offset_exceeds(offset: i32, max_empty_buckets: usize) -> bool {
    offset > 0 && offset as u64 > max_empty_buckets as u64
}

/// Prometheus's `reduceResolution` for absolute counts: merges the buckets into the coarser
/// `target_schema`. Errors as Prometheus on negative offsets after the first span and on span
/// lengths that disagree with the number of buckets.
pub(crate) fn reduce_resolution(
    spans: &[BucketSpan],
    buckets: &[f64],
    origin_schema: i32,
    target_schema: i32,
) -> Result<(Vec<BucketSpan>, Vec<f64>), HistogramError> {
    let mut target_spans: Vec<BucketSpan> = Vec::new();
    let mut target_buckets: Vec<f64> = Vec::new();
    let mut bucket_index: i32 = 0;
    let mut bucket_count_index: usize = 0;
    let mut last_target_index: i32 = 0;

    for (n, span) in spans.iter().enumerate() {
        if n > 0 && span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                side: None,
                span_number: n + 1,
                offset: span.offset,
            });
        }
        bucket_index = bucket_index.wrapping_add(span.offset);
        for _ in 0..span.length {
            let Some(&count) = buckets.get(bucket_count_index) else {
                return Err(HistogramError::TooFewBuckets {
                    buckets: buckets.len(),
                });
            };
            let target = target_index(bucket_index, origin_schema, target_schema);
            if target_spans.is_empty() {
                target_spans.push(BucketSpan {
                    offset: target,
                    length: 1,
                });
                target_buckets.push(count);
                last_target_index = target;
            } else if last_target_index == target {
                if let Some(last) = target_buckets.last_mut() {
                    *last += count;
                }
            } else if last_target_index.wrapping_add(1) == target {
                if let Some(last) = target_spans.last_mut() {
                    last.length += 1;
                }
                last_target_index = target;
                target_buckets.push(count);
            } else if last_target_index.wrapping_add(1) < target {
                target_spans.push(BucketSpan {
                    offset: target.wrapping_sub(last_target_index).wrapping_sub(1),
                    length: 1,
                });
                last_target_index = target;
                target_buckets.push(count);
            }
            // A target index going backwards cannot happen with valid spans; Prometheus drops
            // such a bucket, and so do we.
            bucket_index = bucket_index.wrapping_add(1);
            bucket_count_index += 1;
        }
    }
    if bucket_count_index != buckets.len() {
        return Err(HistogramError::SpansBucketsMismatch {
            side: None,
            spans_need: bucket_count_index as u64,
            buckets: buckets.len(),
        });
    }
    Ok((target_spans, target_buckets))
}

/// Prometheus's `kahanReduceResolution`: like [`reduce_resolution`] but merging the buckets
/// with Kahan summation and carrying the compensation buckets along. The layout must be valid.
pub(crate) fn kahan_reduce_resolution(
    spans: &[BucketSpan],
    buckets: &[f64],
    compensation: &[f64],
    origin_schema: i32,
    target_schema: i32,
) -> (Vec<BucketSpan>, Vec<f64>, Vec<f64>) {
    let mut target_spans: Vec<BucketSpan> = Vec::new();
    let mut target_buckets: Vec<f64> = Vec::new();
    let mut target_compensation: Vec<f64> = Vec::new();
    let mut bucket_index: i32 = 0;
    let mut bucket_count_index: usize = 0;
    let mut last_target_index: i32 = 0;

    for span in spans {
        bucket_index = bucket_index.wrapping_add(span.offset);
        for _ in 0..span.length {
            let Some(&count) = buckets.get(bucket_count_index) else {
                return (target_spans, target_buckets, target_compensation);
            };
            let comp = compensation.get(bucket_count_index).copied().unwrap_or(0.0);
            let target = target_index(bucket_index, origin_schema, target_schema);
            if target_spans.is_empty() {
                target_spans.push(BucketSpan {
                    offset: target,
                    length: 1,
                });
                target_buckets.push(count);
                target_compensation.push(comp);
                last_target_index = target;
            } else if last_target_index == target {
                let last = target_buckets.len() - 1;
                let (s, c) = kahan_inc(count, target_buckets[last], target_compensation[last]);
                let (s, c) = kahan_inc(comp, s, c);
                target_buckets[last] = s;
                target_compensation[last] = c;
            } else if last_target_index.wrapping_add(1) == target {
                if let Some(last) = target_spans.last_mut() {
                    last.length += 1;
                }
                last_target_index = target;
                target_buckets.push(count);
                target_compensation.push(comp);
            } else if last_target_index.wrapping_add(1) < target {
                target_spans.push(BucketSpan {
                    offset: target.wrapping_sub(last_target_index).wrapping_sub(1),
                    length: 1,
                });
                last_target_index = target;
                target_buckets.push(count);
                target_compensation.push(comp);
            }
            bucket_index = bucket_index.wrapping_add(1);
            bucket_count_index += 1;
        }
    }
    (target_spans, target_buckets, target_compensation)
}

/// Prometheus's `spansMatch`: whether two span lists describe the same layout, ignoring
/// zero-length spans.
pub(crate) fn spans_match(s1: &[BucketSpan], s2: &[BucketSpan]) -> bool {
    if s1.is_empty() && s2.is_empty() {
        return true;
    }
    let all_empty = |s: &[BucketSpan]| s.iter().all(|span| span.length == 0);
    // Reads the next span, folding zero-length spans into the following one.
    let next = |s: &[BucketSpan], i: &mut usize| -> BucketSpan {
        let mut current = s[*i];
        *i += 1;
        if current.length == 0 {
            while *i < s.len() && s[*i].length == 0 {
                current.offset = current.offset.wrapping_add(s[*i].offset);
                *i += 1;
            }
            if *i < s.len() {
                current.offset = current.offset.wrapping_add(s[*i].offset);
                current.length = s[*i].length;
                *i += 1;
            }
        }
        current
    };
    let (mut i1, mut i2) = (0, 0);
    loop {
        if i1 >= s1.len() {
            return all_empty(&s2[i2..]);
        }
        if i2 >= s2.len() {
            return all_empty(&s1[i1..]);
        }
        let a = next(s1, &mut i1);
        let b = next(s2, &mut i2);
        if a.length == 0 && b.length == 0 {
            return true;
        }
        if a != b {
            return false;
        }
    }
}

/// Prometheus's `intersectCustomBucketBounds`: the bounds present in both sorted lists.
pub(crate) fn intersect_custom_bucket_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut result = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            result.push(a[i]);
            i += 1;
            j += 1;
        } else if a[i] < b[j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    result
}

/// Prometheus's `addCustomBucketsWithMismatches`: maps the buckets of A and B (with different
/// custom bounds) onto `intersected_bounds` and adds (or, with `negative`, subtracts) them with
/// Kahan summation, dropping buckets that end up zero. Returns the spans, buckets and their
/// compensation terms; `compensation_a` is A's compensation, added in as well.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_custom_buckets_with_mismatches(
    negative: bool,
    spans_a: &[BucketSpan],
    buckets_a: &[f64],
    bounds_a: &[f64],
    spans_b: &[BucketSpan],
    buckets_b: &[f64],
    bounds_b: &[f64],
    compensation_a: Option<&[f64]>,
    intersected_bounds: &[f64],
) -> (Vec<BucketSpan>, Vec<f64>, Vec<f64>) {
    let mut target = vec![0.0; intersected_bounds.len() + 1];
    let mut target_comp = vec![0.0; intersected_bounds.len() + 1];

    let mut map_buckets = |spans: &[BucketSpan],
                           buckets: &[f64],
                           bounds: &[f64],
                           negative: bool,
                           compensation: Option<&[f64]>| {
        let mut source_index: i64 = 0;
        let mut bucket_index: usize = 0;
        let mut intersect_index: usize = 0;
        for span in spans {
            source_index += i64::from(span.offset);
            for _ in 0..span.length {
                if let Some(&value) = buckets.get(bucket_index) {
                    // The +Inf bucket unless a finite source bound maps elsewhere. Both bound
                    // lists are sorted, so the search continues where it left off.
                    let mut target_index = target.len() - 1;
                    if source_index >= 0 && (source_index as usize) < bounds.len() {
                        let source_bound = bounds[source_index as usize];
                        while intersect_index < intersected_bounds.len() {
                            if intersected_bounds[intersect_index] >= source_bound {
                                target_index = intersect_index;
                                break;
                            }
                            intersect_index += 1;
                        }
                    }
                    let (s, c) = if negative {
                        kahan_dec(value, target[target_index], target_comp[target_index])
                    } else {
                        kahan_inc(value, target[target_index], target_comp[target_index])
                    };
                    target[target_index] = s;
                    target_comp[target_index] = c;
                    if !negative {
                        if let Some(&comp) = compensation.and_then(|c| c.get(bucket_index)) {
                            let (s, c) =
                                kahan_inc(comp, target[target_index], target_comp[target_index]);
                            target[target_index] = s;
                            target_comp[target_index] = c;
                        }
                    }
                }
                source_index += 1;
                bucket_index += 1;
            }
        }
    };
    map_buckets(spans_a, buckets_a, bounds_a, false, compensation_a);
    map_buckets(spans_b, buckets_b, bounds_b, negative, None);

    // Build spans and buckets without the zero buckets.
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut buckets = Vec::new();
    let mut comps = Vec::new();
    let mut last_index: i64 = -1;
    for (i, (&value, &comp)) in target.iter().zip(&target_comp).enumerate() {
        if value == 0.0 && comp == 0.0 {
            continue;
        }
        buckets.push(value);
        comps.push(comp);
        let index = i as i64;
        match spans.last_mut() {
            Some(last) if index == last_index + 1 => last.length += 1,
            Some(_) => spans.push(BucketSpan {
                offset: (index - last_index - 1) as i32,
                length: 1,
            }),
            None => spans.push(BucketSpan {
                offset: index as i32,
                length: 1,
            }),
        }
        last_index = index;
    }
    (spans, buckets, comps)
}
