//! The text form of an explanation: one line per node, indented by depth, with its findings
//! under it.

use std::fmt;

use super::{ExplainNode, Explanation, NodeResult};
use crate::syntax::lex::format_duration;

impl fmt::Display for NodeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeResult::Series { count } => write!(f, "{count} series"),
            NodeResult::Scalar { value } => write!(f, "scalar {value}"),
            NodeResult::String => f.write_str("string"),
            NodeResult::Error { .. } => f.write_str("error"),
            NodeResult::Skipped => f.write_str("not evaluated: node limit reached"),
        }
    }
}

fn write_node(f: &mut fmt::Formatter<'_>, node: &ExplainNode, depth: usize) -> fmt::Result {
    let indent = "  ".repeat(depth);
    writeln!(
        f,
        "{indent}{}  ({} at {})",
        node.expr,
        node.result,
        format_duration(node.time)
    )?;
    for finding in &node.findings {
        let label = if finding.is_cause() { "why" } else { "note" };
        writeln!(f, "{indent}  {label}: {}", finding.message_with(node))?;
    }
    for child in &node.children {
        write_node(f, child, depth + 1)?;
    }
    Ok(())
}

impl fmt::Display for ExplainNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, self, 0)
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, &self.root, 0)
    }
}
