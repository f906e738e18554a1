//! A serde deserializer over the positioned node tree.

use std::fmt;

use saphyr_parser::ScalarStyle;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::node::{Node, NodeKind, Position, YamlLimits, parse_documents};
use super::{YamlError, YamlErrorKind};

/// A decoded value and the position of the YAML node it came from.
///
/// Only this crate's deserializer ([`from_str`]) fills in the position; the field name trick it
/// relies on is private.
///
/// ```
/// use promgate::yaml::{Spanned, from_str};
/// let v: Vec<Spanned<u32>> = from_str("- 1\n- 2\n").unwrap();
/// assert_eq!(v[1].value, 2);
/// assert_eq!(v[1].pos.line, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where its node starts.
    pub pos: Position,
    /// The byte offset where its node ends.
    pub end: usize,
    /// The byte offset where the value's content starts (after a quote, or the first line of
    /// a block scalar).
    content: usize,
}

impl<T> Spanned<T> {
    /// A value with no position (line 0), as a missing field has.
    ///
    /// ```
    /// let s = promgate::yaml::Spanned::unplaced(3);
    /// assert_eq!(s.pos.line, 0);
    /// ```
    pub fn unplaced(value: T) -> Spanned<T> {
        Spanned {
            value,
            pos: Position::default(),
            end: 0,
            content: 0,
        }
    }
}

impl Spanned<String> {
    /// The byte offset in the YAML `text` of byte `offset` of this string's value: a position
    /// inside a value (a PromQL error in a multi-line `|` block) mapped to the file.
    ///
    /// ```
    /// use promgate::yaml::{Spanned, from_str};
    /// let text = "expr: |\n  sum(x)\n    / y\n";
    /// let v: std::collections::BTreeMap<String, Spanned<String>> = from_str(text).unwrap();
    /// let expr = &v["expr"];
    /// let at = expr.offset_in(text, expr.value.find('/').unwrap());
    /// assert_eq!(&text[at..at + 3], "/ y");
    /// ```
    pub fn offset_in(&self, text: &str, offset: usize) -> usize {
        if self.pos.line == 0 {
            return 0;
        }
        super::node::scalar_offset(
            text,
            self.pos.offset,
            self.content,
            self.end,
            &self.value,
            offset,
        )
    }
}

const SPANNED: &str = "$promgate::yaml::Spanned";
const SPANNED_FIELDS: &[&str] = &["$line", "$column", "$offset", "$end", "$content", "$value"];

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Spanned<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
                let mut pos = Position::default();
                let mut end = 0;
                let mut content = 0;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "$line" => pos.line = map.next_value()?,
                        "$column" => pos.column = map.next_value()?,
                        "$offset" => pos.offset = map.next_value()?,
                        "$end" => end = map.next_value()?,
                        "$content" => content = map.next_value()?,
                        _ => value = Some(map.next_value()?),
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("$value"))?;
                Ok(Spanned {
                    value,
                    pos,
                    end,
                    content,
                })
            }
        }
        deserializer.deserialize_struct(
            SPANNED,
            SPANNED_FIELDS,
            SpannedVisitor(std::marker::PhantomData),
        )
    }
}

/// Decodes the first document of `text` (an empty text decodes as `null`). Later documents
/// are ignored, as Prometheus does.
///
/// ```
/// use std::collections::BTreeMap;
/// let m: BTreeMap<String, String> = promgate::yaml::from_str("code: 500\nf: 1.50\n").unwrap();
/// assert_eq!(m["code"], "500");
/// assert_eq!(m["f"], "1.50");
/// ```
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let docs = parse_documents(text, &YamlLimits::default())?;
    match docs.first() {
        Some(doc) => from_node(doc),
        None => from_node(&null_node()),
    }
}

/// Decodes every document of `text`.
///
/// ```
/// let v: Vec<u8> = promgate::yaml::from_str_all("1\n---\n2\n").unwrap();
/// assert_eq!(v, [1, 2]);
/// ```
pub fn from_str_all<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, YamlError> {
    parse_documents(text, &YamlLimits::default())?
        .iter()
        .map(from_node)
        .collect()
}

/// Decodes one node.
pub(crate) fn from_node<T: serde::de::DeserializeOwned>(node: &Node) -> Result<T, YamlError> {
    T::deserialize(NodeDe { node }).map_err(|e| e.0)
}

