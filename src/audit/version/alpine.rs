//! Alpine package versions in `apk`'s order:
//! `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`.
//!
//! Numbers compare numerically, except that after the first, one starting with `0` compares
//! as a string (`1.01` < `1.1`, `1.0` < `1.00`); a missing number is `0`. Then the letter
//! (none first), the suffixes in turn (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` <
//! `_svn` < `_git` < `_hg` < `_p`, then their numbers), the `-r` release; the commit hash is
//! ignored. What is left over after that makes a version older than one without leftovers.
//!
//! Read as the reference matcher reads it, leniently: `_suffix` parts are taken from anywhere
//! in the leftovers, and a leftover that starts with neither `-r` nor `-` marks the version
//! as malformed. The reference compares two malformed versions as plain strings, which is not
//! a total order (against well-formed versions it compares them by their parts); here
//! malformed versions compare by their parts first and by their text only when those are
//! equal. (The reference also counts a leftover `-` not followed by `r` as malformed, yet its
//! vectors equate `1-ruff2` and `1--ruff1`; treating it as an ordinary leftover is what lets
//! one total order satisfy every vector.)

use std::cmp::Ordering;

use super::{Num, cmp_padded, split_run};

/// What an Alpine version compares by; fields in comparison order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    /// The first number (`0` when there is none).
    first: Num,
    /// The other numbers, trailing `0`s removed (a missing number is `0`).
    rest: Vec<Later>,
    letter: Option<u8>,
    suffixes: Suffixes,
    release: Num,
    /// Whether nothing was left over (versions with leftovers sort first).
    complete: bool,
    /// The text of a malformed version, the last resort between two of them.
    malformed: Option<Box<str>>,
}

/// A number after the first: leading-zero ones compare as strings, before all others.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Later {
    ZeroLed(Box<str>),
    Num(Num),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum SuffixKind {
    Alpha,
    Beta,
    Pre,
    Rc,
    /// What a version without (more) suffixes compares as.
    None,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Suffix {
    kind: SuffixKind,
    number: Num,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Suffixes(Vec<Suffix>);

impl PartialOrd for Suffixes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Suffixes {
    fn cmp(&self, other: &Self) -> Ordering {
        let none = Suffix {
            kind: SuffixKind::None,
            number: Num::ZERO,
        };
        cmp_padded(&self.0, &other.0, &none)
    }
}

/// Suffix names, longest first where one is a prefix of another (`pre` before `p`).
const SUFFIXES: [(&str, SuffixKind); 9] = [
    ("alpha", SuffixKind::Alpha),
    ("beta", SuffixKind::Beta),
    ("pre", SuffixKind::Pre),
    ("rc", SuffixKind::Rc),
    ("cvs", SuffixKind::Cvs),
    ("svn", SuffixKind::Svn),
    ("git", SuffixKind::Git),
    ("hg", SuffixKind::Hg),
    ("p", SuffixKind::P),
];

pub(super) fn parse(text: &str) -> Result<Key, String> {
    if !text.is_ascii() {
        return Err("it contains a character that is not ASCII".to_owned());
    }
    if !text.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return Err("it has no digits or letters".to_owned());
    }
    // Numbers: digits, each followed by at most one `.`.
    let mut numbers: Vec<&str> = Vec::new();
    let mut rest = text;
    loop {
        let (digits, after) = split_run(rest, |b| b.is_ascii_digit());
        if digits.is_empty() {
            break;
        }
        numbers.push(digits);
        rest = after.strip_prefix('.').unwrap_or(after);
        if rest.len() == after.len() {
            break;
        }
    }
    let first = numbers.first().map_or(Num::ZERO, |d| Num::parse(d));
    let mut later: Vec<Later> = numbers
        .iter()
        .skip(1)
        .map(|d| {
            if d.starts_with('0') {
                Later::ZeroLed((*d).into())
            } else {
                Later::Num(Num::parse(d))
            }
        })
        .collect();
    let zero = Later::ZeroLed("0".into());
    while later.last() == Some(&zero) {
        later.pop();
    }

    let letter = rest.bytes().next().filter(u8::is_ascii_lowercase);
    if letter.is_some() {
        rest = &rest[1..];
    }

    let mut suffixes = Vec::new();
    for (found, kind, number) in find_suffixes(rest) {
        suffixes.push(Suffix {
            kind,
            number: Num::parse(number),
        });
        // Only a suffix found at the start is consumed (as the reference does).
        rest = rest.strip_prefix(found).unwrap_or(rest);
    }

    if let Some(hash) = rest.strip_prefix('~') {
        let (hex, after) = split_run(hash, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex.is_empty() {
            rest = after;
        }
    }

    let mut release = Num::ZERO;
    let mut malformed = None;
    if !rest.is_empty() {
        match rest.strip_prefix("-r") {
            Some(after) => {
                let (digits, after) = split_run(after, |b| b.is_ascii_digit());
                release = Num::parse(digits);
                rest = after;
            }
            // Like a leftover after `-r`, a leftover `-` ends what is compared; only other
            // leftovers make the version malformed.
            None if rest.starts_with('-') => {}
            None => malformed = Some(text.into()),
        }
    }
    Ok(Key {
        first,
        rest: later,
        letter,
        suffixes: Suffixes(suffixes),
        release,
        complete: rest.is_empty(),
        malformed,
    })
}

/// Every `_suffix{digits}` in `text`, left to right, not overlapping: (the whole match, its
/// kind, its digits).
fn find_suffixes(text: &str) -> Vec<(&str, SuffixKind, &str)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find('_') {
        let start = at + offset;
        let after = &text[start + 1..];
        let Some((name, kind)) = SUFFIXES
            .into_iter()
            .find(|(name, _)| after.starts_with(name))
        else {
            at = start + 1;
            continue;
        };
        let (digits, _) = split_run(&after[name.len()..], |b| b.is_ascii_digit());
        let end = start + 1 + name.len() + digits.len();
        found.push((&text[start..end], kind, digits));
        at = end;
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn apk_order() {
        let cmp = |a, b| compare(Scheme::Alpine, a, b).unwrap();
        assert_eq!(cmp("1.2.3-r0", "1.2.3-r1"), Less);
        assert_eq!(cmp("1.2.3_rc1-r0", "1.2.3-r0"), Less);
        assert_eq!(cmp("1.2.3_p1-r0", "1.2.3-r9"), Greater);
        assert_eq!(cmp("1.2.3_git20200101", "1.2.3"), Greater);
        assert_eq!(cmp("1.2.3a", "1.2.3"), Greater);
        assert_eq!(cmp("1.2.3a", "1.2.4"), Less);
        assert_eq!(cmp("1.01", "1.1"), Less);
        assert_eq!(cmp("1.2", "1.2.0"), Equal);
        assert_eq!(cmp("1.2.3~abc123-r1", "1.2.3-r1"), Equal);
        assert_eq!(
            cmp("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn text_without_digits_or_letters_is_invalid() {
        for text in ["...", "-", "~", "_", "Ä"] {
            assert!(compare(Scheme::Alpine, text, "1").is_err(), "{text}");
        }
    }
}
