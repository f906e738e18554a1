//! Line/column computation and rendering of errors with a gutter and a caret.

use super::Span;
use std::fmt;

/// Maps byte offsets of a text to 1-based line and column numbers.
///
/// Columns count bytes, as Prometheus does in its error positions.
///
/// ```
/// use promgate::LineIndex;
/// let index = LineIndex::new("a\nbc\n");
/// assert_eq!(index.line_col(0), (1, 1));
/// assert_eq!(index.line_col(3), (2, 2));
/// ```
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Builds the index of `text`.
    ///
    /// ```
    /// # use promgate::LineIndex;
    /// assert_eq!(LineIndex::new("x").line_col(1), (1, 2));
    /// ```
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// The 1-based (line, column) of byte `offset`; offsets past the end map to the end.
    ///
    /// ```
    /// # use promgate::LineIndex;
    /// assert_eq!(LineIndex::new("ab\ncd").line_col(4), (2, 2));
    /// ```
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line + 1, offset - self.line_starts[line] + 1)
    }

    /// The byte range of 1-based line `line`, without its newline.
    fn line_range(&self, line: usize, text: &str) -> std::ops::Range<usize> {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map(|&next| next - 1)
            .unwrap_or(self.len);
        let end = if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        start..end
    }
}

/// An error message tied to a span of a named source, rendered with the source line, a gutter
/// and carets under the span.
///
/// ```
/// use promgate::{Diagnostic, Span};
/// let text = "sum(rate(x[5m])";
/// let d = Diagnostic::new("unclosed left parenthesis", Span::new(3, 4)).with_origin("<expr>");
/// let rendered = d.render(text);
/// assert!(rendered.starts_with("<expr>:1:4: unclosed left parenthesis"));
/// assert!(rendered.contains("   ^"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    message: String,
    span: Span,
    origin: Option<String>,
    hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `message` at `span`.
    ///
    /// ```
    /// # use promgate::{Diagnostic, Span};
    /// let d = Diagnostic::new("boom", Span::at(0));
    /// assert_eq!(d.render("x"), "1:1: boom\n  |\n1 | x\n  | ^\n");
    /// ```
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            origin: None,
            hint: None,
        }
    }

    /// Names the source (a file name, `<expr>`, ...), printed before the position.
    ///
    /// ```
    /// # use promgate::{Diagnostic, Span};
    /// let d = Diagnostic::new("boom", Span::at(0)).with_origin("rules.yml");
    /// assert!(d.render("x").starts_with("rules.yml:1:1: boom"));
    /// ```
    pub fn with_origin(mut self, origin: impl Into<String>) -> Diagnostic {
        self.origin = Some(origin.into());
        self
    }

    /// Adds a hint line (a known fix).
    ///
    /// ```
    /// # use promgate::{Diagnostic, Span};
    /// let d = Diagnostic::new("boom", Span::at(0)).with_hint("try this");
    /// assert!(d.render("x").ends_with("= hint: try this\n"));
    /// ```
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Renders against the text the span points into.
    ///
    /// ```
    /// # use promgate::{Diagnostic, Span};
    /// let out = Diagnostic::new("bad", Span::new(2, 4)).render("a\nbcde");
    /// assert!(out.contains("2 | bcde"));
    /// ```
    pub fn render(&self, text: &str) -> String {
        self.render_indexed(text, &LineIndex::new(text))
    }

    /// [`Diagnostic::render`] with the text's line index built once by the caller, so that
    /// rendering many diagnostics of one large text costs each its own line, not the whole text.
    ///
    /// ```
    /// # use promgate::{Diagnostic, LineIndex, Span};
    /// let text = "a\nbcde";
    /// let index = LineIndex::new(text);
    /// let out = Diagnostic::new("bad", Span::new(2, 4)).render_indexed(text, &index);
    /// assert_eq!(out, Diagnostic::new("bad", Span::new(2, 4)).render(text));
    /// ```
    pub fn render_indexed(&self, text: &str, index: &LineIndex) -> String {
        RenderedDiagnostic {
            diagnostic: self,
            text,
            index,
        }
        .to_string()
    }
}

struct RenderedDiagnostic<'a> {
    diagnostic: &'a Diagnostic,
    text: &'a str,
    index: &'a LineIndex,
}

impl fmt::Display for RenderedDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        let index = self.index;
        let start = (d.span.start as usize).min(self.text.len());
        let (line, col) = index.line_col(start);
        if let Some(origin) = &d.origin {
            write!(f, "{origin}:")?;
        }
        writeln!(f, "{line}:{col}: {}", d.message)?;
        let range = index.line_range(line, self.text);
        let source_line = &self.text[range.clone()];
        let gutter = line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{line} | {source_line}")?;
        // The caret starts under the first byte of the span; column counts characters here so the
        // caret lines up on screen even with multi-byte text before it.
        let prefix_chars = self.text[range.start..start.max(range.start)]
            .chars()
            .count();
        let span_end = (d.span.end as usize).clamp(start, range.end.max(start));
        let caret_len = self.text[start..span_end].chars().count().max(1);
        writeln!(
            f,
            "{:gutter$} | {:prefix_chars$}{}",
            "",
            "",
            "^".repeat(caret_len)
        )?;
        if let Some(hint) = &d.hint {
            writeln!(f, "{:gutter$} = hint: {hint}", "")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_spans_the_text() {
        let out = Diagnostic::new("unexpected", Span::new(4, 7)).render("foo bar baz");
        assert_eq!(out, "1:5: unexpected\n  |\n1 | foo bar baz\n  |     ^^^\n");
    }

    #[test]
    fn caret_at_end_of_input() {
        let out = Diagnostic::new("unexpected end of input", Span::at(3)).render("foo");
        assert_eq!(
            out,
            "1:4: unexpected end of input\n  |\n1 | foo\n  |    ^\n"
        );
    }

    #[test]
    fn multi_line_text_uses_the_right_line() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line_col(7), (4, 1));
        let out = Diagnostic::new("x", Span::new(3, 5)).render("ab\ncd\n");
        assert!(out.contains("2 | cd\n"), "{out}");
    }
}
