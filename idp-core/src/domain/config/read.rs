//! Reading `.idp/config.yml` into [`RawConfig`] with the position of every key.
//!
//! Long because one reader walks every key of the file, with the scalar, map and section
//! readers the team files share.
//!
//! serde-saphyr parses the text into a tree of [`Spanned`] nodes, so every key and value knows
//! its line and column. Walking that tree instead of deriving `Deserialize` lets one pass report
//! *every* unknown key (with a did-you-mean) and every mistyped value, and lets `environment`
//! values keep the exact text the user wrote (`PORT: 8080` is `"8080"`, `DEBUG: no` is `"no"`,
//! `RATIO: 1.50` is `"1.50"`), since YAML 1.1 booleans are off and numbers are read back from
//! the source span.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::error::{ConfigError, ConfigErrors};
use super::schema::{KEYS, LOCAL_KEYS, RawConfig, RawLocal};

/// A YAML node with the position of every key and value, built by serde-saphyr.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::domain) enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(i128::try_from(v).map_or(Node::Float(v as f64), Node::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
                Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}

impl Node {
    /// What the node is, as a message says it: `a string`, `a list`.
    pub(in crate::domain) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "nothing",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "a number",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

/// A 1-based line and column in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::domain) struct Pos {
    pub(in crate::domain) line: usize,
    pub(in crate::domain) column: usize,
}

impl Pos {
    /// The start of the file, for problems that no key in the file can point at.
    pub(in crate::domain) const START: Pos = Pos { line: 1, column: 1 };

    /// The position of a serde-saphyr location.
    pub(in crate::domain) fn of(loc: &Location) -> Self {
        let clamp = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).max(1);
        Self {
            line: clamp(loc.line()),
            column: clamp(loc.column()),
        }
    }
}

/// Builds [`ConfigError`]s for one file.
#[derive(Debug)]
pub(in crate::domain) struct Report<'a> {
    pub(in crate::domain) file: &'a str,
    pub(in crate::domain) errors: Vec<ConfigError>,
}

impl<'a> Report<'a> {
    pub(in crate::domain) fn new(file: &'a str) -> Self {
        Self {
            file,
            errors: Vec::new(),
        }
    }

    /// Record a problem with `key` at `pos`.
    pub(in crate::domain) fn push(
        &mut self,
        pos: Pos,
        key: &str,
        value: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.errors.push(ConfigError {
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            key: one_line(key),
            value: value.map(str::to_owned),
            message: message.into(),
            fix: fix.into(),
        });
    }

    /// The errors sorted by position, or `None` when there are none.
    pub(in crate::domain) fn finish(mut self) -> Option<ConfigErrors> {
        if self.errors.is_empty() {
            return None;
        }
        self.errors
            .sort_by(|a, b| (a.line, a.column, &a.key).cmp(&(b.line, b.column, &b.key)));
        Some(ConfigErrors(self.errors))
    }
}

/// The file read into [`RawConfig`], with the position of every key present.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) raw: RawConfig,
    /// Key path (`cpu`, `environment.PORT`, `local.command`) → position of the key.
    pub(super) positions: BTreeMap<String, Pos>,
    /// The `kubernetes:` section as written (checked in `kubernetes.rs`).
    pub(super) kubernetes: Option<BTreeMap<String, String>>,
}

impl Parsed {
    /// The position of `key`, or of the first of `fallbacks` present, or the start of the file.
    pub(super) fn pos(&self, key: &str, fallbacks: &[&str]) -> Pos {
        std::iter::once(key)
            .chain(fallbacks.iter().copied())
            .find_map(|k| self.positions.get(k).copied())
            .unwrap_or(Pos::START)
    }
}

