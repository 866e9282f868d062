//! dpkg's status database (`var/lib/dpkg/status`, and the one-file-per-package
//! `var/lib/dpkg/status.d/*` of distroless images) and opkg's (`usr/lib/opkg/status`).
//!
//! Both are deb822 paragraphs separated by blank lines. A package is listed when its
//! `Status` (`want flag state`) has the state `installed`; in `status.d` files, which
//! carry no `Status`, every package is installed. `Source: name (version)` names the
//! source package the binary is built from ([`Component::source_name`]). The ecosystem is
//! `OpenWrt` for opkg; for dpkg it is Ubuntu when the image's `etc/os-release` (or
//! `usr/lib/os-release`), found beside the `var/` the status file is under, says
//! `ID=ubuntu` (or `ID_LIKE` names ubuntu), and Debian otherwise.

use super::lockfile::line_problem;
use super::{Component, Ecosystem, Extracted, Input, Kind};

/// Reads a dpkg (`kind` [`Kind::DpkgStatus`]) or opkg status file.
pub(crate) fn parse(kind: Kind, input: &Input<'_>) -> Extracted {
    let ecosystem = if kind == Kind::OpkgStatus {
        Ecosystem::OpenWrt
    } else {
        debian_flavour(input)
    };
    let status_d = input.path.contains("/status.d/") || input.path.starts_with("status.d/");
    let mut out = Extracted::default();
    for paragraph in paragraphs(input.text) {
        if let Some(&first) = paragraph.malformed.first() {
            let more = paragraph.malformed.len() - 1;
            out.problems.push(line_problem(
                first,
                if more == 0 {
                    "line is not `Field: value`; ignored".to_owned()
                } else {
                    format!(
                        "line is not `Field: value`; ignored, with {more} more in this paragraph"
                    )
                },
            ));
        }
        if paragraph.fields.is_empty() {
            continue;
        }
        let Some((name, name_line)) = paragraph.field("Package") else {
            out.problems.push(line_problem(
                paragraph.line,
                "package entry has no `Package` field; skipped".to_owned(),
            ));
            continue;
        };
        match paragraph.field("Status") {
            Some((status, line)) => match status.split_whitespace().collect::<Vec<_>>()[..] {
                [_, _, "installed"] => {}
                [_, _, _] => continue, // not (or not fully) installed
                _ => {
                    out.problems.push(line_problem(
                        line,
                        format!("`Status: {status}` of `{name}` is not `want flag state`; skipped"),
                    ));
                    continue;
                }
            },
            None if status_d => {}
            None => {
                out.problems.push(line_problem(
                    name_line,
                    format!("package `{name}` has no `Status` field; skipped"),
                ));
                continue;
            }
        }
        let Some((version, _)) = paragraph.field("Version").filter(|(v, _)| !v.is_empty()) else {
            out.problems.push(line_problem(
                name_line,
                format!("package `{name}` has no `Version` field; skipped"),
            ));
            continue;
        };
        let source = paragraph.source();
        let source_name = source
            .map(|(source, _)| source)
            .filter(|source| *source != name)
            .map(str::to_owned);
        let source_version = source
            .and_then(|(_, v)| v)
            .filter(|v| *v != version)
            .map(str::to_owned);
        out.components.push(Component {
            ecosystem,
            name: name.to_owned(),
            version: Some(version.to_owned()),
            requirement: None,
            source_name,
            source_version,
            path: input.path.to_owned(),
            line: name_line,
        });
    }
    out
}

/// Ubuntu or Debian, by the `os-release` of the file system the status file belongs to.
fn debian_flavour(input: &Input<'_>) -> Ecosystem {
    let Some((root, _)) = input
        .path
        .split_once("var/lib/dpkg/")
        .filter(|(root, _)| root.is_empty() || root.ends_with('/'))
    else {
        return Ecosystem::Debian;
    };
    for candidate in ["etc/os-release", "usr/lib/os-release"] {
        let path = format!("{root}{candidate}");
        if !input.reader.exists(&path) {
            continue;
        }
        if let Ok(text) = input.reader.read(&path) {
            return if is_ubuntu(&text) {
                Ecosystem::Ubuntu
            } else {
                Ecosystem::Debian
            };
        }
    }
    Ecosystem::Debian
}

