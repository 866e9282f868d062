//! env files (`.env`, systemd `EnvironmentFile`, Docker Compose `env_file`): `KEY=value`
//! lines, an optional `export ` prefix, `#` comments (whole lines, or after whitespace in an
//! unquoted value), single-quoted values taken literally, double-quoted values with `\n`,
//! `\t`, `\"`, `\\` and `\$` escapes; quoted values may span lines. The last value of a key
//! counts. Values are strings.

use super::{Kind, Node, SyntaxError};

pub(super) fn parse(text: &str) -> (Node, Vec<SyntaxError>) {
    let mut entries: Vec<(String, Node)> = Vec::new();
    let mut problems = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        let line = &text[at..line_end];
        let trimmed = line.trim_start();
        let start = at + line.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            at = line_end + 1;
            continue;
        }
        let body = trimmed
            .strip_prefix("export ")
            .map_or(trimmed, str::trim_start);
        let body_at = start + trimmed.len() - body.len();
        let Some((key, _)) = body
            .split_once('=')
            .filter(|(k, _)| valid_key(k.trim_end()))
        else {
            problems.push(SyntaxError {
                offset: start,
                len: trimmed.len(),
                message: format!(
                    "not a `KEY=value` line: `{}`",
                    trimmed.chars().take(60).collect::<String>()
                ),
            });
            at = line_end + 1;
            continue;
        };
        let mut value_at = body_at + key.len() + 1;
        while text[value_at..].starts_with([' ', '\t']) {
            value_at += 1;
        }
        let key = key.trim_end();
        let (node, next) = match value(text, value_at) {
            Ok(found) => found,
            Err(message) => {
                problems.push(SyntaxError {
                    offset: value_at,
                    len: 1,
                    message,
                });
                (Node::new(Kind::Null, value_at, 0), text.len())
            }
        };
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = node,
            None => entries.push((key.to_owned(), node)),
        }
        at = next;
    }
    (Node::new(Kind::Map(entries), 0, text.len()), problems)
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The value starting at `at` and where the next line starts.
fn value(text: &str, at: usize) -> Result<(Node, usize), String> {
    let rest = &text[at..];
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |e| from + e + 1);
    if let Some(body) = rest.strip_prefix('\'') {
        let close = body
            .find('\'')
            .ok_or_else(|| "a single-quoted value is never closed".to_owned())?;
        let node = Node::new(Kind::String(body[..close].to_owned()), at + 1, close);
        return Ok((node, line_end(at + close + 2)));
    }
    if let Some(body) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let node = Node::new(Kind::String(out), at + 1, i);
                    return Ok((node, line_end(at + i + 2)));
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, other)) => out.push(other),
                    None => break,
                },
                other => out.push(other),
            }
        }
        return Err("a double-quoted value is never closed".to_owned());
    }
    let end = rest.find('\n').unwrap_or(rest.len());
    let line = &rest[..end];
    let bytes = line.as_bytes();
    let cut = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let value = line[..cut].trim_end();
    let node = Node::new(Kind::String(value.to_owned()), at, value.len());
    Ok((node, line_end(at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_quotes_comments_and_spans() {
        let text = "# app\nexport DEBUG=false\nPORT = 8080 # http\nNAME='it''s'\nMSG=\"a\\\"b\nc\"\nEMPTY=\nDEBUG=true\n";
        let (root, problems) = parse(text);
        assert!(
            problems.is_empty(),
            "{:?}",
            problems.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        let get = |k: &str| root.member(k, false).unwrap().clone();
        assert_eq!(get("DEBUG").kind, Kind::String("true".into()));
        let port = get("PORT");
        assert_eq!(port.kind, Kind::String("8080".into()));
        assert_eq!(&text[port.offset..port.offset + port.len], "8080");
        assert_eq!(get("NAME").kind, Kind::String("it".into()));
        assert_eq!(get("MSG").kind, Kind::String("a\"b\nc".into()));
        assert_eq!(get("EMPTY").kind, Kind::String(String::new()));
    }

    #[test]
    fn broken_lines_are_problems() {
        let (root, problems) = parse("GOOD=1\nnot an assignment\n1BAD=2\nOPEN=\"never\n");
        assert_eq!(problems.len(), 3);
        assert_eq!(problems[0].offset, 7);
        assert!(root.member("GOOD", false).is_some());
    }

    #[test]
    fn garbage_never_panics() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse(&String::from_utf8_lossy(&bytes));
        for text in [
            "=", "A=\"\\", "A='", "A=\"é\\", "export", "export A", "A=é # x",
        ] {
            let _ = parse(text);
        }
    }
}
