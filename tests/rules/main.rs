//! Rule files, group evaluation and the rule unit-test runner: data-driven tests over
//! `tests/data/rules` and `tests/data/unittest`, and side-by-side checks against promtool 2.42.

mod check;
mod decision;
mod explain;
mod http_faults;
mod lint;
mod live;
mod malformed;
mod monitor;
mod prometheus2;
mod promtool;
mod unittest;
mod unittest_ext;

use std::path::{Path, PathBuf};

/// The folder of test data.
fn data(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(sub)
}

/// The `*.yml` files of a data folder, sorted.
fn yaml_files(sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}