/// `text` with control characters (newlines, escapes) made visible, so a message stays one line
/// and cannot drive a terminal.
pub(in crate::domain) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Short for a value in a message: at most 60 characters, control characters escaped.
pub(in crate::domain) fn shown(value: &str) -> String {
    let mut out = one_line(&value.chars().take(60).collect::<String>());
    if value.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The closest of `candidates` to `input`, if it is close enough to be a likely typo.
pub(in crate::domain) fn did_you_mean<'c>(input: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let norm = input.to_ascii_lowercase().replace(['-', ' ', '.'], "_");
    candidates
        .iter()
        .map(|c| {
            let lower = c.to_ascii_lowercase();
            let score = strsim::jaro_winkler(&norm, &lower)
                .max(strsim::normalized_damerau_levenshtein(&norm, &lower));
            (score, *c)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

pub(in crate::domain) fn unknown_key_fix(name: &str, candidates: &[&str]) -> String {
    match did_you_mean(name, candidates) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("remove it; the known keys are {}", candidates.join(", ")),
    }
}

/// Parse the YAML text into [`Parsed`]. YAML syntax errors end parsing (one error); type errors
/// and unknown keys are all collected into `report` and parsing goes on.
pub(super) fn parse(text: &str, report: &mut Report<'_>) -> Parsed {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let Some(root) = tree(text, report) else {
        return Parsed::default();
    };
    let mut reader = Reader {
        src: text,
        report,
        parsed: Parsed::default(),
    };
    reader.root(&root);
    reader.parsed
}

/// Parse YAML text (without a byte-order mark) into a tree of [`Spanned`] nodes under the
/// budget of a configuration file. `None` for an empty document, or after a syntax error, which
/// is recorded in `report` (one error: the parser cannot go on).
pub(in crate::domain) fn tree(text: &str, report: &mut Report<'_>) -> Option<Spanned<Node>> {
    let mut options = serde_saphyr::Options::default();
    // `no`, `off`, `yes`, `on` stay text: a boolean key rejects them with a hint to write
    // `true`/`false`, an environment value keeps them as written.
    options.strict_booleans = true;
    options.with_snippet = false;
    // A configuration file has a few hundred nodes: refuse alias bombs and deep nesting early.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 20_000;
    budget.max_events = 50_000;
    budget.max_aliases = 1_000;
    budget.max_depth = 32;
    budget.max_total_scalar_bytes = 4 * 1024 * 1024;
    budget.max_recorded_anchor_events = 50_000;
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, options).unwrap_or_else(|err| {
        let pos = err.location().map_or(Pos::START, |l| Pos::of(&l));
        let message = one_line(&UserMessageFormatter.format_message(err.without_snippet()));
        let fix = syntax_fix(err.without_snippet());
        report.push(pos, "", None, format!("invalid YAML: {message}"), fix);
        None
    })
}

fn syntax_fix(err: &serde_saphyr::Error) -> &'static str {
    match err {
        serde_saphyr::Error::DuplicateMappingKey { .. } => {
            "write each key once: remove or merge the repeated one"
        }
        serde_saphyr::Error::MultipleDocuments { .. } => {
            "keep a single document: remove the `---` line and what follows, or merge it"
        }
        _ => {
            "fix the YAML syntax here: indent with spaces, and quote values that contain `: `, end with `:` or start with `{`, `[`, `*`, `&` or `!`"
        }
    }
}

/// The exact source text of a scalar in `src` (for numbers and booleans, whose parsed value may
/// not be what the user wrote, e.g. `1.50` or `0755`).
pub(in crate::domain) fn literal(src: &str, node: &Spanned<Node>) -> Option<String> {
    let span = node.defined.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    let text = src.get(start..start.checked_add(len)?)?;
    let plain = !text.is_empty()
        && !text.contains(['\n', '\r', '#', '*', '&', '!', '"', '\''])
        && text.trim() == text;
    plain.then(|| text.to_owned())
}

/// A scalar as text: strings as they are, numbers and booleans as written in `src`.
pub(in crate::domain) fn scalar_text(src: &str, node: &Spanned<Node>) -> Option<String> {
    match &node.value {
        Node::Str(s) => Some(s.clone()),
        Node::Bool(b) => Some(literal(src, node).unwrap_or_else(|| b.to_string())),
        Node::Int(i) => Some(literal(src, node).unwrap_or_else(|| i.to_string())),
        Node::Float(f) => Some(literal(src, node).unwrap_or_else(|| f.to_string())),
        Node::Null | Node::Seq(_) | Node::Map(_) => None,
    }
}

/// The text of a mapping key (`PORT`, but also `TRUE` or `1` written plain).
pub(in crate::domain) fn key_text(src: &str, key: &Spanned<Node>) -> Option<String> {
    match &key.value {
        Node::Null => literal(src, key).filter(|t| !t.is_empty() && t != "~"),
        _ => scalar_text(src, key),
    }
}

struct Reader<'s, 'r, 'f> {
    src: &'s str,
    report: &'r mut Report<'f>,
    parsed: Parsed,
}

