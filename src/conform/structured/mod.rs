//! Structured formats: `yaml` (multi-document, e.g. Kubernetes manifests), `json`, `toml`,
//! `ini` and `env`. Each syntax is parsed into one located `Node` tree per document;
//! settings are looked up with JSON Pointers (`pointer` module) over those trees.
//!
//! Keys: a JSON Pointer (`/log-opts/max-size`) where `*` matches every array item or map
//! entry, `{a,b}` expands to alternatives that are all looked up (`/spec{,/template/spec}`),
//! and `a | b` tries alternatives in order per document, the first that finds something
//! counting (pod-level `runAsNonRoot`, else each container's). A key without a leading `/` is
//! a top-level member name (`icc`), an ini `section.key`, or an env `KEY`.
//!
//! After a `*`, a document that has the matched item but not the rest of the pointer yields
//! [`Found::Missing`] at the item ("container `app` does not set it"); before any `*`, or when
//! the wildcard's prefix does not exist (a Service has no containers), nothing is reported.
//! Scopes name the document (`Deployment/web`, from `kind` and `metadata.name`) and each
//! item a wildcard matched (`container app`).

mod env;
mod ini;
mod json;
mod pointer;
mod toml_file;

use serde_json::Value;

use super::{Format, Found, Input, Parsed, Problem, Reader, Site};
use crate::source::yaml;

/// A structured syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Syntax {
    Yaml,
    Json,
    Toml,
    Ini,
    Env,
}

/// One of the structured formats; see the module documentation for keys.
pub struct Structured(Syntax);

/// YAML, multi-document.
pub static YAML: Structured = Structured(Syntax::Yaml);
/// JSON (RFC 8259).
pub static JSON: Structured = Structured(Syntax::Json);
/// TOML.
pub static TOML: Structured = Structured(Syntax::Toml);
/// INI: `[section]` headers and `key = value` lines.
pub static INI: Structured = Structured(Syntax::Ini);
/// env files: `KEY=value` lines.
pub static ENV: Structured = Structured(Syntax::Env);

/// A located value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// Byte offset in the checked file.
    pub(crate) offset: usize,
    /// Byte length.
    pub(crate) len: usize,
}

/// A value's shape.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    /// Entries in file order.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub(crate) fn new(kind: Kind, offset: usize, len: usize) -> Node {
        Node { kind, offset, len }
    }

    fn site(&self) -> Site {
        Site {
            file: 0,
            offset: self.offset,
            len: self.len,
        }
    }

    /// The member `name` of a map (exact, or ASCII case-insensitive when `fold`).
    pub(crate) fn member(&self, name: &str, fold: bool) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k == name || fold && k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn text(&self, name: &str) -> Option<&str> {
        match &self.member(name, false)?.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// One document of a file and the scope naming it.
pub(crate) struct Document {
    pub(crate) root: Node,
    /// `Deployment/web`, `document 2`; `None` for a lone document without `kind`.
    pub(crate) label: Option<String>,
}

/// What `parse` keeps for `lookup`.
struct Data {
    documents: Vec<Document>,
}

/// A parse failure at a byte offset.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) message: String,
}

impl Format for Structured {
    fn parse(&self, input: &Input<'_>, _reader: &dyn Reader) -> Parsed {
        let text = input.text;
        let mut problems = Vec::new();
        let roots = match self.0 {
            Syntax::Yaml => parse_yaml(text),
            Syntax::Json => json::parse(text).map(|(root, warnings)| {
                problems.extend(warnings.into_iter().map(problem));
                vec![root]
            }),
            Syntax::Toml => toml_file::parse(text).map(|root| vec![root]),
            Syntax::Ini => {
                let (root, errors) = ini::parse(text);
                problems.extend(errors.into_iter().map(problem));
                Ok(vec![root])
            }
            Syntax::Env => {
                let (root, errors) = env::parse(text);
                problems.extend(errors.into_iter().map(problem));
                Ok(vec![root])
            }
        };
        let documents = match roots {
            Ok(roots) => documents(roots),
            Err(error) => {
                problems.push(problem(error));
                Vec::new()
            }
        };
        Parsed {
            files: vec![(input.path.to_owned(), text.to_owned())],
            problems,
            data: Box::new(Data { documents }),
        }
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(data) = parsed.data.downcast_ref::<Data>() else {
            return Vec::new();
        };
        let alternatives = pointer::compiled(key, self.0);
        let fold = self.0 == Syntax::Ini;
        let text = parsed.files.first().map_or("", |(_, t)| t.as_str());
        let mut out = Vec::new();
        for document in &data.documents {
            for alternative in alternatives.iter() {
                let hits = pointer::evaluate(document, alternative, fold, text);
                if !hits.is_empty() {
                    out.extend(hits);
                    break;
                }
            }
        }
        out
    }

