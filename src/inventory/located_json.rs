//! A JSON reader for lockfiles (RFC 8259): strings borrowed from the text where they have no
//! escapes, the line of every value and member, and — when the text is cut short or broken —
//! everything read before the error, with unfinished arrays and objects marked as such.
//! Duplicate members are all kept; [`Node::get`] answers the last, as `serde_json` and Go's
//! `encoding/json` do.

use std::borrow::Cow;

/// Deepest nesting read (an npm v1 lockfile nests two levels per `node_modules` level).
pub(super) const MAX_DEPTH: usize = 256;

/// A JSON value.
#[derive(Debug, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    /// The number as written.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
}

/// A value and where it starts.
#[derive(Debug, PartialEq)]
pub(super) struct Node<'a> {
    pub(super) value: Value<'a>,
    /// 1-based line.
    pub(super) line: usize,
    /// Byte offset.
    pub(super) offset: usize,
    /// `false` for an array or object a syntax error cut short.
    pub(super) complete: bool,
}

/// An object member.
#[derive(Debug, PartialEq)]
pub(super) struct Member<'a> {
    pub(super) key: Cow<'a, str>,
    /// 1-based line of the key.
    pub(super) line: usize,
    /// Byte offset of the key.
    pub(super) offset: usize,
    pub(super) value: Node<'a>,
}

/// Where the text stops being JSON.
#[derive(Debug, PartialEq)]
pub(super) struct SyntaxError {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) message: String,
}

/// What was read: the value (whole, or as far as it went) and the syntax error, if any.
#[derive(Debug)]
pub(super) struct Document<'a> {
    pub(super) root: Option<Node<'a>>,
    pub(super) error: Option<SyntaxError>,
}

impl<'a> Node<'a> {
    /// The members of an object (empty for anything else).
    pub(super) fn members(&self) -> &[Member<'a>] {
        match &self.value {
            Value::Object(members) => members,
            _ => &[],
        }
    }

    /// The member called `key` (the last one, if repeated) of an object.
    pub(super) fn get(&self, key: &str) -> Option<&Member<'a>> {
        self.members().iter().rev().find(|m| m.key == key)
    }

    /// The string, if this is one.
    pub(super) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// What kind of value this is, for messages.
    pub(super) fn describe(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Reads `text` as one JSON value.
pub(super) fn parse(text: &str) -> Document<'_> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
        error: None,
    };
    if text.starts_with('\u{feff}') {
        parser.at = 3;
        parser.line_start = 3;
    }
    parser.blank();
    if parser.at >= parser.bytes.len() {
        parser.fail("the file is empty; expected a JSON value");
        return Document {
            root: None,
            error: parser.error,
        };
    }
    let root = parser.value(0);
    if parser.error.is_none() {
        parser.blank();
        if parser.at < parser.bytes.len() {
            parser.fail("unexpected text after the JSON value");
        }
    }
    Document {
        root,
        error: parser.error,
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
    error: Option<SyntaxError>,
}

