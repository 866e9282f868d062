//! A strict RFC 8259 JSON parser that records the byte span of every value (`serde_json` keeps
//! none). A leading UTF-8 byte-order mark is reported (RFC 8259 forbids writing one; Debian
//! 12's dockerd refuses the file) and skipped; duplicate object members are reported and the
//! last one counts, as with Go's `encoding/json`.

use super::{Kind, Node, SyntaxError};

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

/// The document and the problems that do not stop parsing (duplicate members, a byte-order
/// mark), or the first syntax error.
pub(super) fn parse(text: &str) -> Result<(Node, Vec<SyntaxError>), SyntaxError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        problems: Vec::new(),
    };
    if text.starts_with('\u{feff}') {
        parser.at = 3;
        parser.problems.push(SyntaxError {
            offset: 0,
            len: 3,
            message: "not valid JSON: the file starts with a UTF-8 byte-order mark, which JSON \
                      readers such as dockerd refuse"
                .to_owned(),
        });
    }
    parser.blank();
    if parser.at >= parser.bytes.len() {
        return Err(parser.error("the file is empty; expected a JSON value"));
    }
    let root = parser.value(0)?;
    parser.blank();
    if parser.at < parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok((root, parser.problems))
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    problems: Vec<SyntaxError>,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        let len = self
            .text
            .get(self.at..)
            .and_then(|r| r.chars().next())
            .map_or(0, char::len_utf8);
        SyntaxError {
            offset: self.at,
            len,
            message: format!("not valid JSON: {message}"),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nesting is deeper than {MAX_DEPTH} levels")));
        }
        let start = self.at;
        let kind = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Kind::String(self.string()?),
            Some(b't') => self.word("true", Kind::Bool(true))?,
            Some(b'f') => self.word("false", Kind::Bool(false))?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            None => return Err(self.error("the file ends where a value was expected")),
            Some(_) => return Err(self.error("expected a value")),
        };
        Ok(Node::new(kind, start, self.at - start))
    }

    fn word(&mut self, word: &str, kind: Kind) -> Result<Kind, SyntaxError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int_start = self.at;
        match self.digits() {
            0 => return Err(self.error("expected a digit")),
            n if n > 1 && self.bytes[int_start] == b'0' => {
                self.at = int_start;
                return Err(self.error("numbers may not have leading zeros"));
            }
            _ => {}
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        let literal = &self.text[start..self.at];
        let number = if integer {
            literal
                .parse::<i64>()
                .map(serde_json::Number::from)
                .or_else(|_| literal.parse::<u64>().map(serde_json::Number::from))
                .ok()
        } else {
            None
        };
        number
            .or_else(|| {
                literal
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            })
            .map(Kind::Number)
            .ok_or_else(|| {
                self.at = start;
                self.error("the number is out of range")
            })
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.at..];
            let stop = rest
                .find(|c: char| c == '"' || c == '\\' || c < ' ')
                .ok_or_else(|| {
                    self.at = self.bytes.len();
                    self.error("the file ends inside a string")
                })?;
            out.push_str(&rest[..stop]);
            self.at += stop;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(self.error("control characters must be escaped in strings")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        match crate::source::json_escape::decode(self.bytes, self.at) {
            Ok((c, next)) => {
                self.at = next;
                Ok(c)
            }
            Err((message, at)) => {
                self.at = at;
                Err(self.error(message))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.at += 1;
        let mut items = Vec::new();
        self.blank();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Kind::Seq(items));
        }
        loop {
            self.blank();
            items.push(self.value(depth + 1)?);
            self.blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Kind::Seq(items));
                }
                None => return Err(self.error("the file ends inside an array")),
                Some(_) => return Err(self.error("expected `,` or `]` after an array item")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.at += 1;
        let mut entries: Vec<(String, Node)> = Vec::new();
        self.blank();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Kind::Map(entries));
        }
        loop {
            self.blank();
            if self.peek() != Some(b'"') {
                return Err(if self.peek().is_none() {
                    self.error("the file ends inside an object")
                } else {
                    self.error("expected a member name in double quotes")
                });
            }
            let key_at = self.at;
            let key = self.string()?;
            let key_len = self.at - key_at;
            self.blank();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after a member name"));
            }
            self.at += 1;
            self.blank();
            let value = self.value(depth + 1)?;
            if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
                self.problems.push(SyntaxError {
                    offset: key_at,
                    len: key_len,
                    message: format!(
                        "duplicate member `{key}`: this later value is the one that counts"
                    ),
                });
                slot.1 = value;
            } else {
                entries.push((key, value));
            }
            self.blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Kind::Map(entries));
                }
                None => return Err(self.error("the file ends inside an object")),
                Some(_) => return Err(self.error("expected `,` or `}` after an object member")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        for text in [
            r#"{"icc": false, "log-opts": {"max-size": "10m"}, "n": [1, -2.5e3, 0, 1e400]}"#,
            r#"{"s": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"}"#,
            "[]",
            " \t\r\n{}\n",
            "18446744073709551615",
            "-9223372036854775808",
            "\"x\"",
        ] {
            let ours = parse(text).map(|(n, _)| n.to_json());
            let theirs: Result<serde_json::Value, _> = serde_json::from_str(text);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{text}: ours {:?} serde {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn spans_cover_each_value() {
        let text = "{\n  \"icc\": true,\n  \"log-opts\": {\"max-file\": \"3\"}\n}\n";
        let (root, _) = parse(text).unwrap();
        let icc = root.member("icc", false).unwrap();
        assert_eq!(&text[icc.offset..icc.offset + icc.len], "true");
        let file = root
            .member("log-opts", false)
            .and_then(|o| o.member("max-file", false))
            .unwrap();
        assert_eq!(&text[file.offset..file.offset + file.len], "\"3\"");
    }

    #[test]
    fn invalid_documents_are_errors_at_the_place() {
        for (text, offset) in [
            ("", 0),
            ("{\"icc\": true,", 13),
            ("{\"icc\": tru}", 8),
            ("{icc: true}", 1),
            ("{\"a\": 1,}", 8),
            ("[1 2]", 3),
            ("{\"a\": 01}", 6),
            ("{\"a\": \"x\ny\"}", 8),
            ("{\"a\": \"\\ud800\"}", 13),
            ("{} {}", 3),
            ("{\"a\": NaN}", 6),
            ("{\"a\": \"\\x\"}", 8),
        ] {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} parsed"));
            assert_eq!(err.offset, offset, "{text:?}: {}", err.message);
            assert!(err.message.starts_with("not valid JSON: "));
        }
    }

    #[test]
    fn duplicates_are_reported_and_the_last_counts() {
        let (root, duplicates) = parse(r#"{"icc": false, "icc": true}"#).unwrap();
        assert_eq!(root.to_json(), serde_json::json!({"icc": true}));
        assert_eq!(duplicates.len(), 1);
        assert_eq!(duplicates[0].offset, 15);
    }

    #[test]
    fn garbage_never_panics() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
        let long = format!("\"{}", "x".repeat(1_000_000));
        assert!(parse(&long).is_err());
        let bom = "\u{feff}{\"a\": 1}";
        assert_eq!(parse(bom).map(|(_, p)| p.len()).ok(), Some(1));
        let text = r#"{"a": [1, {"b": "\u00e9"}, -0.5e-3], "c": null}"#;
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                let _ = parse(&text[..cut]);
            }
        }
        for b in 0..=255u8 {
            let s = String::from_utf8_lossy(&[b'{', b'"', b, b'"', b':', b]).into_owned();
            let _ = parse(&s);
        }
    }
}
