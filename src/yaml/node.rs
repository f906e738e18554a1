//! The YAML node tree with positions, built from saphyr's events.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::{YamlError, YamlErrorKind};

/// A position in a YAML text: 1-based line and column (columns count characters, as YAML
/// parsers do), and the byte offset.
///
/// ```
/// let err = promgate::yaml::from_str::<u8>("\n  [1").unwrap_err();
/// assert!(err.pos.unwrap().line >= 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset in the text.
    pub offset: usize,
}

/// Bounds on what a YAML text may expand to, so hostile input fails fast instead of eating
/// the machine.
///
/// ```
/// use promgate::yaml::YamlLimits;
/// assert_eq!(YamlLimits::default().max_depth, 128);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YamlLimits {
    /// The deepest nesting of sequences and mappings (default 128).
    pub max_depth: usize,
    /// The most nodes a document may have after expanding aliases (default 10 million).
    pub max_nodes: usize,
}

impl Default for YamlLimits {
    /// Depth 128 and 10 million nodes, unless a program changed the process-wide defaults
    /// with [`YamlLimits::set_default`].
    fn default() -> Self {
        YamlLimits {
            max_depth: DEFAULT_MAX_DEPTH.load(std::sync::atomic::Ordering::Relaxed),
            max_nodes: DEFAULT_MAX_NODES.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}

static DEFAULT_MAX_DEPTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(128);
static DEFAULT_MAX_NODES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(10_000_000);

impl YamlLimits {
    /// Changes what [`YamlLimits::default`] gives for the rest of the process (the command
    /// line's `--yaml-max-depth` and `--yaml-max-nodes`), for every YAML file read after it.
    ///
    /// ```
    /// use promgate::yaml::YamlLimits;
    /// let before = YamlLimits::default();
    /// YamlLimits::set_default(YamlLimits { max_depth: 16, ..before });
    /// assert_eq!(YamlLimits::default().max_depth, 16);
    /// YamlLimits::set_default(before);
    /// ```
    pub fn set_default(limits: YamlLimits) {
        DEFAULT_MAX_DEPTH.store(limits.max_depth, std::sync::atomic::Ordering::Relaxed);
        DEFAULT_MAX_NODES.store(limits.max_nodes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One YAML node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// Where the node starts (for a block scalar: its `|` or `>` indicator, as Go's YAML
    /// reports it).
    pub pos: Position,
    /// The byte offset of the value's first character (after a quote; a block scalar's first
    /// content line).
    pub content: usize,
    /// Where the node ends (byte offset).
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// A scalar: its value, its style, and whether it carries an explicit `!!str` tag.
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<String>,
    },
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// Is this the YAML null (`~`, `null`, or nothing)?
    pub fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Scalar {
                value,
                style: ScalarStyle::Plain,
                tag: None,
            } => matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"),
            _ => false,
        }
    }

    /// A short name of the node's kind for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "null",
            NodeKind::Scalar { .. } => "scalar",
            NodeKind::Sequence(_) => "sequence",
            NodeKind::Mapping(_) => "mapping",
        }
    }

    /// The byte offset in `text` of byte `offset` of this scalar's value. For plain and quoted
    /// scalars on one line and for block scalars (`|`, `>`), this walks the source and the value
    /// side by side, skipping line breaks, indentation and quote escapes, so a position inside a
    /// multi-line PromQL expression points at the right line of the file.
    #[cfg(test)]
    pub fn value_offset_in(&self, text: &str, offset: usize) -> usize {
        let NodeKind::Scalar { value, .. } = &self.kind else {
            return self.pos.offset;
        };
        scalar_offset(text, self.pos.offset, self.content, self.end, value, offset)
    }
}