impl<'a> Parser<'a> {
    fn fail(&mut self, message: &str) {
        if self.error.is_some() {
            return;
        }
        let before = self.text.get(self.line_start..self.at).unwrap_or_default();
        self.error = Some(SyntaxError {
            line: self.line,
            column: before.chars().count() + 1,
            message: format!("not valid JSON: {message}"),
        });
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn blank(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                _ => break,
            }
        }
    }

    fn leaf(value: Value<'a>, (line, offset): (usize, usize)) -> Node<'a> {
        Node {
            value,
            line,
            offset,
            complete: true,
        }
    }

    /// A value, or `None` when none could be read (the error is set).
    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        let start = (self.line, self.at);
        match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => {
                self.fail(&format!("nesting is deeper than {MAX_DEPTH} levels"));
                None
            }
            Some(b'{') => Some(self.object(depth, start)),
            Some(b'[') => Some(self.array(depth, start)),
            Some(b'"') => {
                let s = self.string()?;
                Some(Self::leaf(Value::String(s), start))
            }
            Some(b't') => self.word("true", Value::Bool(true), start),
            Some(b'f') => self.word("false", Value::Bool(false), start),
            Some(b'n') => self.word("null", Value::Null, start),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                Some(Self::leaf(Value::Number(n), start))
            }
            None => {
                self.fail("the file ends where a value was expected");
                None
            }
            Some(_) => {
                self.fail("expected a value");
                None
            }
        }
    }

    fn word(&mut self, word: &str, value: Value<'a>, start: (usize, usize)) -> Option<Node<'a>> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Some(Self::leaf(value, start))
        } else {
            self.fail("expected a value");
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Option<&'a str> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int_start = self.at;
        match self.digits() {
            0 => {
                self.fail("expected a digit");
                return None;
            }
            n if n > 1 && self.bytes[int_start] == b'0' => {
                self.at = int_start;
                self.fail("numbers may not have leading zeros");
                return None;
            }
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                self.fail("expected a digit after `.`");
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                self.fail("expected a digit in the exponent");
                return None;
            }
        }
        Some(&self.text[start..self.at])
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.at += 1;
        let start = self.at;
        let special = |b: &u8| *b == b'"' || *b == b'\\' || *b < 0x20;
        let Some(stop) = self.bytes[start..].iter().position(special) else {
            self.at = self.bytes.len();
            self.fail("the file ends inside a string");
            return None;
        };
        self.at = start + stop;
        if self.bytes[self.at] == b'"' {
            self.at += 1;
            return Some(Cow::Borrowed(&self.text[start..start + stop]));
        }
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Some(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                None => {
                    self.fail("the file ends inside a string");
                    return None;
                }
                Some(_) => {
                    self.fail("control characters must be escaped in strings");
                    return None;
                }
            }
            let from = self.at;
            let run = self.bytes[from..]
                .iter()
                .position(special)
                .unwrap_or(self.bytes.len() - from);
            out.push_str(&self.text[from..from + run]);
            self.at = from + run;
        }
    }

    fn escape(&mut self) -> Option<char> {
        match crate::source::json_escape::decode(self.bytes, self.at) {
            Ok((c, next)) => {
                self.at = next;
                Some(c)
            }
            Err((message, at)) => {
                self.at = at;
                self.fail(message);
                None
            }
        }
    }

    fn array(&mut self, depth: usize, (line, offset): (usize, usize)) -> Node<'a> {
        self.at += 1;
        let mut items = Vec::new();
        let node = |items, complete| Node {
            value: Value::Array(items),
            line,
            offset,
            complete,
        };
        self.blank();
        if self.peek() == Some(b']') {
            self.at += 1;
            return node(items, true);
        }
        loop {
            self.blank();
            let Some(item) = self.value(depth + 1) else {
                return node(items, false);
            };
            items.push(item);
            if self.error.is_some() {
                return node(items, false);
            }
            self.blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return node(items, true);
                }
                None => {
                    self.fail("the file ends inside an array");
                    return node(items, false);
                }
                Some(_) => {
                    self.fail("expected `,` or `]` after an array item");
                    return node(items, false);
                }
            }
        }
    }

    fn object(&mut self, depth: usize, (line, offset): (usize, usize)) -> Node<'a> {
        self.at += 1;
        let mut members = Vec::new();
        let node = |members, complete| Node {
            value: Value::Object(members),
            line,
            offset,
            complete,
        };
        self.blank();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return node(members, true);
        }
        loop {
            self.blank();
            match self.peek() {
                Some(b'"') => {}
                None => {
                    self.fail("the file ends inside an object");
                    return node(members, false);
                }
                Some(_) => {
                    self.fail("expected a member name in double quotes");
                    return node(members, false);
                }
            }
            let (key_line, key_offset) = (self.line, self.at);
            let Some(key) = self.string() else {
                return node(members, false);
            };
            self.blank();
            if self.peek() != Some(b':') {
                self.fail("expected `:` after a member name");
                return node(members, false);
            }
            self.at += 1;
            self.blank();
            let Some(value) = self.value(depth + 1) else {
                return node(members, false);
            };
            members.push(Member {
                key,
                line: key_line,
                offset: key_offset,
                value,
            });
            if self.error.is_some() {
                return node(members, false);
            }
            self.blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return node(members, true);
                }
                None => {
                    self.fail("the file ends inside an object");
                    return node(members, false);
                }
                Some(_) => {
                    self.fail("expected `,` or `}` after an object member");
                    return node(members, false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_json(node: &Node<'_>) -> serde_json::Value {
        use serde_json::Value as J;
        match &node.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => serde_json::from_str(n).unwrap(),
            Value::String(s) => J::String(s.to_string()),
            Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
            Value::Object(members) => J::Object(
                members
                    .iter()
                    .map(|m| (m.key.to_string(), to_json(&m.value)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        for text in [
            r#"{"a": [1, -2.5e3, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}"#,
            "[]",
            "{}",
            "\"é\"",
            "0",
            "[[[{}]]]",
            " \t\r\n 7 \n",
        ] {
            let doc = parse(text);
            assert_eq!(doc.error, None, "{text}");
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(to_json(&doc.root.unwrap()), expected, "{text}");
        }
    }

    #[test]
    fn members_know_their_lines() {
        let text = "{\n  \"a\": 1,\n  \"b\":\n    {\"c\": [\n      2]}\n}";
        let root = parse(text).root.unwrap();
        assert_eq!(root.get("a").unwrap().line, 2);
        let b = root.get("b").unwrap();
        assert_eq!((b.line, b.value.line), (3, 4));
        let Value::Array(items) = &b.value.get("c").unwrap().value.value else {
            panic!("not an array")
        };
        assert_eq!(items[0].line, 5);
        // Strings without escapes are borrowed.
        assert!(matches!(root.members()[0].key, Cow::Borrowed(_)));
    }

    #[test]
    fn a_truncated_document_keeps_what_came_before() {
        let text =
            "{\n \"packages\": {\n  \"a\": {\"version\": \"1\"},\n  \"b\": {\"version\": \"2";
        let doc = parse(text);
        let error = doc.error.unwrap();
        assert_eq!((error.line, error.column), (4, 22));
        assert_eq!(
            error.message,
            "not valid JSON: the file ends inside a string"
        );
        let root = doc.root.unwrap();
        assert!(!root.complete);
        let packages = &root.get("packages").unwrap().value;
        assert!(!packages.complete);
        assert_eq!(packages.members().len(), 2);
        assert!(packages.members()[0].value.complete);
        assert!(!packages.members()[1].value.complete);
        assert!(packages.members()[1].value.get("version").is_none());
    }

    #[test]
    fn invalid_documents_are_errors_at_the_place() {
        for (text, line, column) in [
            ("", 1, 1),
            ("this is not json", 1, 1),
            ("{\"a\": 1,}", 1, 9),
            ("{\"a\" 1}", 1, 6),
            ("[1 2]", 1, 4),
            ("{\"a\": 01}", 1, 7),
            ("\"a\nb\"", 1, 3),
            ("{\"é\": \"\\x\"}", 1, 9),
            ("\"\\ud800\"", 1, 8),
            ("\"\\u12\"", 1, 4),
            ("nul", 1, 1),
            ("{} {}", 1, 4),
            ("-", 1, 2),
            ("1.", 1, 3),
            ("1e", 1, 3),
        ] {
            let error = parse(text).error.expect(text);
            assert_eq!((error.line, error.column), (line, column), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).error.is_some());
        let deep = "{\"a\":".repeat(100_000);
        assert!(parse(&deep).error.is_some());
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&fine).error.is_none());
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "{\"a\":\"\\u",
            "{\"a\":\"\\ud83d\\u",
            "[\"\\",
            "\u{feff}",
            "\u{feff}{}",
            "{\"é",
            "[tru",
            "{\"a\":{\"b\":[1,{\"c\":",
        ];
        for text in samples {
            let _ = parse(text);
            for cut in 0..text.len() {
                if let Some(prefix) = text.get(..cut) {
                    let _ = parse(prefix);
                }
            }
        }
        assert!(parse("\u{feff}{}").error.is_none());
    }

    #[test]
    fn the_last_duplicate_member_answers() {
        let root = parse(r#"{"a": 1, "a": 2}"#).root.unwrap();
        assert_eq!(root.members().len(), 2);
        assert_eq!(root.get("a").unwrap().value.value, Value::Number("2"));
    }
}
