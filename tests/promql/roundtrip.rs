//! Printing then parsing gives back the same tree (spans aside), for generated trees and for
//! every expression that parses out of random text; and no input makes the parser panic.
//!
//! `PROPTEST_CASES` bounds the number of cases (CI sets it).

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::FileFailurePersistence;

use promgate::promql::functions::{Function, lookup};
use promgate::promql::{
    AggregateExpr, AggregateOp, AtModifier, BinaryExpr, BinaryOp, Call, DurationExpr, DurationNode,
    Expr, ExprKind, FillValues, MatrixSelector, NumberLiteral, ParseOptions, SubqueryExpr,
    UnaryExpr, UnaryOp, ValueType, VectorMatchCardinality, VectorMatching, VectorSelector,
    parse_with,
};
use promgate::{MatchOp, Matcher, Span};

/// Sets every span in the tree to the empty span at 0, so trees can be compared without them.
fn strip_spans(expr: &mut Expr) {
    expr.span = Span::default();
    match &mut expr.kind {
        ExprKind::Number(_) | ExprKind::String(_) => {}
        ExprKind::VectorSelector(selector) => strip_selector(selector),
        ExprKind::MatrixSelector(matrix) => {
            matrix.selector_span = Span::default();
            matrix.range.span = Span::default();
            strip_selector(&mut matrix.selector);
        }
        ExprKind::Subquery(subquery) => {
            strip_spans(&mut subquery.expr);
            subquery.range.span = Span::default();
            for d in [&mut subquery.step, &mut subquery.offset]
                .into_iter()
                .flatten()
            {
                d.span = Span::default();
            }
        }
        ExprKind::Paren(inner) => strip_spans(inner),
        ExprKind::Unary(unary) => strip_spans(&mut unary.expr),
        ExprKind::Binary(binary) => {
            strip_spans(&mut binary.lhs);
            strip_spans(&mut binary.rhs);
        }
        ExprKind::Aggregate(aggregate) => {
            strip_spans(&mut aggregate.expr);
            if let Some(param) = &mut aggregate.param {
                strip_spans(param);
            }
        }
        ExprKind::Call(call) => call.args.iter_mut().for_each(strip_spans),
    }
}

fn strip_selector(selector: &mut VectorSelector) {
    if let Some(offset) = &mut selector.offset {
        offset.span = Span::default();
    }
}

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn paren(e: Expr) -> Expr {
    expr(ExprKind::Paren(Box::new(e)))
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    let func: &'static Function = lookup(name).expect("known function");
    expr(ExprKind::Call(Call { func, args }))
}

fn number(value: f64) -> Expr {
    expr(ExprKind::Number(NumberLiteral {
        value,
        duration: false,
    }))
}

/// An expression and its type, as the generator builds them.
#[derive(Debug, Clone)]
struct Typed(Expr, ValueType);

/// Wraps `e` in parentheses unless it is a primary, so a postfix modifier applies to all of it.
fn primary(e: Expr) -> Expr {
    match e.kind {
        ExprKind::Binary(_) | ExprKind::Unary(_) => paren(e),
        ExprKind::Number(n) if n.value.is_sign_negative() => paren(e),
        _ => e,
    }
}

fn to_vector(t: Typed) -> Expr {
    match t.1 {
        ValueType::Vector => t.0,
        ValueType::Scalar => call("vector", vec![t.0]),
        ValueType::Matrix => call("rate", vec![t.0]),
        ValueType::String => call("vector", vec![number(1.0)]),
    }
}

fn to_scalar(t: Typed) -> Expr {
    match t.1 {
        ValueType::Scalar => t.0,
        _ => call("scalar", vec![to_vector(t)]),
    }
}

fn to_operand(t: Typed) -> Typed {
    match t.1 {
        ValueType::Scalar | ValueType::Vector => t,
        _ => Typed(to_vector(t), ValueType::Vector),
    }
}

fn is_negative_number(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Number(n) if n.value.is_sign_negative() && !n.value.is_nan())
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And | BinaryOp::Unless => 2,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Atan2 => 5,
        BinaryOp::Pow => 6,
        _ => 3,
    }
}

