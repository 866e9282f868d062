//! INI files: `[section]` headers, `key = value` or `key: value` lines, `;` and `#`
//! comments (whole lines, or after whitespace), a bare `key` meaning `true` (`my.cnf`'s
//! `skip-networking`). Keys before the first header are global. Repeated sections merge;
//! the last value of a key counts. The tree is `{global keys…, section: {key: value}}`;
//! values are strings (quotes removed), compared semantically by the engine.

use super::{Kind, Node, SyntaxError};

/// `(section, key)` readings of a plain `section.key`, the first dot first.
pub(super) fn splits(key: &str) -> impl Iterator<Item = (&str, &str)> {
    key.match_indices('.')
        .map(move |(i, _)| (&key[..i], &key[i + 1..]))
        .filter(|(s, k)| !s.is_empty() && !k.is_empty())
}

/// The first `(section, key)` reading of a plain key, a pointer's two segments, or `None`
/// for a global key.
pub(super) fn split_plain(key: &str) -> Option<(&str, &str)> {
    match key.strip_prefix('/') {
        Some(pointer) => pointer.split_once('/'),
        None => splits(key).next(),
    }
}

pub(super) fn parse(text: &str) -> (Node, Vec<SyntaxError>) {
    let mut root: Vec<(String, Node)> = Vec::new();
    let mut problems = Vec::new();
    // Index in `root` of the current section; `None`: global keys.
    let mut section: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let start = offset + content.len() - trimmed.len();
        offset += line.len();
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() || trimmed.starts_with([';', '#']) {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(close) = header.find(']') else {
                problems.push(problem(start, trimmed, "`[` without a closing `]`"));
                continue;
            };
            let rest = header[close + 1..].trim();
            if !(rest.is_empty() || rest.starts_with([';', '#'])) {
                problems.push(problem(start, trimmed, "text after a section header"));
            }
            let name = header[..close].trim();
            let node = Node::new(Kind::Map(Vec::new()), start, close + 2);
            let existing = root
                .iter()
                .position(|(k, v)| k.eq_ignore_ascii_case(name) && is_map(v));
            section = Some(existing.unwrap_or_else(|| {
                root.push((name.to_owned(), node));
                root.len() - 1
            }));
            continue;
        }
        let separator = trimmed.find(['=', ':']);
        let (key, value, value_at) = match separator {
            Some(i) => {
                let raw = &trimmed[i + 1..];
                let lead = raw.len() - raw.trim_start().len();
                (trimmed[..i].trim(), raw.trim_start(), start + i + 1 + lead)
            }
            None if !trimmed.contains(char::is_whitespace) => (trimmed, "", start),
            None => {
                problems.push(problem(start, trimmed, "not a `key = value` line"));
                continue;
            }
        };
        if key.is_empty() {
            problems.push(problem(start, trimmed, "a value without a key"));
            continue;
        }
        let value = strip_comment(value);
        let node = if separator.is_none() {
            Node::new(Kind::Bool(true), start, key.len())
        } else {
            let unquoted = unquote(value);
            let inner = usize::from(unquoted.len() < value.len());
            Node::new(
                Kind::String(unquoted.to_owned()),
                value_at + inner,
                unquoted.len(),
            )
        };
        let entries = match section.and_then(|i| root.get_mut(i)) {
            Some((
                _,
                Node {
                    kind: Kind::Map(entries),
                    ..
                },
            )) => entries,
            _ => &mut root,
        };
        match entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(slot) => slot.1 = node,
            None => entries.push((key.to_owned(), node)),
        }
    }
    let len = text.len();
    (Node::new(Kind::Map(root), 0, len), problems)
}

fn is_map(node: &Node) -> bool {
    matches!(node.kind, Kind::Map(_))
}

fn problem(offset: usize, line: &str, what: &str) -> SyntaxError {
    SyntaxError {
        offset,
        len: line.len(),
        message: format!(
            "not valid INI: {what}: `{}`",
            line.chars().take(60).collect::<String>()
        ),
    }
}

/// The value without a trailing ` ; comment` or ` # comment` (outside quotes).
fn strip_comment(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(end) = value.strip_prefix(quote).and_then(|v| v.find(quote)) {
            return &value[..end + 2];
        }
    }
    let bytes = value.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b';' || *b == b'#') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value.trim_end()
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.find(quote).map(|end| &v[..end]))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(root: &'a Node, section: &str, key: &str) -> &'a Node {
        root.member(section, true)
            .and_then(|s| s.member(key, true))
            .unwrap_or_else(|| panic!("{section}.{key}"))
    }

    #[test]
    fn sections_keys_comments_and_spans() {
        let text = "; php.ini\nengine = On\n[Session]\nsession.cookie_secure = \"1\" ; forced\nsession.name: PHPSESSID\n[mysqld]\nskip-networking\n[session]\nsession.name = SID\n";
        let (root, problems) = parse(text);
        assert!(
            problems.is_empty(),
            "{:?}",
            problems.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        assert_eq!(
            root.member("engine", true).unwrap().kind,
            Kind::String("On".into())
        );
        let secure = get(&root, "Session", "session.cookie_secure");
        assert_eq!(secure.kind, Kind::String("1".into()));
        assert_eq!(&text[secure.offset..secure.offset + secure.len], "1");
        // `[session]` again merges case-insensitively; the last value counts.
        let name = get(&root, "Session", "session.name");
        assert_eq!(name.kind, Kind::String("SID".into()));
        assert_eq!(
            get(&root, "mysqld", "skip-networking").kind,
            Kind::Bool(true)
        );
    }

    #[test]
    fn broken_lines_are_problems_and_parsing_goes_on() {
        let text = "[a\nthis is not ini\n= 3\n[b] x\nk = v\n";
        let (root, problems) = parse(text);
        assert_eq!(problems.len(), 4);
        assert_eq!(problems[1].offset, 3);
        assert_eq!(get(&root, "b", "k").kind, Kind::String("v".into()));
    }

    #[test]
    fn splits_try_each_dot() {
        assert_eq!(
            splits("a.b.c").collect::<Vec<_>>(),
            [("a", "b.c"), ("a.b", "c")]
        );
        assert_eq!(split_plain("/s/k"), Some(("s", "k")));
        assert_eq!(split_plain("k"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse(&String::from_utf8_lossy(&bytes));
        let _ = parse(&"[".repeat(100_000));
        let _ = parse("\"");
        let _ = parse("k = \"");
        let _ = parse("k = 'a' # c");
    }
}