/// Whether an `os-release` describes Ubuntu (or a derivative of it).
fn is_ubuntu(os_release: &str) -> bool {
    let value = |key: &str| {
        os_release.lines().find_map(|line| {
            let (k, v) = line.trim().split_once('=')?;
            (k == key).then(|| v.trim().trim_matches(['"', '\'']).to_ascii_lowercase())
        })
    };
    match value("ID").as_deref() {
        Some("ubuntu") => true,
        Some("debian") => false,
        _ => value("ID_LIKE").is_some_and(|like| like.split_whitespace().any(|l| l == "ubuntu")),
    }
}

/// One deb822 paragraph.
#[derive(Debug, Default)]
struct Paragraph<'t> {
    /// 1-based line of its first line.
    line: usize,
    /// Fields in order: name, first line of the value (trimmed), line.
    fields: Vec<(&'t str, &'t str, usize)>,
    /// Lines that are neither a field nor a continuation.
    malformed: Vec<usize>,
}

impl<'t> Paragraph<'t> {
    /// A field's value and line (names are case-insensitive).
    fn field(&self, name: &str) -> Option<(&'t str, usize)> {
        self.fields
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, value, line)| (value, line))
    }

    /// `Source: name (version)`: the source package and its version when given.
    fn source(&self) -> Option<(&'t str, Option<&'t str>)> {
        let (value, _) = self.field("Source")?;
        let (name, version) = match value.split_once('(') {
            Some((name, rest)) => (name.trim(), Some(rest.trim_end_matches(')').trim())),
            None => (value.trim(), None),
        };
        (!name.is_empty()).then_some((name, version.filter(|v| !v.is_empty())))
    }
}