/// Parenthesises the operands of `op` where the grammar needs it.
fn binary_operands(op: BinaryOp, lhs: Expr, rhs: Expr) -> (Expr, Expr) {
    let prec = precedence(op);
    let lhs = match &lhs.kind {
        ExprKind::Binary(b) if precedence(b.op) < prec || (prec == 6 && precedence(b.op) == 6) => {
            paren(lhs)
        }
        ExprKind::Unary(_) if op == BinaryOp::Pow => paren(lhs),
        _ if op == BinaryOp::Pow && is_negative_number(&lhs) => paren(lhs),
        _ => lhs,
    };
    let rhs = match &rhs.kind {
        ExprKind::Binary(b)
            if precedence(b.op) < prec || (prec < 6 && precedence(b.op) == prec) =>
        {
            paren(rhs)
        }
        _ => rhs,
    };
    (lhs, rhs)
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("job".to_string()),
        Just("instance".to_string()),
        Just("le".to_string()),
        Just("sum".to_string()),
        Just("by".to_string()),
        Just("on".to_string()),
        Just("without".to_string()),
        Just("a.b".to_string()),
        Just("Inf".to_string()),
        "[a-z_][a-z0-9_]{0,6}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("5..".to_string()),
        Just("a|b".to_string()),
        Just("quote\"and\\backslash".to_string()),
        Just("tab\tnewline\n".to_string()),
        Just("é😀".to_string()),
        "[a-z0-9]{1,5}",
    ]
}

fn metric_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("up".to_string()),
        Just("http_requests_total".to_string()),
        Just("job:rate5m:sum".to_string()),
        Just("sum".to_string()),
        Just("offset".to_string()),
        Just("start".to_string()),
        Just("step".to_string()),
        Just("anchored".to_string()),
        Just("fill".to_string()),
        Just("bool".to_string()),
        Just("nan".to_string()),
        Just("my.metric".to_string()),
        "[a-z_][a-z0-9_]{0,8}",
    ]
}

fn matcher() -> impl Strategy<Value = Matcher> {
    (
        label_name(),
        prop_oneof![
            Just(MatchOp::Equal),
            Just(MatchOp::NotEqual),
            Just(MatchOp::RegexMatch),
            Just(MatchOp::RegexNoMatch)
        ],
        label_value(),
    )
        .prop_filter_map("valid regex", |(name, op, value)| {
            Matcher::new(op, name, value).ok()
        })
}

fn at_modifier() -> impl Strategy<Value = Option<AtModifier>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(AtModifier::Start)),
        1 => Just(Some(AtModifier::End)),
        1 => (-1_000_000_000_000i64..1_000_000_000_000).prop_map(|ms| Some(AtModifier::Timestamp(ms))),
    ]
}

/// Duration arithmetic, parenthesised where the grammar needs it.
fn duration_expr() -> impl Strategy<Value = DurationExpr> {
    let leaf = prop_oneof![
        (1i64..100, any::<bool>()).prop_map(|(v, duration)| {
            DurationExpr::Number(NumberLiteral {
                value: v as f64,
                duration,
            })
        }),
        Just(DurationExpr::Step),
        Just(DurationExpr::Range),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                prop_oneof![
                    Just(BinaryOp::Add),
                    Just(BinaryOp::Sub),
                    Just(BinaryOp::Mul),
                    Just(BinaryOp::Div),
                    Just(BinaryOp::Mod),
                    Just(BinaryOp::Pow)
                ],
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| {
                    // Operands are parenthesised unless they are leaves.
                    let wrap = |d: DurationExpr| match d {
                        DurationExpr::Binary(..) | DurationExpr::Unary(..) => {
                            DurationExpr::Paren(Box::new(d))
                        }
                        d => d,
                    };
                    DurationExpr::Binary(op, Box::new(wrap(a)), Box::new(wrap(b)))
                }),
            inner.clone().prop_map(|d| DurationExpr::Paren(Box::new(d))),
            inner.clone().prop_map(|d| DurationExpr::Unary(
                UnaryOp::Neg,
                Box::new(DurationExpr::Paren(Box::new(d)))
            )),
            (inner.clone(), inner).prop_map(|(a, b)| DurationExpr::MinOf(Box::new(a), Box::new(b))),
        ]
    })
}

fn node(expr: DurationExpr) -> DurationNode {
    DurationNode {
        expr,
        span: Span::default(),
    }
}

/// A range or subquery step: a positive literal or arithmetic.
fn range() -> impl Strategy<Value = DurationNode> {
    prop_oneof![
        3 => (1i64..100_000_000).prop_map(|ms| node(DurationExpr::Literal(ms))),
        1 => duration_expr().prop_filter("not a bare number", |d| !matches!(d, DurationExpr::Number(_))).prop_map(node),
    ]
}

