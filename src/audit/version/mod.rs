//! Version ordering per ecosystem: parses a version once into a value whose `Ord` is the
//! ecosystem's own order, so that matching thousands of components against advisory ranges
//! compares parsed values without allocating.
//!
//! One file per ordering scheme. The orders follow the reference OSV matcher (osv-scalibr's
//! `semantic` package) and the native tools its test vectors were generated with (`dpkg`,
//! `apk`, Python's `packaging`, Ruby's `Gem::Version`, PHP's `version_compare`); where that
//! matcher's comparison is not a total order, the scheme's file says which total order it
//! chose instead. Numbers never overflow: those beyond `u64` compare as digit strings.
//!
//! This module reads no files and knows nothing of advisories or policies.

mod alpine;
mod debian;
mod packagist;
mod pep440;
mod rubygems;
mod semver;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::inventory::Ecosystem;

/// A version ordering scheme: ecosystems that order versions alike share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// Semantic versioning, read leniently as OSV does for npm, crates.io and Go: a leading
    /// `v`, any number of release components (beyond three they join the pre-release),
    /// build metadata ignored, so Go's `+incompatible` and pseudo-versions order correctly.
    Semver,
    /// PEP 440 (`PyPI`), with pre-PEP 440 "legacy" versions ordered before all others.
    Pep440,
    /// Debian's `dpkg` order (`[epoch:]upstream[-revision]`, `~` before everything).
    Debian,
    /// Ruby's `Gem::Version`.
    RubyGems,
    /// PHP's `version_compare`, as Composer compares versions.
    Packagist,
    /// Alpine's `apk` order.
    Alpine,
}

impl Scheme {
    /// Every scheme, in order.
    pub const ALL: [Scheme; 6] = [
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Debian,
        Scheme::RubyGems,
        Scheme::Packagist,
        Scheme::Alpine,
    ];

    /// The scheme an ecosystem's versions follow; `None` for container images, whose tags
    /// have no order.
    ///
    /// `OpenWrt` takes [`Scheme::Debian`]: opkg compares versions with dpkg's algorithm
    /// (`[epoch:]upstream[-revision]`, the same character weights).
    pub fn of(ecosystem: Ecosystem) -> Option<Scheme> {
        match ecosystem {
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => Some(Scheme::Semver),
            Ecosystem::PyPI => Some(Scheme::Pep440),
            Ecosystem::Debian | Ecosystem::Ubuntu | Ecosystem::OpenWrt => Some(Scheme::Debian),
            Ecosystem::RubyGems => Some(Scheme::RubyGems),
            Ecosystem::Packagist => Some(Scheme::Packagist),
            Ecosystem::Alpine => Some(Scheme::Alpine),
            Ecosystem::Docker => None,
        }
    }

    /// The name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Semver => "SemVer",
            Scheme::Pep440 => "PyPI",
            Scheme::Debian => "Debian",
            Scheme::RubyGems => "RubyGems",
            Scheme::Packagist => "Packagist",
            Scheme::Alpine => "Alpine",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that a scheme cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid {scheme} version: {reason}")]
pub struct InvalidVersion {
    /// The version as written.
    pub version: String,
    /// The scheme it was read with.
    pub scheme: Scheme,
    /// Why it is invalid: lower-case, no trailing period.
    pub reason: String,
}

/// A parsed version of one ordering scheme. `Ord`: versions of different schemes never
/// compare equal (ordered by scheme first); within a scheme, the ecosystem's exact order.
/// Equality is that order's equality (`1.0` and `1.0.0` are equal versions in most
/// schemes), and `Hash` agrees with it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    key: Key,
    text: Written,
}

/// What a version compares by, one variant per scheme in [`Scheme`] order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Semver(semver::Key),
    Pep440(pep440::Key),
    Debian(debian::Key),
    RubyGems(rubygems::Key),
    Packagist(packagist::Key),
    Alpine(alpine::Key),
}

