//! The syntax tree as `promgate promql ast` shows it: Rust's pretty `Debug` form (`{:#?}`),
//! written in time linear in its length.
//!
//! The standard library indents `{:#?}` by wrapping the writer once per nesting level, so every
//! byte at depth d passes through d wrappers: a tree of depth 200 and a few thousand nodes took
//! seconds per megabyte. Here the one-line form (`{:?}`, linear) is re-indented in one pass.

use super::ast::Expr;

/// The pretty `Debug` form of `expr` (the same text as `format!("{expr:#?}")`), in time linear in
/// its length.
///
/// ```
/// let expr = promgate::promql::parse("-x").unwrap();
/// assert_eq!(promgate::promql::tree(&expr), format!("{expr:#?}"));
/// ```
pub fn tree(expr: &Expr) -> String {
    pretty(&format!("{expr:?}"))
}

/// Re-indents one-line `Debug` output as `{:#?}` would: a line per field and item, four spaces
/// per level, a comma after every item. Quoted strings are copied as they are, and so is
/// `Function("name")`, whose `Debug` stays on one line.
fn pretty(compact: &str) -> String {
    let bytes = compact.as_bytes();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("    ");
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                // A quoted string (Debug escapes its quotes and backslashes).
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&compact[start..i]);
                continue;
            }
            b'(' if compact[..i].ends_with("Function") => {
                // `Function("rate")`: its own Debug prints it on one line.
                let end = compact[i..].find(')').map_or(bytes.len(), |p| i + p + 1);
                out.push_str(&compact[i..end]);
                i = end;
                continue;
            }
            b'{' | b'(' | b'[' => {
                let close = match c {
                    b'{' => b'}',
                    b'(' => b')',
                    _ => b']',
                };
                if bytes.get(i + 1) == Some(&close) {
                    // Empty: `[]`, `()`, `{}` stay on one line.
                    out.push(c as char);
                    out.push(close as char);
                    i += 2;
                    continue;
                }
                out.push(c as char);
                depth += 1;
                newline(&mut out, depth);
                i += 1;
                // `Name { field` has a space after the brace.
                if c == b'{' && bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                continue;
            }
            b',' if bytes.get(i + 1) == Some(&b' ') => {
                out.push(',');
                newline(&mut out, depth);
                i += 2;
                continue;
            }
            b' ' if bytes.get(i + 1) == Some(&b'}') => {
                // ` }` closes a struct.
                i += 1;
                continue;
            }
            b'}' | b')' | b']' => {
                out.push(',');
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
                i += 1;
                continue;
            }
            _ => {}
        }
        // Copy a run of ordinary text at once.
        let start = i;
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b'"' | b'{' | b'(' | b'[' | b',' | b' ' | b'}' | b')' | b']'
            )
        {
            i += 1;
        }
        if i == start {
            out.push(c as char);
            i += 1;
        } else {
            out.push_str(&compact[start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{ParseOptions, parse_with};

    /// Every expression of the parser's test data prints as the standard library prints it.
    #[test]
    fn matches_the_standard_pretty_debug() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/promql/ok");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Ok(expr) = parse_with(line, &ParseOptions::all_features()) {
                    assert_eq!(tree(&expr), format!("{expr:#?}"), "{line}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} expressions");
    }

    /// A wide tree under a deep chain: the output is long, the work stays linear in it (the
    /// pretty text is at most a small multiple of the one-line text and the indentation).
    #[test]
    fn deep_and_wide_tree() {
        let labels: Vec<String> = (0..300).map(|i| format!("\"l{i}\"")).collect();
        let wide = format!("label_join(x, \"d\", \",\", {})", labels.join(", "));
        let text = format!("{}{wide}{}", "-(".repeat(60), ")".repeat(60));
        let expr = parse_with(&text, &ParseOptions::default()).unwrap();
        assert_eq!(tree(&expr), format!("{expr:#?}"));
    }
}