impl Reader<'_, '_, '_> {
    fn root(&mut self, root: &Spanned<Node>) {
        let Node::Map(entries) = &root.value else {
            self.report.push(
                Pos::of(&root.referenced),
                "",
                None,
                format!(
                    "the file must be a mapping of keys to values, not {}",
                    root.value.kind()
                ),
                "write one `key: value` per line, e.g. `template: api-service`",
            );
            return;
        };
        for (key, value) in entries {
            let pos = Pos::of(&key.referenced);
            let Some(name) = key_text(self.src, key) else {
                self.report.push(
                    pos,
                    "",
                    None,
                    format!("a key must be a plain name, not {}", key.value.kind()),
                    format!("use one of the known keys: {}", KEYS.join(", ")),
                );
                continue;
            };
            if !KEYS.contains(&name.as_str()) {
                self.report.push(
                    pos,
                    &name,
                    None,
                    format!("unknown key `{}`", shown(&name)),
                    unknown_key_fix(&name, &KEYS),
                );
                continue;
            }
            self.parsed.positions.insert(name.clone(), pos);
            if matches!(value.value, Node::Null) {
                // `key:` with no value means "unset": the default applies.
                continue;
            }
            self.entry(&name, pos, value);
        }
    }

    fn entry(&mut self, name: &str, pos: Pos, value: &Spanned<Node>) {
        match name {
            "container_port" => self.parsed.raw.container_port = self.number(name, pos, value),
            "cpu" => self.parsed.raw.cpu = self.number(name, pos, value),
            "memory" => self.parsed.raw.memory = self.number(name, pos, value),
            "log_retention_days" => {
                self.parsed.raw.log_retention_days = self.number(name, pos, value);
            }
            "use_shared_networking" => {
                self.parsed.raw.use_shared_networking = self.boolean(name, pos, value);
            }
            "use_shared_ingress" => {
                self.parsed.raw.use_shared_ingress = self.boolean(name, pos, value);
            }
            "environment" => self.parsed.raw.environment = self.string_map(name, pos, value),
            "secrets" => self.parsed.raw.secrets = self.string_map(name, pos, value),
            "local" => self.local(pos, value),
            "kubernetes" => self.parsed.kubernetes = self.string_map(name, pos, value),
            "template" => self.parsed.raw.template = self.string(name, pos, value),
            "ttl" => self.parsed.raw.ttl = self.string(name, pos, value),
            "dockerfile" => self.parsed.raw.dockerfile = self.string(name, pos, value),
            "build_context" => self.parsed.raw.build_context = self.string(name, pos, value),
            "image" => self.parsed.raw.image = self.string(name, pos, value),
            "container_image" => self.parsed.raw.container_image = self.string(name, pos, value),
            "health_check_path" => {
                self.parsed.raw.health_check_path = self.string(name, pos, value);
            }
            "schedule_expression" => {
                self.parsed.raw.schedule_expression = self.string(name, pos, value);
            }
            "s3_bucket_arn" => self.parsed.raw.s3_bucket_arn = self.string(name, pos, value),
            "site_dir" => self.parsed.raw.site_dir = self.string(name, pos, value),
            "region" => self.parsed.raw.region = self.string(name, pos, value),
            _ => {}
        }
    }

    fn string(&mut self, name: &str, pos: Pos, value: &Spanned<Node>) -> Option<String> {
        let text = scalar_text(self.src, value);
        if text.is_none() {
            self.report.push(
                pos,
                name,
                None,
                format!("expected a string, found {}", value.value.kind()),
                format!("write a single value, e.g. `{name}: {}`", example_of(name)),
            );
        }
        text
    }

    fn number(&mut self, name: &str, pos: Pos, value: &Spanned<Node>) -> Option<u32> {
        let text = scalar_text(self.src, value);
        let (message, fix) = match &value.value {
            Node::Int(i) => match u32::try_from(*i) {
                Ok(n) => return Some(n),
                Err(_) => (
                    format!("`{i}` is out of range"),
                    format!("write a whole number, e.g. `{name}: {}`", example_of(name)),
                ),
            },
            Node::Float(_) => (
                format!(
                    "`{}` is not a whole number",
                    text.as_deref().map(shown).unwrap_or_default()
                ),
                format!("write a whole number, e.g. `{name}: {}`", example_of(name)),
            ),
            Node::Str(s) if s.trim().parse::<u32>().is_ok() => (
                format!("`\"{}\"` is a string, not a number", shown(s)),
                format!("write the number without quotes: `{name}: {}`", s.trim()),
            ),
            other => (
                format!("expected a whole number, found {}", other.kind()),
                format!("write a whole number, e.g. `{name}: {}`", example_of(name)),
            ),
        };
        self.report.push(pos, name, text.as_deref(), message, fix);
        None
    }

    fn boolean(&mut self, name: &str, pos: Pos, value: &Spanned<Node>) -> Option<bool> {
        if let Node::Bool(b) = value.value {
            return Some(b);
        }
        let text = scalar_text(self.src, value);
        let (message, fix) = match text.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("yes" | "on" | "y") => (
                format!(
                    "`{}` is not a boolean",
                    text.as_deref().map(shown).unwrap_or_default()
                ),
                format!(
                    "write `{name}: true` (YAML 1.1 spellings like yes/on are not booleans here)"
                ),
            ),
            Some("no" | "off" | "n") => (
                format!(
                    "`{}` is not a boolean",
                    text.as_deref().map(shown).unwrap_or_default()
                ),
                format!(
                    "write `{name}: false` (YAML 1.1 spellings like no/off are not booleans here)"
                ),
            ),
            _ => (
                format!("expected `true` or `false`, found {}", value.value.kind()),
                format!("write `{name}: true` or `{name}: false`"),
            ),
        };
        self.report.push(pos, name, text.as_deref(), message, fix);
        None
    }

    fn string_map(
        &mut self,
        name: &str,
        pos: Pos,
        value: &Spanned<Node>,
    ) -> Option<BTreeMap<String, String>> {
        let Node::Map(entries) = &value.value else {
            self.report.push(
                pos,
                name,
                None,
                format!(
                    "expected a mapping of variable names to values, found {}",
                    value.value.kind()
                ),
                format!("write one `NAME: value` per line, indented under `{name}:`"),
            );
            return None;
        };
        let mut map = BTreeMap::new();
        for (k, v) in entries {
            let kpos = Pos::of(&k.referenced);
            let Some(var) = key_text(self.src, k) else {
                self.report.push(
                    kpos,
                    name,
                    None,
                    format!("a variable name must be text, not {}", k.value.kind()),
                    "write `NAME: value` with NAME made of letters, digits and `_`",
                );
                continue;
            };
            let path = format!("{name}.{var}");
            self.parsed.positions.insert(path.clone(), kpos);
            match scalar_text(self.src, v) {
                Some(text) => {
                    map.insert(var, text);
                }
                None if matches!(v.value, Node::Null) => self.report.push(
                    kpos,
                    &path,
                    None,
                    "has no value",
                    format!("write `{var}: \"\"` for an empty value, or remove the line"),
                ),
                None => self.report.push(
                    kpos,
                    &path,
                    None,
                    format!("expected a single value, found {}", v.value.kind()),
                    "write the value as text; quote it if it spans lists or mappings in JSON form",
                ),
            }
        }
        Some(map)
    }

    fn local(&mut self, pos: Pos, value: &Spanned<Node>) {
        let Node::Map(entries) = &value.value else {
            self.report.push(
                pos,
                "local",
                None,
                format!("expected a mapping, found {}", value.value.kind()),
                "write `local:` and, indented below it, `command: <how to start the app>`",
            );
            return;
        };
        let mut local = RawLocal::default();
        for (k, v) in entries {
            let kpos = Pos::of(&k.referenced);
            let name = key_text(self.src, k).unwrap_or_default();
            let path = format!("local.{name}");
            if !LOCAL_KEYS.contains(&name.as_str()) {
                self.report.push(
                    kpos,
                    &path,
                    None,
                    format!("unknown key `{}`", shown(&name)),
                    unknown_key_fix(&name, &LOCAL_KEYS),
                );
                continue;
            }
            self.parsed.positions.insert(path.clone(), kpos);
            if !matches!(v.value, Node::Null) {
                local.command = self.string(&path, kpos, v);
            }
        }
        self.parsed.raw.local = Some(local);
    }
}

fn example_of(name: &str) -> &'static str {
    match name {
        "template" => "api-service",
        "container_port" => "8080",
        "ttl" => "7d",
        "cpu" => "256",
        "memory" => "512",
        "log_retention_days" => "7",
        "dockerfile" => "Dockerfile",
        "build_context" => ".",
        "image" | "container_image" => "nginx:alpine",
        "health_check_path" => "/health",
        "schedule_expression" => "rate(1 hour)",
        "s3_bucket_arn" => "arn:aws:s3:::my-bucket",
        "site_dir" => "dist",
        "region" => "eu-west-1",
        _ => "npm start",
    }
}
