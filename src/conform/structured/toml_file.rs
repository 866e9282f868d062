//! TOML through the `toml` crate's spanned document parser; tables keep file order, date-times
//! become their text.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Kind, Node, SyntaxError};

/// Deepest nesting converted (the parser has its own, lower, limit).
const MAX_DEPTH: usize = 128;

pub(super) fn parse(text: &str) -> Result<Node, SyntaxError> {
    match DeTable::parse(text) {
        Ok(table) => {
            let span = table.span();
            Ok(Node::new(
                table_kind(table.get_ref(), 0),
                span.start,
                span.end.saturating_sub(span.start),
            ))
        }
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let message = error
                .message()
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            Err(SyntaxError {
                offset: span.start,
                len: span.end.saturating_sub(span.start),
                message: format!("not valid TOML: {message}"),
            })
        }
    }
}

fn table_kind(table: &DeTable<'_>, depth: usize) -> Kind {
    let mut entries: Vec<(usize, String, Node)> = table
        .iter()
        .map(|(key, value)| {
            (
                key.span().start,
                key.get_ref().to_string(),
                node(value, depth + 1),
            )
        })
        .collect();
    entries.sort_by_key(|(at, _, _)| *at);
    Kind::Map(entries.into_iter().map(|(_, k, v)| (k, v)).collect())
}

fn node(value: &Spanned<DeValue<'_>>, depth: usize) -> Node {
    let span = value.span();
    let kind = if depth > MAX_DEPTH {
        Kind::Null
    } else {
        match value.get_ref() {
            DeValue::String(s) => Kind::String(s.to_string()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_or_else(|_| Kind::String(i.to_string()), |n| Kind::Number(n.into())),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Kind::String(f.to_string()), Kind::Number),
            DeValue::Boolean(b) => Kind::Bool(*b),
            DeValue::Datetime(d) => Kind::String(d.to_string()),
            DeValue::Array(items) => Kind::Seq(items.iter().map(|i| node(i, depth + 1)).collect()),
            DeValue::Table(table) => table_kind(table, depth),
        }
    };
    Node::new(kind, span.start, span.end.saturating_sub(span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_typed_and_located() {
        let text = "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  enable_unprivileged_ports = false\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n  max = 0x10\n  when = 1979-05-27T07:32:00Z\n";
        let root = parse(text).unwrap();
        let cri = root
            .member("plugins", false)
            .and_then(|p| p.member("io.containerd.grpc.v1.cri", false))
            .unwrap();
        let ports = cri.member("enable_unprivileged_ports", false).unwrap();
        assert_eq!(ports.kind, Kind::Bool(false));
        assert_eq!(&text[ports.offset..ports.offset + ports.len], "false");
        assert_eq!(
            cri.member("max", false).unwrap().kind,
            Kind::Number(16.into())
        );
        assert_eq!(
            cri.member("when", false).unwrap().kind,
            Kind::String("1979-05-27T07:32:00Z".into())
        );
        // File order, not sorted.
        let Kind::Map(entries) = &cri.kind else {
            panic!()
        };
        assert_eq!(entries[0].0, "enable_unprivileged_ports");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "a = ",
            "[a\nb = 1",
            "a = 1\na = 2",
            "a = \"unterminated",
            "\u{0}\u{1}\u{2}",
            "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        let deep = format!("x = {}{}", "[".repeat(50_000), "]".repeat(50_000));
        let _ = parse(&deep);
        let deep = format!("x = {}", "{a = ".repeat(50_000));
        let _ = parse(&deep);
    }
}
