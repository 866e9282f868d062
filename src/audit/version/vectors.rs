//! The reference matcher's comparison vectors (`../shared/osv-fixtures/semver/`, from
//! osv-scalibr's `semantic/testdata`): lines `A <op> B` with `<`, `=` or `>`; blank lines and
//! lines starting `# ` or `// ` are skipped. Every comparison is checked both ways, and a
//! file's failures are reported together with counts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;
use std::fmt::Write as _;

use super::{Scheme, Version};

/// A vector the scheme deliberately answers otherwise, with the answer it gives and why.
struct Exception {
    line: &'static str,
    ours: Ordering,
    why: &'static str,
}

fn check(scheme: Scheme, file: &str, exceptions: &[Exception]) {
    let path = format!(
        "{}/../shared/osv-fixtures/semver/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut total = 0;
    let mut failures = Vec::new();
    let mut excepted = 0;
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with("# ") || line.starts_with("// ") {
            continue;
        }
        total += 1;
        let pieces: Vec<&str> = line.split(' ').collect();
        let [a, op, b] = pieces[..] else {
            failures.push(format!("{file}:{}: not `A <op> B`: {line}", n + 1));
            continue;
        };
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => {
                failures.push(format!("{file}:{}: unknown operator: {line}", n + 1));
                continue;
            }
        };
        let (va, vb) = match (Version::parse(scheme, a), Version::parse(scheme, b)) {
            (Ok(va), Ok(vb)) => (va, vb),
            (Err(e), _) | (_, Err(e)) => {
                failures.push(format!("{file}:{}: {e}", n + 1));
                continue;
            }
        };
        let (got, back) = (va.cmp(&vb), vb.cmp(&va));
        if let Some(exception) = exceptions.iter().find(|x| x.line == line) {
            assert_eq!(
                (got, back),
                (exception.ours, exception.ours.reverse()),
                "{file}:{}: excepted vector `{line}` ({})",
                n + 1,
                exception.why
            );
            excepted += 1;
            continue;
        }
        if got != want || back != want.reverse() {
            failures.push(format!(
                "{file}:{}: {line}: got {a} {} {b} and {b} {} {a}",
                n + 1,
                symbol(got),
                symbol(back)
            ));
        }
    }
    assert_eq!(
        excepted,
        exceptions.len(),
        "{file}: an excepted vector no longer occurs"
    );
    assert!(total > 0, "{file}: no vectors");
    if !failures.is_empty() {
        let mut report = format!(
            "{file}: {} of {total} comparisons failed ({scheme}):\n",
            failures.len()
        );
        for failure in failures.iter().take(60) {
            let _ = writeln!(report, "  {failure}");
        }
        panic!("{report}");
    }
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

#[test]
fn semver_versions() {
    check(Scheme::Semver, "semver-versions.txt", &[]);
}

#[test]
fn pypi_versions() {
    check(Scheme::Pep440, "pypi-versions.txt", &[]);
}

#[test]
fn pypi_versions_generated() {
    check(Scheme::Pep440, "pypi-versions-generated.txt", &[]);
}

#[test]
fn debian_versions() {
    check(Scheme::Debian, "debian-versions.txt", &[]);
}

#[test]
fn debian_versions_generated() {
    check(Scheme::Debian, "debian-versions-generated.txt", &[]);
}

#[test]
fn rubygems_versions() {
    check(Scheme::RubyGems, "rubygems-versions.txt", &[]);
}

#[test]
fn rubygems_versions_generated() {
    check(Scheme::RubyGems, "rubygems-versions-generated.txt", &[]);
}

#[test]
fn packagist_versions() {
    // The file also says `1.2.3.# = 1.2.3`, and `1.0.0 > 1.0` (so `1.2.3.1 > 1.2.3`): no
    // total order can make `1.2.3.#` equal to both `1.2.3` and `1.2.3.1`.
    let intransitive = Exception {
        line: "1.2.3.# = 1.2.3.1",
        ours: Ordering::Less,
        why: "`#` equals every number and the end of a version only in an intransitive order",
    };
    check(Scheme::Packagist, "packagist-versions.txt", &[intransitive]);
}

#[test]
fn packagist_versions_generated() {
    check(Scheme::Packagist, "packagist-versions-generated.txt", &[]);
}

#[test]
fn alpine_versions() {
    check(Scheme::Alpine, "alpine-versions.txt", &[]);
}

#[test]
fn alpine_versions_generated() {
    check(Scheme::Alpine, "alpine-versions-generated.txt", &[]);
}

/// Every version the vector files of `scheme` mention, parsed.
fn versions(scheme: Scheme, files: &[&str]) -> Vec<Version> {
    let mut out = Vec::new();
    for file in files {
        let path = format!(
            "{}/../shared/osv-fixtures/semver/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if line.is_empty() || line.starts_with("# ") || line.starts_with("// ") {
                continue;
            }
            for text in line.split(' ').step_by(2) {
                out.push(Version::parse(scheme, text).unwrap());
            }
        }
    }
    out
}

fn hash_of(v: &Version) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(v)
}

/// The order is total and agrees with equality and hashing: sorted, no later version is
/// smaller than an earlier one (checked on a spread of a few hundred), and neighbours that
/// compare equal hash alike.
#[test]
fn orders_are_total_and_agree_with_hash() {
    let schemes = [
        (Scheme::Semver, &["semver-versions.txt"][..]),
        (
            Scheme::Pep440,
            &["pypi-versions.txt", "pypi-versions-generated.txt"],
        ),
        (
            Scheme::Debian,
            &["debian-versions.txt", "debian-versions-generated.txt"],
        ),
        (
            Scheme::RubyGems,
            &["rubygems-versions.txt", "rubygems-versions-generated.txt"],
        ),
        (
            Scheme::Packagist,
            &["packagist-versions.txt", "packagist-versions-generated.txt"],
        ),
        (
            Scheme::Alpine,
            &["alpine-versions.txt", "alpine-versions-generated.txt"],
        ),
    ];
    for (scheme, files) in schemes {
        let mut all = versions(scheme, files);
        all.sort();
        let mut equal_pairs = 0;
        for pair in all.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_ne!(a.cmp(b), Ordering::Greater, "{scheme}: {a} > {b}");
            assert_eq!(b.cmp(a), a.cmp(b).reverse(), "{scheme}: {a} / {b}");
            if a == b {
                equal_pairs += 1;
                assert_eq!(hash_of(a), hash_of(b), "{scheme}: {a} = {b}, hashes differ");
            }
        }
        assert!(equal_pairs > 0, "{scheme}: no equal neighbours to check");
        let step = (all.len() / 300).max(1);
        let spread: Vec<&Version> = all.iter().step_by(step).collect();
        for (i, a) in spread.iter().enumerate() {
            for b in &spread[i + 1..] {
                assert_ne!(a.cmp(b), Ordering::Greater, "{scheme}: {a} > {b}");
            }
        }
    }
}
