//! Go's template built-ins (`text/template/funcs.go`): `len`, `index`, `slice`, the
//! comparisons, and the argument printing of `html`/`js`/`urlquery`.

use std::rc::Rc;

use super::gofmt;
use super::value::Value;

/// `strings.ToUpper`/`ToLower` with Go's one-to-one rune mapping.
pub(crate) fn map_chars(text: &str, upper: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut mapped: Vec<char> = if upper {
            c.to_uppercase().collect()
        } else {
            c.to_lowercase().collect()
        };
        if mapped.len() == 1 {
            out.push(mapped.remove(0));
        } else if c == '\u{130}' && !upper {
            // Go's simple lower-case mapping of `İ`.
            out.push('i');
        } else {
            out.push(c);
        }
    }
    out
}

/// The text `html`, `js` and `urlquery` escape: a lone string as it is, else `fmt.Sprint`.
pub(crate) fn eval_args(args: &[Value<'_>]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    // Go's `printableValue` turns a nil argument into `<no value>` here.
    let printable: Vec<Value<'_>> = args
        .iter()
        .map(|arg| match arg {
            Value::Nil | Value::Missing => Value::str("<no value>"),
            other => other.clone(),
        })
        .collect();
    gofmt::sprint(&printable)
}

pub(crate) fn builtin_len(value: &Value<'_>) -> Result<i64, String> {
    let len = match value {
        Value::Str(s) | Value::Html(s) => s.len(),
        Value::Labels(labels) => labels.len(),
        Value::StrMap(map) => map.len(),
        Value::AnyMap(map) => map.len(),
        Value::Samples(samples) => samples.len(),
        Value::Missing | Value::Nil => {
            return Err("reflect: call of reflect.Value.Type on zero Value".to_string());
        }
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(len as i64)
}

/// Go's `indexArg`: an integer index below `cap`.
fn index_arg(index: &Value<'_>, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) => *i,
        Value::Missing | Value::Nil => return Err("cannot index slice/array with nil".to_string()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn map_key<'v>(index: &'v Value<'_>) -> Result<&'v str, String> {
    match index {
        Value::Str(s) => Ok(s),
        Value::Missing | Value::Nil => Err("value is nil; should be of type string".to_string()),
        other => Err(format!(
            "value has type {}; should be string",
            other.type_name()
        )),
    }
}

pub(crate) fn builtin_index<'a>(args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let mut item = args[0].clone();
    if matches!(item, Value::Missing | Value::Nil) {
        return Err("index of untyped nil".to_string());
    }
    for index in &args[1..] {
        item = match &item {
            Value::Str(s) | Value::Html(s) => {
                let x = index_arg(index, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(i64::from(*b)),
                    None => return Err("reflect: string index out of range".to_string()),
                }
            }
            Value::Samples(samples) => {
                let x = index_arg(index, samples.len())?;
                match samples.get(x) {
                    Some(sample) => Value::Sample(sample.clone()),
                    None => return Err("reflect: slice index out of range".to_string()),
                }
            }
            Value::Labels(labels) => Value::str(labels.get(map_key(index)?).unwrap_or("")),
            Value::StrMap(map) => {
                Value::str(map.get(map_key(index)?).map(String::as_str).unwrap_or(""))
            }
            Value::AnyMap(map) => map.get(map_key(index)?).cloned().unwrap_or(Value::Nil),
            Value::Nil => return Err("index of nil pointer".to_string()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

pub(crate) fn builtin_slice<'a>(args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let item = &args[0];
    let indexes = &args[1..];
    if matches!(item, Value::Missing | Value::Nil) {
        return Err("slice of untyped nil".to_string());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            s.len()
        }
        Value::Samples(samples) => samples.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Value::Str(s) => Value::Str(Rc::from(
            String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).as_ref(),
        )),
        Value::Samples(samples) => Value::Samples(Rc::new(samples[idx[0]..idx[1]].to_vec())),
        _ => Value::Missing,
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    Complex,
    String,
    Invalid,
    Other,
}

fn basic_kind(value: &Value<'_>) -> Kind {
    match value {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Complex(..) => Kind::Complex,
        Value::Str(_) | Value::Html(_) => Kind::String,
        Value::Missing | Value::Nil => Kind::Invalid,
        _ => Kind::Other,
    }
}

const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";

pub(crate) fn builtin_eq(arg1: &Value<'_>, rest: &[Value<'_>]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".to_string());
    }
    let k1 = basic_kind(arg1);
    for arg in rest {
        let k2 = basic_kind(arg);
        // Go's `basicKind` puts invalid values and non-basic types in one kind.
        let group = |k: Kind| if k == Kind::Other { Kind::Invalid } else { k };
        let truth = if group(k1) != group(k2) {
            if k1 != Kind::Invalid && k2 != Kind::Invalid {
                return Err(BAD_COMPARISON.to_string());
            }
            false
        } else {
            match (arg1, arg) {
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::Int(a), Value::Int(b)) => a == b,
                (Value::Float(a), Value::Float(b)) => a == b,
                (Value::Complex(ar, ai), Value::Complex(br, bi)) => ar == br && ai == bi,
                (Value::Str(a) | Value::Html(a), Value::Str(b) | Value::Html(b)) => a == b,
                _ => compare_other(arg1, arg)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `eq` on values that are not bool, number or string: nil compares with anything, pointers by
/// identity, maps and slices not at all.
fn compare_other(arg1: &Value<'_>, arg: &Value<'_>) -> Result<bool, String> {
    let is_nil = |v: &Value<'_>| matches!(v, Value::Missing | Value::Nil);
    if is_nil(arg1) || is_nil(arg) {
        return Ok(is_nil(arg1) == is_nil(arg));
    }
    if arg1.type_name() != arg.type_name() {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            arg1.to_go_string(),
            arg1.type_name(),
            arg.type_name(),
            arg.to_go_string()
        ));
    }
    match (arg1, arg) {
        (Value::Sample(a), Value::Sample(b)) => Ok(Rc::ptr_eq(a, b)),
        _ => Err(format!(
            "non-comparable type {}: {}",
            arg.to_go_string(),
            arg.type_name()
        )),
    }
}

pub(crate) fn builtin_lt(arg1: &Value<'_>, arg2: &Value<'_>) -> Result<bool, String> {
    let k1 = basic_kind(arg1);
    let k2 = basic_kind(arg2);
    if matches!(k1, Kind::Invalid | Kind::Other) || matches!(k2, Kind::Invalid | Kind::Other) {
        return Err(BAD_COMPARISON_TYPE.to_string());
    }
    if k1 != k2 {
        return Err(BAD_COMPARISON.to_string());
    }
    Ok(match (arg1, arg2) {
        (Value::Int(a), Value::Int(b)) => a < b,
        (Value::Float(a), Value::Float(b)) => a < b,
        (Value::Str(a) | Value::Html(a), Value::Str(b) | Value::Html(b)) => a < b,
        _ => return Err(BAD_COMPARISON_TYPE.to_string()),
    })
}