/// The paragraphs of a deb822 file; empty paragraphs (runs of blank lines) are dropped.
fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    let mut out = Vec::new();
    let mut current = Paragraph::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            if !current.fields.is_empty() || !current.malformed.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if current.line == 0 || (current.fields.is_empty() && current.malformed.is_empty()) {
            current.line = number;
        }
        if line.starts_with([' ', '\t']) {
            if current.fields.is_empty() {
                current.malformed.push(number);
            }
            continue; // a continuation of the previous field's value
        }
        if line.starts_with('#') {
            continue; // a comment
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                current.fields.push((name, value.trim(), number));
            }
            _ => current.malformed.push(number),
        }
    }
    if !current.fields.is_empty() || !current.malformed.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::conform::RepoReader;
    use crate::inventory::fixtures::{self, parse_with};

    const STATUS: &str = "Package: libacl1\nStatus: install ok installed\nSource: acl\nVersion: 2.3.1-3\nDescription: access control list\n shared library\n .\n more\n\nPackage: util-linux-extra\nStatus: install ok installed\nSource: util-linux (2.38.1-5)\nVersion: 2.38.1-5+b1\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: acl\nStatus: install ok installed\nSource: acl\nVersion: 2.3.1-3\n";

    #[test]
    fn installed_packages_with_their_source() {
        let got = parse_with(Kind::DpkgStatus, "img/var/lib/dpkg/status", STATUS, &[]);
        let found: Vec<_> = got
            .components
            .iter()
            .map(|c| {
                (
                    c.ecosystem,
                    c.name.as_str(),
                    c.version.as_deref(),
                    c.source_name.as_deref(),
                    c.line,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    Ecosystem::Debian,
                    "libacl1",
                    Some("2.3.1-3"),
                    Some("acl"),
                    1
                ),
                (
                    Ecosystem::Debian,
                    "util-linux-extra",
                    Some("2.38.1-5+b1"),
                    Some("util-linux"),
                    10
                ),
                (Ecosystem::Debian, "acl", Some("2.3.1-3"), None, 19),
            ]
        );
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn os_release_beside_var_decides_ubuntu() {
        for (files, want) in [
            (
                vec![(
                    "img/etc/os-release",
                    "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n",
                )],
                Ecosystem::Ubuntu,
            ),
            (
                vec![("img/usr/lib/os-release", "ID=\"ubuntu\"\n")],
                Ecosystem::Ubuntu,
            ),
            (
                vec![(
                    "img/etc/os-release",
                    "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n",
                )],
                Ecosystem::Ubuntu,
            ),
            (
                vec![("img/etc/os-release", "ID=debian\n")],
                Ecosystem::Debian,
            ),
            (vec![("etc/os-release", "ID=ubuntu\n")], Ecosystem::Debian),
            (vec![], Ecosystem::Debian),
        ] {
            let got = parse_with(Kind::DpkgStatus, "img/var/lib/dpkg/status", STATUS, &files);
            assert!(
                got.components.iter().all(|c| c.ecosystem == want),
                "{files:?}"
            );
        }
        let got = parse_with(Kind::OpkgStatus, "usr/lib/opkg/status", STATUS, &[]);
        assert!(
            got.components
                .iter()
                .all(|c| c.ecosystem == Ecosystem::OpenWrt)
        );
    }

    #[test]
    fn bad_entries_are_problems_and_do_not_hide_the_others() {
        let text = "Package: nostatus\nVersion: 1\n\nStatus: install ok installed\nVersion: 2\n\nPackage: noversion\nStatus: install ok installed\n\nPackage: bad\nStatus: broken\nVersion: 1\n\ngarbage line\nPackage: good\nStatus: install ok installed\nVersion: 3\nmore garbage\n";
        let got = parse_with(Kind::DpkgStatus, "var/lib/dpkg/status", text, &[]);
        let names: Vec<_> = got.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["good"]);
        let lines: Vec<_> = got.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 4, 7, 11, 14], "{:?}", got.problems);
        assert!(got.problems[4].message.contains("1 more"));
    }

    #[test]
    fn status_d_entries_need_no_status() {
        let got = parse_with(
            Kind::DpkgStatus,
            "var/lib/dpkg/status.d/base",
            "Package: base-files\nVersion: 12.4\n\nPackage: bar\nStatus: deinstall ok config-files\nVersion: 1.0\n",
            &[],
        );
        let names: Vec<_> = got.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["base-files"]);
        assert!(got.problems.is_empty());
    }

    #[test]
    fn a_large_status_file_is_fast() {
        let text: String = (0..1000)
            .map(|i| format!("Package: pkg{i}\nStatus: install ok installed\nVersion: 1.{i}-1\nDescription: x\n long text\n\n"))
            .collect();
        let start = std::time::Instant::now();
        let got = parse_with(Kind::DpkgStatus, "var/lib/dpkg/status", &text, &[]);
        let elapsed = start.elapsed();
        assert_eq!(got.components.len(), 1000);
        assert!(elapsed.as_millis() < 200, "{elapsed:?}");
    }

    /// The `os-release` a case's `osrelease` config stands for: the upstream test's named
    /// constants, or its literal text (transcribed onto one line, fields space-separated).
    fn os_release(config: &str) -> String {
        match config {
            "DebianBookworm" => {
                "ID=debian\nVERSION_CODENAME=bookworm\nVERSION_ID=\"12\"\n".to_owned()
            }
            "OpkgRelease" => "ID=openwrt\nVERSION_ID=\"21.02.1\"\n".to_owned(),
            literal => literal
                .trim_matches(['`', '"'])
                .split_whitespace()
                .map(|field| format!("{field}\n"))
                .collect(),
        }
    }

    /// Every case of osv-scalibr's dpkg and opkg tests, including those with a config:
    /// `isOPKG` picks the opkg kind (and path), `osrelease` is served as the image's
    /// `etc/os-release` and decides the ecosystem (asserted), and `wantLogWarn`/`wantLogErr`
    /// counts are compared with the problems reported (upstream logs what hardline reports).
    /// Not honoured: the `IncludeNotInstalled` plugin option (the "statusfield including not
    /// installed" cases): hardline always lists installed packages only.
    #[test]
    fn scalibr_fixtures_agree() {
        let mut failures = Vec::new();
        let mut checked = 0;
        for folder in ["dpkg-status/dpkg", "dpkg-status/opkg"] {
            for case in fixtures::cases(folder) {
                let config = case.config.clone().unwrap_or(Value::Null);
                if config.get("cfg").is_some() {
                    continue; // IncludeNotInstalled: see above
                }
                checked += 1;
                let opkg = config["isOPKG"].as_str() == Some("true");
                let (kind, dir) = if opkg {
                    (Kind::OpkgStatus, "usr/lib/opkg/")
                } else {
                    (Kind::DpkgStatus, "var/lib/dpkg/")
                };
                // status.d fixtures keep their directory.
                let path = format!("{dir}{}", case.fixture);
                let path = if case.fixture.starts_with("status.d/") {
                    path
                } else {
                    format!("{dir}status")
                };
                let text =
                    std::fs::read_to_string(fixtures::folder(folder).join(&case.fixture)).unwrap();
                let mut files = Vec::new();
                let release = config["osrelease"].as_str().map(os_release);
                if let Some(release) = &release {
                    files.push(("etc/os-release", release.as_str()));
                }
                let got = parse_with(kind, &path, &text, &files);
                let want_ecosystem = match (opkg, release.as_deref().is_some_and(is_ubuntu)) {
                    (true, _) => Ecosystem::OpenWrt,
                    (false, true) => Ecosystem::Ubuntu,
                    (false, false) => Ecosystem::Debian,
                };
                let label = format!("{folder}/{} ({})", case.fixture, case.name);
                if case.name == "ubuntu" && want_ecosystem != Ecosystem::Ubuntu {
                    failures.push(format!("{label}: the ubuntu case is not read as Ubuntu"));
                }
                if let Some(c) = got
                    .components
                    .iter()
                    .find(|c| c.ecosystem != want_ecosystem)
                {
                    failures.push(format!(
                        "{label}: `{}` is {}, not {want_ecosystem}",
                        c.name, c.ecosystem
                    ));
                }
                if case.expect_error && got.problems.is_empty() {
                    failures.push(format!(
                        "{label}: upstream expects an error, no problem reported"
                    ));
                }
                let logged: Option<usize> = ["wantLogWarn", "wantLogErr"]
                    .iter()
                    .filter_map(|k| config[*k].as_str()?.parse::<usize>().ok())
                    .reduce(|a, b| a + b);
                if let Some(logged) = logged
                    && logged != got.problems.len()
                {
                    failures.push(format!(
                        "{label}: upstream logs {logged} warning(s), hardline reports {:?}",
                        got.problems
                    ));
                }
                if let Some(expected) = &case.packages {
                    let got: BTreeSet<(String, String)> = got
                        .components
                        .iter()
                        .map(|c| (c.name.clone(), c.version.clone().unwrap_or_default()))
                        .collect();
                    if &got != expected {
                        failures.push(format!("{label}: got {got:?}, expected {expected:?}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(checked, 27);
    }

    /// osv-scanner v1 listed a binary package under its source package, at the source
    /// version when `Source` gives one, and kept packages without a version (empty) or
    /// without a `Package` field (by their source). Its view is checked against the
    /// paragraph reader and status filter that `parse` uses; `parse` itself lists binary
    /// packages with their own version (as current osv-scalibr does) and reports the
    /// incomplete ones as problems.
    #[test]
    fn osv_scanner_v1_fixtures_agree() {
        let folder = "dpkg-status/osv-scanner-v1";
        let mut checked = 0;
        for case in fixtures::cases(folder) {
            let text =
                std::fs::read_to_string(fixtures::folder(folder).join(&case.fixture)).unwrap();
            let mut v1 = BTreeSet::new();
            for paragraph in paragraphs(&text) {
                let installed = paragraph
                    .field("Status")
                    .is_some_and(|(s, _)| s.split_whitespace().nth(2) == Some("installed"));
                let source = paragraph.source();
                let name = source
                    .map(|(name, _)| name)
                    .or(paragraph.field("Package").map(|(name, _)| name));
                let (Some(name), true) = (name, installed) else {
                    continue;
                };
                let version = source
                    .and_then(|(_, version)| version)
                    .or(paragraph.field("Version").map(|(v, _)| v))
                    .unwrap_or_default();
                v1.insert((name.to_owned(), version.to_owned()));
            }
            assert_eq!(Some(&v1), case.packages.as_ref(), "{}", case.fixture);
            // And parse() never panics and lists only what the file declares.
            let reader = RepoReader::new(fixtures::folder(folder));
            let got = parse(
                Kind::DpkgStatus,
                &Input {
                    path: "var/lib/dpkg/status",
                    text: &text,
                    reader: &reader,
                },
            );
            assert!(got.components.iter().all(|c| text.contains(&c.name)));
            checked += 1;
        }
        assert_eq!(checked, 7);
    }

    #[test]
    fn real_world_status_reads_clean() {
        let text = std::fs::read_to_string(
            fixtures::folder("dpkg-status/real-world").join("locks-many.status"),
        )
        .unwrap();
        let got = parse_with(Kind::DpkgStatus, "var/lib/dpkg/status", &text, &[]);
        assert_eq!(got.components.len(), 1);
        assert!(got.problems.is_empty(), "{:?}", got.problems);
    }

    #[test]
    fn truncated_files_give_problems_not_panics() {
        assert!(fixtures::truncations_hold("dpkg-status", Kind::DpkgStatus) > 100);
        assert!(fixtures::truncations_hold("dpkg-status/opkg", Kind::OpkgStatus) > 100);
    }
}