/// The byte offset in `text` of byte `offset` of a scalar's value, given where the scalar
/// starts (`start`: its first character, or its `|`/`>` indicator), where its content starts
/// and where it ends. The style is read from the source.
pub(crate) fn scalar_offset(
    text: &str,
    start: usize,
    content: usize,
    end: usize,
    value: &str,
    offset: usize,
) -> usize {
    {
        let style = match text.as_bytes().get(start) {
            Some(b'"') => ScalarStyle::DoubleQuoted,
            Some(b'\'') => ScalarStyle::SingleQuoted,
            Some(b'|') => ScalarStyle::Literal,
            Some(b'>') => ScalarStyle::Folded,
            _ => ScalarStyle::Plain,
        };
        let style = &style;
        let text_bytes = text.as_bytes();
        let content = content.min(text.len());
        let source = &text_bytes[content..end.clamp(content, text.len())];
        let mut s = 0;
        // A block scalar's indentation: the column of its first content line.
        let indent = content - text[..content].rfind('\n').map_or(0, |p| p + 1);
        let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
        let value = value.as_bytes();
        let mut v = 0;
        let skip_indent = |s: &mut usize| {
            let mut n = 0;
            while *s < source.len() && source[*s] == b' ' && (!block || n < indent) {
                *s += 1;
                n += 1;
            }
        };
        while v < offset.min(value.len()) && s < source.len() {
            let (vb, sb) = (value[v], source[s]);
            if vb == sb && !(sb == b'\\' && *style == ScalarStyle::DoubleQuoted) {
                s += 1;
                v += 1;
                if block && vb == b'\n' {
                    skip_indent(&mut s);
                }
            } else if sb == b'\n' || sb == b'\r' {
                // A folded line break: the value has a space (or nothing) where the source
                // breaks the line and indents the next one.
                s += 1;
                skip_indent(&mut s);
                if vb == b' ' || vb == b'\n' {
                    v += 1;
                }
            } else if sb == b'\\' && *style == ScalarStyle::DoubleQuoted {
                // An escape: one value character (or a few bytes of one) for several source bytes.
                s += 2;
                if s < source.len() && matches!(source[s - 1], b'x' | b'u' | b'U') {
                    let digits = match source[s - 1] {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    s += digits;
                }
                v += 1;
                while v < value.len() && (value[v] & 0xC0) == 0x80 {
                    v += 1;
                }
            } else if sb == b'\'' && *style == ScalarStyle::SingleQuoted {
                s += 2;
                v += 1;
            } else {
                // Out of step (a style we do not model exactly): stop at the best guess.
                break;
            }
        }
        (content + s).min(text.len())
    }
}

/// Parses every document of a YAML stream into node trees. An empty stream gives no
/// documents.
///
/// go-yaml (libyaml) accepts a quoted scalar whose continuation lines sit at or left of its
/// key's column; saphyr does not ("invalid indentation in quoted scalar"). Leading spaces on a
/// continuation line are folded away, so such a scalar is parsed from a copy of the text with
/// those lines indented further, and positions are mapped back to the text as written.
pub(crate) fn parse_documents(text: &str, limits: &YamlLimits) -> Result<Vec<Node>, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut padded = Padded {
        text: Cow::Borrowed(text),
        pads: Vec::new(),
    };
    loop {
        match parse_padded(text, &padded, limits) {
            Err((error, Some(quote))) if error.message == QUOTED_INDENTATION => {
                if !padded.indent_quoted_scalar(quote) {
                    return Err(error);
                }
            }
            result => return result.map_err(|(error, _)| error),
        }
    }
}

const QUOTED_INDENTATION: &str = "invalid indentation in quoted scalar";

/// The text saphyr parses: the text as written, or a copy with spaces added at the start of
/// some lines (`pads`: where, in the copy, and how many, in order).
struct Padded<'t> {
    text: Cow<'t, str>,
    pads: Vec<(usize, usize)>,
}

