//! `PyPI` versions: PEP 440 as Python's `packaging` orders them.
//!
//! A version matching PEP 440's pattern (case-insensitive, with its alternative spellings:
//! `alpha` = `a`, `c`/`pre`/`preview` = `rc`, `rev`/`r`/`-N` = `post`) compares by epoch,
//! release (missing components zero), pre-release (a bare `.devN` before all pre-releases,
//! no pre-release after them), post-release, dev-release (none after all), then local
//! version (none first; numeric segments after text ones). Anything else is a pre-PEP 440
//! "legacy" version and sorts before every PEP 440 version, ordered as `packaging`'s
//! `LegacyVersion` did (setuptools' old `parse_version` parts), which OSV's `PyPI` data still
//! contains.
//!
//! `pep440_rs` is not used: it stores numbers as `u64` (so longer ones fail to parse and
//! would fall to the legacy order) and rejects the legacy versions the vectors order.

use std::sync::LazyLock;

use regex::Regex;

use super::{Num, split_run};

/// PEP 440 appendix B's pattern, for lower-cased text.
static PATTERN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^v?(?:(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)",
        r"(?P<pre>[-_\.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_\.]?(?P<pre_n>[0-9]+)?)?",
        r"(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?",
        r"(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)",
        r"(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$",
    ))
    .ok()
});

/// What a `PyPI` version compares by: legacy versions before all PEP 440 ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Key {
    /// `packaging`'s legacy parts (`*final`, zero-padded numbers, ...).
    Legacy(Vec<Box<str>>),
    Pep440(Pep440),
}

/// A PEP 440 version; fields in comparison order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Pep440 {
    epoch: Num,
    /// Trailing zeros removed.
    release: Vec<Num>,
    pre: Pre,
    /// `None` (no post-release) sorts first.
    post: Option<Num>,
    dev: Dev,
    /// `None` (no local version) sorts first.
    local: Option<Vec<Local>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Pre {
    /// Only a dev-release (`1.0.dev1`): before every pre-release of the release.
    DevOnly,
    Some(Phase, Num),
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    Alpha,
    Beta,
    Rc,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Dev {
    Some(Num),
    None,
}

/// A local version segment: text sorts before numbers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Local {
    Text(Box<str>),
    Num(Num),
}

pub(super) fn parse(text: &str) -> Result<Key, String> {
    let lower = text.to_lowercase();
    let Some(pattern) = PATTERN.as_ref() else {
        return Err("the PEP 440 pattern failed to compile".to_owned());
    };
    let Some(caps) = pattern.captures(&lower) else {
        return Ok(Key::Legacy(legacy(&lower)));
    };
    let group = |name: &str| caps.name(name).map_or("", |m| m.as_str());
    let mut release: Vec<Num> = group("release").split('.').map(Num::parse).collect();
    while release.last().is_some_and(Num::is_zero) {
        release.pop();
    }
    let pre = match group("pre_l") {
        "" => None,
        "a" | "alpha" => Some(Phase::Alpha),
        "b" | "beta" => Some(Phase::Beta),
        _ => Some(Phase::Rc),
    };
    let post = if !group("post_n1").is_empty() {
        Some(Num::parse(group("post_n1")))
    } else if !group("post_l").is_empty() {
        Some(Num::parse(group("post_n2")))
    } else {
        None
    };
    let dev = if group("dev_l").is_empty() {
        None
    } else {
        Some(Num::parse(group("dev_n")))
    };
    let pre = match (pre, &post, &dev) {
        (Some(phase), _, _) => Pre::Some(phase, Num::parse(group("pre_n"))),
        (None, None, Some(_)) => Pre::DevOnly,
        (None, _, _) => Pre::None,
    };
    let local = caps.name("local").map(|m| {
        m.as_str()
            .split(['.', '_', '-'])
            .map(|segment| {
                if segment.bytes().all(|b| b.is_ascii_digit()) {
                    Local::Num(Num::parse(segment))
                } else {
                    Local::Text(segment.into())
                }
            })
            .collect()
    });
    Ok(Key::Pep440(Pep440 {
        epoch: Num::parse(group("epoch")),
        release,
        pre,
        post,
        dev: dev.map_or(Dev::None, Dev::Some),
        local,
    }))
}

