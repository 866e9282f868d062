//! Ruby gem versions in `Gem::Version`'s order.
//!
//! A version is digits, then `.`-separated alphanumeric segments, then optionally `-` and a
//! pre-release (`-` reads as `.pre.`). Its segments are its runs of digits and runs of
//! letters; they compare in turn, a missing segment as `0`, numbers numerically, text by
//! bytes, text before numbers (so any letter makes a pre-release). Trailing zeros of the
//! leading numbers and of the rest are insignificant (`1.0.a` = `1.a`).

use std::cmp::Ordering;

use super::{Num, cmp_padded, split_run};

/// What a gem version compares by: its canonical segments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    segments: Vec<Segment>,
}

/// A segment: text sorts before numbers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Segment {
    Text(Box<str>),
    Num(Num),
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_padded(&self.segments, &other.segments, &Segment::Num(Num::ZERO))
    }
}

pub(super) fn parse(text: &str) -> Result<Key, String> {
    check_pattern(text)?;
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.bytes().next() {
        if first.is_ascii_digit() {
            let (digits, after) = split_run(rest, |b| b.is_ascii_digit());
            segments.push(Segment::Num(Num::parse(digits)));
            rest = after;
        } else if first.is_ascii_alphabetic() {
            let (letters, after) = split_run(rest, |b| b.is_ascii_alphabetic());
            segments.push(Segment::Text(letters.into()));
            rest = after;
        } else if first == b'-' {
            // `Gem::Version` reads `-` as `.pre.`.
            segments.push(Segment::Text("pre".into()));
            rest = &rest[1..];
        } else {
            rest = &rest[1..];
        }
    }
    // Trailing zeros go from the leading numbers and from the rest, separately.
    let first_text = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut tail = segments.split_off(first_text);
    let zero = Segment::Num(Num::ZERO);
    while segments.last() == Some(&zero) {
        segments.pop();
    }
    while tail.last() == Some(&zero) {
        tail.pop();
    }
    segments.append(&mut tail);
    Ok(Key { segments })
}

/// `Gem::Version`'s pattern, `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`,
/// except that letters may follow the first digits (`1beta`), as the reference matcher and
/// its vectors allow.
fn check_pattern(text: &str) -> Result<(), String> {
    let (release, pre) = match text.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (text, None),
    };
    if !release.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("it does not start with a number".to_owned());
    }
    for segment in release.split('.') {
        if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!(
                "`{segment}` is not a segment of letters and digits"
            ));
        }
    }
    for segment in pre.into_iter().flat_map(|pre| pre.split('.')) {
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "`{segment}` is not a pre-release segment of letters, digits and `-`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn gem_version_order() {
        let cmp = |a, b| compare(Scheme::RubyGems, a, b).unwrap();
        assert_eq!(cmp("1.0.a", "1.0"), Less);
        assert_eq!(cmp("1.0.a", "1.a"), Equal);
        assert_eq!(cmp("1.0.0", "1"), Equal);
        assert_eq!(cmp("1.0.rc1", "1.0.beta2"), Greater);
        assert_eq!(cmp("1.0-rc1", "1.0.pre.rc1"), Equal);
        assert_eq!(cmp("1.0.b1", "1.0.B1"), Greater);
        assert_eq!(cmp("2.0.0.1", "2.0.0.0.5"), Greater);
        assert_eq!(
            cmp("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn text_outside_the_gem_pattern_is_invalid() {
        for text in ["a1", "1..2", "1.0.", "1.0_1", "1-", "1.0-a..b", "v1.0"] {
            assert!(compare(Scheme::RubyGems, text, "1").is_err(), "{text}");
        }
    }
}