/// An offset in the forms that end the offset (a bare `(...)` would swallow a following
/// operator, as in Prometheus).
fn offset() -> impl Strategy<Value = Option<DurationNode>> {
    prop_oneof![
        3 => Just(None),
        3 => (-100_000_000i64..100_000_000).prop_filter("not zero", |ms| *ms != 0).prop_map(|ms| Some(node(DurationExpr::Literal(ms)))),
        1 => Just(Some(node(DurationExpr::Step))),
        1 => duration_expr().prop_map(|d| Some(node(DurationExpr::Unary(UnaryOp::Neg, Box::new(DurationExpr::Paren(Box::new(d))))))),
        1 => (duration_expr(), duration_expr()).prop_map(|(a, b)| Some(node(DurationExpr::MaxOf(Box::new(a), Box::new(b))))),
    ]
}

fn vector_selector() -> impl Strategy<Value = VectorSelector> {
    (
        prop::option::of(metric_name()),
        any::<bool>(),
        prop::collection::vec(matcher(), 0..3),
        at_modifier(),
        offset(),
    )
        .prop_filter_map(
            "needs a name or a non-empty matcher",
            |(name, name_in_braces, mut matchers, at, offset)| {
                let plain = name.as_deref().is_some_and(|n| {
                    promgate::syntax::lex::is_legacy_metric_name(n)
                        && !["bool", "nan", "on", "ignoring"].contains(&n)
                });
                match &name {
                    Some(n) if plain && !name_in_braces => {
                        matchers.push(Matcher::equal("__name__", n.clone()))
                    }
                    Some(n) => matchers.insert(0, Matcher::equal("__name__", n.clone())),
                    None if matchers.iter().all(|m| m.matches_empty()) => return None,
                    None => {}
                }
                Some(VectorSelector {
                    name,
                    matchers,
                    offset,
                    at,
                    anchored: false,
                    smoothed: false,
                })
            },
        )
}

fn leaf() -> impl Strategy<Value = Typed> {
    prop_oneof![
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(0.5),
            Just(1e300),
            (0u32..1000).prop_map(f64::from)
        ]
        .prop_map(|v| Typed(
            number(if v.is_nan() { f64::NAN } else { v }),
            ValueType::Scalar
        )),
        (1i64..1_000_000).prop_map(|s| Typed(
            expr(ExprKind::Number(NumberLiteral {
                value: s as f64,
                duration: true
            })),
            ValueType::Scalar
        )),
        ".{0,6}".prop_map(|s| Typed(expr(ExprKind::String(s.into())), ValueType::String)),
        // Byte escapes may leave invalid UTF-8, which must print and parse back exactly.
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(|b| Typed(
            expr(ExprKind::String(
                promgate::promql::StringLiteral::from_bytes(b)
            )),
            ValueType::String
        )),
        vector_selector().prop_map(|s| Typed(expr(ExprKind::VectorSelector(s)), ValueType::Vector)),
        (vector_selector(), range(), 0u8..3).prop_map(|(mut selector, range, modifier)| {
            selector.anchored = modifier == 1;
            selector.smoothed = modifier == 2;
            Typed(
                expr(ExprKind::MatrixSelector(MatrixSelector {
                    selector,
                    selector_span: Span::default(),
                    range,
                })),
                ValueType::Matrix,
            )
        }),
    ]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    use BinaryOp::*;
    prop::sample::select(vec![
        Add, Sub, Mul, Div, Mod, Pow, Atan2, Eql, Neq, Gtr, Lss, Gte, Lte, And, Or, Unless,
        TrimUpper, TrimLower,
    ])
}

fn labels() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(label_name(), 0..3)
}

/// The random choices for the modifiers of a binary operation; [`binary`] keeps the ones the
/// operator and operand types allow.
#[derive(Debug, Clone)]
struct Modifiers {
    bool_flag: bool,
    on: Option<bool>,
    labels: Vec<String>,
    group: u8,
    include: Vec<String>,
    fill: (Option<f64>, Option<f64>),
}

fn modifiers() -> impl Strategy<Value = Modifiers> {
    (
        any::<bool>(),
        prop::option::of(any::<bool>()),
        labels(),
        0u8..3,
        labels(),
        (fill_value(), fill_value()),
    )
        .prop_map(|(bool_flag, on, labels, group, include, fill)| Modifiers {
            bool_flag,
            on,
            labels,
            group,
            include,
            fill,
        })
}

