//! Reading Prometheus's PromQL test scripts (`promqltest`): the expressions of their `eval`
//! lines. Shared by the corpus test and the parse benchmark.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// An expression taken from an `eval` line.
#[derive(Debug, Clone)]
pub struct CorpusExpr {
    /// The script file name.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// The expression text.
    pub expr: String,
}

/// The expression of an `eval` header line (`eval[_fail|_warn|_info|_ordered] instant at <t>
/// <expr>` or `eval... range from <a> to <b> step <c> <expr>`), if the line is one. The line is
/// trimmed first, as the upstream harness does.
pub fn eval_expression(line: &str) -> Option<&str> {
    let line = line.trim();
    let (command, rest) = line.split_once(char::is_whitespace)?;
    let suffix = command.strip_prefix("eval")?;
    if !matches!(suffix, "" | "_fail" | "_warn" | "_info" | "_ordered") {
        return None;
    }
    let rest = rest.trim_start();
    if let Some(rest) = rest.strip_prefix("instant") {
        // `instant at <time> <expr>`
        let rest = rest.trim_start().strip_prefix("at")?.trim_start();
        let (_time, expr) = rest.split_once(char::is_whitespace)?;
        return Some(expr.trim());
    }
    if let Some(rest) = rest.strip_prefix("range") {
        // `range from <a> to <b> step <c> <expr>`: `from` and `to` are matched greedily, so
        // the last ` step ` before the expression splits it.
        let rest = rest.trim_start().strip_prefix("from")?;
        let step_at = rest.find(" step ")?;
        let after_step = rest[step_at + " step ".len()..].trim_start();
        let (_step, expr) = after_step.split_once(char::is_whitespace)?;
        return Some(expr.trim());
    }
    None
}

/// The directory named by `PROMQLTEST_DIR`, if set.
pub fn corpus_dir() -> Option<PathBuf> {
    std::env::var_os("PROMQLTEST_DIR").map(PathBuf::from)
}

/// Every `eval` expression of every `*.test` file in `dir`, in file name order.
pub fn read_corpus(dir: &Path) -> std::io::Result<Vec<CorpusExpr>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "test"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (index, line) in text.split('\n').enumerate() {
            if let Some(expr) = eval_expression(line) {
                out.push(CorpusExpr {
                    file: file.clone(),
                    line: index + 1,
                    expr: expr.to_string(),
                });
            }
        }
    }
    Ok(out)
}
