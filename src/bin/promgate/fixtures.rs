//! Loading a fixture file for `promgate query`: a promqltest script (its `load` blocks) or a
//! promtool test file (its `input_series`).

use anyhow::{Context, Result, bail};
use promgate::eval::Semantics;
use promgate::fixture::{LoadOptions, load_block};
use promgate::promqltest::{Command, parse_script};
use promgate::store::Store;
use promgate::unittest::{GroupSelector, load_test_group};
use std::path::Path;

/// A loaded fixture: the store, the default subquery step a promtool file implies (its
/// evaluation interval), and the test group's start (`start_timestamp`, ms), which query times
/// are relative to as `eval_time` is.
pub struct Fixture {
    /// The series.
    pub store: Store,
    /// The evaluation interval of a promtool test file.
    pub default_step: Option<i64>,
    /// The test group's start.
    pub start: i64,
}

/// Loads the series of `path` into a new store. With a promtool test file, `test` picks the
/// group by name, or by 1-based position as `#2` (unnamed groups); the first by default.
pub fn load_fixture(path: &Path, test: Option<&str>, semantics: Semantics) -> Result<Fixture> {
    let text = read_file(path)?;
    let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    if is_yaml {
        let selector = match test {
            None => GroupSelector::First,
            Some(t) => match t.strip_prefix('#') {
                Some(n) => GroupSelector::Position(
                    n.parse::<usize>()
                        .ok()
                        .filter(|&n| n >= 1)
                        .with_context(|| {
                            format!("--test {t:?}: a group position is #1, #2, ...")
                        })?,
                ),
                None => GroupSelector::Named(t),
            },
        };
        let group = load_test_group(&text, selector, semantics)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(Fixture {
            store: group.store,
            default_step: Some(group.engine.default_subquery_step),
            start: group.start,
        });
    }
    if test.is_some() {
        bail!("--test applies to promtool test files (.yml) only");
    }
    let mut store = Store::new();
    let name = path.display().to_string();
    let script = parse_script(&name, &text)?;
    for command in &script.commands {
        match command {
            Command::Load {
                line,
                interval,
                nhcb,
                body,
            } => {
                let lines: Vec<(usize, &str)> =
                    body.iter().map(|(n, l)| (*n, l.as_str())).collect();
                load_block(
                    &mut store,
                    *interval,
                    &lines,
                    &LoadOptions {
                        nhcb: *nhcb,
                        ..LoadOptions::default()
                    },
                )
                .map_err(|e| anyhow::anyhow!("{name}:{line}: {e}"))?;
            }
            Command::Clear { .. } => store.clear(),
            Command::Eval(_) => {}
        }
    }
    Ok(Fixture {
        store,
        default_step: None,
        start: 0,
    })
}

/// Reads a text file with the library's size cap and UTF-8 positions.
pub fn read_file(path: &Path) -> Result<String> {
    promgate::syntax::read_text_file(path).map_err(|e| anyhow::anyhow!(e))
}