impl Padded<'_> {
    /// The byte offset in the text as written of byte `offset` of the copy.
    fn original(&self, offset: usize) -> usize {
        let mut shift = 0;
        for &(at, count) in &self.pads {
            if offset < at {
                break;
            }
            shift += (offset - at).min(count);
        }
        offset - shift
    }

    /// Indents the continuation lines of the quoted scalar whose opening quote is at byte
    /// `quote` of the copy past the quote's column. False when there is nothing to indent.
    fn indent_quoted_scalar(&mut self, quote: usize) -> bool {
        let text = self.text.to_mut();
        let bytes = text.as_bytes();
        let Some(&q) = bytes.get(quote) else {
            return false;
        };
        if q != b'\'' && q != b'"' {
            return false;
        }
        let line_start = text[..quote].rfind('\n').map_or(0, |p| p + 1);
        let need = text[line_start..quote].chars().count() + 1;
        let mut inserts = Vec::new();
        let mut i = quote + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if q == b'"' => i += 1,
                b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                c if c == q => break,
                b'\n' => {
                    let line = &text[i + 1..];
                    let indent = line
                        .bytes()
                        .take_while(|b| *b == b' ' || *b == b'\t')
                        .count();
                    let blank = matches!(line.as_bytes().get(indent), None | Some(b'\n' | b'\r'));
                    // A document marker at column 0 ends the document for go-yaml too.
                    let marker = line.starts_with("---") || line.starts_with("...");
                    if !blank && !marker && indent < need {
                        inserts.push((i + 1, need - indent));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if inserts.is_empty() {
            return false;
        }
        // Insert from the end, so that earlier positions stay valid; record in order.
        for &(at, count) in inserts.iter().rev() {
            text.insert_str(at, &" ".repeat(count));
        }
        let mut added = 0;
        for (at, count) in inserts {
            self.pads.push((at + added, count));
            added += count;
        }
        true
    }
}

/// Parses `padded` (a copy of `text`, or `text` itself); positions are `text`'s. On error,
/// also the byte offset in the copy of where the error points.
fn parse_padded(
    text: &str,
    padded: &Padded<'_>,
    limits: &YamlLimits,
) -> Result<Vec<Node>, (YamlError, Option<usize>)> {
    let offsets = CharOffsets::new(&padded.text);
    let position = |index: usize, line: usize, col: usize| {
        let pos = offsets.position(index, line, col);
        if padded.pads.is_empty() {
            return pos;
        }
        let offset = padded.original(pos.offset).min(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
        Position {
            line,
            column: text[line_start..offset].chars().count() + 1,
            offset,
        }
    };
    let mut builder = Builder {
        text,
        limits,
        stack: Vec::new(),
        documents: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
    };
    let mut parser = Parser::new_from_str(&padded.text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let error = scan_error(&e, position(m.index(), m.line(), m.col()));
            (error, Some(offsets.byte(m.index())))
        })?;
        let start = position(span.start.index(), span.start.line(), span.start.col());
        let end = match padded.pads.is_empty() {
            true => offsets.byte(span.end.index()),
            false => padded
                .original(offsets.byte(span.end.index()))
                .min(text.len()),
        };
        if builder.on_event(event, start, end).map_err(|e| (e, None))? {
            break;
        }
    }
    Ok(builder.documents)
}

/// Where a scalar starts as Go's YAML reports it, and where its content starts. saphyr places a
/// quoted scalar at its opening quote and a block scalar at its first content line; Go places
/// a block scalar at its `|` or `>` indicator.
fn scalar_start(text: &str, start: Position, style: ScalarStyle) -> (Position, usize) {
    match style {
        ScalarStyle::Plain => (start, start.offset),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => (start, start.offset + 1),
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let before = &text[..start.offset.min(text.len())];
            let Some(indicator) = before.rfind(['|', '>']) else {
                return (start, start.offset);
            };
            let line = before[..indicator].matches('\n').count() + 1;
            let line_start = before[..indicator].rfind('\n').map_or(0, |p| p + 1);
            let column = before[line_start..indicator].chars().count() + 1;
            let pos = Position {
                line,
                column,
                offset: indicator,
            };
            (pos, start.offset)
        }
    }
}

fn scan_error(e: &ScanError, at: Position) -> YamlError {
    let kind = if e.info().contains("recursion limit") {
        YamlErrorKind::Limit
    } else {
        YamlErrorKind::Syntax
    };
    YamlError::new(kind, e.info().to_string(), Some(at))
}

/// Character index to byte offset, for saphyr's character-counting markers.
struct CharOffsets {
    /// `None` when the text is ASCII (indices are byte offsets).
    table: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let table = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(b, _)| b as u32)
                .chain(std::iter::once(text.len() as u32))
                .collect()
        });
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).map_or(self.len, |&b| b as usize),
        }
    }

    fn position(&self, char_index: usize, line: usize, col: usize) -> Position {
        Position {
            line,
            column: col + 1,
            offset: self.byte(char_index),
        }
    }
}

enum Open {
    Sequence(Node, Vec<Node>, usize),
    Mapping(Node, Vec<(Node, Node)>, Option<Node>, usize),
}

struct Builder<'a> {
    text: &'a str,
    limits: &'a YamlLimits,
    stack: Vec<Open>,
    documents: Vec<Node>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
}

