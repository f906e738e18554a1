//! Reading rule files: YAML → the raw, positioned model that validation checks.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::eval::Semantics;
use crate::yaml::{self, Node, NodeKind, Spanned, YamlError};

/// A rule file as written, before validation: every value keeps its YAML position.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRuleFile {
    #[serde(default)]
    pub groups: Vec<Spanned<RawGroup>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroup {
    #[serde(default)]
    pub name: Spanned<String>,
    #[serde(default)]
    pub interval: Option<Spanned<String>>,
    #[serde(default)]
    pub query_offset: Option<Spanned<String>>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    pub record: Option<Spanned<String>>,
    #[serde(default)]
    pub alert: Option<Spanned<String>>,
    #[serde(default)]
    pub expr: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub for_: Option<Spanned<String>>,
    #[serde(default)]
    pub keep_firing_for: Option<Spanned<String>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

const FILE_FIELDS: &[&str] = &["groups"];
const GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "labels",
    "rules",
];
/// A group's keys in Prometheus 2.42, which has neither `query_offset` (2.53) nor `labels` (3.0).
const GROUP_FIELDS_2_42: &[&str] = &["name", "interval", "limit", "rules"];
const RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// What kind of YAML document a rule file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// A Prometheus rule file (`groups:` at the top).
    Prometheus,
    /// A Prometheus-operator `PrometheusRule` manifest (`spec.groups`), possibly several per
    /// stream or inside a `kind: List`.
    Operator,
}

/// Decodes a rule file's text. Returns the groups of every rule document (one for Prometheus
/// files, as Prometheus reads only the first document; every `PrometheusRule` for manifests),
/// the layout, and how many documents were ignored. Under [`Semantics::Prometheus2`] the group
/// keys newer than 2.42 are unknown fields, as 2.42 reports them (with their line).
pub(crate) fn decode(
    text: &str,
    ignore_unknown_fields: bool,
    semantics: Semantics,
) -> Result<(RawRuleFile, Layout, usize), Vec<YamlError>> {
    let levels: &[&[&str]] = match semantics {
        Semantics::Prometheus3 => &[FILE_FIELDS, GROUP_FIELDS, RULE_FIELDS],
        Semantics::Prometheus2 => &[FILE_FIELDS, GROUP_FIELDS_2_42, RULE_FIELDS],
    };
    let mut docs =
        yaml::parse_documents(text, &yaml::YamlLimits::default()).map_err(|e| vec![e])?;
    let manifests: Vec<Node> = docs.iter().flat_map(operator_specs).collect();
    if !manifests.is_empty() {
        let mut file = RawRuleFile::default();
        for mut spec in manifests {
            if ignore_unknown_fields {
                prune(&mut spec, levels);
            } else {
                unknown_fields(&spec, levels)?;
            }
            let part: RawRuleFile = yaml::from_node(&spec).map_err(|e| vec![e])?;
            file.groups.extend(part.groups);
        }
        return Ok((file, Layout::Operator, 0));
    }
    let ignored = docs.len().saturating_sub(1);
    let Some(mut doc) = docs.drain(..).next() else {
        return Ok((RawRuleFile::default(), Layout::Prometheus, 0));
    };
    if ignore_unknown_fields {
        prune(&mut doc, levels);
    } else {
        unknown_fields(&doc, levels)?;
    }
    let file: Option<RawRuleFile> = yaml::from_node(&doc).map_err(|e| vec![e])?;
    Ok((file.unwrap_or_default(), Layout::Prometheus, ignored))
}

