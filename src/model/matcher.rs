//! Label matchers: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.

use std::fmt;
use std::sync::Arc;

/// The operator of a label matcher.
///
/// ```
/// use promgate::MatchOp;
/// assert_eq!(MatchOp::RegexMatch.to_string(), "=~");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    RegexMatch,
    /// `!~`
    RegexNoMatch,
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::RegexMatch => "=~",
            MatchOp::RegexNoMatch => "!~",
        })
    }
}

/// Which regex dialect a matcher compiles to.
///
/// Prometheus 3 compiles matcher regexes as `^(?s:re)$` (`.` matches newlines); Prometheus 2
/// used `^(?:re)$`.
///
/// ```
/// use promgate::{MatchOp, Matcher, RegexDialect};
/// let m3 = Matcher::new(MatchOp::RegexMatch, "a", "x.y").unwrap();
/// let m2 = Matcher::with_dialect(MatchOp::RegexMatch, "a", "x.y", RegexDialect::Prometheus2).unwrap();
/// assert!(m3.matches("x\ny"));
/// assert!(!m2.matches("x\ny"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RegexDialect {
    /// `^(?s:re)$`, the default.
    #[default]
    Prometheus3,
    /// `^(?:re)$`.
    Prometheus2,
}

/// A label matcher. Equality compares the operator, name and value (not the compiled regex).
///
/// A matcher tests the value of its label, and a missing label has the value `""`, so
/// `{a=""}` matches series without `a` and `{a=~".*"}` matches every series.
///
/// ```
/// use promgate::{MatchOp, Matcher};
/// let m = Matcher::new(MatchOp::RegexMatch, "code", "5..").unwrap();
/// assert!(m.matches("503"));
/// assert!(!m.matches("1503"), "regexes are fully anchored");
/// assert_eq!(m.to_string(), r#"code=~"5..""#);
/// ```
#[derive(Clone)]
pub struct Matcher {
    /// The label name.
    pub name: String,
    /// The operator.
    pub op: MatchOp,
    /// The value or regex source text.
    pub value: String,
    regex: Option<Arc<regex::Regex>>,
    dialect: RegexDialect,
}

impl Matcher {
    /// A matcher with Prometheus 3's regex dialect. Fails when a regex does not compile.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher};
    /// assert!(Matcher::new(MatchOp::RegexMatch, "a", "(").is_err());
    /// assert!(Matcher::new(MatchOp::Equal, "a", "(").is_ok());
    /// ```
    pub fn new(
        op: MatchOp,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Matcher, regex::Error> {
        Matcher::with_dialect(op, name, value, RegexDialect::Prometheus3)
    }

    /// A matcher with an explicit regex dialect.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher, RegexDialect};
    /// let m = Matcher::with_dialect(MatchOp::RegexNoMatch, "a", "b|c", RegexDialect::Prometheus2).unwrap();
    /// assert!(m.matches("d"));
    /// ```
    pub fn with_dialect(
        op: MatchOp,
        name: impl Into<String>,
        value: impl Into<String>,
        dialect: RegexDialect,
    ) -> Result<Matcher, regex::Error> {
        let value = value.into();
        let regex = match op {
            MatchOp::RegexMatch | MatchOp::RegexNoMatch => Some(compile_cached(&value, dialect)?),
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Matcher {
            name: name.into(),
            op,
            value,
            regex,
            dialect,
        })
    }

    /// An equality matcher (never fails).
    ///
    /// ```
    /// # use promgate::Matcher;
    /// assert!(Matcher::equal("job", "api").matches("api"));
    /// ```
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Matcher {
        Matcher {
            name: name.into(),
            op: MatchOp::Equal,
            value: value.into(),
            regex: None,
            dialect: RegexDialect::Prometheus3,
        }
    }

    /// Whether `value` (the label's value, `""` when absent) satisfies the matcher.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher};
    /// let m = Matcher::new(MatchOp::NotEqual, "a", "x").unwrap();
    /// assert!(m.matches(""));
    /// ```
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Equal => self.value == value,
            MatchOp::NotEqual => self.value != value,
            MatchOp::RegexMatch => self.regex.as_ref().is_some_and(|r| r.is_match(value)),
            MatchOp::RegexNoMatch => !self.regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }

    /// The regex dialect the matcher was compiled in.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher, RegexDialect};
    /// assert_eq!(Matcher::equal("a", "b").dialect(), RegexDialect::Prometheus3);
    /// ```
    pub fn dialect(&self) -> RegexDialect {
        self.dialect
    }