/// `packaging`'s `_legacy_cmpkey` parts of lower-cased text: runs of digits, runs of
/// letters, `.` and `-` are parts, and so is any text between them; `pre`, `preview` and
/// `rc` read as `c`, `dev` as `@`, `-` as `final-`; numbers are zero-padded to eight digits,
/// other parts prefixed `*`; `*final` ends the list. Before a part that sorts before
/// `*final` (a pre-release tag) the `*final-` parts before it are dropped, and before any
/// text part the zeros before it.
fn legacy(lower: &str) -> Vec<Box<str>> {
    let mut parts: Vec<Box<str>> = Vec::new();
    let mut rest = lower;
    while !rest.is_empty() {
        let (part, after) = next_legacy_part(rest);
        rest = after;
        let part = match part {
            "pre" | "preview" | "rc" => "c",
            "dev" => "@",
            "-" => "final-",
            "." => continue,
            other => other,
        };
        push_legacy(&mut parts, part);
    }
    push_legacy(&mut parts, "final");
    parts
}

fn next_legacy_part(s: &str) -> (&str, &str) {
    let first = s.as_bytes().first().copied().unwrap_or_default();
    if first.is_ascii_digit() {
        split_run(s, |b| b.is_ascii_digit())
    } else if first.is_ascii_lowercase() {
        split_run(s, |b| b.is_ascii_lowercase())
    } else if first == b'.' || first == b'-' {
        s.split_at(1)
    } else {
        // Text that is none of the above runs up to the next part that is.
        let end = s
            .bytes()
            .position(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'.' || b == b'-')
            .unwrap_or(s.len());
        s.split_at(end)
    }
}

fn push_legacy(parts: &mut Vec<Box<str>>, part: &str) {
    let part: Box<str> = if part.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{part:0>8}").into()
    } else {
        format!("*{part}").into()
    };
    if part.starts_with('*') {
        if *part < *"*final" {
            while parts.last().is_some_and(|p| &**p == "*final-") {
                parts.pop();
            }
        }
        while parts.last().is_some_and(|p| &**p == "00000000") {
            parts.pop();
        }
    }
    parts.push(part);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn pep440_order() {
        let cmp = |a, b| compare(Scheme::Pep440, a, b).unwrap();
        assert_eq!(cmp("1.0.dev1", "1.0a1"), Less);
        assert_eq!(cmp("1.0a1.dev1", "1.0a1"), Less);
        assert_eq!(cmp("1.0rc1", "1.0"), Less);
        assert_eq!(cmp("1.0", "1.0.post1.dev1"), Less);
        assert_eq!(cmp("1.0.post1.dev1", "1.0.post1"), Less);
        assert_eq!(cmp("1.0", "1.0+local"), Less);
        assert_eq!(cmp("1.0+abc", "1.0+1"), Less);
        assert_eq!(cmp("1.0-1", "1.0.post1"), Equal);
        assert_eq!(cmp("1.0C1", "1.0rc1"), Equal);
        assert_eq!(cmp("2!1.0", "3.0"), Greater);
        assert_eq!(cmp("1.0", "1.0.0.0"), Equal);
    }

    #[test]
    fn legacy_versions_sort_before_pep440_ones() {
        let cmp = |a, b| compare(Scheme::Pep440, a, b).unwrap();
        assert_eq!(cmp("trunk", "0.0.1"), Less);
        assert_eq!(cmp("0.1-bulbasaur", "0.1-charmander"), Less);
        assert_eq!(cmp("1.0-SNAPSHOT", "0.1"), Less);
    }

    #[test]
    fn huge_numbers_stay_pep440() {
        let cmp = |a, b| compare(Scheme::Pep440, a, b).unwrap();
        assert_eq!(
            cmp("99999999999999999999999.0", "99999999999999999999998.9"),
            Greater
        );
        assert_eq!(cmp("1.0.post99999999999999999999999", "1.0.1"), Less);
        assert_eq!(cmp("99999999999999999999999!0", "1!0"), Greater);
    }
}