pub(crate) fn null_node() -> Node {
    Node {
        kind: NodeKind::Scalar {
            value: String::new(),
            style: ScalarStyle::Plain,
            tag: None,
        },
        pos: Position {
            line: 1,
            column: 1,
            offset: 0,
        },
        content: 0,
        end: 0,
    }
}

/// The error type while decoding: a [`YamlError`] whose position is filled in by the innermost
/// node that saw it.
#[derive(Debug)]
pub(crate) struct DeError(YamlError);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(YamlError::new(
            YamlErrorKind::Decode,
            go_style(&msg.to_string()),
            None,
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError(YamlError::new(
            YamlErrorKind::Decode,
            unknown_field_message(field, expected),
            None,
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        DeError(YamlError::new(
            YamlErrorKind::Decode,
            format!("missing field {field:?}"),
            None,
        ))
    }
}

/// The message for an unknown field: a did-you-mean when a known field is close, else the
/// list of known fields.
pub fn unknown_field_message(field: &str, expected: &[&str]) -> String {
    let mut message = format!("unknown field {field:?}");
    match closest(field, expected) {
        Some(best) => message.push_str(&format!(", did you mean {best:?}?")),
        None if expected.is_empty() => message.push_str(", there are no fields"),
        None => {
            let list: Vec<String> = expected.iter().map(|e| format!("{e:?}")).collect();
            let list = list.join(", ");
            if expected.len() == 1 {
                message.push_str(&format!(", expected {list}"));
            } else {
                message.push_str(&format!(", expected one of {list}"));
            }
        }
    }
    message
}

/// serde's messages quote with backticks; ours use double quotes like the rest of promgate.
fn go_style(message: &str) -> String {
    message.replace('`', "\"")
}

/// The expected name closest to `field` by edit distance, if it is close enough to be a typo.
fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| (edit_distance(field, e), *e))
        .filter(|(d, e)| *d <= 2.max(e.len() / 4) && *d < e.len())
        .min()
        .map(|(_, e)| e)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[derive(Clone, Copy)]
struct NodeDe<'a> {
    node: &'a Node,
}

impl<'a> NodeDe<'a> {
    fn placed<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|mut e| {
            if e.0.pos.is_none() {
                e.0.pos = Some(self.node.pos);
            }
            e
        })
    }

    fn scalar(&self) -> Option<(&'a str, ScalarStyle, Option<&'a str>)> {
        match &self.node.kind {
            NodeKind::Scalar { value, style, tag } => Some((value, *style, tag.as_deref())),
            _ => None,
        }
    }

    fn error(&self, message: impl Into<String>) -> DeError {
        DeError(YamlError::new(
            YamlErrorKind::Decode,
            message,
            Some(self.node.pos),
        ))
    }

    fn type_error(&self, expected: &str) -> DeError {
        let found = match self.scalar() {
            Some((v, style, _)) if style != ScalarStyle::Plain => format!("string {v:?}"),
            Some(_) if self.node.is_null() => "null".to_string(),
            Some((v, _, _)) => format!("{v:?}"),
            None => format!("a {}", self.node.kind_name()),
        };
        self.error(format!("cannot decode {found} as {expected}"))
    }

    /// A plain scalar as a YAML number (`1`, `-2.5e3`, `0x1F`, `.inf`, `.nan`).
    fn number(&self) -> Option<Number> {
        let (v, style, tag) = self.scalar()?;
        if style != ScalarStyle::Plain || tag.is_some_and(|t| t.ends_with("str")) {
            return None;
        }
        parse_number(v)
    }
}

#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