fn binary(op: BinaryOp, lhs: Typed, rhs: Typed, m: Modifiers) -> Typed {
    let Modifiers {
        bool_flag,
        on,
        labels,
        group,
        include,
        fill,
    } = m;
    let (lhs, rhs) = (to_operand(lhs), to_operand(rhs));
    let set = op.is_set_operator();
    let (lhs, rhs) = match set {
        true => (
            Typed(to_vector(lhs), ValueType::Vector),
            Typed(to_vector(rhs), ValueType::Vector),
        ),
        false => (lhs, rhs),
    };
    let both_scalar = lhs.1 == ValueType::Scalar && rhs.1 == ValueType::Scalar;
    let both_vector = lhs.1 == ValueType::Vector && rhs.1 == ValueType::Vector;
    let return_bool = op.is_comparison() && (bool_flag || both_scalar);
    let matching = both_vector.then(|| {
        let card = match (set, group) {
            (true, _) => VectorMatchCardinality::ManyToMany,
            (false, 1) if on.is_some() => VectorMatchCardinality::ManyToOne,
            (false, 2) if on.is_some() => VectorMatchCardinality::OneToMany,
            _ => VectorMatchCardinality::OneToOne,
        };
        let grouped = matches!(
            card,
            VectorMatchCardinality::ManyToOne | VectorMatchCardinality::OneToMany
        );
        let matching_labels = if on.is_some() {
            labels.clone()
        } else {
            Vec::new()
        };
        let include = match grouped {
            true => include
                .into_iter()
                .filter(|l| !(on == Some(true) && matching_labels.contains(l)))
                .collect(),
            false => Vec::new(),
        };
        VectorMatching {
            card,
            matching_labels,
            on: on == Some(true),
            include,
            fill: match set {
                true => FillValues::default(),
                false => FillValues {
                    lhs: fill.0,
                    rhs: fill.1,
                },
            },
        }
    });
    let (l, r) = binary_operands(op, lhs.0, rhs.0);
    let ty = if both_scalar {
        ValueType::Scalar
    } else {
        ValueType::Vector
    };
    Typed(
        expr(ExprKind::Binary(BinaryExpr {
            op,
            lhs: Box::new(l),
            rhs: Box::new(r),
            return_bool,
            matching,
        })),
        ty,
    )
}

fn fill_value() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![3 => Just(None), 1 => Just(Some(0.0)), 1 => Just(Some(-1.5)), 1 => Just(Some(f64::NAN))]
}

