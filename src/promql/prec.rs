//! Operator precedence and a generic precedence-climbing loop.
//!
//! PromQL's binary operators, lowest first (Prometheus's `generated_parser.y`):
//!
//! | level | operators | associativity |
//! |---|---|---|
//! | 1 | `or` | left |
//! | 2 | `and` `unless` | left |
//! | 3 | `==` `!=` `<=` `<` `>=` `>` `</` `>/` | left |
//! | 4 | `+` `-` | left |
//! | 5 | `*` `/` `%` `atan2` | left |
//! | 6 | `^` | right |
//!
//! A unary `+`/`-` binds like `*` and `/`: its operand holds only `^` ([`UNARY_OPERAND`]), so
//! `-2^2` is `-(2^2)` and `-a * b` is `(-a) * b`. Duration expressions use the same table.
//!
//! The loop is generic so that the expression parser and the duration-expression parser share
//! it; each implements [`Climber`].

use crate::promql::ast::BinaryOp;

/// How operators of one level group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assoc {
    /// `a - b - c` is `(a - b) - c`.
    Left,
    /// `a ^ b ^ c` is `a ^ (b ^ c)`.
    Right,
}

/// The minimum precedence of the operand of a unary operator: only `^` binds tighter.
pub(crate) const UNARY_OPERAND: u8 = 6;

/// The precedence level and associativity of a binary operator.
pub(crate) fn binding(op: BinaryOp) -> (u8, Assoc) {
    match op {
        BinaryOp::Or => (1, Assoc::Left),
        BinaryOp::And | BinaryOp::Unless => (2, Assoc::Left),
        BinaryOp::Eql
        | BinaryOp::Neq
        | BinaryOp::Gtr
        | BinaryOp::Lss
        | BinaryOp::Gte
        | BinaryOp::Lte
        | BinaryOp::TrimUpper
        | BinaryOp::TrimLower => (3, Assoc::Left),
        BinaryOp::Add | BinaryOp::Sub => (4, Assoc::Left),
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Atan2 => (5, Assoc::Left),
        BinaryOp::Pow => (6, Assoc::Right),
    }
}

/// A grammar that precedence climbing can drive: operands, binary operators and how to combine
/// them. `I` is the input position type.
pub(crate) trait Climber<I: Copy> {
    /// An operator token.
    type Op: Copy;
    /// What follows an operator before its right operand (PromQL's `bool`, `on(...)`, ...).
    type Modifiers;
    /// A parsed operand or combined expression.
    type Out;
    /// The error type.
    type Error;

    /// Parses an operand, including any prefix (unary) operators.
    fn operand(&self, input: I) -> Result<(I, Self::Out), Self::Error>;

    /// Recognises a binary operator at `input`, returning the input after it, or `None` when the
    /// next token is not one.
    fn operator(&self, input: I) -> Result<Option<(I, Self::Op)>, Self::Error>;

    /// The precedence and associativity of `op`.
    fn binding(&self, op: Self::Op) -> (u8, Assoc);

    /// Parses what may follow the operator, once it is certain the operator is taken.
    fn modifiers(&self, input: I, op: Self::Op) -> Result<(I, Self::Modifiers), Self::Error>;

    /// Parses a right operand of at least `min_prec`. The default climbs directly; parsers
    /// override it to count nesting.
    fn operand_at(&self, input: I, min_prec: u8) -> Result<(I, Self::Out), Self::Error> {
        climb(self, input, min_prec)
    }

    /// Builds `lhs op rhs`.
    fn combine(
        &self,
        lhs: Self::Out,
        op: Self::Op,
        modifiers: Self::Modifiers,
        rhs: Self::Out,
    ) -> Result<Self::Out, Self::Error>;
}

/// Parses `operand (operator operand)*` where every operator binds at least `min_prec`.
pub(crate) fn climb<I: Copy, C: Climber<I> + ?Sized>(
    climber: &C,
    input: I,
    min_prec: u8,
) -> Result<(I, C::Out), C::Error> {
    let (mut input, mut lhs) = climber.operand(input)?;
    while let Some((after_op, op)) = climber.operator(input)? {
        let (prec, assoc) = climber.binding(op);
        if prec < min_prec {
            break;
        }
        let next_min = match assoc {
            Assoc::Left => prec + 1,
            Assoc::Right => prec,
        };
        (input, lhs) = right_operand(climber, lhs, after_op, op, next_min)?;
    }
    Ok((input, lhs))
}