fn parse_number(v: &str) -> Option<Number> {
    let v = v.replace('_', "");
    let (neg, digits) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, &v[..]),
    };
    let int = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(Number::Int(if neg { -i } else { i }));
    }
    let special = match digits {
        ".inf" | ".Inf" | ".INF" => Some(f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if v.len() == digits.len() => Some(f64::NAN),
        _ => None,
    };
    if let Some(f) = special {
        return Some(Number::Float(if neg { -f } else { f }));
    }
    let valid = {
        let b = digits.as_bytes();
        let mut i = 0;
        let mut mantissa = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mantissa += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
                mantissa += 1;
            }
        }
        if mantissa > 0 && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            let exp_start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == exp_start {
                return None;
            }
        }
        mantissa > 0 && i == b.len()
    };
    if !valid {
        return None;
    }
    v.parse::<f64>().ok().map(Number::Float)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let value = match self.number() {
                Some(Number::Int(i)) => <$ty>::try_from(i)
                    .map_err(|_| self.error(format!("{i} is out of range for {}", stringify!($ty))))?,
                _ => return Err(self.type_error("an integer")),
            };
            self.placed(visitor.$visit(value))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Sequence(_) => return self.deserialize_seq(visitor),
            NodeKind::Mapping(_) => return self.deserialize_map(visitor),
            NodeKind::Scalar { value, style, .. } => {
                if self.node.is_null() {
                    visitor.visit_unit()
                } else if *style != ScalarStyle::Plain {
                    visitor.visit_str(value)
                } else if let Some(b) = parse_bool(value) {
                    visitor.visit_bool(b)
                } else {
                    match self.number() {
                        Some(Number::Int(i)) => match i64::try_from(i) {
                            Ok(i) => visitor.visit_i64(i),
                            Err(_) => visitor.visit_f64(i as f64),
                        },
                        Some(Number::Float(f)) => visitor.visit_f64(f),
                        None => visitor.visit_str(value),
                    }
                }
            }
        };
        self.placed(result)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((v, ScalarStyle::Plain, _)) => match parse_bool(v) {
                Some(b) => self.placed(visitor.visit_bool(b)),
                None => Err(self.type_error("a boolean")),
            },
            _ => Err(self.type_error("a boolean")),
        }
    }

    deserialize_int! {
        deserialize_i8 => visit_i8 i8,
        deserialize_i16 => visit_i16 i16,
        deserialize_i32 => visit_i32 i32,
        deserialize_i64 => visit_i64 i64,
        deserialize_u8 => visit_u8 u8,
        deserialize_u16 => visit_u16 u16,
        deserialize_u32 => visit_u32 u32,
        deserialize_u64 => visit_u64 u64,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = match self.number() {
            Some(Number::Int(i)) => i as f64,
            Some(Number::Float(f)) => f,
            None => return Err(self.type_error("a number")),
        };
        self.placed(visitor.visit_f64(value))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            // Go's decoders give the zero value for null, and the source text for any other
            // scalar decoded into a string.
            Some(_) if self.node.is_null() => self.placed(visitor.visit_str("")),
            Some((v, _, _)) => self.placed(visitor.visit_str(v)),
            None => Err(self.type_error("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.placed(visitor.visit_none())
        } else {
            self.placed(visitor.visit_some(self))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.placed(visitor.visit_unit())
        } else {
            Err(self.type_error("null"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.placed(visitor.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Sequence(items) => self.placed(visitor.visit_seq(SeqDe {
                items: items.iter(),
            })),
            _ if self.node.is_null() => self.placed(visitor.visit_seq(SeqDe { items: [].iter() })),
            _ => Err(self.type_error("a sequence")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Mapping(entries) => {
                check_duplicate_keys(entries)?;
                self.placed(visitor.visit_map(MapDe {
                    entries: entries.iter(),
                    value: None,
                }))
            }
            _ if self.node.is_null() => self.placed(visitor.visit_map(MapDe {
                entries: [].iter(),
                value: None,
            })),
            _ => Err(self.type_error("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED {
            return self.placed(visitor.visit_map(SpannedDe {
                node: self.node,
                field: 0,
            }));
        }
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((v, _, _)) => self.placed(visitor.visit_enum(v.into_deserializer())),
            None => Err(self.type_error("one of the allowed words")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.placed(visitor.visit_unit())
    }
}

fn check_duplicate_keys(entries: &[(Node, Node)]) -> Result<(), DeError> {
    if entries.len() < 2 {
        return Ok(());
    }
    let mut seen: std::collections::HashMap<&str, &Node> = std::collections::HashMap::new();
    for (key, _) in entries {
        if let NodeKind::Scalar { value, .. } = &key.kind
            && let Some(first) = seen.insert(value, key)
        {
            return Err(DeError(YamlError::new(
                YamlErrorKind::Decode,
                format!(
                    "mapping key {value:?} already defined at line {}",
                    first.pos.line
                ),
                Some(key.pos),
            )));
        }
    }
    Ok(())
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed.deserialize(NodeDe { node }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let de = NodeDe { node: key };
                let result = seed.deserialize(NodeDe { node: key });
                de.placed(result).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self.value.take().expect("next_value after next_key");
        seed.deserialize(NodeDe { node })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Hands [`Spanned`] its node's position, then the value.
struct SpannedDe<'a> {
    node: &'a Node,
    field: usize,
}

impl<'de> de::MapAccess<'de> for SpannedDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match SPANNED_FIELDS.get(self.field) {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let field = self.field;
        self.field += 1;
        let number = match field {
            0 => self.node.pos.line,
            1 => self.node.pos.column,
            2 => self.node.pos.offset,
            3 => self.node.end,
            4 => self.node.content,
            _ => return seed.deserialize(NodeDe { node: self.node }),
        };
        seed.deserialize((number as u64).into_deserializer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        labels: Option<String>,
        #[serde(default)]
        value: f64,
        #[serde(default)]
        tags: BTreeMap<String, String>,
        #[serde(default)]
        flag: bool,
    }

    #[test]
    fn scalars_keep_their_source_text_in_strings() {
        let s: Sample = from_str("labels: 1.50\ntags: {code: 500, ok: true, n: ~}\n").unwrap();
        assert_eq!(s.labels.as_deref(), Some("1.50"));
        assert_eq!(s.tags["code"], "500");
        assert_eq!(s.tags["ok"], "true");
        assert_eq!(s.tags["n"], "");
    }

    #[test]
    fn numbers_are_yaml_numbers() {
        for (text, want) in [
            ("1", 1.0),
            ("-2.5e3", -2500.0),
            ("0x1F", 31.0),
            (".inf", f64::INFINITY),
            ("-.inf", f64::NEG_INFINITY),
            ("1e3", 1000.0),
        ] {
            let s: Sample = from_str(&format!("value: {text}")).unwrap();
            assert_eq!(s.value, want, "{text}");
        }
        let s: Sample = from_str("value: .nan").unwrap();
        assert!(s.value.is_nan());
        let err = from_str::<Sample>("value: \"1\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:8: cannot decode string \"1\" as a number"
        );
        let err = from_str::<Sample>("value: NaN").unwrap_err();
        assert_eq!(err.to_string(), "1:8: cannot decode \"NaN\" as a number");
    }

    #[test]
    fn unknown_fields_name_the_key_and_suggest() {
        let err = from_str::<Sample>("labels: a\nvalues: 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "2:1: unknown field \"values\", did you mean \"value\"?"
        );
        let err = from_str::<Sample>("zzzzzz: 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:1: unknown field \"zzzzzz\", expected one of \"labels\", \"value\", \"tags\", \"flag\""
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = from_str::<Sample>("value: 1\nlabels: x\nvalue: 2\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "3:1: mapping key \"value\" already defined at line 1"
        );
    }

    #[test]
    fn wrong_shapes_say_what_was_found() {
        let err = from_str::<Sample>("- a\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:1: cannot decode a sequence as a mapping"
        );
        let err = from_str::<Sample>("flag: maybe\n").unwrap_err();
        assert_eq!(err.to_string(), "1:7: cannot decode \"maybe\" as a boolean");
        let err = from_str::<Sample>("tags: [a]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:7: cannot decode a sequence as a mapping"
        );
    }

    #[test]
    fn null_and_empty_documents_decode_to_defaults() {
        let s: Option<Sample> = from_str("").unwrap();
        assert_eq!(s, None);
        let v: Vec<u8> = from_str("~").unwrap();
        assert!(v.is_empty());
    }

    #[test]
    fn spanned_values_know_their_position() {
        #[derive(serde::Deserialize)]
        struct R {
            expr: Spanned<String>,
            #[serde(default)]
            r#for: Option<Spanned<String>>,
        }
        let r: R = from_str("expr: |\n  up\nfor: 5m\n").unwrap();
        assert_eq!(r.expr.value, "up\n");
        assert_eq!((r.expr.pos.line, r.expr.pos.column), (1, 7));
        let f = r.r#for.unwrap();
        assert_eq!((f.value.as_str(), f.pos.line, f.pos.column), ("5m", 3, 6));
    }

    #[test]
    fn edit_distance_finds_typos() {
        assert_eq!(
            closest("exp_alert", &["exp_alerts", "eval_time"]),
            Some("exp_alerts")
        );
        assert_eq!(closest("zzz", &["exp_alerts", "eval_time"]), None);
    }
}