impl Builder<'_> {
    /// Takes one event; returns true at the end of the stream.
    fn on_event(
        &mut self,
        event: Event<'_>,
        start: Position,
        end: usize,
    ) -> Result<bool, YamlError> {
        match event {
            Event::StreamEnd => return Ok(true),
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError::new(
                        YamlErrorKind::Syntax,
                        "unknown anchor",
                        Some(start),
                    ));
                };
                self.count(count_nodes(&node), start)?;
                self.push(node)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, start)?;
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let (pos, content) = scalar_start(self.text, start, style);
                let node = Node {
                    kind: NodeKind::Scalar {
                        value: value.into_owned(),
                        style,
                        tag,
                    },
                    pos,
                    content,
                    end,
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.count(1, start)?;
                if self.stack.len() >= self.limits.max_depth {
                    return Err(YamlError::new(
                        YamlErrorKind::Limit,
                        format!(
                            "nesting deeper than {} levels (YamlLimits::max_depth, --yaml-max-depth)",
                            self.limits.max_depth
                        ),
                        Some(start),
                    ));
                }
                let node = Node {
                    kind: NodeKind::Sequence(Vec::new()),
                    pos: start,
                    content: start.offset,
                    end,
                };
                self.stack.push(match event {
                    Event::SequenceStart(..) => Open::Sequence(node, Vec::new(), anchor),
                    _ => Open::Mapping(node, Vec::new(), None, anchor),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, anchor) = match self.stack.pop() {
                    Some(Open::Sequence(mut node, items, anchor)) => {
                        node.kind = NodeKind::Sequence(items);
                        (node, anchor)
                    }
                    Some(Open::Mapping(mut node, entries, _, anchor)) => {
                        node.kind = NodeKind::Mapping(merge_keys(entries));
                        (node, anchor)
                    }
                    None => return Ok(false),
                };
                node.end = end;
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)?;
            }
        }
        Ok(false)
    }

    fn count(&mut self, n: usize, pos: Position) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError::new(
                YamlErrorKind::Limit,
                format!(
                    "more than {} nodes after expanding aliases (YamlLimits::max_nodes, --yaml-max-nodes)",
                    self.limits.max_nodes
                ),
                Some(pos),
            ));
        }
        Ok(())
    }

    fn push(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Sequence(_, items, _)) => items.push(node),
            Some(Open::Mapping(_, entries, key, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Applies YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) as Go's YAML libraries do: the
/// merged mappings' entries are added unless the mapping sets the key itself (earlier merged
/// mappings win over later ones).
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge = |k: &Node| matches!(&k.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain, tag } if value == "<<" && tag.as_deref().is_none_or(|t| t.ends_with("merge")));
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let mut out = Vec::with_capacity(entries.len());
    let mut sources = Vec::new();
    for (k, v) in entries {
        if is_merge(&k) {
            match v.kind {
                NodeKind::Mapping(m) => sources.push(m),
                NodeKind::Sequence(items) => {
                    sources.extend(items.into_iter().filter_map(|i| match i.kind {
                        NodeKind::Mapping(m) => Some(m),
                        _ => None,
                    }))
                }
                NodeKind::Scalar { .. } => {}
            }
        } else {
            out.push((k, v));
        }
    }
    let key = |n: &Node| match &n.kind {
        NodeKind::Scalar { value, .. } => Some(value.clone()),
        _ => None,
    };
    let mut present: std::collections::HashSet<String> =
        out.iter().filter_map(|(k, _)| key(k)).collect();
    for source in sources {
        for (k, v) in source {
            if let Some(name) = key(&k)
                && present.insert(name)
            {
                out.push((k, v));
            }
        }
    }
    out
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        parse_documents(text, &YamlLimits::default())
            .unwrap()
            .remove(0)
    }

    fn value_node<'a>(node: &'a Node, key: &str) -> &'a Node {
        let NodeKind::Mapping(entries) = &node.kind else {
            panic!("not a mapping")
        };
        &entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key))
            .unwrap()
            .1
    }

    #[test]
    fn quoted_scalars_continued_left_of_their_key_as_go_yaml_reads_them() {
        let text =
            "a:\n  expr: 'up{\n  job=\"x\"} == 0'\n  d: \"x\n\n y\"\n  s: 'it''s\nz'\nb: 1\n";
        let d = doc(text);
        let a = value_node(&d, "a");
        let scalar = |n: &Node| match &n.kind {
            NodeKind::Scalar { value, .. } => value.clone(),
            _ => panic!("not a scalar"),
        };
        assert_eq!(scalar(value_node(a, "expr")), "up{ job=\"x\"} == 0");
        assert_eq!(scalar(value_node(a, "d")), "x\ny");
        assert_eq!(scalar(value_node(a, "s")), "it's z");
        // Positions are the text's as written.
        let b = value_node(&d, "b");
        assert_eq!(
            (b.pos.line, b.pos.column, b.pos.offset),
            (9, 4, text.len() - 2)
        );
        let d_node = value_node(a, "d");
        assert_eq!((d_node.pos.line, d_node.pos.column), (4, 6));
        assert_eq!(&text[d_node.end - 1..d_node.end], "\"");
        // A document marker inside stays an error, as in go-yaml.
        assert!(parse_documents("a: 'x\n---\n'\n", &YamlLimits::default()).is_err());
    }

    #[test]
    fn positions_of_keys_and_values() {
        let d = doc("groups:\n  - name: g\n    rules: []\n");
        let groups = value_node(&d, "groups");
        let NodeKind::Sequence(items) = &groups.kind else {
            panic!()
        };
        assert_eq!((items[0].pos.line, items[0].pos.column), (2, 5));
        let name = value_node(&items[0], "name");
        assert_eq!((name.pos.line, name.pos.column), (2, 11));
    }

    #[test]
    fn offsets_inside_block_scalars() {
        let text = "expr: |\n  sum(rate(x[5m]))\n    / 2 +\n";
        let d = doc(text);
        let expr = value_node(&d, "expr");
        let NodeKind::Scalar { value, .. } = &expr.kind else {
            panic!()
        };
        assert_eq!(value, "sum(rate(x[5m]))\n  / 2 +\n");
        let at = value.find('/').unwrap();
        let off = expr.value_offset_in(text, at);
        assert_eq!(&text[off..off + 1], "/");
        let end = expr.value_offset_in(text, value.len() - 1);
        assert_eq!(&text[end..end + 1], "\n");
    }

    #[test]
    fn offsets_inside_folded_and_quoted_scalars() {
        let text = "a: >\n  foo\n  bar baz\nb: \"x\\\"y z\"\nc: 'it''s q'\n";
        let d = doc(text);
        let a = value_node(&d, "a");
        let off = a.value_offset_in(text, "foo bar b".len() - 1);
        assert_eq!(&text[off..off + 3], "baz");
        let b = value_node(&d, "b");
        let off = b.value_offset_in(text, 4);
        assert_eq!(&text[off..off + 1], "z");
        let c = value_node(&d, "c");
        let off = c.value_offset_in(text, 5);
        assert_eq!(&text[off..off + 1], "q");
    }

    #[test]
    fn non_ascii_positions_are_byte_offsets() {
        let text = "é: ü\nb: x\n";
        let d = doc(text);
        let b = value_node(&d, "b");
        assert_eq!(b.pos.offset, text.find('x').unwrap());
        assert_eq!((b.pos.line, b.pos.column), (2, 4));
    }

    #[test]
    fn aliases_expand_within_limits() {
        let text = "a: &x [1, 2]\nb: *x\n";
        let d = doc(text);
        assert_eq!(value_node(&d, "b").kind, value_node(&d, "a").kind);
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        let limits = YamlLimits {
            max_nodes: 5000,
            ..YamlLimits::default()
        };
        let err = parse_documents(bomb, &limits).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Limit);
    }

    #[test]
    fn merge_keys_fill_in_what_the_mapping_does_not_set() {
        let text = "base: &b {for: 5m, labels: {severity: page}}\nrule:\n  <<: *b\n  alert: A\n  for: 1m\n";
        let d = doc(text);
        let rule = value_node(&d, "rule");
        let NodeKind::Mapping(entries) = &rule.kind else {
            panic!()
        };
        let keys: Vec<_> = entries
            .iter()
            .map(|(k, v)| match (&k.kind, &v.kind) {
                (NodeKind::Scalar { value: k, .. }, NodeKind::Scalar { value: v, .. }) => {
                    format!("{k}={v}")
                }
                (NodeKind::Scalar { value: k, .. }, _) => k.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(keys, ["alert=A", "for=1m", "labels"]);
    }

    #[test]
    fn deep_nesting_fails_fast() {
        let text = format!("a: {}", "[".repeat(100_000));
        let err = parse_documents(&text, &YamlLimits::default()).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Limit);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse_documents(":\n:\n:::", &YamlLimits::default());
        if let Err(err) = err {
            assert!(err.pos.is_some(), "{err}");
        }
        let err = parse_documents("a: b\n  c: d\n", &YamlLimits::default()).unwrap_err();
        assert_eq!(err.pos.unwrap().line, 2, "{err}");
    }
}