/// Parses the modifiers and right operand of `op` and combines. A function of its own so that
/// the frame of [`climb`], which stays on the stack while operands nest, stays small.
fn right_operand<I: Copy, C: Climber<I> + ?Sized>(
    climber: &C,
    lhs: C::Out,
    input: I,
    op: C::Op,
    min_prec: u8,
) -> Result<(I, C::Out), C::Error> {
    let (input, modifiers) = climber.modifiers(input, op)?;
    let (rest, rhs) = climber.operand_at(input, min_prec)?;
    Ok((rest, climber.combine(lhs, op, modifiers, rhs)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Single-digit arithmetic with unary minus, printed fully parenthesised.
    struct Arith;

    impl<'a> Climber<&'a str> for Arith {
        type Op = char;
        type Modifiers = ();
        type Out = String;
        type Error = String;

        fn operand(&self, input: &'a str) -> Result<(&'a str, String), String> {
            let mut chars = input.chars();
            match chars.next() {
                Some('-') => {
                    let (rest, inner) = climb(self, chars.as_str(), UNARY_OPERAND)?;
                    Ok((rest, format!("(-{inner})")))
                }
                Some(d) if d.is_ascii_digit() => Ok((chars.as_str(), d.to_string())),
                other => Err(format!("unexpected {other:?}")),
            }
        }

        fn operator(&self, input: &'a str) -> Result<Option<(&'a str, char)>, String> {
            let mut chars = input.chars();
            Ok(match chars.next() {
                Some(c @ ('|' | '&' | '<' | '+' | '-' | '*' | '/' | '^')) => {
                    Some((chars.as_str(), c))
                }
                _ => None,
            })
        }

        fn binding(&self, op: char) -> (u8, Assoc) {
            let op = match op {
                '|' => BinaryOp::Or,
                '&' => BinaryOp::And,
                '<' => BinaryOp::Lss,
                '+' => BinaryOp::Add,
                '-' => BinaryOp::Sub,
                '*' => BinaryOp::Mul,
                '/' => BinaryOp::Div,
                _ => BinaryOp::Pow,
            };
            binding(op)
        }

        fn modifiers(&self, input: &'a str, _op: char) -> Result<(&'a str, ()), String> {
            Ok((input, ()))
        }

        fn combine(&self, lhs: String, op: char, _: (), rhs: String) -> Result<String, String> {
            Ok(format!("({lhs}{op}{rhs})"))
        }
    }

    fn parse(text: &str) -> String {
        let (rest, out) = climb(&Arith, text, 0).unwrap();
        assert_eq!(rest, "", "{text}");
        out
    }

    #[test]
    fn precedence_levels() {
        assert_eq!(parse("1+2*3"), "(1+(2*3))");
        assert_eq!(parse("1*2+3"), "((1*2)+3)");
        assert_eq!(parse("1|2&3<4+5*6^7"), "(1|(2&(3<(4+(5*(6^7))))))");
        assert_eq!(parse("1^2*3<4|5"), "((((1^2)*3)<4)|5)");
    }

    #[test]
    fn associativity() {
        assert_eq!(parse("1-2-3"), "((1-2)-3)");
        assert_eq!(parse("1/2*3"), "((1/2)*3)");
        assert_eq!(parse("2^3^4"), "(2^(3^4))");
    }

    #[test]
    fn unary_binds_between_mul_and_pow() {
        assert_eq!(parse("-2^2"), "(-(2^2))");
        assert_eq!(parse("-2*3"), "((-2)*3)");
        assert_eq!(parse("1+-2*3"), "(1+((-2)*3))");
        assert_eq!(parse("2^-1^2"), "(2^(-(1^2)))");
        assert_eq!(parse("2^-1*3"), "((2^(-1))*3)");
    }
}
