//! Inventory: every third-party component a repository declares, from dependency
//! lockfiles, OS package lists and image references, with where it is declared.
//!
//! One module per file format. Each parser is a pure function from a file's text to the
//! components it declares plus the problems that kept it from reading parts of the file;
//! a problem never hides the components around it. Only [`Reader`] does IO (for files a
//! format pulls in: `-r` includes, a sibling `go.sum`).

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::conform::Reader;

mod cargo;
mod composer;
mod dockerfile;
mod dpkg;
mod gemfile;
mod gomod;
mod located_json;
mod lockfile;
mod npm;
mod pipfile;
mod pnpm;
mod poetry;
mod requirements;
mod yarn;

/// A package ecosystem, named as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ecosystem {
    /// Rust crates (Cargo.lock).
    CratesIo,
    /// npm packages (package-lock.json, yarn.lock, pnpm-lock.yaml).
    Npm,
    /// Python packages (poetry.lock, Pipfile.lock, requirements.txt).
    PyPI,
    /// Go modules (go.mod).
    Go,
    /// Ruby gems (Gemfile.lock).
    RubyGems,
    /// PHP packages (composer.lock).
    Packagist,
    /// Debian packages (dpkg status).
    Debian,
    /// Ubuntu packages (dpkg status on Ubuntu).
    Ubuntu,
    /// Alpine packages.
    Alpine,
    /// `OpenWrt` packages (opkg status).
    OpenWrt,
    /// Container images (Dockerfile `FROM`); not an OSV ecosystem, audited by policy only.
    Docker,
}

impl Ecosystem {
    /// Every ecosystem.
    pub const ALL: [Ecosystem; 11] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Debian,
        Ecosystem::Ubuntu,
        Ecosystem::Alpine,
        Ecosystem::OpenWrt,
        Ecosystem::Docker,
    ];

    /// OSV's name for the ecosystem.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Debian => "Debian",
            Ecosystem::Ubuntu => "Ubuntu",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::OpenWrt => "OpenWrt",
            Ecosystem::Docker => "Docker",
        }
    }

    /// Parses OSV's name; OSV's release suffixes (`Debian:12`, `Alpine:v3.18`) are ignored.
    pub fn parse(text: &str) -> Option<Ecosystem> {
        let base = text.split(':').next().unwrap_or(text);
        Ecosystem::ALL.into_iter().find(|e| e.as_str() == base)
    }

    /// The package-URL type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::Debian | Ecosystem::Ubuntu => "deb",
            Ecosystem::Alpine => "apk",
            Ecosystem::OpenWrt => "opkg",
            Ecosystem::Docker => "docker",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Ecosystem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One declared component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as the ecosystem spells it (`@scope/name`, `github.com/a/b`, `vendor/name`).
    pub name: String,
    /// Exact version; `None` when the declaration does not pin one (see `requirement`).
    pub version: Option<String>,
    /// The requirement as written when it is not an exact version (`>=2.0`, `*`).
    pub requirement: Option<String>,
    /// Debian/Ubuntu: the source package the binary package is built from, when it differs.
    pub source_name: Option<String>,
    /// Debian/Ubuntu: the source package's version when it differs (`Source: name (1.2-3)`);
    /// advisories name source packages at source versions.
    pub source_version: Option<String>,
    /// Repository-relative path of the declaring file.
    pub path: String,
    /// 1-based line of the declaration (1 when the format gives none).
    pub line: usize,
}

/// A part of a file a parser could not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Lower-case sentence, no trailing period.
    pub message: String,
}

/// What a parser read from one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Components, in file order.
    pub components: Vec<Component>,
    /// Problems, in file order.
    pub problems: Vec<Problem>,
}

/// What a parser is given.
pub struct Input<'a> {
    /// Repository-relative path (for [`Component::path`] and for resolving includes).
    pub path: &'a str,
    /// The file's text.
    pub text: &'a str,
    /// Reads files the format pulls in, by repo-relative path.
    pub reader: &'a dyn Reader,
}

/// A file format the inventory reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `Cargo.lock`.
    CargoLock,
    /// `package-lock.json` or `npm-shrinkwrap.json` (lockfile versions 1, 2 and 3).
    NpmLock,
    /// `yarn.lock` (classic v1 and berry).
    YarnLock,
    /// `pnpm-lock.yaml` (lockfile versions 5 to 9).
    PnpmLock,
    /// `composer.lock`.
    ComposerLock,
    /// `Gemfile.lock` / `gems.locked`.
    GemfileLock,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `requirements*.txt`.
    Requirements,
    /// `go.mod` (with the sibling `go.sum` for modules of go 1.16 and older).
    GoMod,
    /// dpkg's `var/lib/dpkg/status` (and `status.d/*` of distroless images).
    DpkgStatus,
    /// opkg's `usr/lib/opkg/status`.
    OpkgStatus,
    /// `Dockerfile` / `Containerfile`: `FROM` image references.
    Dockerfile,
}

