//! Reading the case files of `tests/data/fixture/`, shared by the test binaries.

#![allow(dead_code)]

use promgate::fixture::{NotationDialect, SeriesValue, format_series_values};

/// One line of a case file: `[dialect] <input> => <expected>`.
#[derive(Debug, Clone)]
pub struct Case {
    /// 1-based line in the file.
    pub line: usize,
    /// `None` for both dialects.
    pub dialect: Option<NotationDialect>,
    pub input: String,
    pub expected: String,
}

impl Case {
    /// The dialects the case holds in.
    pub fn dialects(&self) -> Vec<NotationDialect> {
        match self.dialect {
            Some(dialect) => vec![dialect],
            None => vec![NotationDialect::Prometheus3, NotationDialect::Promtool242],
        }
    }
}

/// Reads `tests/data/fixture/<file>`, skipping comments and blank lines.
pub fn read_cases(file: &str) -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fixture")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let (dialect, rest) = if let Some(rest) = raw.strip_prefix("[3] ") {
            (Some(NotationDialect::Prometheus3), rest)
        } else if let Some(rest) = raw.strip_prefix("[2.42] ") {
            (Some(NotationDialect::Promtool242), rest)
        } else {
            (None, raw)
        };
        let Some((input, expected)) = rest.rsplit_once(" =>") else {
            panic!("{file}:{}: no ` => ` in {raw:?}", i + 1);
        };
        cases.push(Case {
            line: i + 1,
            dialect,
            input: input.to_string(),
            expected: expected.trim().to_string(),
        });
    }
    cases
}

/// Expanded values in the case-file notation: one token per position.
pub fn expansion(values: &[SeriesValue]) -> String {
    values
        .iter()
        .map(|value| format_series_values(std::slice::from_ref(value)))
        .collect::<Vec<_>>()
        .join(" ")
}