    /// Whether the matcher matches the empty string, i.e. also selects series that lack the
    /// label. Prometheus requires every selector to have at least one matcher that does not.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher};
    /// assert!(Matcher::new(MatchOp::RegexMatch, "a", ".*").unwrap().matches_empty());
    /// assert!(!Matcher::equal("a", "x").matches_empty());
    /// ```
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// The same matcher recompiled in another regex dialect.
    ///
    /// ```
    /// # use promgate::{MatchOp, Matcher, RegexDialect};
    /// let m = Matcher::new(MatchOp::RegexMatch, "a", "x.").unwrap();
    /// assert!(!m.in_dialect(RegexDialect::Prometheus2).unwrap().matches("x\n"));
    /// ```
    pub fn in_dialect(&self, dialect: RegexDialect) -> Result<Matcher, regex::Error> {
        Matcher::with_dialect(self.op, self.name.clone(), self.value.clone(), dialect)
    }
}

/// The most regexes [`compile_cached`] keeps; past this the cache starts over.
const REGEX_CACHE_CAPACITY: usize = 4096;

/// Compiles a matcher regex, reusing an earlier compilation of the same pattern. Rule files
/// repeat the same matchers (`code=~"5.."`) many times, and compiling a regex costs far more
/// than parsing the rest of an expression; Prometheus keeps a similar cache of its regex
/// matchers.
fn compile_cached(pattern: &str, dialect: RegexDialect) -> Result<Arc<regex::Regex>, regex::Error> {
    type Cache = std::collections::HashMap<(String, RegexDialect), Arc<regex::Regex>>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<Cache>> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (pattern.to_string(), dialect);
    if let Ok(guard) = cache.lock() {
        if let Some(found) = guard.get(&key) {
            return Ok(found.clone());
        }
    }
    let compiled = Arc::new(compile_matcher_regex(pattern, dialect)?);
    if let Ok(mut guard) = cache.lock() {
        if guard.len() >= REGEX_CACHE_CAPACITY {
            guard.clear();
        }
        guard.insert(key, compiled.clone());
    }
    Ok(compiled)
}

/// Compiles a matcher's `pattern` (Go syntax) fully anchored. Prometheus 3 parses the pattern
/// alone first, so its errors quote the pattern (`(`); 2.42 compiles the anchored text at
/// once, so its whole-pattern errors quote that (`^(?:()$`), as [`compile_anchored`] does.
fn compile_matcher_regex(
    pattern: &str,
    dialect: RegexDialect,
) -> Result<regex::Regex, regex::Error> {
    use crate::syntax::go_regexp::{GoVersion, translate};
    if dialect == RegexDialect::Prometheus3 {
        translate(pattern, GoVersion::Go122).map_err(|e| regex::Error::Syntax(e.to_string()))?;
    }
    compile_anchored(pattern, dialect)
}

/// Compiles `pattern` (Go syntax) fully anchored, as Prometheus does for `label_replace` (and
/// 2.42 for matchers). A pattern Go rejects is a [`regex::Error::Syntax`] holding Go's message
/// (`error parsing regexp: <code>: `<expr>``).
pub(crate) fn compile_anchored(
    pattern: &str,
    dialect: RegexDialect,
) -> Result<regex::Regex, regex::Error> {
    use crate::syntax::go_regexp::{GoVersion, translate};
    let version = match dialect {
        RegexDialect::Prometheus3 => GoVersion::Go122,
        RegexDialect::Prometheus2 => GoVersion::Go119,
    };
    // Prometheus compiles the anchored text, so Go's errors quote it (`^(?:()$`).
    let source = match dialect {
        RegexDialect::Prometheus3 => format!("^(?s:{pattern})$"),
        RegexDialect::Prometheus2 => format!("^(?:{pattern})$"),
    };
    let translated =
        translate(&source, version).map_err(|e| regex::Error::Syntax(e.to_string()))?;
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 24)
        .dfa_size_limit(1 << 24)
        .build()
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Matcher) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl std::hash::Hash for Matcher {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.op.hash(state);
        self.value.hash(state);
    }
}

impl fmt::Display for Matcher {
    /// `name="value"`, quoting the name when it is not a legacy label name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::syntax::lex::is_legacy_label_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            f.write_str(&crate::syntax::lex::quote(&self.name))?;
        }
        write!(f, "{}{}", self.op, crate::syntax::lex::quote(&self.value))
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
