//! The executor: Go's `text/template/exec.go` over [`Value`]s, with `missingkey=zero`.
//!
//! Like Go's, it tracks the node being evaluated (`at`) so an error names it and its position.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::builtins::{
    builtin_eq, builtin_index, builtin_len, builtin_lt, builtin_slice, eval_args, map_chars,
};
use super::funcs::{self, Func, Param};
use super::gofmt;
use super::lex::go_quote;
use super::node::{Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall};
use super::parse::TreeSet;
use super::value::{Sample, Value};
use super::{TemplateDialect, TemplateError, TemplateHost};

use super::{MAX_EXEC_NESTING, MAX_EXEC_STEPS, MAX_OUTPUT_BYTES, MAX_TEMPLATE_DEPTH};

/// The node being evaluated, for error positions and contexts.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Arg(&'t Arg),
    Command(&'t Command),
    Pipe(&'t Pipe),
    Node(&'t Node),
    Range(&'t Branch),
    Template(&'t TemplateCall),
}

/// Why evaluation stopped early.
pub(crate) enum Flow {
    Error(TemplateError),
    Break,
    Continue,
}

type R<T> = Result<T, Flow>;

pub(crate) struct Exec<'t, 'a> {
    set: &'t TreeSet,
    text: &'t str,
    parse_name: &'t str,
    tmpl_name: &'t str,
    out: String,
    vars: Vec<(&'t str, Value<'a>)>,
    depth: usize,
    nesting: usize,
    /// Bytes of strings function calls have produced, bounded to keep memory bounded.
    produced: usize,
    steps: u64,
    at: At<'t>,
    host: &'a dyn TemplateHost,
    dialect: TemplateDialect,
}

/// Executes the template named `name` of `set` on `data`; Err holds Go's error text.
pub(crate) fn execute<'t, 'a>(
    set: &'t TreeSet,
    text: &'t str,
    name: &'t str,
    data: Value<'a>,
    host: &'a dyn TemplateHost,
    dialect: TemplateDialect,
) -> Result<String, TemplateError> {
    let mut exec = Exec {
        set,
        text,
        parse_name: name,
        tmpl_name: name,
        out: String::new(),
        vars: vec![("$", data.clone())],
        depth: 0,
        nesting: 0,
        produced: 0,
        steps: 0,
        at: At::None,
        host,
        dialect,
    };
    let Some(root) = set.trees.get(name) else {
        return Err(TemplateError::exec(
            format!(
                "template: {name}: {} is an incomplete or empty template",
                go_quote(name)
            ),
            None,
        ));
    };
    match exec.walk_list(&data, root) {
        Ok(()) => Ok(exec.out),
        Err(Flow::Error(error)) => Err(error),
        // The parser only accepts break and continue inside range.
        Err(Flow::Break | Flow::Continue) => Ok(exec.out),
    }
}

impl<'t, 'a> Exec<'t, 'a> {
    /// The Go that built the Prometheus whose regexp syntax the template functions follow.
    fn go_version(&self) -> crate::syntax::go_regexp::GoVersion {
        match self.dialect {
            TemplateDialect::Prometheus2 => crate::syntax::go_regexp::GoVersion::Go119,
            TemplateDialect::Prometheus3 => crate::syntax::go_regexp::GoVersion::Go122,
        }
    }

    fn at_pos_and_context(&self) -> Option<(usize, String)> {
        match self.at {
            At::None => None,
            At::Arg(arg) => Some((arg.pos(), arg.to_string())),
            At::Command(command) => Some((command.pos, command.to_string())),
            At::Pipe(pipe) => Some((pipe.pos, pipe.to_string())),
            At::Node(node) => Some((node_pos(node), node.to_string())),
            At::Range(branch) => Some((
                branch.pos,
                Node::Range(Box::new(branch.clone())).to_string(),
            )),
            At::Template(call) => {
                Some((call.pos, Node::Template(Box::new(call.clone())).to_string()))
            }
        }
    }

    /// Go's `state.errorf`.
    fn errorf(&self, message: impl std::fmt::Display) -> Flow {
        let Some((pos, context)) = self.at_pos_and_context() else {
            return Flow::Error(TemplateError::exec(
                format!("template: {}: {message}", self.tmpl_name),
                None,
            ));
        };
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(newline) => pos - (newline + 1),
            None => pos,
        };
        Flow::Error(TemplateError::exec(
            format!(
                "template: {}:{line}:{col}: executing {} at <{context}>: {message}",
                self.parse_name,
                go_quote(self.tmpl_name)
            ),
            Some((line, col)),
        ))
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_EXEC_STEPS {
            return Err(self.errorf(format_args!(
                "exceeded maximum number of execution steps ({MAX_EXEC_STEPS})"
            )));
        }
        Ok(())
    }

    /// Runs `f` one nesting level deeper (a block, a template call or a pipeline), so the
    /// native stack stays bounded.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.nesting >= MAX_EXEC_NESTING {
            return Err(self.errorf(format_args!(
                "exceeded maximum nesting depth ({MAX_EXEC_NESTING})"
            )));
        }
        self.nesting += 1;
        let result = f(self);
        self.nesting -= 1;
        result
    }

    fn write(&mut self, text: &str) -> R<()> {
        if self.out.len() + text.len() > MAX_OUTPUT_BYTES {
            return Err(self.errorf(format_args!(
                "output exceeds the maximum size ({MAX_OUTPUT_BYTES} bytes)"
            )));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value<'a>, list: &'t List) -> R<()> {
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Value<'a>, node: &'t Node) -> R<()> {
        self.step()?;
        match node {
            Node::Text { text, .. } => self.write(text),
            Node::Action { pipe, .. } => {
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at = At::Node(node);
                    let before = self.out.len();
                    value.write_go(&mut self.out);
                    if self.out.len() > MAX_OUTPUT_BYTES {
                        self.out.truncate(before);
                        return Err(self.errorf(format_args!(
                            "output exceeds the maximum size ({MAX_OUTPUT_BYTES} bytes)"
                        )));
                    }
                }
                Ok(())
            }
            Node::If(branch) => self.nested(|this| this.walk_if_or_with(false, dot, branch)),
            Node::With(branch) => self.nested(|this| this.walk_if_or_with(true, dot, branch)),
            Node::Range(branch) => self.nested(|this| this.walk_range(dot, branch)),
            Node::Template(call) => self.nested(|this| this.walk_template(dot, call)),
            Node::Break { .. } => Err(Flow::Break),
            Node::Continue { .. } => Err(Flow::Continue),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Value<'a>, branch: &'t Branch) -> R<()> {
        let mark = self.vars.len();
        let result = (|| {
            let value = self.eval_pipeline(dot, &branch.pipe)?;
            if value.truth() {
                if with {
                    self.walk_list(&value, &branch.list)
                } else {
                    self.walk_list(dot, &branch.list)
                }
            } else if let Some(else_list) = &branch.else_list {
                self.walk_list(dot, else_list)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Value<'a>, branch: &'t Branch) -> R<()> {
        self.at = At::Range(branch);
        let outer_mark = self.vars.len();
        let result = self.walk_range_inner(dot, branch);
        self.vars.truncate(outer_mark);
        result
    }

    fn walk_range_inner(&mut self, dot: &Value<'a>, branch: &'t Branch) -> R<()> {
        let value = self.eval_pipeline(dot, &branch.pipe)?;
        let items: Vec<(Value<'a>, Value<'a>)> = match &value {
            Value::Samples(samples) => samples
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), Value::Sample(s.clone())))
                .collect(),
            Value::Labels(labels) => labels
                .iter()
                .map(|l| (Value::str(l.name()), Value::str(l.value())))
                .collect(),
            Value::StrMap(map) => map
                .iter()
                .map(|(k, v)| (Value::str(k), Value::str(v)))
                .collect(),
            Value::AnyMap(map) => map
                .iter()
                .map(|(k, v)| (Value::str(k), v.clone()))
                .collect(),
            Value::Missing | Value::Nil => Vec::new(),
            // Go 1.22 (Prometheus 3.x) ranges over an integer n as 0..n.
            Value::Int(n) if self.dialect == TemplateDialect::Prometheus3 => {
                if branch.pipe.decl.len() > 1 {
                    return Err(self.errorf(format_args!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                return self.range_over_int(dot, branch, *n);
            }
            other => {
                return Err(self.errorf(format_args!(
                    "range can't iterate over {}",
                    other.to_go_string()
                )));
            }
        };
        if items.is_empty() {
            if let Some(else_list) = &branch.else_list {
                return self.walk_list(dot, else_list);
            }
            return Ok(());
        }
        let mark = self.vars.len();
        let decl = &branch.pipe.decl;
        for (index, element) in items {
            if !decl.is_empty() {
                if branch.pipe.is_assign {
                    if decl.len() > 1 {
                        self.set_var(&decl[0][0], index.clone())?;
                    } else {
                        self.set_var(&decl[0][0], element.clone())?;
                    }
                } else {
                    self.set_top_var(1, element.clone());
                }
            }
            if decl.len() > 1 {
                if branch.pipe.is_assign {
                    self.set_var(&decl[1][0], element.clone())?;
                } else {
                    self.set_top_var(2, index);
                }
            }
            let result = self.walk_list(&element, &branch.list);
            self.vars.truncate(mark);
            match result {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// `{{range n}}`, without materializing the numbers (the step limit bounds the loop).
    fn range_over_int(&mut self, dot: &Value<'a>, branch: &'t Branch, n: i64) -> R<()> {
        if n <= 0 {
            if let Some(else_list) = &branch.else_list {
                return self.walk_list(dot, else_list);
            }
            return Ok(());
        }
        let mark = self.vars.len();
        for i in 0..n {
            let element = Value::Int(i);
            if let Some(variable) = branch.pipe.decl.first() {
                if branch.pipe.is_assign {
                    self.set_var(&variable[0], element.clone())?;
                } else {
                    self.set_top_var(1, element.clone());
                }
            }
            let result = self.walk_list(&element, &branch.list);
            self.vars.truncate(mark);
            match result {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(error) => return Err(error),
            }
            self.step()?;
        }
        Ok(())
    }

    fn walk_template(&mut self, dot: &Value<'a>, call: &'t TemplateCall) -> R<()> {
        self.at = At::Template(call);
        let Some(list) = self.set.trees.get(&call.name) else {
            return Err(self.errorf(format_args!(
                "template {} not defined",
                go_quote(&call.name)
            )));
        };
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(self.errorf(format_args!(
                "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
            )));
        }
        let new_dot = match &call.pipe {
            Some(pipe) => self.eval_pipeline(dot, pipe)?,
            None => Value::Missing,
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let saved_name = std::mem::replace(&mut self.tmpl_name, &call.name);
        self.depth += 1;
        let result = self.walk_list(&new_dot, list);
        self.depth -= 1;
        self.tmpl_name = saved_name;
        self.vars = saved_vars;
        result
    }

    fn var_value(&self, name: &str) -> R<Value<'a>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, value)) => Ok(value.clone()),
            None => Err(self.errorf(format_args!("undefined variable: {name}"))),
        }
    }

    fn set_var(&mut self, name: &str, value: Value<'a>) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.errorf(format_args!("undefined variable: {name}"))),
        }
    }

    fn set_top_var(&mut self, n: usize, value: Value<'a>) {
        let len = self.vars.len();
        if let Some(slot) = self.vars.get_mut(len.wrapping_sub(n)) {
            slot.1 = value;
        }
    }

    fn eval_pipeline(&mut self, dot: &Value<'a>, pipe: &'t Pipe) -> R<Value<'a>> {
        self.nested(|this| this.eval_pipeline_inner(dot, pipe))
    }

    fn eval_pipeline_inner(&mut self, dot: &Value<'a>, pipe: &'t Pipe) -> R<Value<'a>> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value<'a>> = None;
        for command in &pipe.cmds {
            let mut next = self.eval_command(dot, command, value.take())?;
            // Go turns a nil interface into an invalid value between commands.
            if let Value::Nil = next {
                next = Value::Missing;
            }
            value = Some(next);
        }
        let value = value.unwrap_or(Value::Missing);
        for variable in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&variable[0], value.clone())?;
            } else {
                self.vars.push((&variable[0], value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'t [Arg], last: &Option<Value<'a>>) -> R<()> {
        if args.len() > 1 || last.is_some() {
            return Err(self.errorf(format_args!(
                "can't give argument to non-function {}",
                args[0]
            )));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Value<'a>,
        command: &'t Command,
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        self.step()?;
        let first = &command.args[0];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_node(dot, first, idents, &command.args, last);
            }
            Arg::Chain { .. } => return self.eval_chain_node(dot, first, &command.args, last),
            Arg::Identifier { name, func, .. } => {
                self.at = At::Arg(first);
                return self.eval_call(
                    dot,
                    *func,
                    At::Command(command),
                    name,
                    &command.args[1..],
                    last,
                );
            }
            Arg::Pipe(pipe) => {
                self.not_a_function(&command.args, &last)?;
                return self.eval_pipeline(dot, pipe);
            }
            Arg::Variable { idents, .. } => {
                return self.eval_variable_node(dot, first, idents, &command.args, last);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&command.args, &last)?;
        match first {
            Arg::Bool { value, .. } => Ok(Value::Bool(*value)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.errorf("nil is not a command")),
            Arg::Number(_, number) => self.ideal_constant(first, number),
            Arg::String { text, .. } => Ok(Value::str(text)),
            _ => Err(self.errorf(format_args!("can't evaluate command {first}"))),
        }
    }

    /// Go's `idealConstant`: a number literal as `int` or `float64`.
    fn ideal_constant(&mut self, arg: &'t Arg, number: &Number) -> R<Value<'a>> {
        self.at = At::Arg(arg);
        let text = &number.text;
        if let Some((real, imaginary)) = number.complex {
            return Ok(Value::Complex(real, imaginary));
        }
        let is_hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if let Some(f) = number.float
            && !is_hex_int
            && !is_rune
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(f));
        }
        if let Some(i) = number.int {
            return Ok(Value::Int(i));
        }
        if number.uint.is_some() {
            return Err(self.errorf(format_args!("{text} overflows int")));
        }
        Ok(Value::Missing)
    }

    fn eval_field_node(
        &mut self,
        dot: &Value<'a>,
        field: &'t Arg,
        idents: &'t [String],
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        self.at = At::Arg(field);
        self.eval_field_chain(dot, dot.clone(), idents, args, last)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Value<'a>,
        chain: &'t Arg,
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        self.at = At::Arg(chain);
        let Arg::Chain { node, fields, .. } = chain else {
            return Err(self.errorf("internal error: not a chain"));
        };
        if let Arg::Nil { .. } = node.as_ref() {
            return Err(self.errorf(format_args!("indirection through explicit nil in {chain}")));
        }
        let receiver = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, receiver, fields, args, last)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Value<'a>,
        variable: &'t Arg,
        idents: &'t [String],
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        self.at = At::Arg(variable);
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &last)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, &idents[1..], args, last)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value<'a>,
        mut receiver: Value<'a>,
        idents: &'t [String],
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        let n = idents.len();
        // A value read from a `map[string]interface {}` has the static type `interface {}`,
        // which is what Go names in errors.
        let mut from_interface = false;
        for ident in &idents[..n - 1] {
            let was_any_map = matches!(receiver, Value::AnyMap(_));
            receiver = self.eval_field(dot, ident, &[], None, receiver, from_interface)?;
            from_interface = was_any_map;
        }
        self.eval_field(dot, &idents[n - 1], args, last, receiver, from_interface)
    }

    fn eval_field(
        &mut self,
        dot: &Value<'a>,
        name: &str,
        args: &'t [Arg],
        last: Option<Value<'a>>,
        receiver: Value<'a>,
        from_interface: bool,
    ) -> R<Value<'a>> {
        if let Some(params) = super::methods::params(&receiver, name) {
            return self.eval_method(dot, receiver, name, params, args, last);
        }
        let has_args = args.len() > 1 || last.is_some();
        let struct_field = |value: Value<'a>, this: &Self| {
            if has_args {
                return Err(this.errorf(format_args!(
                    "{name} has arguments but cannot be invoked as function"
                )));
            }
            Ok(value)
        };
        let map_entry = |value: Value<'a>, this: &Self| {
            if has_args {
                return Err(this.errorf(format_args!("{name} is not a method but has arguments")));
            }
            Ok(value)
        };
        match &receiver {
            Value::Missing => return Ok(Value::Missing),
            Value::Nil => {
                return Err(
                    self.errorf(format_args!("nil pointer evaluating interface {{}}.{name}"))
                );
            }
            Value::Root(root) => match name {
                "Labels" => return struct_field(Value::Labels(root.labels.clone()), self),
                "ExternalLabels" => return struct_field(Value::StrMap(root.external_labels), self),
                "ExternalURL" => return struct_field(Value::str(root.external_url), self),
                "Value" => return struct_field(Value::Float(root.value), self),
                _ => {}
            },
            Value::Sample(sample) => match name {
                "Labels" => return struct_field(Value::Labels(sample.labels.clone()), self),
                "Value" => return struct_field(Value::Float(sample.value), self),
                _ => {}
            },
            Value::Labels(labels) => {
                return map_entry(Value::str(labels.get(name).unwrap_or("")), self);
            }
            Value::StrMap(map) => {
                return map_entry(
                    Value::str(map.get(name).map(String::as_str).unwrap_or("")),
                    self,
                );
            }
            Value::AnyMap(map) => {
                return map_entry(map.get(name).cloned().unwrap_or(Value::Nil), self);
            }
            _ => {}
        }
        let type_name = if from_interface {
            "interface {}"
        } else {
            receiver.type_name()
        };
        Err(self.errorf(format_args!(
            "can't evaluate field {name} in type {type_name}"
        )))
    }

    /// A method call on a `time.Time` or `time.Duration` (Go's `evalCall` for methods).
    fn eval_method(
        &mut self,
        dot: &Value<'a>,
        receiver: Value<'a>,
        name: &str,
        params: &'static [Param],
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        let node = self.at;
        let args = args.get(1..).unwrap_or(&[]);
        let num_in = args.len() + usize::from(last.is_some());
        if num_in != params.len() {
            return Err(self.errorf(format_args!(
                "wrong number of args for {name}: want {} got {num_in}",
                params.len()
            )));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (arg, typ) in args.iter().zip(params) {
            argv.push(self.eval_arg(dot, Some(*typ), arg)?);
        }
        if let Some(last) = last {
            argv.push(self.validate_type(last, Some(params[num_in - 1]))?);
        }
        self.at = node;
        super::methods::call(&receiver, name, &argv)
            .map_err(|message| self.errorf(format_args!("error calling {name}: {message}")))
    }

    /// Go's `evalArg`: one argument converted for a parameter of type `typ` (`None`: untyped).
    fn eval_arg(&mut self, dot: &Value<'a>, typ: Option<Param>, arg: &'t Arg) -> R<Value<'a>> {
        self.at = At::Arg(arg);
        let one = std::slice::from_ref(arg);
        match arg {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), typ),
            Arg::Nil { .. } => {
                return match typ {
                    Some(Param::String) => Err(self.errorf("cannot assign nil to string")),
                    Some(Param::Reflect) => Ok(Value::Missing),
                    _ => Ok(Value::Nil),
                };
            }
            Arg::Field { idents, .. } => {
                let value = self.eval_field_node(dot, arg, idents, one, None)?;
                return self.validate_type(value, typ);
            }
            Arg::Variable { idents, .. } => {
                let value = self.eval_variable_node(dot, arg, idents, one, None)?;
                return self.validate_type(value, typ);
            }
            Arg::Pipe(pipe) => {
                let value = self.eval_pipeline(dot, pipe)?;
                return self.validate_type(value, typ);
            }
            Arg::Identifier { name, func, .. } => {
                let value = self.eval_call(dot, *func, At::Arg(arg), name, &[], None)?;
                return self.validate_type(value, typ);
            }
            Arg::Chain { .. } => {
                let value = self.eval_chain_node(dot, arg, one, None)?;
                return self.validate_type(value, typ);
            }
            _ => {}
        }
        match typ {
            None | Some(Param::Any | Param::Reflect) => match arg {
                Arg::Bool { value, .. } => Ok(Value::Bool(*value)),
                Arg::Number(_, number) => self.ideal_constant(arg, number),
                Arg::String { text, .. } => Ok(Value::str(text)),
                _ => Err(self.errorf(format_args!("can't handle {arg}"))),
            },
            Some(Param::String) => match arg {
                Arg::String { text, .. } => Ok(Value::str(text)),
                _ => Err(self.errorf(format_args!("expected string; found {arg}"))),
            },
            Some(Param::Duration) => match arg {
                Arg::Number(_, number) if number.int.is_some() => {
                    Ok(Value::Duration(number.int.unwrap_or(0), false))
                }
                _ => Err(self.errorf(format_args!("expected integer; found {arg}"))),
            },
            Some(other) => Err(self.errorf(format_args!(
                "can't handle {arg} for arg of type {}",
                other.go_name()
            ))),
        }
    }

    /// Go's `validateType`.
    fn validate_type(&self, value: Value<'a>, typ: Option<Param>) -> R<Value<'a>> {
        let Some(typ) = typ else {
            return Ok(value);
        };
        if let Value::Missing = value {
            return match typ {
                Param::String => Err(self.errorf("invalid value; expected string")),
                Param::Reflect => Ok(Value::Missing),
                Param::QueryResult => Ok(Value::Samples(Rc::new(Vec::new()))),
                Param::Any | Param::Sample => Ok(Value::Nil),
                Param::Duration | Param::Time => {
                    Err(self.errorf(format_args!("invalid value; expected {}", typ.go_name())))
                }
            };
        }
        // A pointer is dereferenced for a value parameter.
        match (&value, typ) {
            (Value::Duration(nanos, _), Param::Duration) => {
                return Ok(Value::Duration(*nanos, false));
            }
            (Value::Time(nanos, _), Param::Time) => return Ok(Value::Time(*nanos, false)),
            _ => {}
        }
        let ok = match typ {
            Param::Any | Param::Reflect => true,
            Param::String => matches!(value, Value::Str(_)),
            Param::Sample => matches!(value, Value::Sample(_)),
            Param::QueryResult => matches!(value, Value::Samples(_)),
            Param::Duration | Param::Time => false,
        };
        if ok {
            return Ok(value);
        }
        let got = match value {
            Value::Nil => "interface {}",
            ref other => other.type_name(),
        };
        Err(self.errorf(format_args!(
            "wrong type for value; expected {}; got {got}",
            typ.go_name()
        )))
    }

    /// Go's `evalCall`: checks the argument count, converts the arguments and calls `func`.
    fn eval_call(
        &mut self,
        dot: &Value<'a>,
        func: Func,
        node: At<'t>,
        name: &str,
        args: &'t [Arg],
        last: Option<Value<'a>>,
    ) -> R<Value<'a>> {
        let (fixed, variadic) = func.signature();
        let num_in = args.len() + usize::from(last.is_some());
        if variadic.is_some() {
            if num_in < fixed.len() {
                return Err(self.errorf(format_args!(
                    "wrong number of args for {name}: want at least {} got {}",
                    fixed.len(),
                    args.len()
                )));
            }
        } else if num_in != fixed.len() {
            return Err(self.errorf(format_args!(
                "wrong number of args for {name}: want {} got {num_in}",
                fixed.len()
            )));
        }
        if matches!(func, Func::And | Func::Or) {
            let mut value = Value::Missing;
            for arg in args {
                value = self.eval_arg(dot, Some(Param::Reflect), arg)?;
                if value.truth() == (func == Func::Or) {
                    return Ok(value);
                }
            }
            if let Some(last) = last {
                value = self.validate_type(last, Some(Param::Reflect))?;
            }
            return Ok(value);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, arg) in args.iter().enumerate() {
            let typ = fixed.get(i).copied().or(variadic).unwrap_or(Param::Any);
            argv.push(self.eval_arg(dot, Some(typ), arg)?);
        }
        if let Some(last) = last {
            let typ = match variadic {
                Some(element) if num_in > fixed.len() => element,
                _ => fixed[num_in - 1],
            };
            argv.push(self.validate_type(last, Some(typ))?);
        }
        match self.call(func, argv).and_then(|value| self.account(value)) {
            Ok(value) => Ok(value),
            Err(message) => {
                self.at = node;
                Err(self.errorf(format_args!("error calling {name}: {message}")))
            }
        }
    }

    /// Runs a function on converted arguments; Err is the Go error's text.
    fn call(&mut self, func: Func, args: Vec<Value<'a>>) -> Result<Value<'a>, String> {
        let text = |i: usize| -> &str {
            match args.get(i) {
                Some(Value::Str(s)) => s,
                _ => "",
            }
        };
        let value = match func {
            Func::And | Func::Or => Value::Missing,
            Func::Not => Value::Bool(!args[0].truth()),
            Func::Len => Value::Int(builtin_len(&args[0])?),
            Func::Index => builtin_index(&args)?,
            Func::Slice => builtin_slice(&args)?,
            Func::Print => Value::Str(Rc::from(gofmt::sprint(&args))),
            Func::Println => Value::Str(Rc::from(gofmt::sprintln(&args))),
            Func::Printf => Value::Str(Rc::from(gofmt::sprintf(text(0), &args[1..]))),
            Func::Html => Value::Str(Rc::from(funcs::html_escape(&eval_args(&args)))),
            Func::Js => Value::Str(Rc::from(funcs::js_escape(&eval_args(&args)))),
            Func::Urlquery => Value::Str(Rc::from(funcs::query_escape(&eval_args(&args)))),
            Func::Eq => Value::Bool(builtin_eq(&args[0], &args[1..])?),
            Func::Ne => Value::Bool(!builtin_eq(&args[0], &args[1..])?),
            Func::Lt => Value::Bool(builtin_lt(&args[0], &args[1])?),
            Func::Le => {
                Value::Bool(builtin_lt(&args[0], &args[1])? || builtin_eq(&args[0], &args[1..])?)
            }
            Func::Gt => {
                Value::Bool(!(builtin_lt(&args[0], &args[1])? || builtin_eq(&args[0], &args[1..])?))
            }
            Func::Ge => Value::Bool(!builtin_lt(&args[0], &args[1])?),
            Func::Call => {
                return Err(match &args[0] {
                    Value::Missing | Value::Nil => "call of nil".to_string(),
                    other => format!("non-function of type {}", other.type_name()),
                });
            }
            Func::Query => {
                let samples = self.host.query(text(0))?;
                Value::Samples(Rc::new(
                    samples
                        .into_iter()
                        .map(|s| {
                            Rc::new(Sample {
                                labels: s.labels,
                                value: s.value,
                            })
                        })
                        .collect(),
                ))
            }
            Func::First => match &args[0] {
                Value::Samples(samples) if !samples.is_empty() => Value::Sample(samples[0].clone()),
                _ => return Err("first() called on vector with no elements".to_string()),
            },
            Func::Label => Value::str(sample_arg(&args[1])?.labels.get(text(0)).unwrap_or("")),
            Func::Value => Value::Float(sample_arg(&args[0])?.value),
            Func::StrValue => {
                Value::str(sample_arg(&args[0])?.labels.get("__value__").unwrap_or(""))
            }
            Func::SortByLabel => {
                let mut samples = match &args[1] {
                    Value::Samples(samples) => samples.as_ref().clone(),
                    _ => Vec::new(),
                };
                let label = text(0);
                samples.sort_by(|a, b| {
                    a.labels
                        .get(label)
                        .unwrap_or("")
                        .cmp(b.labels.get(label).unwrap_or(""))
                });
                Value::Samples(Rc::new(samples))
            }
            Func::Args => {
                let map: BTreeMap<String, Value<'a>> = args
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("arg{i}"), v))
                    .collect();
                Value::AnyMap(Rc::new(map))
            }
            Func::ReReplaceAll => {
                let pattern = text(0);
                let re = funcs::compile_regexp(pattern, self.go_version()).map_err(|err| {
                    format!("regexp: Compile({}): {err}", funcs::regexp_quote(pattern))
                })?;
                Value::str(&re.replace_all(text(2), text(1)))
            }
            Func::Match => {
                let pattern = text(0);
                let re = funcs::compile_regexp(pattern, self.go_version())?;
                Value::Bool(re.is_match(text(1)))
            }
            Func::SafeHtml => Value::Html(Rc::from(text(0))),
            Func::Title => Value::Str(Rc::from(match self.dialect {
                TemplateDialect::Prometheus2 => funcs::title_go(text(0)),
                TemplateDialect::Prometheus3 => funcs::title_unicode(text(0)),
            })),
            Func::ToUpper => Value::Str(Rc::from(map_chars(text(0), true))),
            Func::ToLower => Value::Str(Rc::from(map_chars(text(0), false))),
            Func::GraphLink => Value::Str(Rc::from(format!(
                "/graph?g0.expr={}&g0.tab=0",
                funcs::query_escape(text(0))
            ))),
            Func::TableLink => Value::Str(Rc::from(format!(
                "/graph?g0.expr={}&g0.tab=1",
                funcs::query_escape(text(0))
            ))),
            Func::StripPort => Value::Str(Rc::from(funcs::strip_port(text(0)))),
            Func::StripDomain => Value::Str(Rc::from(funcs::strip_domain(text(0)))),
            Func::Humanize => Value::Str(Rc::from(funcs::humanize(self.to_float(&args[0])?))),
            Func::Humanize1024 => {
                Value::Str(Rc::from(funcs::humanize1024(self.to_float(&args[0])?)))
            }
            Func::HumanizeDuration => {
                Value::Str(Rc::from(funcs::humanize_duration(self.to_float(&args[0])?)))
            }
            Func::HumanizePercentage => Value::Str(Rc::from(funcs::humanize_percentage(
                self.to_float(&args[0])?,
            ))),
            Func::HumanizeTimestamp => {
                let v = self.to_float(&args[0])?;
                match funcs::float_to_time(v) {
                    Ok(nanos) => Value::Str(Rc::from(super::value::format_go_time(nanos))),
                    Err(message) if message == funcs::NAN_OR_INF => {
                        Value::Str(Rc::from(funcs::g4(v)))
                    }
                    Err(message) => return Err(message),
                }
            }
            Func::ToTime => Value::Time(funcs::float_to_time(self.to_float(&args[0])?)?, true),
            Func::ParseDuration => {
                let input = text(0);
                let (negative, rest) = match input.strip_prefix('-') {
                    Some(rest) if self.dialect == TemplateDialect::Prometheus3 => (true, rest),
                    _ => (false, input),
                };
                let ms = crate::syntax::lex::parse_duration(rest).map_err(|err| match err {
                    crate::syntax::lex::DurationError::Invalid(_) => {
                        format!("not a valid duration string: {}", go_quote(input))
                    }
                    // prometheus/common before 0.60 (Prometheus 2.42) had no unknown-unit
                    // message.
                    crate::syntax::lex::DurationError::UnknownUnit { .. }
                        if self.dialect == TemplateDialect::Prometheus2 =>
                    {
                        format!("not a valid duration string: {}", go_quote(input))
                    }
                    crate::syntax::lex::DurationError::OutOfRange(_) => {
                        "duration out of range".to_string()
                    }
                    other => other.to_string(),
                })?;
                let seconds = ms.saturating_mul(1_000_000) as f64 / 1e9;
                Value::Float(if negative { -seconds } else { seconds })
            }
            Func::PathPrefix | Func::ExternalUrl => {
                return Err(
                    "runtime error: invalid memory address or nil pointer dereference".to_string(),
                );
            }
            Func::Now => Value::Float(self.host.now_ms() as f64 / 1000.0),
            Func::ToDuration => {
                let seconds = self.to_float(&args[0])?;
                Value::Duration(funcs::go_float_to_int64(seconds * 1e9), true)
            }
            Func::UrlQueryEscape => Value::Str(Rc::from(funcs::query_escape(text(0)))),
        };
        Ok(value)
    }

    /// Counts a function's string result against the memory budget: at most
    /// 16 × [`MAX_OUTPUT_BYTES`] per expansion, so variables cannot pile up huge strings.
    fn account(&mut self, value: Value<'a>) -> Result<Value<'a>, String> {
        if let Value::Str(s) | Value::Html(s) = &value {
            self.produced += s.len();
            if self.produced > 16 * MAX_OUTPUT_BYTES {
                return Err(format!(
                    "function results exceed the memory limit ({} bytes)",
                    16 * MAX_OUTPUT_BYTES
                ));
            }
        }
        Ok(value)
    }

    /// Prometheus's `convertToFloat`.
    fn to_float(&self, value: &Value<'a>) -> Result<f64, String> {
        match value {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Str(s) => funcs::parse_float_go(s),
            Value::Duration(nanos, false) if self.dialect == TemplateDialect::Prometheus3 => {
                Ok(*nanos as f64 / 1e9)
            }
            other => Err(format!("can't convert {} to float", other.type_name())),
        }
    }
}

fn node_pos(node: &Node) -> usize {
    match node {
        Node::Text { pos, .. }
        | Node::Action { pos, .. }
        | Node::Break { pos }
        | Node::Continue { pos } => *pos,
        Node::If(branch) | Node::Range(branch) | Node::With(branch) => branch.pos,
        Node::Template(call) => call.pos,
    }
}

fn sample_arg(value: &Value<'_>) -> Result<Rc<Sample>, String> {
    match value {
        Value::Sample(sample) => Ok(sample.clone()),
        _ => Err("runtime error: invalid memory address or nil pointer dereference".to_string()),
    }
}
