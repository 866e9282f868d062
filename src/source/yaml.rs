//! YAML loading into a node tree that remembers where every key and value is.
//!
//! serde-saphyr parses (YAML 1.2 core schema, strict booleans, duplicate keys rejected,
//! alias/depth/size budgets against bombs); a hand-written `Deserialize` reads every key and
//! value through `Spanned` so that a JSON Pointer (what jsonschema reports) maps back to the
//! exact key or value in the file.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Byte and line/column position of a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// Byte offset, when the parser knew it.
    pub offset: Option<usize>,
    /// Byte length (0 when unknown).
    pub len: usize,
}

impl Span {
    fn of(location: serde_saphyr::Location) -> Span {
        let span = location.span();
        Span {
            line: usize::try_from(location.line()).unwrap_or(usize::MAX),
            column: usize::try_from(location.column()).unwrap_or(usize::MAX),
            offset: span.byte_offset().and_then(|o| usize::try_from(o).ok()),
            len: span
                .byte_len()
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0),
        }
    }
}

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or float.
    Number(serde_json::Number),
    /// Any other scalar.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key (always text: numeric and boolean keys are kept as written).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where the key is.
    pub span: Span,
}

/// A YAML node and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where the value is.
    pub span: Span,
}

/// A YAML file that could not be read, with the position the parser gave.
#[derive(Debug)]
pub struct YamlError {
    /// What is wrong, one line.
    pub message: String,
    /// Where, when known.
    pub span: Option<Span>,
}

/// Deepest nesting accepted in a YAML file.
pub const MAX_DEPTH: usize = 48;
/// Largest YAML file accepted, in bytes.
pub const MAX_YAML_BYTES: usize = 8 * 1024 * 1024;

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    let mut budget = serde_saphyr::Budget::default();
    // Configuration files are shallow; a tight nesting cap keeps the recursive descent well
    // inside a worker thread's stack (the default flow limit, 255, overflows 2 MiB in debug).
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_reader_input_bytes = Some(MAX_YAML_BYTES);
    options.budget = Some(budget);
    options
}

/// Parses one YAML document into a [`Node`] tree.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let options = options();
    if text.trim().is_empty() {
        return Ok(Node {
            kind: NodeKind::Null,
            span: Span {
                line: 1,
                column: 1,
                offset: Some(0),
                len: 0,
            },
        });
    }
    match serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
        Ok(spanned) => Ok(unspan(spanned)),
        Err(err) => Err(YamlError {
            message: first_line(&err.to_string()),
            span: err.location().map(Span::of),
        }),
    }
}

/// Parses every document of a YAML stream (`---`-separated, e.g. Kubernetes manifests), with
/// the same schema and budgets as [`parse`]. Empty and null documents are skipped, so a file
/// holding only comments has no documents. The budgets apply to the stream as a whole.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    match serde_saphyr::from_multiple_with_options::<Spanned<Node>>(text, options()) {
        Ok(documents) => Ok(documents.into_iter().map(unspan).collect()),
        Err(err) => Err(YamlError {
            message: first_line(&err.to_string()),
            span: err.location().map(Span::of),
        }),
    }
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    // serde-saphyr prefixes positions itself ("... at line 3 column 5"); the finding carries
    // the location, so keep the sentence only.
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // Budget breaches come as `budget breached: Nodes { nodes: 250001 }`; say it in words.
    if let Some(breach) = line.strip_prefix("budget breached: ") {
        let kind = breach.split([' ', '{']).next().unwrap_or_default();
        return match kind {
            "Depth" => format!("nesting is deeper than {MAX_DEPTH} levels"),
            "InputBytes" => format!("file is larger than {MAX_YAML_BYTES} bytes"),
            "Nodes" | "Events" | "Aliases" | "AliasAnchorRatio" | "ScalarBytes" | "MergeKeys" => {
                "aliases expand the document beyond hardline's size limit (an alias bomb?)"
                    .to_owned()
            }
            _ => format!("the document exceeds a YAML parser limit ({breach})"),
        };
    }
    if line.starts_with("recursion limit exceeded") {
        return format!("nesting is deeper than {MAX_DEPTH} levels");
    }
    match line.find(" at line ") {
        Some(i) => line[..i].to_owned(),
        None => line.to_owned(),
    }
}

