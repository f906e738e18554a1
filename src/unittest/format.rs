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
