//! Loading a fixture file for `promgate query`: a promqltest script (its `load` blocks) or a
//! promtool test file (its `input_series`).

use anyhow::{Context, Result, bail};
use promgate::fixture::{
    FixtureError, InputSeriesField, LoadOptions, PromtoolTestFile, load_block, load_input_series,
    locate_input_series_error,
};
use promgate::promqltest::{Command, parse_script};
use promgate::store::Store;
use std::path::Path;

/// Loads the series of `path` into a new store. Returns the store and, for promtool files, the
/// evaluation interval (promtool's default subquery step).
pub fn load_fixture(path: &Path, test: Option<&str>) -> Result<(Store, Option<i64>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    let mut store = Store::new();
    if is_yaml {
        let file = PromtoolTestFile::from_yaml(&text)
            .with_context(|| format!("{}: not a promtool test file", path.display()))?;
        let evaluation_interval = file
            .evaluation_interval_ms()
            .map_err(|e| anyhow::anyhow!("{}: evaluation_interval: {e}", path.display()))?;
        let group = match test {
            Some(name) => file
                .tests
                .iter()
                .find(|g| g.name.as_deref() == Some(name))
                .with_context(|| format!("{}: no test group named {name:?}", path.display()))?,
            None => match file.tests.first() {
                Some(g) => g,
                None => bail!("{}: the file has no test groups", path.display()),
            },
        };
        let interval = group
            .interval_ms(evaluation_interval)
            .map_err(|e| anyhow::anyhow!("{}: interval: {e}", path.display()))?;
        let input = group.input_pairs();
        load_input_series(&mut store, &input, interval).map_err(|e| {
            anyhow::anyhow!("{}: {}", path.display(), describe_input_error(&input, &e))
        })?;
        return Ok((store, Some(evaluation_interval)));
    }
    if test.is_some() {
        bail!("--test applies to promtool test files (.yml) only");
    }
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
    Ok((store, None))
}

/// A load error of a test file's `input_series`, placed in the entry and field it came from
/// (promtool's own position, in the `load` block it builds, follows in parentheses).
fn describe_input_error(input: &[(&str, &str)], err: &FixtureError) -> String {
    let text = err.to_string();
    let Some(at) = locate_input_series_error(input, err) else {
        return text;
    };
    // Split promtool's `line:column: ` (or `line: `) prefix from the message.
    let (position, message) = match text.split_once(": ") {
        Some((p, m)) if p.split(':').all(|n| n.parse::<usize>().is_ok()) => (p, m),
        _ => return text,
    };
    let field = match at.field {
        InputSeriesField::Series => "series",
        InputSeriesField::Values => "values",
    };
    let mut place = format!("input_series[{}].{field}", at.index);
    if at.line_in_field > 1 {
        place.push_str(&format!(" line {}", at.line_in_field));
    }
    if let Some(column) = at.column {
        place.push_str(&format!(" column {column}"));
    }
    format!("{place} (promtool: {position}): {message}")
}

/// The largest input file the CLI reads (256 MiB): `--fixture /dev/zero` fails with this limit
/// instead of reading until memory runs out.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads a text file, at most [`MAX_INPUT_BYTES`], and says where invalid UTF-8 is.
pub fn read_file(path: &Path) -> Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{}: larger than the input limit of {} MiB",
            path.display(),
            MAX_INPUT_BYTES >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = &e.as_bytes()[..offset];
        let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = offset - text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        anyhow::anyhow!(
            "{}:{line}:{column}: invalid UTF-8 (byte offset {offset})",
            path.display()
        )
    })
}
