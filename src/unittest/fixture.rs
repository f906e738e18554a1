//! One test group of a promtool test file as a fixture: its series in a store and the engine
//! options the file implies, in one call.

use super::file::{TestFile, parse_start_timestamp};
use crate::eval::{EngineOptions, Semantics};
use crate::fixture::{
    FixtureError, InputSeriesField, InputSeriesOptions, NotationDialect, load_input_series_with,
    locate_input_series_error,
};
use crate::model::Timestamp;
use crate::store::Store;
use crate::syntax::lex::parse_duration;
use crate::yaml::YamlError;

/// Which test group of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSelector<'a> {
    /// The first group.
    #[default]
    First,
    /// The group with this name.
    Named(&'a str),
    /// The group at this 1-based position (for unnamed groups).
    Position(usize),
}

/// A test group loaded as a fixture.
#[derive(Debug, Clone)]
pub struct GroupFixture {
    /// Its input series, every sample loaded.
    pub store: Store,
    /// The engine options promtool runs its queries with: the file's `evaluation_interval` as
    /// the default subquery step, and the semantics asked for.
    pub engine: EngineOptions,
    /// The group's `start_timestamp` (ms): query times are relative to it, as `eval_time` is.
    pub start: Timestamp,
    /// The group's name.
    pub name: Option<String>,
}

/// Why a test group could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupLoadError {
    /// The file is not a valid test file.
    #[error("{0}")]
    Yaml(YamlError),
    /// No such group.
    #[error("{0}")]
    NoGroup(String),
    /// A duration or `start_timestamp` that does not parse.
    #[error("{field}: {message}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An input series that does not parse or load, placed in its entry and field.
    #[error("{place} (promtool: {promtool}): {message}")]
    InputSeries {
        /// `input_series[i].values column c`, and the line within the field when it has several.
        place: String,
        /// promtool's own position (in the `load` block it builds).
        promtool: String,
        /// The message.
        message: String,
    },
    /// A load error that could not be placed.
    #[error("{0}")]
    Load(FixtureError),
}

/// Loads one test group of a promtool test file: its series into a store, and the engine
/// options and start the file implies.
///
/// ```
/// use promgate::eval::{Engine, Semantics, Value};
/// use promgate::unittest::{GroupSelector, load_test_group};
/// let text = "evaluation_interval: 30s\ntests:\n  - start_timestamp: 1000\n    input_series:\n      - {series: up, values: 1x10}\n";
/// let g = load_test_group(text, GroupSelector::First, Semantics::Prometheus3).unwrap();
/// assert_eq!(g.engine.default_subquery_step, 30_000);
/// let expr = promgate::parse("count_over_time(up[5m:])").unwrap();
/// let r = Engine::new(g.engine.clone()).instant_query(&g.store, &expr, g.start + 300_000).unwrap();
/// assert_eq!(r.value.single_float(), Some(10.0));
///
/// let bad = "tests:\n  - input_series:\n      - {series: up, values: '1 2, 3'}\n";
/// let err = load_test_group(bad, GroupSelector::First, Semantics::Prometheus3).unwrap_err();
/// assert_eq!(err.to_string(), "input_series[0].values column 4 (promtool: 2:7): parse error: unexpected character in series sequence: ','");
/// ```
pub fn load_test_group(
    text: &str,
    selector: GroupSelector<'_>,
    semantics: Semantics,
) -> Result<GroupFixture, GroupLoadError> {
    let file: TestFile = crate::yaml::from_str::<Option<TestFile>>(text)
        .map_err(GroupLoadError::Yaml)?
        .unwrap_or_default();
    super::ext::validate(&file, semantics).map_err(GroupLoadError::Yaml)?;
    let duration = |field: &'static str, d: &Option<crate::yaml::Spanned<String>>, default| match d
    {
        None => Ok(default),
        Some(d) => parse_duration(&d.value).map_err(|e| GroupLoadError::Field {
            field,
            message: e.to_string(),
        }),
    };
    let evaluation_interval =
        match duration("evaluation_interval", &file.evaluation_interval, 60_000)? {
            0 => 60_000,
            d => d,
        };
    let group = match selector {
        GroupSelector::First => file.tests.first(),
        GroupSelector::Named(name) => file
            .tests
            .iter()
            .find(|g| g.value.name.as_deref() == Some(name)),
        GroupSelector::Position(n) => n.checked_sub(1).and_then(|i| file.tests.get(i)),
    }
    .ok_or_else(|| {
        GroupLoadError::NoGroup(match selector {
            GroupSelector::First => "the file has no test groups".into(),
            GroupSelector::Named(name) => format!("no test group named {name:?}"),
            GroupSelector::Position(n) => {
                format!("no test group #{n} (the file has {})", file.tests.len())
            }
        })
    })?;
    let group = &group.value;
    let interval = duration("interval", &group.interval, evaluation_interval)?;
    let start = match &group.start_timestamp {
        None => 0,
        Some(s) => parse_start_timestamp(&s.value).ok_or_else(|| GroupLoadError::Field {
            field: "start_timestamp",
            message: format!("{:?} is neither Unix seconds nor an RFC 3339 time", s.value),
        })?,
    };
    let input: Vec<(&str, &str)> = group
        .input_series
        .iter()
        .map(|s| (s.value.series.value.as_str(), s.value.values.value.as_str()))
        .collect();
    let options = InputSeriesOptions {
        interval,
        start,
        dialect: match semantics {
            Semantics::Prometheus2 => NotationDialect::Promtool242,
            Semantics::Prometheus3 => NotationDialect::Prometheus3,
        },
    };
    let mut store = Store::new();
    if super::ext::has_repeat(group) {
        // The series as written first, so that errors are placed in the file; then the copies.
        load_input_series_with(&mut Store::new(), &input, &options)
            .map_err(|e| place_error(&input, e))?;
        let pairs = super::ext::input_pairs(group);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(s, v)| (s.as_ref(), *v)).collect();
        load_input_series_with(&mut store, &pairs, &options).map_err(GroupLoadError::Load)?;
    } else {
        load_input_series_with(&mut store, &input, &options).map_err(|e| place_error(&input, e))?;
    }
    Ok(GroupFixture {
        store,
        engine: EngineOptions {
            semantics,
            default_subquery_step: evaluation_interval,
            ..EngineOptions::default()
        },
        start,
        name: group.name.clone(),
    })
}

/// A load error of `input_series`, placed in the entry and field it came from.
fn place_error(input: &[(&str, &str)], err: FixtureError) -> GroupLoadError {
    let text = err.to_string();
    let Some(at) = locate_input_series_error(input, &err) else {
        return GroupLoadError::Load(err);
    };
    let (position, message) = match text.split_once(": ") {
        Some((p, m)) if p.split(':').all(|n| n.parse::<usize>().is_ok()) => (p, m),
        _ => return GroupLoadError::Load(err),
    };
    if input
        .get(at.index)
        .is_some_and(|(series, _)| series.trim().is_empty())
    {
        return GroupLoadError::InputSeries {
            place: format!("input_series[{}] has no `series:`", at.index),
            promtool: position.to_string(),
            message: format!("its values were read as the series: {message}"),
        };
    }
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
    GroupLoadError::InputSeries {
        place,
        promtool: position.to_string(),
        message: message.to_string(),
    }
}
