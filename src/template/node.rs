//! The parse tree (Go's `text/template/parse/node.go`), with byte positions, and its `String()`
//! forms, which execution errors quote as `at <...>`.

use std::fmt;

use super::funcs::Func;
use super::lex::{ItemType, go_quote};

/// A sequence of nodes.
#[derive(Debug, Clone)]
pub(crate) struct List {
    pub(crate) nodes: Vec<Node>,
}

impl List {
    /// Go's `IsEmptyTree`: only white space (a redefinition may replace it).
    pub(crate) fn is_empty_tree(&self) -> bool {
        self.nodes.iter().all(|node| match node {
            Node::Text { text, .. } => text.trim_matches([' ', '\t', '\n', '\r']).is_empty(),
            _ => false,
        })
    }
}

/// A statement-level node.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text { pos: usize, text: String },
    Action { pos: usize, pipe: Pipe },
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template(Box<TemplateCall>),
    Break { pos: usize },
    Continue { pos: usize },
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) pos: usize,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// `{{template "name" pipeline}}`.
#[derive(Debug, Clone)]
pub(crate) struct TemplateCall {
    pub(crate) pos: usize,
    pub(crate) name: String,
    pub(crate) pipe: Option<Pipe>,
}

/// A pipeline with optional variable declarations.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    /// Each declared variable as its dotted parts (only the first is used).
    pub(crate) decl: Vec<Vec<String>>,
    pub(crate) cmds: Vec<Command>,
}

/// One command of a pipeline: a function or value followed by arguments.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Field {
        pos: usize,
        idents: Vec<String>,
    },
    Variable {
        pos: usize,
        idents: Vec<String>,
    },
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Identifier {
        pos: usize,
        name: String,
        func: Func,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        value: bool,
    },
    Number(usize, Box<Number>),
    String {
        pos: usize,
        quoted: String,
        text: String,
    },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number(pos, _)
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(pipe) => pipe.pos,
        }
    }
}

/// A numeric constant with every interpretation that fits, as Go's `NumberNode`.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub(crate) text: String,
    pub(crate) int: Option<i64>,
    pub(crate) uint: Option<u64>,
    pub(crate) float: Option<f64>,
    /// A complex constant's (real, imaginary) parts.
    pub(crate) complex: Option<(f64, f64)>,
}

impl Number {
    /// Go's `newNumber`.
    pub(crate) fn parse(text: &str, typ: ItemType) -> Result<Number, String> {
        let mut number = Number {
            text: text.to_string(),
            int: None,
            uint: None,
            float: None,
            complex: None,
        };
        if typ == ItemType::CharConstant {
            let c = super::parse::unquote_char(&text[1..], '\'')
                .filter(|(_, tail)| *tail == "'")
                .and_then(|(c, _)| c.chars().next());
            let Some(c) = c else {
                return Err(format!("malformed character constant: {text}"));
            };
            number.int = Some(c as i64);
            number.uint = Some(c as u64);
            number.float = Some(c as u32 as f64);
            return Ok(number);
        }
        if typ == ItemType::Complex {
            let Some(parts) = parse_complex(text) else {
                return Err(format!("illegal number syntax: {}", go_quote(text)));
            };
            return Ok(number.with_complex(parts));
        }
        // An imaginary constant such as `2i`.
        if let Some(imaginary) = text.strip_suffix('i').and_then(parse_go_float) {
            return Ok(number.with_complex((0.0, imaginary)));
        }
        number.uint = parse_go_uint(text);
        number.int = parse_go_int(text);
        if number.int == Some(0) {
            number.uint = Some(0);
        }
        if let Some(i) = number.int {
            number.float = Some(i as f64);
        } else if let Some(u) = number.uint {
            number.float = Some(u as f64);
        } else if let Some(f) = parse_go_float(text) {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!("integer overflow: {}", go_quote(text)));
            }
            number.float = Some(f);
            if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 {
                number.int = Some(f as i64);
            }
            if f.fract() == 0.0 && (0.0..1.844_674_407_370_955e19).contains(&f) {
                number.uint = Some(f as u64);
            }
        }
        if number.int.is_none() && number.uint.is_none() && number.float.is_none() {
            return Err(format!("illegal number syntax: {}", go_quote(text)));
        }
        Ok(number)
    }
}