fn scalar(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar { value, .. } => Some(value),
        _ => None,
    }
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(k, _)| scalar(k) == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The `spec` nodes of `PrometheusRule` objects in a document (a manifest, or a `kind: List`
/// of them).
fn operator_specs(doc: &Node) -> Vec<Node> {
    match get(doc, "kind").and_then(scalar) {
        Some("PrometheusRule") => get(doc, "spec").cloned().into_iter().collect(),
        Some("List") => match get(doc, "items").map(|n| &n.kind) {
            Some(NodeKind::Sequence(items)) => items.iter().flat_map(operator_specs).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Every unknown key of a rule file, as promtool lists them all (the decoder stops at the
/// first). Returns `Ok` when there are none.
fn unknown_fields(doc: &Node, levels: &[&'static [&'static str]]) -> Result<(), Vec<YamlError>> {
    let mut found = Vec::new();
    walk_keys(doc, levels, &mut found);
    if found.is_empty() {
        return Ok(());
    }
    Err(found
        .into_iter()
        .map(|(key, pos, known)| {
            // The decoder words the message (with its did-you-mean); ask it for one key.
            let message = yaml::unknown_field_message(&key, known);
            YamlError::new(yaml::YamlErrorKind::Decode, message, Some(pos))
        })
        .collect())
}

fn walk_keys(
    node: &Node,
    levels: &[&'static [&'static str]],
    found: &mut Vec<(String, yaml::Position, &'static [&'static str])>,
) {
    let Some((known, rest)) = levels.split_first() else {
        return;
    };
    let NodeKind::Mapping(entries) = &node.kind else {
        return;
    };
    let child = if levels.len() == 3 { "groups" } else { "rules" };
    for (k, v) in entries {
        match scalar(k) {
            Some(name) if known.contains(&name) => {
                if name == child
                    && !rest.is_empty()
                    && let NodeKind::Sequence(items) = &v.kind
                {
                    for item in items {
                        walk_keys(item, rest, found);
                    }
                }
            }
            Some(name) => found.push((name.to_string(), k.pos, known)),
            None => {}
        }
    }
}

/// Drops unknown keys for `--ignore-unknown-fields`: `levels[0]` are the file's keys,
/// `levels[1]` a group's, `levels[2]` a rule's.
fn prune(node: &mut Node, levels: &[&[&str]]) {
    let Some((known, rest)) = levels.split_first() else {
        return;
    };
    let NodeKind::Mapping(entries) = &mut node.kind else {
        return;
    };
    entries.retain(|(k, _)| scalar(k).is_some_and(|k| known.contains(&k)));
    if rest.is_empty() {
        return;
    }
    let child = if levels.len() == 3 { "groups" } else { "rules" };
    for (k, v) in entries.iter_mut() {
        if scalar(k) == Some(child)
            && let NodeKind::Sequence(items) = &mut v.kind
        {
            for item in items {
                prune(item, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_groups_and_rules_with_positions() {
        let text = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n";
        let (file, layout, ignored) = decode(text, false, Semantics::Prometheus3).unwrap();
        assert_eq!((layout, ignored), (Layout::Prometheus, 0));
        let g = &file.groups[0];
        assert_eq!((g.pos.line, g.pos.column), (2, 5));
        let r = &g.value.rules[0].value;
        let record = r.record.as_ref().unwrap();
        assert_eq!((record.pos.line, record.pos.column), (4, 17));
    }

    #[test]
    fn unknown_fields_fail_unless_ignored() {
        let text = "groups:\n  - name: g\n    owner: me\n    rules: []\n";
        let err = decode(text, false, Semantics::Prometheus3).unwrap_err();
        assert_eq!(
            err[0].to_string(),
            "3:5: unknown field \"owner\", expected one of \"name\", \"interval\", \"query_offset\", \"limit\", \"labels\", \"rules\""
        );
        let two = "groups:\n  - name: g\n    owner: me\n    rules:\n      - record: r\n        expr: up\n        labls: {}\n";
        let err = decode(two, false, Semantics::Prometheus3).unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(
            err[1].to_string(),
            "7:9: unknown field \"labls\", did you mean \"labels\"?"
        );
        let (file, _, _) = decode(text, true, Semantics::Prometheus3).unwrap();
        assert_eq!(file.groups.len(), 1);
    }

    #[test]
    fn operator_manifests_in_multi_document_streams() {
        let text = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: a}\nspec:\n  groups:\n    - name: a\n      rules: []\n---\nkind: ConfigMap\n---\nkind: PrometheusRule\nspec:\n  groups:\n    - name: b\n";
        let (file, layout, _) = decode(text, false, Semantics::Prometheus3).unwrap();
        assert_eq!(layout, Layout::Operator);
        let names: Vec<_> = file
            .groups
            .iter()
            .map(|g| g.value.name.value.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn only_the_first_document_of_a_rule_file_counts() {
        let (file, _, ignored) = decode(
            "groups: []\n---\ngroups: [{name: x}]\n",
            false,
            Semantics::Prometheus3,
        )
        .unwrap();
        assert!(file.groups.is_empty());
        assert_eq!(ignored, 1);
    }

    #[test]
    fn empty_files_have_no_groups() {
        for text in ["", "groups:\n", "# nothing\n"] {
            let (file, _, _) = decode(text, false, Semantics::Prometheus3).unwrap();
            assert!(file.groups.is_empty(), "{text:?}");
        }
    }
}