impl Kind {
    /// The format a file is, judged by its repo-relative path; `None` for other files.
    pub fn detect(path: &str) -> Option<Kind> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let parent = path.strip_suffix(name).unwrap_or("").trim_end_matches('/');
        Some(match name {
            "Cargo.lock" => Kind::CargoLock,
            "package-lock.json" | "npm-shrinkwrap.json" => Kind::NpmLock,
            "yarn.lock" => Kind::YarnLock,
            "pnpm-lock.yaml" => Kind::PnpmLock,
            "composer.lock" => Kind::ComposerLock,
            "Gemfile.lock" | "gems.locked" => Kind::GemfileLock,
            "poetry.lock" => Kind::PoetryLock,
            "Pipfile.lock" => Kind::PipfileLock,
            "go.mod" => Kind::GoMod,
            "status" if parent.ends_with("dpkg") || parent == "var/lib/dpkg" => Kind::DpkgStatus,
            "status" if parent.ends_with("opkg") => Kind::OpkgStatus,
            _ if parent.ends_with("var/lib/dpkg/status.d") && !name.contains('.') => {
                Kind::DpkgStatus
            }
            _ if name.starts_with("requirements")
                && Path::new(name)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("txt")) =>
            {
                Kind::Requirements
            }
            _ if name == "Dockerfile"
                || name == "Containerfile"
                || name.starts_with("Dockerfile.")
                || name.ends_with(".Dockerfile")
                || name.ends_with(".dockerfile") =>
            {
                Kind::Dockerfile
            }
            _ => return None,
        })
    }
}

/// Reads the components `input` declares, as the format `kind`.
pub fn parse(kind: Kind, input: &Input<'_>) -> Extracted {
    match kind {
        Kind::CargoLock => cargo::parse(input),
        Kind::NpmLock => npm::parse(input),
        Kind::YarnLock => yarn::parse(input),
        Kind::PnpmLock => pnpm::parse(input),
        Kind::ComposerLock => composer::parse(input),
        Kind::GemfileLock => gemfile::parse(input),
        Kind::PoetryLock => poetry::parse(input),
        Kind::PipfileLock => pipfile::parse(input),
        Kind::Requirements => requirements::parse(input),
        Kind::GoMod => gomod::parse(input),
        Kind::DpkgStatus | Kind::OpkgStatus => dpkg::parse(kind, input),
        Kind::Dockerfile => dockerfile::parse(input),
    }
}

/// The package URL of a component (<https://github.com/package-url/purl-spec>).
pub fn purl(ecosystem: Ecosystem, name: &str, version: Option<&str>) -> String {
    let name = match ecosystem {
        Ecosystem::PyPI => normalize_pypi(name),
        _ => name.to_owned(),
    };
    let mut out = format!("pkg:{}/", ecosystem.purl_type());
    let (namespace, base) = match ecosystem {
        Ecosystem::Debian => (Some("debian"), name.as_str()),
        Ecosystem::Ubuntu => (Some("ubuntu"), name.as_str()),
        Ecosystem::Alpine => (Some("alpine"), name.as_str()),
        Ecosystem::OpenWrt => (Some("openwrt"), name.as_str()),
        _ => match name.rsplit_once('/') {
            Some((ns, base)) => (Some(ns), base),
            None => (None, name.as_str()),
        },
    };
    if let Some(ns) = namespace {
        for (i, segment) in ns.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            encode(segment, &mut out);
        }
        out.push('/');
    }
    encode(base, &mut out);
    if let Some(version) = version {
        out.push('@');
        encode(version, &mut out);
    }
    out
}

/// PEP 503 name normalisation: lower case, runs of `-`, `_` and `.` become one `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn encode(text: &str, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_detected_by_path() {
        for (path, kind) in [
            ("Cargo.lock", Some(Kind::CargoLock)),
            ("web/npm-shrinkwrap.json", Some(Kind::NpmLock)),
            ("var/lib/dpkg/status", Some(Kind::DpkgStatus)),
            ("image/var/lib/dpkg/status.d/base", Some(Kind::DpkgStatus)),
            ("usr/lib/opkg/status", Some(Kind::OpkgStatus)),
            ("svc/requirements-dev.txt", Some(Kind::Requirements)),
            ("images/api/Dockerfile.prod", Some(Kind::Dockerfile)),
            ("status", None),
            ("README.md", None),
        ] {
            assert_eq!(Kind::detect(path), kind, "{path}");
        }
    }

    #[test]
    fn purls_follow_the_spec() {
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", Some("7.0.0")),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(Ecosystem::PyPI, "Django_Rest.Framework", Some("3.2")),
            "pkg:pypi/django-rest-framework@3.2"
        );
        assert_eq!(
            purl(Ecosystem::Go, "github.com/pkg/errors", Some("v0.9.1")),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
        assert_eq!(
            purl(Ecosystem::Debian, "libc6", Some("2.36-9+deb12u4")),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4"
        );
        assert_eq!(purl(Ecosystem::CratesIo, "serde", None), "pkg:cargo/serde");
    }

    #[test]
    fn ecosystems_round_trip() {
        for e in Ecosystem::ALL {
            assert_eq!(Ecosystem::parse(e.as_str()), Some(e));
        }
        assert_eq!(Ecosystem::parse("Debian:12"), Some(Ecosystem::Debian));
    }
}