impl Number {
    /// Go's `simplifyComplex`: a complex constant with no imaginary part is also a float (and an
    /// integer if it is whole).
    fn with_complex(mut self, (real, imaginary): (f64, f64)) -> Number {
        self.complex = Some((real, imaginary));
        if imaginary == 0.0 {
            self.float = Some(real);
            if real.fract() == 0.0 && real.abs() < 9.2e18 {
                self.int = Some(real as i64);
            }
        }
        self
    }
}

/// `1+2i`, `1.5-3e2i`: the real and imaginary parts.
fn parse_complex(text: &str) -> Option<(f64, f64)> {
    let body = text.strip_suffix('i')?;
    let bytes = body.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E'))?;
    let real = parse_go_float(&body[..split])?;
    let imaginary = parse_go_float(&body[split..])?;
    Some((real, imaginary))
}

/// Go's `strconv.ParseUint(text, 0, 64)`.
fn parse_go_uint(text: &str) -> Option<u64> {
    let (radix, digits) = split_radix(text)?;
    u64::from_str_radix(&digits, radix).ok()
}

/// Go's `strconv.ParseInt(text, 0, 64)`.
fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = split_radix(rest)?;
    let magnitude = i128::from_str_radix(&digits, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// The radix and digits (underscores removed) of an integer literal with Go's base prefixes.
fn split_radix(text: &str) -> Option<(u32, String)> {
    let lower = text.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest, true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest, true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if !underscores_ok(digits, prefixed) {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    Some((radix, digits))
}

/// Underscores only between digits (or right after a base prefix).
fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    if !digits.contains('_') {
        return true;
    }
    let bytes = digits.as_bytes();
    let mut previous_is_digit = prefixed;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            if !previous_is_digit {
                return false;
            }
            previous_is_digit = false;
        } else {
            previous_is_digit = true;
        }
        if i == bytes.len() - 1 && *b == b'_' {
            return false;
        }
    }
    true
}

/// Go's `strconv.ParseFloat(text, 64)` for decimal literals (hex floats are not supported).
pub(crate) fn parse_go_float(text: &str) -> Option<f64> {
    if text.contains('_') || text.contains(['x', 'X']) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.is_infinite() && !text.to_ascii_lowercase().contains("inf") {
        return None;
    }
    Some(value)
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for ident in idents {
                    write!(f, ".{ident}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Chain { node, fields, .. } => {
                match node.as_ref() {
                    Arg::Pipe(pipe) => write!(f, "({pipe})")?,
                    other => write!(f, "{other}")?,
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number(_, number) => f.write_str(&number.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(pipe) => write!(f, "{pipe}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match arg {
                Arg::Pipe(pipe) => write!(f, "({pipe})")?,
                other => write!(f, "{other}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, variable) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&variable.join("."))?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, command) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{command}")?;
        }
        Ok(())
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in &self.nodes {
            write!(f, "{node}")?;
        }
        Ok(())
    }
}

impl Branch {
    fn write(&self, f: &mut fmt::Formatter<'_>, keyword: &str) -> fmt::Result {
        write!(f, "{{{{{keyword} {}}}}}{}", self.pipe, self.list)?;
        if let Some(else_list) = &self.else_list {
            write!(f, "{{{{else}}}}{else_list}")?;
        }
        f.write_str("{{end}}")
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(branch) => branch.write(f, "if"),
            Node::Range(branch) => branch.write(f, "range"),
            Node::With(branch) => branch.write(f, "with"),
            Node::Template(call) => match &call.pipe {
                Some(pipe) => write!(f, "{{{{template {} {pipe}}}}}", go_quote(&call.name)),
                None => write!(f, "{{{{template {}}}}}", go_quote(&call.name)),
            },
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}
