//! promtool's printing of alerts and samples in failure messages.

use crate::Labels;

/// `[]`, or the items as promtool lists them (`\n            0:\n              Labels:...`).
pub(crate) fn alerts(list: &[(Labels, Labels)]) -> String {
    if list.is_empty() {
        return "[]".to_string();
    }
    let mut out = String::from("[");
    for (i, (labels, annotations)) in list.iter().enumerate() {
        out.push_str(&format!(
            "\n            {i}:\n              Labels:{labels}\n              Annotations:{annotations}"
        ));
        if i + 1 < list.len() {
            out.push(',');
        }
    }
    out.push_str("\n            ]");
    out
}

/// An alert failure of a case that uses promgate's extensions: promtool's layout, with the
/// alert state and match mode in the heading, regexes as `name=~"re"` and a `KeepFiring:`
/// line where the case asserts it.
pub(crate) fn extended_alert_failure(
    f: &mut std::fmt::Formatter<'_>,
    failure: &super::AlertFailure,
    extension: &super::AlertExtension,
) -> std::fmt::Result {
    let mut marks = String::new();
    if extension.pending {
        marks.push_str("pending alerts (exp_pending), ");
    }
    if extension.match_mode != super::AlertMatch::Exact {
        marks.push_str(&format!("match: {}, ", extension.match_mode));
    }
    let show_keep_firing = extension.expected.iter().any(|p| p.keep_firing.is_some());
    let mut exp = Vec::new();
    for p in &extension.expected {
        let mut item = format!(
            "Labels:{}\n              Annotations:{}",
            pattern_set(&p.labels, &p.labels_re),
            pattern_set(&p.annotations, &p.annotations_re)
        );
        if let Some(k) = p.keep_firing {
            item.push_str(&format!("\n              KeepFiring:{k}"));
        }
        exp.push(item);
    }
    let mut got = Vec::new();
    for (i, (labels, annotations)) in failure.got.iter().enumerate() {
        let mut item = format!("Labels:{labels}\n              Annotations:{annotations}");
        if show_keep_firing && let Some(k) = extension.got_keep_firing.get(i) {
            item.push_str(&format!("\n              KeepFiring:{k}"));
        }
        got.push(item);
    }
    write!(
        f,
        "    alertname: {}, time: {}, {marks}\n        exp:{}, \n        got:{}",
        failure.alertname,
        crate::syntax::lex::format_duration(failure.eval_time),
        items(&exp),
        items(&got)
    )
}

/// promtool's list layout over items already printed.
fn items(list: &[String]) -> String {
    if list.is_empty() {
        return "[]".to_string();
    }
    let mut out = String::from("[");
    for (i, item) in list.iter().enumerate() {
        out.push_str(&format!("\n            {i}:\n              {item}"));
        if i + 1 < list.len() {
            out.push(',');
        }
    }
    out.push_str("\n            ]");
    out
}

/// `{a="1", b=~"x.*"}`: exact pairs and regexes, by name.
fn pattern_set(exact: &Labels, regexes: &[(String, String)]) -> String {
    let mut parts: Vec<(&str, String)> = exact
        .iter()
        .map(|l| (l.name(), l.to_string()))
        .chain(regexes.iter().map(|(name, re)| {
            let name_text = if crate::syntax::lex::is_legacy_label_name(name) {
                name.clone()
            } else {
                crate::syntax::lex::quote(name)
            };
            (
                name.as_str(),
                format!("{name_text}=~{}", crate::syntax::lex::quote(re)),
            )
        }))
        .collect();
    parts.sort_by(|a, b| a.0.cmp(b.0));
    let parts: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
    format!("{{{}}}", parts.join(", "))
}

/// `epsilon: absolute=1E-09, relative=1E-06` (the bounds given).
pub(crate) fn epsilon(epsilon: &super::Epsilon) -> String {
    let mut parts = Vec::new();
    if let Some(a) = epsilon.absolute {
        parts.push(format!("absolute={}", crate::model::format_float_e(a)));
    }
    if let Some(r) = epsilon.relative {
        parts.push(format!("relative={}", crate::model::format_float_e(r)));
    }
    if parts.is_empty() {
        parts.push("none".to_string());
    }
    format!("epsilon: {}", parts.join(", "))
}
