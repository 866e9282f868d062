//! `Cargo.lock` (format versions 1 to 4): every `[[package]]` is a crates.io component,
//! whatever its `source` (registry, git, or none for path and workspace crates, as the peer
//! scanner reports them too), at the line of its `name`.
//!
//! Cargo writes a regular subset of TOML, which a line scan reads in a few milliseconds for
//! thousands of packages. A file outside that subset goes to the `toml` crate's parser: a
//! valid one is read from its tree, an invalid one gives the parser's error as a problem plus
//! every package the scan could still read.

use std::borrow::Cow;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::lockfile::{Collector, LineIndex, column, lines};
use super::{Ecosystem, Extracted, Input};

/// Reads a `Cargo.lock`.
pub(super) fn parse(input: &Input<'_>) -> Extracted {
    let mut out = Collector::new(input.path, Ecosystem::CratesIo);
    let scan = scan(input.text);
    if scan.unusual {
        match DeTable::parse(input.text) {
            Ok(table) => from_tree(&table, input.text, &mut out),
            Err(error) => {
                let (line, column) = error
                    .span()
                    .map_or((1, 1), |s| LineIndex::new(input.text).position(s.start));
                let message = error.message().lines().next().unwrap_or("").trim();
                out.problem(line, column, format!("not valid TOML: {message}"));
                emit(&scan.packages, &mut out);
            }
        }
    } else {
        emit(&scan.packages, &mut out);
    }
    out.finish()
}

/// A `[[package]]` table as the scan read it.
struct Package<'a> {
    header: usize,
    name: Option<Field<'a>>,
    version: Option<Field<'a>>,
    /// A line of the entry could not be read (the TOML parser's error says why).
    broken: bool,
}

/// A key's value (`None` when it is not a string) and line.
struct Field<'a> {
    value: Option<Cow<'a, str>>,
    line: usize,
    column: usize,
}

struct Scan<'a> {
    packages: Vec<Package<'a>>,
    /// Something outside the subset Cargo writes (or not TOML at all).
    unusual: bool,
}

fn emit(packages: &[Package<'_>], out: &mut Collector<'_>) {
    for package in packages {
        let Some(name) = &package.name else {
            if !package.broken {
                out.problem(package.header, 1, "a `[[package]]` entry has no `name`");
            }
            continue;
        };
        let Some(name_value) = &name.value else {
            out.problem(name.line, name.column, "`name` is not a string");
            continue;
        };
        match &package.version {
            None if package.broken => {}
            None => out.problem(
                name.line,
                name.column,
                format!("package `{name_value}` has no `version`"),
            ),
            Some(Field {
                value: None,
                line,
                column: at,
            }) => out.problem(
                *line,
                *at,
                format!("the `version` of package `{name_value}` is not a string"),
            ),
            Some(Field {
                value: Some(version),
                ..
            }) => {
                out.pinned(name_value, version, name.line);
            }
        }
    }
}

fn scan(text: &str) -> Scan<'_> {
    let mut scan = Scan {
        packages: Vec::new(),
        unusual: false,
    };
    let mut current: Option<Package<'_>> = None;
    let mut array_depth = 0;
    for (number, raw) in lines(text) {
        let read = scan_line(
            number,
            raw,
            &mut array_depth,
            &mut current,
            &mut scan.packages,
        );
        if read.is_err() {
            scan.unusual = true;
            if let Some(package) = current.as_mut() {
                package.broken = true;
            }
        }
    }
    scan.packages.extend(current);
    if array_depth > 0 {
        scan.unusual = true;
    }
    scan
}

/// Reads one line into the scan; `Err` for a line outside the subset Cargo writes.
fn scan_line<'a>(
    number: usize,
    raw: &'a str,
    array_depth: &mut usize,
    current: &mut Option<Package<'a>>,
    packages: &mut Vec<Package<'a>>,
) -> Result<(), ()> {
    let line = raw.trim_matches([' ', '\t']);
    if *array_depth > 0 {
        return array_rest(line, array_depth).inspect_err(|()| *array_depth = 0);
    }
    if line.is_empty() || line.starts_with('#') {
        return Ok(());
    }
    if let Some(header) = line.strip_prefix('[') {
        packages.extend(current.take());
        let (name, after, array) = if let Some(header) = header.strip_prefix('[') {
            let (name, after) = header.split_once("]]").ok_or(())?;
            (name, after, true)
        } else {
            let (name, after) = header.split_once(']').ok_or(())?;
            (name, after, false)
        };
        let name = name.trim_matches([' ', '\t']);
        if array && name == "package" {
            *current = Some(Package {
                header: number,
                name: None,
                version: None,
                broken: false,
            });
        } else if name == "package" || name.starts_with("package.") {
            // Valid TOML only in ways Cargo does not write.
            return Err(());
        }
        return if blank_or_comment(after) {
            Ok(())
        } else {
            Err(())
        };
    }
    let (key, value_at) = key_value(line).ok_or(())?;
    let value = &line[value_at..];
    let string = match value.as_bytes().first() {
        Some(b'"' | b'\'') => {
            let (s, len) = string(value).ok_or(())?;
            if !blank_or_comment(&value[len..]) {
                return Err(());
            }
            Some(s)
        }
        Some(b'[') => {
            *array_depth = 1;
            array_rest(&value[1..], array_depth).inspect_err(|()| *array_depth = 0)?;
            None
        }
        Some(b'{') | None => return Err(()),
        Some(_) => {
            let end = value.find([' ', '\t', '#']).unwrap_or(value.len());
            if !blank_or_comment(&value[end..]) {
                return Err(());
            }
            None
        }
    };
    let Some(package) = current.as_mut() else {
        return Ok(());
    };
    let slot = match key.as_ref() {
        "name" => &mut package.name,
        "version" => &mut package.version,
        _ => return Ok(()),
    };
    let duplicate = slot.is_some();
    *slot = Some(Field {
        value: string,
        line: number,
        column: column(raw, raw.len() - raw.trim_start_matches([' ', '\t']).len()),
    });
    // A duplicate key: let the TOML parser say so.
    if duplicate { Err(()) } else { Ok(()) }
}

