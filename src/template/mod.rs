//! Temporary stand-in for the Go template engine being written on the `template` branch; it
//! is replaced by that branch's module when it merges. Only `$labels.<name>`, `$value` and
//! `.Labels.<name>` are expanded.

use std::collections::BTreeMap;

use crate::Labels;

/// Which Prometheus version's template functions to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateDialect {
    /// Prometheus 3.x.
    #[default]
    Prometheus3,
    /// Prometheus 2.42.
    Prometheus2,
}

/// One sample a `query` call returns.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    /// Labels.
    pub labels: Labels,
    /// Value.
    pub value: f64,
}

/// What templates can ask of the outside world.
pub trait TemplateHost {
    /// Runs an instant query at the evaluation time.
    fn query(&self, query: &str) -> Result<Vec<QuerySample>, String>;
    /// The evaluation time in ms.
    fn now_ms(&self) -> i64;
}

/// The data an alert template sees.
#[derive(Debug, Clone, Copy)]
pub struct AlertData<'a> {
    /// `$labels`.
    pub labels: &'a Labels,
    /// `$externalLabels`.
    pub external_labels: &'a BTreeMap<String, String>,
    /// `$externalURL`.
    pub external_url: &'a str,
    /// `$value`.
    pub value: f64,
}

/// A template error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

/// A parsed alert template.
#[derive(Debug, Clone)]
pub struct AlertTemplate {
    name: String,
    text: String,
}

impl AlertTemplate {
    /// Parses.
    pub fn parse(
        rule_name: &str,
        text: &str,
        _dialect: TemplateDialect,
    ) -> Result<AlertTemplate, TemplateError> {
        let name = format!("__alert_{rule_name}");
        if text.matches("{{").count() != text.matches("}}").count() {
            return Err(TemplateError(format!(
                "template: {name}:1: unclosed action"
            )));
        }
        Ok(AlertTemplate {
            name,
            text: text.to_string(),
        })
    }

    /// Expands.
    pub fn expand(&self, data: &AlertData<'_>, _host: &dyn TemplateHost) -> String {
        let _ = &self.name;
        let mut out = String::new();
        let mut rest = self.text.as_str();
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            let Some(j) = rest[i..].find("}}") else { break };
            let action = rest[i + 2..i + j].trim();
            if action == "$value" || action == ".Value" {
                out.push_str(&crate::model::format_float_g(data.value));
            } else if let Some(l) = action
                .strip_prefix("$labels.")
                .or_else(|| action.strip_prefix(".Labels."))
            {
                out.push_str(data.labels.get(l).unwrap_or(""));
            }
            rest = &rest[i + j + 2..];
        }
        out.push_str(rest);
        out
    }
}
