//! Loading a fixture file for `promgate query`: a promqltest script (its `load` blocks) or a
//! promtool test file (its `input_series`).

use anyhow::{Context, Result, bail};
use promgate::fixture::{
    FixtureError, InputSeriesField, InputSeriesOptions, LoadOptions, PromtoolTestFile, load_block,
    load_input_series_with, locate_input_series_error,
};
use promgate::promqltest::{Command, parse_script};
use promgate::store::Store;
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
pub fn load_fixture(path: &Path, test: Option<&str>) -> Result<Fixture> {
    let text = read_file(path)?;
    let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    let mut store = Store::new();
    if is_yaml {
        let file = PromtoolTestFile::from_yaml(&text)
            .map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
        let evaluation_interval = file
            .evaluation_interval_ms()
            .map_err(|e| anyhow::anyhow!("{}: evaluation_interval: {e}", path.display()))?;
        let position = test.and_then(|t| t.strip_prefix('#')).map(|n| {
            n.parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .with_context(|| format!("--test {test:?}: a group position is #1, #2, ..."))
        });
        let group = match (test, position) {
            (_, Some(n)) => {
                let n = n?;
                file.tests.get(n - 1).with_context(|| {
                    format!(
                        "{}: no test group #{n} (the file has {})",
                        path.display(),
                        file.tests.len()
                    )
                })?
            }
            (Some(name), None) => file
                .tests
                .iter()
                .find(|g| g.name.as_deref() == Some(name))
                .with_context(|| format!("{}: no test group named {name:?}", path.display()))?,
            (None, None) => match file.tests.first() {
                Some(g) => g,
                None => bail!("{}: the file has no test groups", path.display()),
            },
        };
        let interval = group
            .interval_ms(evaluation_interval)
            .map_err(|e| anyhow::anyhow!("{}: interval: {e}", path.display()))?;
        let start = match &group.start_timestamp {
            None => 0,
            Some(s) => promgate::unittest::parse_start_timestamp(s).with_context(|| {
                format!(
                    "{}: start_timestamp {s:?} is neither Unix seconds nor RFC 3339",
                    path.display()
                )
            })?,
        };
        let input = group.input_pairs();
        let options = InputSeriesOptions {
            interval,
            start,
            ..InputSeriesOptions::default()
        };
        load_input_series_with(&mut store, &input, &options).map_err(|e| {
            anyhow::anyhow!("{}: {}", path.display(), describe_input_error(&input, &e))
        })?;
        return Ok(Fixture {
            store,
            default_step: Some(evaluation_interval),
            start,
        });
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
    Ok(Fixture {
        store,
        default_step: None,
        start: 0,
    })
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