fn blank_or_comment(text: &str) -> bool {
    let text = text.trim_start_matches([' ', '\t']);
    text.is_empty() || text.starts_with('#')
}

/// A key (bare or quoted, not dotted) followed by `=`: the key and where the value starts.
fn key_value(line: &str) -> Option<(Cow<'_, str>, usize)> {
    let (key, len) = match line.as_bytes().first()? {
        b'"' | b'\'' => string(line)?,
        _ => {
            let len = line
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
                .unwrap_or(line.len());
            if len == 0 {
                return None;
            }
            (Cow::Borrowed(&line[..len]), len)
        }
    };
    let after = line[len..].trim_start_matches([' ', '\t']);
    let value = after.strip_prefix('=')?.trim_start_matches([' ', '\t']);
    Some((key, line.len() - value.len()))
}

/// A one-line basic or literal string without escapes at the start of `text`: its value and
/// length. Anything else (escapes, multi-line strings) is for the TOML parser.
fn string(text: &str) -> Option<(Cow<'_, str>, usize)> {
    let quote = text.as_bytes()[0];
    if text.as_bytes().get(1..3) == Some(&[quote, quote][..]) {
        return None;
    }
    let end = text[1..].find(char::from(quote))? + 1;
    let value = &text[1..end];
    if (quote == b'"' && value.contains('\\')) || value.contains(|c: char| c.is_control()) {
        return None;
    }
    Some((Cow::Borrowed(value), end + 1))
}

/// Follows an array value to its closing bracket: `depth` counts open brackets. `Err` for
/// what the scan does not read (inline tables, escapes, text after the array).
fn array_rest(text: &str, depth: &mut usize) -> Result<(), ()> {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '"' | '\'' => {
                let (_, len) = string(rest).ok_or(())?;
                rest = &rest[len..];
                continue;
            }
            '#' => return Ok(()),
            '[' => *depth += 1,
            ']' => {
                *depth -= 1;
                if *depth == 0 {
                    return if blank_or_comment(&rest[1..]) {
                        Ok(())
                    } else {
                        Err(())
                    };
                }
            }
            '{' | '}' | '=' => return Err(()),
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(())
}

