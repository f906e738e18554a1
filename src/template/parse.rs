//! The parser: Go's `text/template/parse/parse.go`, one method per grammar rule, producing the
//! tree of [`node`](super::node) types with byte positions.

use std::collections::HashMap;

use super::funcs::Func;
use super::lex::{Item, ItemType, lex};
use super::node::{Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall};
use super::{TemplateDialect, TemplateError};

use super::MAX_PARSE_DEPTH;

/// All templates of one parse: the main one and the `define`/`block` ones, by name.
#[derive(Clone)]
pub(crate) struct TreeSet {
    pub(crate) trees: HashMap<String, List>,
}

/// Parses `text` as template `name`; `lookup` resolves function names (with the dialect's map).
pub(crate) fn parse(
    name: &str,
    text: &str,
    dialect: TemplateDialect,
) -> Result<TreeSet, TemplateError> {
    let lookup = &|f: &str| Func::lookup(f, dialect);
    let mut parser = Parser {
        // `{{else with}}` came with Go 1.23; promtool 2.42 was built with Go 1.19.
        else_with: dialect == TemplateDialect::Prometheus3,
        name,
        items: lex(text),
        cursor: 0,
        furthest: 0,
        vars: vec!["$".to_string()],
        lookup,
        range_depth: 0,
        depth: 0,
        action_line: 0,
        trees: HashMap::new(),
    };
    let root = parser.parse_root()?;
    parser.add(name.to_string(), root)?;
    Ok(TreeSet {
        trees: parser.trees,
    })
}

struct Parser<'a> {
    else_with: bool,
    name: &'a str,
    items: Vec<Item>,
    cursor: usize,
    /// The index of the furthest item read; Go reports errors at that item's line.
    furthest: usize,
    vars: Vec<String>,
    lookup: &'a dyn Fn(&str) -> Option<Func>,
    range_depth: usize,
    depth: usize,
    action_line: usize,
    trees: HashMap<String, List>,
}

/// What `textOrAction` returns: a node, or the `{{end}}` / `{{else}}` that ends a list.
enum Parsed {
    Node(Node),
    End,
    Else,
}

type PResult<T> = Result<T, TemplateError>;