    fn placement(&self, key: &str) -> String {
        let first = key.split('|').next().unwrap_or(key).trim();
        match self.0 {
            Syntax::Env => format!("add a `{first}=…` line"),
            Syntax::Ini => match ini::split_plain(first) {
                Some((section, name)) => format!("add `{name} = …` under `[{section}]`"),
                None => format!("add a `{first} = …` line"),
            },
            _ if first.starts_with('/') => format!("set `{first}`"),
            _ => format!("add the key `{first}`"),
        }
    }
}

fn problem(error: SyntaxError) -> Problem {
    Problem {
        site: Site {
            file: 0,
            offset: error.offset,
            len: error.len,
        },
        message: error.message,
    }
}

/// The file's documents, labelled; a Kubernetes `List` counts as its items.
fn documents(roots: Vec<Node>) -> Vec<Document> {
    let mut flat = Vec::new();
    for root in roots {
        let is_list = root.text("kind").is_some_and(|k| k.ends_with("List"));
        match root.member("items", false) {
            Some(Node {
                kind: Kind::Seq(items),
                ..
            }) if is_list => flat.extend(items.iter().cloned()),
            _ => flat.push(root),
        }
    }
    let many = flat.len() > 1;
    flat.into_iter()
        .enumerate()
        .map(|(i, root)| {
            let kind = root.text("kind").map(str::to_owned);
            let name = root
                .member("metadata", false)
                .and_then(|m| m.text("name"))
                .map(str::to_owned);
            let label = match (kind, name) {
                (Some(kind), Some(name)) => Some(format!("{kind}/{name}")),
                (Some(kind), None) => Some(kind),
                (None, _) if many => Some(format!("document {}", i + 1)),
                (None, _) => None,
            };
            Document { root, label }
        })
        .collect()
}

fn parse_yaml(text: &str) -> Result<Vec<Node>, SyntaxError> {
    match yaml::parse_documents(text) {
        Ok(nodes) => Ok(nodes.iter().map(|n| from_yaml(n, text)).collect()),
        Err(error) => {
            let offset = error
                .span
                .map_or(0, |s| s.offset.unwrap_or_else(|| offset_of(text, s)));
            Err(SyntaxError {
                offset,
                len: 0,
                message: format!("not valid YAML: {}", error.message),
            })
        }
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, span: yaml::Span) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(span.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(span.column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

fn from_yaml(node: &yaml::Node, text: &str) -> Node {
    let offset = node
        .span
        .offset
        .unwrap_or_else(|| offset_of(text, node.span));
    let kind = match &node.kind {
        yaml::NodeKind::Null => Kind::Null,
        yaml::NodeKind::Bool(b) => Kind::Bool(*b),
        yaml::NodeKind::Number(n) => Kind::Number(n.clone()),
        yaml::NodeKind::String(s) => Kind::String(s.clone()),
        yaml::NodeKind::Seq(items) => Kind::Seq(items.iter().map(|i| from_yaml(i, text)).collect()),
        yaml::NodeKind::Map(entries) => Kind::Map(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), from_yaml(v, text)))
                .collect(),
        ),
    };
    let len = extent(&kind, offset, node.span.len, text);
    Node::new(kind, offset, len)
}

/// The length of a YAML node covering its children (the parser gives a collection's start
/// only) and a flow collection's closing bracket.
fn extent(kind: &Kind, offset: usize, len: usize, text: &str) -> usize {
    let last = match kind {
        Kind::Seq(items) => items.last(),
        Kind::Map(entries) => entries.last().map(|(_, v)| v),
        _ => return len,
    };
    let mut end = (offset + len).max(last.map_or(0, |n| n.offset + n.len));
    let bytes = text.as_bytes();
    if let Some(close) = match bytes.get(offset) {
        Some(b'[') => Some(b']'),
        Some(b'{') => Some(b'}'),
        _ => None,
    } {
        let mut at = end;
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
        {
            at += 1;
        }
        if bytes.get(at) == Some(&close) {
            end = at + 1;
        }
    }
    end.saturating_sub(offset)
}

#[cfg(test)]
mod tests;