/// Whole expressions, type-correct, with parentheses where the grammar needs them.
fn typed_expr() -> impl Strategy<Value = Typed> {
    leaf().prop_recursive(4, 48, 3, |inner| {
        let unary = (any::<bool>(), inner.clone()).prop_map(|(negative, t)| {
            let t = to_operand(t);
            let operand = match &t.0.kind {
                ExprKind::Binary(b) if b.op != BinaryOp::Pow => paren(t.0),
                ExprKind::Number(_) => paren(t.0),
                _ => t.0,
            };
            let op = if negative { UnaryOp::Neg } else { UnaryOp::Pos };
            Typed(
                expr(ExprKind::Unary(UnaryExpr {
                    op,
                    expr: Box::new(operand),
                })),
                t.1,
            )
        });
        let binary = (binary_op(), inner.clone(), inner.clone(), modifiers())
            .prop_map(|(op, l, r, m)| binary(op, l, r, m));
        let aggregate = (
            prop::sample::select(vec![
                AggregateOp::Sum,
                AggregateOp::Avg,
                AggregateOp::Count,
                AggregateOp::Min,
                AggregateOp::Max,
                AggregateOp::Group,
                AggregateOp::Stddev,
                AggregateOp::Stdvar,
                AggregateOp::Topk,
                AggregateOp::Bottomk,
                AggregateOp::CountValues,
                AggregateOp::Quantile,
                AggregateOp::Limitk,
                AggregateOp::LimitRatio,
            ]),
            inner.clone(),
            inner.clone(),
            labels(),
            any::<bool>(),
        )
            .prop_map(|(op, e, p, grouping, without)| {
                let param = match op {
                    AggregateOp::CountValues => {
                        Some(Box::new(expr(ExprKind::String("value".into()))))
                    }
                    op if op.takes_parameter() => Some(Box::new(to_scalar(p))),
                    _ => None,
                };
                Typed(
                    expr(ExprKind::Aggregate(AggregateExpr {
                        op,
                        expr: Box::new(to_vector(e)),
                        param,
                        grouping,
                        without,
                    })),
                    ValueType::Vector,
                )
            });
        let function = (
            prop::sample::select(vec![
                "abs",
                "rate",
                "histogram_quantile",
                "clamp",
                "round",
                "time",
                "label_join",
                "predict_linear",
                "quantile_over_time",
                "sort_by_label",
                "min_of",
                "step",
                "double_exponential_smoothing",
                "hour",
            ]),
            prop::collection::vec(inner.clone(), 0..3),
        )
            .prop_map(|(name, args)| {
                let func = lookup(name).expect("function");
                let mut args = args.into_iter();
                let mut next = || args.next().unwrap_or(Typed(number(1.0), ValueType::Scalar));
                let (min, _) = func.arity();
                let count =
                    min.max(
                        func.arg_types
                            .len()
                            .min(if name == "label_join" { 4 } else { 9 }),
                    );
                let built = func.arg_types[..count.min(func.arg_types.len())]
                    .iter()
                    .map(|ty| match ty {
                        ValueType::Scalar => to_scalar(next()),
                        ValueType::Vector => to_vector(next()),
                        ValueType::String => expr(ExprKind::String("l".into())),
                        ValueType::Matrix => {
                            let t = next();
                            match t.1 {
                                ValueType::Matrix => t.0,
                                _ => subquery(to_vector(t)),
                            }
                        }
                    })
                    .collect();
                Typed(call(name, built), func.return_type)
            });
        let subquery_strategy = (
            inner.clone(),
            range(),
            prop::option::of(range()),
            at_modifier(),
            offset(),
        )
            .prop_map(|(t, range, step, at, offset)| {
                Typed(
                    expr(ExprKind::Subquery(SubqueryExpr {
                        expr: Box::new(primary(to_vector(t))),
                        range,
                        step,
                        offset,
                        at,
                    })),
                    ValueType::Matrix,
                )
            });
        let parens = inner.prop_map(|t| Typed(paren(t.0), t.1));
        Union::new(vec![
            unary.boxed(),
            binary.boxed(),
            aggregate.boxed(),
            function.boxed(),
            subquery_strategy.boxed(),
            parens.boxed(),
        ])
    })
}

fn subquery(inner: Expr) -> Expr {
    expr(ExprKind::Subquery(SubqueryExpr {
        expr: Box::new(primary(inner)),
        range: node(DurationExpr::Literal(300_000)),
        step: None,
        offset: None,
        at: None,
    }))
}

fn assert_round_trip(original: &Expr, options: &ParseOptions) -> Result<(), TestCaseError> {
    let printed = original.to_string();
    let reparsed = parse_with(&printed, options);
    prop_assert!(
        reparsed.is_ok(),
        "printed {printed:?} does not parse: {}",
        reparsed.unwrap_err()
    );
    let mut reparsed = reparsed.unwrap();
    strip_spans(&mut reparsed);
    let mut expected = original.clone();
    strip_spans(&mut expected);
    prop_assert_eq!(&reparsed, &expected, "printed as {}", printed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/promql_roundtrip.txt",
        ))),
        ..ProptestConfig::default()
    })]

    /// parse(print(ast)) == ast for generated trees.
    #[test]
    fn printed_trees_parse_back(t in typed_expr()) {
        assert_round_trip(&t.0, &ParseOptions::all_features())?;
    }

    /// Random text never makes the parser panic, and whatever parses prints to text that parses
    /// back to the same tree.
    #[test]
    fn random_text_never_panics(text in r#"([-+*/%^(){}\[\],:@=!~<>"'` #\n.0-9a-z_]|sum|by|offset|rate|foo|5m|step\(\)|bool|on|ignoring|group_left|and|Inf|1e3|0x1f|anchored|fill)*"#) {
        let options = ParseOptions::all_features();
        if let Ok(parsed) = parse_with(&text, &options) {
            assert_round_trip(&parsed, &options)?;
        }
    }

    /// Arbitrary Unicode never makes the parser panic.
    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        let _ = parse_with(&text, &ParseOptions::all_features());
        let _ = parse_with(&text, &ParseOptions::default());
    }
}
