//! Semantic versions as OSV reads them for npm, crates.io and Go: leniently.
//!
//! After an optional `v`, digits and dots make release components until the first other
//! character, which starts the pre-release (a `-` there is dropped, as node-semver does).
//! Release components compare numerically, missing ones as zero; only the first three count
//! as release, further ones are appended to the pre-release as `.N` (so `1.2.3.4` is a
//! pre-release of `1.2.3`). Build metadata (from the first `+`) is ignored, which orders Go's
//! `+incompatible` versions by their release. A version with a pre-release sorts before the
//! same release without; pre-release identifiers (split on `.`) compare numerically when all
//! digits, else by ASCII, numbers first, more identifiers last. Go pseudo-versions
//! (`v0.0.0-20200101000000-abcdef`, `v1.2.4-0.20191109021931-daa7c04131f5`) are pre-releases
//! whose fixed-width timestamps order them by time.

use super::{Num, split_run};

/// What a semantic version compares by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    /// At most three components, trailing zeros removed (a missing component is zero).
    release: Vec<Num>,
    pre: Pre,
}

/// The pre-release; a release sorts after all its pre-releases.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Pre {
    Some(Vec<Ident>),
    Release,
}

/// A pre-release identifier: numbers sort before text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ident {
    Num(Num),
    Text(Box<str>),
}

const RELEASE_COMPONENTS: usize = 3;

pub(super) fn parse(text: &str) -> Result<Key, String> {
    let body = text.strip_prefix('v').unwrap_or(text);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("it does not start with a number (after an optional `v`)".to_owned());
    }
    let mut components = Vec::new();
    let mut rest = body;
    let pre_start = loop {
        let (digits, after) = split_run(rest, |b| b.is_ascii_digit());
        if !digits.is_empty() {
            components.push(Num::parse(digits));
        }
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None => break after,
        }
    };
    let mut pre = pre_start.to_owned();
    if components.len() > RELEASE_COMPONENTS {
        for extra in components.drain(RELEASE_COMPONENTS..) {
            pre.push('.');
            pre.push_str(&display(&extra));
        }
    }
    while components.last().is_some_and(Num::is_zero) {
        components.pop();
    }
    let pre = pre.split('+').next().unwrap_or_default();
    let pre = pre.strip_prefix('-').unwrap_or(pre);
    let pre = if pre.is_empty() {
        Pre::Release
    } else {
        Pre::Some(pre.split('.').map(ident).collect())
    };
    Ok(Key {
        release: components,
        pre,
    })
}

fn ident(text: &str) -> Ident {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        Ident::Num(Num::parse(text))
    } else {
        Ident::Text(text.into())
    }
}

fn display(n: &Num) -> String {
    match n {
        Num::Small(v) => v.to_string(),
        Num::Big(digits) => digits.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn go_versions_order_by_release_then_pseudo_version_time() {
        let cmp = |a, b| compare(Scheme::Semver, a, b).unwrap();
        assert_eq!(cmp("v2.0.0+incompatible", "v2.0.0"), Equal);
        assert_eq!(cmp("v1.9.9", "v2.0.0+incompatible"), Less);
        assert_eq!(
            cmp(
                "v0.0.0-20200101000000-abcdef",
                "v0.0.0-20210101000000-012345"
            ),
            Less
        );
        assert_eq!(cmp("v0.0.0-20200101000000-abcdef", "v0.0.1"), Less);
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
            Greater
        );
        assert_eq!(cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"), Less);
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-pre"),
            Less
        );
    }

    #[test]
    fn components_beyond_three_make_a_pre_release() {
        let cmp = |a, b| compare(Scheme::Semver, a, b).unwrap();
        assert_eq!(cmp("1.2.3.4", "1.2.3"), Less);
        assert_eq!(cmp("1.2.3.4", "1.2.3.5"), Less);
        assert_eq!(cmp("1.2.3.4", "1.2.3.04"), Equal);
        assert_eq!(cmp("1.2", "1.2.0"), Equal);
    }

    #[test]
    fn text_that_does_not_start_with_a_number_is_invalid() {
        for text in ["latest", "*", "v", "vv1", "-1", ".1", "^1.2"] {
            assert!(compare(Scheme::Semver, text, "1").is_err(), "{text}");
        }
    }
}
