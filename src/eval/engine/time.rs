//! Time arithmetic: durations, offsets and the `@` modifier.

use super::*;

impl<'s> Evaluator<'s> {
    /// The value of a duration node in ms. `allow_negative` for offsets.
    pub fn duration_ms(&self, node: &DurationNode, allow_negative: bool) -> Result<i64, EvalError> {
        let seconds = match &node.expr {
            DurationExpr::Literal(ms) => return Ok(*ms),
            other => self.duration_seconds(other, node.span)?,
        };
        if !seconds.is_finite() {
            return Err(EvalError::DurationNotFinite(node.span));
        }
        if seconds <= 0.0 && !allow_negative {
            return Err(EvalError::DurationNotPositive(node.span));
        }
        let limit = (i64::MAX / 1_000_000_000) as f64;
        if seconds > limit || seconds < -limit {
            return Err(EvalError::DurationOutOfRange(node.span));
        }
        // Prometheus converts float seconds to a time.Duration in ms: Duration(s*1000) * ms.
        Ok((seconds * 1000.0) as i64)
    }

    fn duration_seconds(&self, expr: &DurationExpr, span: Span) -> Result<f64, EvalError> {
        Ok(match expr {
            DurationExpr::Literal(ms) => *ms as f64 / 1000.0,
            DurationExpr::Number(n) => n.value,
            DurationExpr::Step => {
                if self.start == self.end {
                    0.0
                } else {
                    self.interval as f64 / 1000.0
                }
            }
            DurationExpr::Range => (self.end - self.start) as f64 / 1000.0,
            DurationExpr::Paren(inner) => self.duration_seconds(inner, span)?,
            DurationExpr::Unary(op, inner) => {
                let v = self.duration_seconds(inner, span)?;
                match op {
                    UnaryOp::Neg => -v,
                    UnaryOp::Pos => v,
                }
            }
            DurationExpr::MinOf(a, b) => go_min(
                self.duration_seconds(a, span)?,
                self.duration_seconds(b, span)?,
            ),
            DurationExpr::MaxOf(a, b) => go_max(
                self.duration_seconds(a, span)?,
                self.duration_seconds(b, span)?,
            ),
            DurationExpr::Binary(op, a, b) => {
                let (a, b) = (
                    self.duration_seconds(a, span)?,
                    self.duration_seconds(b, span)?,
                );
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => {
                        if b == 0.0 {
                            return Err(EvalError::DurationDivisionByZero(span));
                        }
                        a / b
                    }
                    BinaryOp::Mod => {
                        if b == 0.0 {
                            return Err(EvalError::DurationModuloByZero(span));
                        }
                        a % b
                    }
                    BinaryOp::Pow => a.powf(b),
                    _ => f64::NAN,
                }
            }
        })
    }

    /// The offset of a selector or subquery in ms (0 when absent).
    pub fn offset_ms(&self, offset: &Option<DurationNode>) -> Result<i64, EvalError> {
        match offset {
            Some(node) => self.duration_ms(node, true),
            None => Ok(0),
        }
    }

    /// The reference time of a selector: its `@` time or the evaluation time, minus the offset.
    pub fn reference_time(
        &self,
        at: Option<AtModifier>,
        offset: &Option<DurationNode>,
        t: Timestamp,
    ) -> Result<Timestamp, EvalError> {
        let base = match at {
            None => t,
            Some(AtModifier::Timestamp(ts)) => ts,
            Some(AtModifier::Start) => self.start,
            Some(AtModifier::End) => self.end,
        };
        let base = if self.at_drift && at.is_some() {
            base.saturating_add(t.saturating_sub(self.range_eval_start))
        } else {
            base
        };
        Ok(base.saturating_sub(self.offset_ms(offset)?))
    }
}