fn unspan(spanned: Spanned<Node>) -> Node {
    let mut node = spanned.value;
    node.span = Span::of(spanned.referenced);
    node
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

fn node(kind: NodeKind) -> Node {
    Node {
        kind,
        span: Span::default(),
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(node(NodeKind::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(node(NodeKind::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(node(NodeKind::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(v)
            .map(|n| node(NodeKind::Number(n)))
            .ok_or_else(|| E::custom("non-finite numbers are not supported"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(node(NodeKind::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(node(NodeKind::String(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        String::from_utf8(v.to_vec())
            .map(|s| node(NodeKind::String(s)))
            .map_err(|_| E::custom("binary values are not supported"))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(node(NodeKind::Null))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(node(NodeKind::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(unspan(item));
        }
        Ok(node(NodeKind::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<Spanned<KeyText>, Spanned<Node>>()? {
            entries.push((
                Key {
                    name: key.value.0,
                    span: Span::of(key.referenced),
                },
                unspan(value),
            ));
        }
        Ok(node(NodeKind::Map(entries)))
    }
}

/// A mapping key read as text whatever its YAML type.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
            fn visit_none<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// What a JSON Pointer resolved to.
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    /// The deepest node the pointer reached.
    pub node: &'a Node,
    /// The key of that node in its parent mapping, if it is a mapping value.
    pub key: Option<&'a Key>,
    /// `false` when the pointer went further than the tree (the node is an ancestor).
    pub exact: bool,
}

impl Node {
    /// Follows a JSON Pointer (`/settings/MaxAuthTries/value`) as far as the tree goes.
    pub fn locate(&self, pointer: &str) -> Located<'_> {
        let mut here = Located {
            node: self,
            key: None,
            exact: true,
        };
        for raw in pointer.split('/').skip(1) {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            let next = match &here.node.kind {
                NodeKind::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.name == segment)
                    .map(|(k, v)| (v, Some(k))),
                NodeKind::Seq(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|v| (v, None)),
                _ => None,
            };
            if let Some((node, key)) = next {
                here = Located {
                    node,
                    key,
                    exact: true,
                }
            } else {
                here.exact = false;
                break;
            }
        }
        here
    }

    /// The mapping entry called `name`, if this is a mapping that has it.
    pub fn get(&self, name: &str) -> Option<(&Key, &Node)> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == name)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value as JSON (mapping order kept).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => Value::Number(n.clone()),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_keep_their_positions() {
        let text = "a:\n  b: [1, two]\n  c: no\n";
        let root = parse(text).unwrap();
        let b = root.locate("/a/b/1");
        assert!(b.exact);
        assert_eq!((b.node.span.line, b.node.span.column), (2, 10));
        let c = root.locate("/a/c");
        assert_eq!(c.node.kind, NodeKind::String("no".into()));
        let key = c.key.unwrap();
        assert_eq!((key.span.line, key.span.column), (3, 3));
        assert_eq!(c.node.span.offset, Some(22));
        let missing = root.locate("/a/zzz");
        assert!(!missing.exact);
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_position() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.span.map(|s| s.line), Some(3), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&text).is_err());
        let text: String = (0..10_000)
            .map(|i| format!("{}- \n", " ".repeat(i * 2)))
            .collect();
        assert!(parse(&text).is_err());
    }

    #[test]
    fn a_stream_yields_each_document_with_file_positions() {
        let text = "# head\na: 1\n---\n---\nkind: Service\nspec:\n  x: [1]\n...\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        let x = docs[1].locate("/spec/x/0");
        assert!(x.exact);
        assert_eq!((x.node.span.line, x.node.span.column), (7, 7));
        assert_eq!(x.node.span.offset, Some(text.find("1]").unwrap()));
        assert!(parse_documents("# only a comment\n").unwrap().is_empty());
        assert!(parse_documents("a: [\n---\nb: 1\n").is_err());
        // One document parses the same either way.
        let single = "a:\n  b: [1, two]\n";
        assert_eq!(
            parse_documents(single).unwrap(),
            vec![parse(single).unwrap()]
        );
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            text.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        assert!(parse(&text).is_err());
    }
}
