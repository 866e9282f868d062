//! Debian (and Ubuntu, and opkg's) versions: `[epoch:]upstream[-revision]` in `dpkg`'s order.
//!
//! The epoch (before the first `:`, zero when absent) compares numerically; then upstream
//! (up to the last `-`) and revision (after it, `0` when absent) by `dpkg`'s algorithm:
//! alternately a run of non-digits, compared character by character with `~` before the end
//! of the run, the end before letters, letters before everything else, and a run of digits,
//! compared numerically.
//!
//! Hand-written rather than the `debversion` crate: its `Hash` disagrees with its equality
//! (`1.01` equals `1.1` but hashes differently), its epoch is a `u32`, and it brings
//! `chrono`, `num-bigint` and `lazy-regex`; dpkg's algorithm is the forty lines below.

use std::cmp::Ordering;

use super::{Num, split_run};

/// What a Debian version compares by. Upstream and revision are kept canonical, every run of
/// digits without leading zeros and every run of non-digits followed by digits (`0` when it
/// had none), so that equal versions are equal strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    epoch: Num,
    upstream: Box<str>,
    revision: Box<str>,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| cmp_part(&self.upstream, &other.upstream))
            .then_with(|| cmp_part(&self.revision, &other.revision))
    }
}

pub(super) fn parse(text: &str) -> Result<Key, String> {
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("the epoch `{epoch}` is not a number"));
            }
            (Num::parse(epoch), rest)
        }
        None => (Num::ZERO, text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => {
            if revision.is_empty() {
                return Err("the revision after the last `-` is empty".to_owned());
            }
            (upstream, revision)
        }
        None => (rest, "0"),
    };
    if upstream.is_empty() {
        return Err("the upstream version is empty".to_owned());
    }
    if let Some(c) = upstream
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || ".+~-:".contains(c)))
    {
        return Err(format!("the upstream version contains `{c}`"));
    }
    if let Some(c) = revision
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || ".+~".contains(c)))
    {
        return Err(format!("the revision contains `{c}`"));
    }
    Ok(Key {
        epoch,
        upstream: canonical(upstream).into(),
        revision: canonical(revision).into(),
    })
}

/// Rewrites `part` so that it compares as before and equal parts are equal strings.
fn canonical(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 1);
    let mut rest = part;
    loop {
        let (text, after) = split_run(rest, |b| !b.is_ascii_digit());
        let (digits, after) = split_run(after, |b| b.is_ascii_digit());
        out.push_str(text);
        let digits = digits.trim_start_matches('0');
        out.push_str(if digits.is_empty() { "0" } else { digits });
        rest = after;
        if rest.is_empty() {
            return out;
        }
    }
}

/// `dpkg`'s weight of a non-digit character (`None`: the end of the run).
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// `dpkg`'s `verrevcmp` for canonical parts (digit runs have no leading zeros, so the longer
/// run is the larger number).
fn cmp_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let a_text = a.iter().position(u8::is_ascii_digit).unwrap_or(a.len());
        let b_text = b.iter().position(u8::is_ascii_digit).unwrap_or(b.len());
        for i in 0..a_text.max(b_text) {
            let wa = weight(a[..a_text].get(i).copied());
            let wb = weight(b[..b_text].get(i).copied());
            if wa != wb {
                return wa.cmp(&wb);
            }
        }
        a = &a[a_text..];
        b = &b[b_text..];
        let a_digits = a
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(a.len());
        let b_digits = b
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(b.len());
        let order = a_digits
            .cmp(&b_digits)
            .then_with(|| a[..a_digits].cmp(&b[..b_digits]));
        if order.is_ne() {
            return order;
        }
        a = &a[a_digits..];
        b = &b[b_digits..];
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use super::canonical;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn dpkg_order() {
        let cmp = |a, b| compare(Scheme::Debian, a, b).unwrap();
        assert_eq!(cmp("1.0~rc1", "1.0"), Less);
        assert_eq!(cmp("1.0~~", "1.0~"), Less);
        assert_eq!(cmp("1.0", "1.0a"), Less);
        assert_eq!(cmp("1.0a", "1.0+"), Less);
        assert_eq!(cmp("1.0", "1.0-0"), Equal);
        assert_eq!(cmp("1.01", "1.1"), Equal);
        assert_eq!(cmp("1:0.1", "2.0"), Greater);
        assert_eq!(cmp("1.2-3-4", "1.2-3-5"), Less);
        assert_eq!(cmp("1:2:3-1", "1:2:3-1"), Equal);
        assert_eq!(
            cmp(
                "1.99999999999999999999999999",
                "1.100000000000000000000000000"
            ),
            Less
        );
        assert_eq!(cmp("99999999999999999999999:1", "1:2"), Greater);
    }

    #[test]
    fn canonical_parts_keep_the_order() {
        assert_eq!(canonical(""), "0");
        assert_eq!(canonical("0"), "0");
        assert_eq!(canonical("a"), "a0");
        assert_eq!(canonical("1.00a"), "1.0a0");
        assert_eq!(canonical("007~rc"), "7~rc0");
    }

    #[test]
    fn malformed_versions_are_invalid() {
        for text in ["a:1.0", ":1.0", "1.0-", "1.0_1", "1.0-a:b", "1:", "1:-1"] {
            assert!(compare(Scheme::Debian, text, "1").is_err(), "{text}");
        }
    }
}