impl Version {
    /// Parses `text` as a version of `scheme`. Surrounding whitespace is ignored (and kept in
    /// [`Version::text`]); empty text, inner whitespace and control characters are invalid,
    /// and so is whatever the scheme itself rejects.
    pub fn parse(scheme: Scheme, text: &str) -> Result<Version, InvalidVersion> {
        let invalid = |reason: String| InvalidVersion {
            version: text.to_owned(),
            scheme,
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(invalid("the version is empty".to_owned()));
        }
        if let Some(c) = trimmed
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid(format!(
                "it contains whitespace or a control character (U+{:04X})",
                u32::from(c)
            )));
        }
        let key = match scheme {
            Scheme::Semver => semver::parse(trimmed).map(Key::Semver),
            Scheme::Pep440 => pep440::parse(trimmed).map(Key::Pep440),
            Scheme::Debian => debian::parse(trimmed).map(Key::Debian),
            Scheme::RubyGems => rubygems::parse(trimmed).map(Key::RubyGems),
            Scheme::Packagist => packagist::parse(trimmed).map(Key::Packagist),
            Scheme::Alpine => alpine::parse(trimmed).map(Key::Alpine),
        }
        .map_err(invalid)?;
        Ok(Version {
            key,
            text: Written(text.into()),
        })
    }

    /// The version as written.
    pub fn text(&self) -> &str {
        &self.text.0
    }

    /// The scheme it was parsed with.
    pub fn scheme(&self) -> Scheme {
        match self.key {
            Key::Semver(_) => Scheme::Semver,
            Key::Pep440(_) => Scheme::Pep440,
            Key::Debian(_) => Scheme::Debian,
            Key::RubyGems(_) => Scheme::RubyGems,
            Key::Packagist(_) => Scheme::Packagist,
            Key::Alpine(_) => Scheme::Alpine,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Parses both versions and compares them: for one-off comparisons (parse once and compare
/// [`Version`]s when comparing many).
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, InvalidVersion> {
    Ok(Version::parse(scheme, a)?.cmp(&Version::parse(scheme, b)?))
}

/// The text as written: carried along, never compared (equal versions may be spelt
/// differently, as `1.0` and `1.0.0`).
#[derive(Clone, Debug)]
struct Written(Box<str>);

impl PartialEq for Written {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Written {}

impl PartialOrd for Written {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Written {
    fn cmp(&self, _: &Self) -> Ordering {
        Ordering::Equal
    }
}

impl Hash for Written {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// A non-negative integer of any size: a `u64` when it fits, else its decimal digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Num {
    /// Fits in a `u64`.
    Small(u64),
    /// Larger than `u64::MAX`: the digits, without leading zeros.
    Big(Box<str>),
}

impl Num {
    const ZERO: Num = Num::Small(0);

    /// Reads a run of ASCII digits (empty reads as zero). Leading zeros are insignificant.
    fn parse(digits: &str) -> Num {
        let digits = digits.trim_start_matches('0');
        let mut value: u64 = 0;
        for b in digits.bytes() {
            let next = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))));
            match next {
                Some(v) => value = v,
                None => return Num::Big(digits.into()),
            }
        }
        Num::Small(value)
    }

    fn is_zero(&self) -> bool {
        *self == Num::ZERO
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Num::Small(a), Num::Small(b)) => a.cmp(b),
            (Num::Small(_), Num::Big(_)) => Ordering::Less,
            (Num::Big(_), Num::Small(_)) => Ordering::Greater,
            // No leading zeros: the longer is the larger, else the digits decide.
            (Num::Big(a), Num::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

/// Splits `s` after its leading run of bytes matching `pred`.
fn split_run(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let end = s.bytes().position(|b| !pred(b)).unwrap_or(s.len());
    s.split_at(end)
}

/// Compares two sequences element by element, a missing element counting as `pad`.
fn cmp_padded<T: Ord>(a: &[T], b: &[T], pad: &T) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| a.get(i).unwrap_or(pad).cmp(b.get(i).unwrap_or(pad)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod vectors;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn every_ecosystem_but_docker_has_a_scheme() {
        for ecosystem in Ecosystem::ALL {
            assert_eq!(
                Scheme::of(ecosystem).is_none(),
                ecosystem == Ecosystem::Docker,
                "{ecosystem}"
            );
        }
        assert_eq!(Scheme::of(Ecosystem::Go), Some(Scheme::Semver));
        assert_eq!(Scheme::of(Ecosystem::OpenWrt), Some(Scheme::Debian));
    }

    #[test]
    fn numbers_beyond_u64_compare_by_value() {
        let max = u64::MAX.to_string();
        assert_eq!(Num::parse(&max), Num::Small(u64::MAX));
        assert_eq!(
            Num::parse("18446744073709551616"),
            Num::Big("18446744073709551616".into())
        );
        assert_eq!(Num::parse("000123"), Num::Small(123));
        assert_eq!(Num::parse(""), Num::ZERO);
        let ordered = [
            "0",
            "7",
            &max,
            "18446744073709551616",
            "000099999999999999999999",
            "100000000000000000000000",
            "100000000000000000000001",
        ];
        for pair in ordered.windows(2) {
            assert!(Num::parse(pair[0]) < Num::parse(pair[1]), "{pair:?}");
        }
        assert_eq!(
            Num::parse("0000100000000000000000000000"),
            Num::parse("100000000000000000000000")
        );
    }

    #[test]
    fn garbage_is_invalid_with_a_reason_and_never_panics() {
        let nasty = [
            "",
            "   ",
            "1.0 beta",
            "1.0\n",
            "1.0\u{0}",
            "\u{feff}",
            "💥",
            "1.💥",
            "99999999999999999999999999999999999999999999999999.1",
            ":",
            "-",
            "~",
            "v",
            "..",
            "1:",
            "a:1",
            "1.0-",
            "1!",
            "+local",
            "_p",
            "-r",
        ];
        for scheme in Scheme::ALL {
            for text in nasty {
                match Version::parse(scheme, text) {
                    Ok(v) => {
                        assert_eq!(v.text(), text);
                        assert_eq!(v.scheme(), scheme);
                        assert_eq!(v.cmp(&v.clone()), Ordering::Equal);
                    }
                    Err(e) => {
                        assert_eq!(e.version, text);
                        assert!(!e.reason.is_empty());
                    }
                }
            }
            for text in ["", " ", "1.0 beta", "1.0\u{7}"] {
                assert!(Version::parse(scheme, text).is_err(), "{scheme} {text:?}");
            }
        }
    }

    #[test]
    fn invalid_version_names_the_version_the_scheme_and_the_reason() {
        let err = Version::parse(Scheme::Pep440, "1 x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`1 x` is not a valid PyPI version: it contains whitespace or a control character (U+0020)"
        );
    }

    #[test]
    fn versions_of_different_schemes_never_compare_equal() {
        let a = Version::parse(Scheme::Semver, "1.0.0").unwrap();
        let b = Version::parse(Scheme::Debian, "1.0.0").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.cmp(&b), Ordering::Less);
    }

    #[test]
    fn equal_versions_spelt_differently_are_equal_and_hash_alike() {
        use std::collections::HashSet;
        let cases = [
            (Scheme::Semver, "1.2", "v1.2.0+build"),
            (Scheme::Pep440, "1.0", "1.0.0"),
            (Scheme::Debian, "0:1.01-0", "1.1"),
            (Scheme::RubyGems, "1.0.a", "1.a"),
            (Scheme::Packagist, "1.0RC1", "1.0.rc.1"),
            (Scheme::Alpine, "1.2.0", "1.2"),
        ];
        for (scheme, a, b) in cases {
            let a = Version::parse(scheme, a).unwrap();
            let b = Version::parse(scheme, b).unwrap();
            assert_eq!(a, b, "{scheme}");
            assert_ne!(a.text(), b.text());
            let set: HashSet<Version> = [a, b].into_iter().collect();
            assert_eq!(set.len(), 1, "{scheme}");
        }
    }

    #[test]
    fn compare_parses_both_sides() {
        assert_eq!(
            compare(Scheme::Semver, "v1.2.3", "1.10.0").unwrap(),
            Ordering::Less
        );
        let err = compare(Scheme::Semver, "1.0.0", "latest").unwrap_err();
        assert_eq!(err.version, "latest");
        assert_eq!(err.scheme, Scheme::Semver);
    }
}