/// Reads the packages from the TOML parser's tree (for files the scan does not read).
fn from_tree(table: &Spanned<DeTable<'_>>, text: &str, out: &mut Collector<'_>) {
    let index = LineIndex::new(text);
    let at = |span: std::ops::Range<usize>| index.position(span.start);
    let Some(packages) = table.get_ref().get("package") else {
        return;
    };
    let DeValue::Array(items) = packages.get_ref() else {
        let (line, column) = at(packages.span());
        out.problem(line, column, "`package` is not an array of tables");
        return;
    };
    for item in items {
        let DeValue::Table(package) = item.get_ref() else {
            let (line, column) = at(item.span());
            out.problem(line, column, "a `package` entry is not a table");
            continue;
        };
        let Some((key, name)) = package.get_key_value("name") else {
            let (line, column) = at(item.span());
            out.problem(line, column, "a `[[package]]` entry has no `name`");
            continue;
        };
        let (line, column) = at(key.span());
        let DeValue::String(name) = name.get_ref() else {
            out.problem(line, column, "`name` is not a string");
            continue;
        };
        match package.get("version").map(Spanned::get_ref) {
            Some(DeValue::String(version)) => out.pinned(name, version, line),
            Some(_) => out.problem(
                line,
                column,
                format!("the `version` of package `{name}` is not a string"),
            ),
            None => out.problem(line, column, format!("package `{name}` has no `version`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;
    use super::super::fixtures::{self, found};
    use super::*;

    fn read(text: &str) -> Extracted {
        fixtures::parse_text(Kind::CargoLock, "Cargo.lock", text)
    }

    #[test]
    fn agrees_with_the_peer_scanners_fixtures() {
        assert!(fixtures::check_folder("cargo-lock", Kind::CargoLock) >= 9);
        fixtures::check_lines("cargo-lock", Kind::CargoLock);
    }

    #[test]
    fn every_package_at_the_line_of_its_name() {
        let text = "# generated\nversion = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n \"git-dep 0.2.0 (git+https://x/y#abc)\",\n]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ddc6f9cc94d67c0e21aaf7eda3a010fd3af78ebf6e096aa6e2e13c79749cce4f\"\n\n[[package]]\nname = 'git-dep'\nversion = \"0.2.0\"  # pinned\nsource = \"git+https://x/y#abc\"\n\n[metadata]\n\"checksum serde 1.0.200 (registry+https://github.com/rust-lang/crates.io-index)\" = \"ddc6\"\n";
        let out = read(text);
        assert_eq!(out.problems, vec![]);
        assert_eq!(
            found(&out),
            vec![
                ("app", "0.1.0", 5),
                ("serde", "1.0.200", 13),
                ("git-dep", "0.2.0", 19)
            ]
        );
        let serde = &out.components[1];
        assert_eq!(serde.ecosystem, Ecosystem::CratesIo);
        assert_eq!(serde.path, "Cargo.lock");
        assert_eq!(serde.requirement, None);
    }

    #[test]
    fn valid_toml_outside_cargos_style_is_read_by_the_toml_parser() {
        // Inline tables, escapes and dotted keys are valid TOML Cargo does not write.
        let text = "version = 3\n[[package]]\nname = \"a\\u0062c\"\nversion = \"1.0.0\"\nmeta = { x = 1 }\n\n[[package]]\n\"name\" = \"d\"\nversion = \"\"\"2.0.0\"\"\"\n";
        let out = read(text);
        assert_eq!(out.problems, vec![]);
        assert_eq!(found(&out), vec![("abc", "1.0.0", 3), ("d", "2.0.0", 8)]);
    }

    #[test]
    fn a_broken_file_is_a_problem_and_keeps_the_other_packages() {
        let text = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\nversion = \"2.0.0\"\n\n[[package]]\nname = \"c\"\nversion = \"3.0.0\"\n";
        let out = read(text);
        assert_eq!(found(&out), vec![("a", "1.0.0", 2), ("c", "3.0.0", 10)]);
        assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
        assert_eq!(out.problems[0].line, 6);
        assert!(out.problems[0].message.starts_with("not valid TOML"));
    }

    #[test]
    fn entries_without_a_name_or_version_are_problems() {
        let text = "[[package]]\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\n\n[[package]]\nname = \"c\"\nversion = 3\n\n[[package]]\nname = \"d\"\nversion = \"4.0.0\"\n";
        let out = read(text);
        assert_eq!(found(&out), vec![("d", "4.0.0", 12)]);
        let problems: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            vec![
                (1, "a `[[package]]` entry has no `name`"),
                (5, "package `b` has no `version`"),
                (9, "the `version` of package `c` is not a string"),
            ]
        );
        // The same through the TOML parser's tree (the inline table sends it there).
        let out = read(&format!("{text}[x]\ny = {{ z = 1 }}\n"));
        assert_eq!(found(&out), vec![("d", "4.0.0", 12)]);
        assert_eq!(out.problems.len(), 3, "{:?}", out.problems);
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "[",
            "[[",
            "[[package]",
            "[[package]]\nname",
            "[[package]]\nname =",
            "[[package]]\nname = \"",
            "[[package]]\nname = '''",
            "[[package]]\ndependencies = [\n\"a\",\n",
            "[[package]]\ndependencies = [ [ ] ] ]\n",
            "package = 3",
            "package = [1, 2]",
            "\u{0}\u{1}",
            "é = \"é\"",
        ] {
            let _ = read(text);
        }
        assert!(
            !read("this is not valid toml! (I think)")
                .problems
                .is_empty()
        );
    }

    #[test]
    fn real_world_lockfiles_read_cleanly() {
        for (file, packages) in [
            ("real-world/pkgdeprecate-deprecated-novuln.Cargo.lock", 36),
            ("real-world/test-image-with-deprecated.Cargo.lock", 33),
        ] {
            let out = fixtures::extract("cargo-lock", file, Kind::CargoLock);
            assert_eq!(out.problems, vec![], "{file}");
            assert_eq!(out.components.len(), packages, "{file}");
            assert!(
                out.components
                    .iter()
                    .all(|c| c.version.is_some() && c.line > 1)
            );
        }
    }

    #[test]
    fn thousands_of_packages_are_read_quickly() {
        let mut text = String::from("version = 4\n\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "[[package]]\nname = \"crate-{i}\"\nversion = \"1.{i}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"e7a2e47a1fbe209ee101dd6d61285226744c6c8d3c21c8dc878ba6cb9f467f3a\"\ndependencies = [\n \"libc\",\n \"serde 1.0.0\",\n]\n\n"
            ));
        }
        let start = std::time::Instant::now();
        let out = read(&text);
        let elapsed = start.elapsed();
        assert_eq!(out.components.len(), 5_000);
        assert_eq!(out.components[4_999].line, 2 + 10 * 4_999 + 2);
        // Generous, for debug builds on a busy machine; release takes a few milliseconds.
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