impl Parser<'_> {
    fn item(&self, index: usize) -> &Item {
        &self.items[index.min(self.items.len() - 1)]
    }

    fn next(&mut self) -> Item {
        let item = self.item(self.cursor).clone();
        self.furthest = self.furthest.max(self.cursor);
        if self.cursor < self.items.len() - 1 || item.typ != ItemType::Eof {
            self.cursor += 1;
        }
        item
    }

    fn backup(&mut self) {
        self.cursor -= 1;
    }

    fn peek(&mut self) -> Item {
        let item = self.next();
        self.backup();
        item
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.typ != ItemType::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let item = self.next_non_space();
        self.backup();
        item
    }

    fn errorf(&self, message: String) -> TemplateError {
        let line = self.item(self.furthest).line;
        TemplateError::parse(
            format!("template: {}:{}: {}", self.name, line, message),
            line,
        )
    }

    fn unexpected(&self, token: &Item, context: &str) -> TemplateError {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item> {
        let token = self.next_non_space();
        if token.typ != expected {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn add(&mut self, name: String, list: List) -> PResult<()> {
        match self.trees.get(&name) {
            Some(existing) if !existing.is_empty_tree() => {
                if !list.is_empty_tree() {
                    return Err(self.errorf(format!(
                        "template: multiple definition of template {}",
                        super::lex::go_quote(&name)
                    )));
                }
            }
            _ => {
                self.trees.insert(name, list);
            }
        }
        Ok(())
    }

    /// Go's `parse`: the top level, which also accepts `{{define}}`.
    fn parse_root(&mut self) -> PResult<List> {
        let mut root = List { nodes: Vec::new() };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim_index = self.cursor;
                self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.cursor = delim_index;
            }
            match self.text_or_action()? {
                Parsed::Node(node) => root.nodes.push(node),
                Parsed::End => return Err(self.errorf("unexpected {{end}}".to_string())),
                Parsed::Else => return Err(self.errorf("unexpected {{else}}".to_string())),
            }
        }
        if self.item(self.cursor).typ == ItemType::Error {
            let token = self.next();
            return Err(self.unexpected(&token, "input"));
        }
        Ok(root)
    }

    /// `{{define "name"}} itemList {{end}}`; the `define` keyword is past.
    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let token = self.next_non_space();
        if !matches!(token.typ, ItemType::String | ItemType::RawString) {
            return Err(self.unexpected(&token, CONTEXT));
        }
        let name = self.unquote(&token.val)?;
        self.expect(ItemType::RightDelim, CONTEXT)?;
        // A definition has its own variable scope.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let Parsed::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        self.add(name, list)
    }

    /// `textOrAction*`, up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> PResult<(List, Parsed)> {
        let mut list = List { nodes: Vec::new() };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(node) => list.nodes.push(node),
                end => return Ok((list, end)),
            }
        }
        Err(self.errorf("unexpected EOF".to_string()))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                pos: token.pos,
                text: token.val,
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let result = self.action();
                self.action_line = 0;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let keyword = if token.typ == ItemType::Break {
                    "break"
                } else {
                    "continue"
                };
                let next = self.next_non_space();
                if next.typ != ItemType::RightDelim {
                    return Err(self.unexpected(&next, &format!("{{{{{keyword}}}}}")));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{{{{{keyword}}}}} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(if token.typ == ItemType::Break {
                    Node::Break { pos: token.pos }
                } else {
                    Node::Continue { pos: token.pos }
                }));
            }
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.branch_control("if").map(Parsed::Node),
            ItemType::Range => return self.branch_control("range").map(Parsed::Node),
            ItemType::With => return self.branch_control("with").map(Parsed::Node),
            ItemType::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        // Variables declared here persist until the enclosing `end`.
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action { pos, pipe }))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With && self.else_with {
            return Ok(Parsed::Else);
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else)
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_PARSE_DEPTH {
            return Err(self.errorf("max expression depth exceeded".to_string()));
        }
        self.depth += 1;
        Ok(())
    }

    /// `{{if|range|with pipeline}} itemList [{{else}} itemList] {{end}}`, with `else if` and
    /// `else with` chains.
    fn branch_control(&mut self, context: &'static str) -> PResult<Node> {
        self.enter()?;
        let vars_len = self.vars.len();
        let result = self.branch_body(context);
        self.vars.truncate(vars_len);
        self.depth -= 1;
        let (pipe, list, else_list) = result?;
        let branch = Box::new(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        });
        Ok(match context {
            "if" => Node::If(branch),
            "range" => Node::Range(branch),
            _ => Node::With(branch),
        })
    }

    fn branch_body(&mut self, context: &'static str) -> PResult<(Pipe, List, Option<List>)> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = listed?;
        let else_list = match next {
            // `item_list` returns nodes in the list, never as the terminator.
            Parsed::End | Parsed::Node(_) => None,
            Parsed::Else => {
                let chained = match self.peek().typ {
                    ItemType::If if context == "if" => Some("if"),
                    ItemType::With if context == "with" => Some("with"),
                    _ => None,
                };
                match chained {
                    Some(keyword) => {
                        self.next();
                        let node = self.branch_control(keyword)?;
                        Some(List { nodes: vec![node] })
                    }
                    None => {
                        let (else_list, next) = self.item_list()?;
                        if let Parsed::Else = next {
                            return Err(self.errorf("expected end; found {{else}}".to_string()));
                        }
                        Some(else_list)
                    }
                }
            }
        };
        Ok((pipe, list, else_list))
    }

    /// `{{block "name" pipeline}} itemList {{end}}`: defines the template and calls it.
    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        let (list, end) = listed?;
        if let Parsed::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    /// `{{template "name" [pipeline]}}`.
    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, ItemType::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe,
        })))
    }

    fn template_name(&mut self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => self.unquote(&token.val),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn unquote(&self, quoted: &str) -> PResult<String> {
        unquote(quoted).ok_or_else(|| self.errorf("invalid syntax".to_string()))
    }

    /// `declarations? command ('|' command)*`.
    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            let variable_index = {
                self.next_non_space();
                self.cursor - 1
            };
            let next = self.peek_non_space();
            match next.typ {
                ItemType::Assign | ItemType::Declare => {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    pipe.decl.push(variable_parts(&v));
                    self.vars.push(v.val.clone());
                    break;
                }
                ItemType::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(variable_parts(&v));
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue;
                            }
                            _ => {
                                return Err(
                                    self.errorf("range can only initialize variables".to_string())
                                );
                            }
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ => {
                    self.cursor = variable_index;
                    break;
                }
            }
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let command = self.command()?;
                    pipe.cmds.push(command);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, command) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                command.args[0],
                Arg::Bool { .. }
                    | Arg::Dot { .. }
                    | Arg::Nil { .. }
                    | Arg::Number(..)
                    | Arg::String { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    /// `operand (space operand)*`, up to `|`, `)` or the right delimiter.
    fn command(&mut self) -> PResult<Command> {
        let mut command = Command {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                command.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if command.args.is_empty() {
            return Err(self.errorf("empty command".to_string()));
        }
        Ok(command)
    }

    /// `term .Field*`.
    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == ItemType::Field {
            let field = self.next();
            fields.push(field.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number(..)
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    super::lex::go_quote(&node.to_string())
                )));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.typ {
            ItemType::Identifier => match (self.lookup)(&token.val) {
                Some(func) => Arg::Identifier {
                    pos,
                    name: token.val,
                    func,
                },
                None => {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        super::lex::go_quote(&token.val)
                    )));
                }
            },
            ItemType::Dot => Arg::Dot { pos },
            ItemType::Nil => Arg::Nil { pos },
            ItemType::Variable => {
                let parts = variable_parts(&token);
                if !self.vars.iter().any(|v| *v == parts[0]) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        super::lex::go_quote(&parts[0])
                    )));
                }
                Arg::Variable { pos, idents: parts }
            }
            ItemType::Field => Arg::Field {
                pos,
                idents: token.val[1..].split('.').map(str::to_string).collect(),
            },
            ItemType::Bool => Arg::Bool {
                pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let number =
                    Number::parse(&token.val, token.typ).map_err(|message| self.errorf(message))?;
                Arg::Number(pos, Box::new(number))
            }
            ItemType::LeftParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", ItemType::RightParen);
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe?))
            }
            ItemType::String | ItemType::RawString => {
                let text = self.unquote(&token.val)?;
                Arg::String {
                    pos,
                    quoted: token.val,
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// `$x.a.b` → `["$x", "a", "b"]`.
fn variable_parts(token: &Item) -> Vec<String> {
    token.val.split('.').map(str::to_string).collect()
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` strings and `'c'` characters.
pub(crate) fn unquote(quoted: &str) -> Option<String> {
    let bytes = quoted.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let quote = bytes[0];
    if bytes[bytes.len() - 1] != quote {
        return None;
    }
    let inner = &quoted[1..quoted.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return None;
            }
            Some(inner.replace('\r', ""))
        }
        b'"' | b'\'' => {
            let mut out = String::new();
            let mut rest = inner;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, quote as char)?;
                out.push_str(&c);
                rest = tail;
            }
            if quote == b'\'' && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character and the rest. Returns the
/// character as a string because `\xNN` may produce a byte that is not UTF-8 on its own; we
/// map such bytes to the replacement character.
pub(crate) fn unquote_char(s: &str, quote: char) -> Option<(String, &str)> {
    let c = s.chars().next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c == '\n' {
        return None;
    }
    if c != '\\' {
        return Some((c.to_string(), &s[c.len_utf8()..]));
    }
    let rest = &s[1..];
    let e = rest.chars().next()?;
    let after = &rest[e.len_utf8()..];
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return None;
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c.to_string(), after));
    }
    let (len, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (3, 8),
        _ => return None,
    };
    let digits_src = if radix == 8 { rest } else { after };
    if digits_src.len() < len || !digits_src.is_char_boundary(len) {
        return None;
    }
    let digits = &digits_src[..len];
    let value = u32::from_str_radix(digits, radix).ok()?;
    let tail = &digits_src[len..];
    match e {
        'x' => Some((
            char::from_u32(value)
                .filter(|_| value < 0x80)
                .unwrap_or('\u{fffd}')
                .to_string(),
            tail,
        )),
        '0'..='7' => {
            if value > 255 {
                return None;
            }
            Some((
                char::from_u32(value)
                    .filter(|_| value < 0x80)
                    .unwrap_or('\u{fffd}')
                    .to_string(),
                tail,
            ))
        }
        _ => char::from_u32(value).map(|c| (c.to_string(), tail)),
    }
}
