//! Packagist (Composer) versions in PHP's `version_compare` order.
//!
//! Leading `v`/`V` are dropped. The version splits into runs of digits and runs of letters
//! (every other character separates). Runs compare in turn: numbers numerically; a letter
//! run by its special form, which its prefix decides: `dev` < `alpha` = `a` < `beta` = `b`
//! < `RC` = `rc` < (a number) < `pl` = `p`, any other text below `dev`. When one version
//! runs out, the other is newer if it goes on with a number or a `p` form, older otherwise.
//!
//! PHP's `#` form (what a number counts as against a letter run) cannot be written: `#` is a
//! separator. The reference matcher keeps `#` as a run equal to every number and to the end
//! of a version, which no total order can be (its vectors say `1.2.3.#` equals both `1.2.3`
//! and `1.2.3.1`); here `1.2.3.#` is `1.2.3`, as in PHP.

use std::cmp::Ordering;

use super::{Num, cmp_padded, split_run};

/// What a Packagist version compares by: its runs, without trailing ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    runs: Vec<Run>,
}

/// A run, in `version_compare`'s order; `End` stands for the end of a shorter version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Run {
    Other,
    Dev,
    Alpha,
    Beta,
    Rc,
    End,
    Num(Num),
    Patch,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_padded(&self.runs, &other.runs, &Run::End)
    }
}

pub(super) fn parse(text: &str) -> Result<Key, String> {
    let mut rest = text.trim_start_matches(['v', 'V']);
    let mut runs = Vec::new();
    while let Some(first) = rest.bytes().next() {
        if first.is_ascii_digit() {
            let (digits, after) = split_run(rest, |b| b.is_ascii_digit());
            runs.push(Run::Num(Num::parse(digits)));
            rest = after;
        } else if first.is_ascii_alphabetic() {
            let (letters, after) = split_run(rest, |b| b.is_ascii_alphabetic());
            runs.push(special_form(letters));
            rest = after;
        } else {
            let skip = rest.chars().next().map_or(1, char::len_utf8);
            rest = &rest[skip..];
        }
    }
    if runs.is_empty() {
        return Err("it has no digits or letters".to_owned());
    }
    Ok(Key { runs })
}

/// `version_compare`'s special forms, matched by prefix in PHP's order.
fn special_form(letters: &str) -> Run {
    const FORMS: [(&str, Run); 9] = [
        ("dev", Run::Dev),
        ("alpha", Run::Alpha),
        ("a", Run::Alpha),
        ("beta", Run::Beta),
        ("b", Run::Beta),
        ("RC", Run::Rc),
        ("rc", Run::Rc),
        ("pl", Run::Patch),
        ("p", Run::Patch),
    ];
    FORMS
        .into_iter()
        .find(|(prefix, _)| letters.starts_with(prefix))
        .map_or(Run::Other, |(_, run)| run)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{Scheme, compare};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn version_compare_order() {
        let cmp = |a, b| compare(Scheme::Packagist, a, b).unwrap();
        assert_eq!(cmp("1.0-dev", "1.0alpha1"), Less);
        assert_eq!(cmp("1.0a1", "1.0-alpha.1"), Equal);
        assert_eq!(cmp("1.0RC1", "1.0"), Less);
        assert_eq!(cmp("1.0pl1", "1.0"), Greater);
        assert_eq!(cmp("1.0", "1.0.0"), Less);
        assert_eq!(cmp("1.0-foo", "1.0-dev"), Less);
        assert_eq!(cmp("dev-main", "0.0.1"), Less);
        assert_eq!(cmp("v1.2.3", "V1.2.3"), Equal);
        assert_eq!(cmp("1.2.3.#", "1.2.3"), Equal);
        assert_eq!(cmp("2.0", "10.0"), Less);
        assert_eq!(
            cmp("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn text_without_digits_or_letters_is_invalid() {
        for text in ["v", "...", "-_+", "#"] {
            assert!(compare(Scheme::Packagist, text, "1").is_err(), "{text}");
        }
    }
}
