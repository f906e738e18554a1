//! Source positions, diagnostics rendering and the lexemes shared by every parser of the crate
//! (PromQL, series notation, promqltest scripts).
//!
//! Errors across the crate carry byte [`Span`]s. Line and column numbers are computed only when an
//! error is printed, by [`LineIndex`]; [`Diagnostic`] renders the source line with a gutter and a
//! caret under the offending text.

mod diagnostic;
pub(crate) mod go;
pub(crate) mod go_regexp;
pub mod lex;

pub use diagnostic::{Diagnostic, LineIndex};

use std::fmt;

/// A byte range `start..end` in some source text.
///
/// Spans are small and `Copy`; their `Debug` form is `@start..end` so that AST snapshots stay
/// readable.
///
/// ```
/// use promgate::Span;
/// let span = Span::new(3, 6);
/// assert_eq!(span.len(), 3);
/// assert_eq!(format!("{span:?}"), "@3..6");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(Span::new(1, 4).start, 1);
    /// ```
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// An empty span at `pos`.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert!(Span::at(5).is_empty());
    /// ```
    pub fn at(pos: usize) -> Span {
        Span::new(pos, pos)
    }

    /// The number of bytes covered.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(Span::new(2, 7).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert!(!Span::new(2, 7).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both `self` and `other`.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(Span::new(2, 4).to(Span::new(6, 9)), Span::new(2, 9));
    /// ```
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span moved right by `by` bytes (used when a sub-parser works on a slice of a larger
    /// text).
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(Span::new(0, 2).shifted(10), Span::new(10, 12));
    /// ```
    pub fn shifted(self, by: usize) -> Span {
        Span {
            start: self.start + by as u32,
            end: self.end + by as u32,
        }
    }

    /// The text the span covers in `source`, or `None` when the span is outside it or does
    /// not fall on character boundaries.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(Span::new(5, 8).slice("rate(up[5m])"), Some("up["));
    /// assert_eq!(Span::new(5, 80).slice("rate(up[5m])"), None);
    /// ```
    pub fn slice(self, source: &str) -> Option<&str> {
        source.get(self.range())
    }

    /// The byte range, for slicing the source.
    ///
    /// ```
    /// # use promgate::Span;
    /// assert_eq!(&"rate(x[5m])"[Span::new(0, 4).range()], "rate");
    /// ```
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}..{}", self.start, self.end)
    }
}

/// The largest file the loaders read by default (256 MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

static FILE_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(MAX_FILE_BYTES);

/// Sets the largest file [`read_text_file`] reads, for the rest of the process (the command
/// line's `--max-file-size`).
///
/// ```
/// promgate::syntax::set_max_file_bytes(4);
/// let path = std::env::temp_dir().join("promgate-doc-limit.txt");
/// std::fs::write(&path, "12345").unwrap();
/// let err = promgate::syntax::read_text_file(&path).unwrap_err();
/// assert!(err.ends_with("larger than the limit of 4 bytes (--max-file-size)"), "{err}");
/// promgate::syntax::set_max_file_bytes(promgate::syntax::MAX_FILE_BYTES);
/// ```
pub fn set_max_file_bytes(bytes: u64) {
    FILE_LIMIT.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// Reads a text file of at most [`MAX_FILE_BYTES`] (or what [`set_max_file_bytes`] set), so
/// `/dev/zero` fails fast; errors name the file, and for invalid UTF-8 the line, column and
/// byte offset.
///
/// ```
/// let err = promgate::syntax::read_text_file(std::path::Path::new("/nonexistent")).unwrap_err();
/// assert!(err.starts_with("/nonexistent: "));
/// ```
pub fn read_text_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut bytes = Vec::new();
    let limit = FILE_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > limit {
        let shown = if limit % (1 << 20) == 0 && limit > 0 {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{limit} bytes")
        };
        return Err(format!(
            "{name}: larger than the limit of {shown} (--max-file-size)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = &e.as_bytes()[..offset];
        let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = offset - text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        format!("{name}:{line}:{column}: invalid UTF-8 (byte offset {offset})")
    })
}
