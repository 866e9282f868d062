//! Waivers: owned, reasoned, time-bounded exceptions.
//!
//! A waiver in an environment file marks matching findings of that environment as waived
//! (still reported, never failing a run). An expired waiver waives nothing and is itself a
//! finding; a waiver that matches nothing is reported too, so stale exceptions get cleaned up.

use crate::finding::{Finding, RuleId, Severity};
use crate::model::Waiver;
use crate::repo::Repository;
use crate::source::FileId;

/// A calendar date `YYYY-MM-DD`, comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
        let days = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&date.day).then_some(date)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `n` days later (earlier when negative).
    #[must_use]
    pub fn plus_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_possible_wrap
    )]
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A waiver with where it is written and which environment it covers.
struct Scoped<'a> {
    waiver: &'a Waiver,
    file: FileId,
    /// JSON Pointer of the waiver in its file.
    pointer: String,
    /// Findings must belong to this environment; `None`: any finding.
    environment: Option<&'a str>,
}

/// Every waiver of the repository: each environment's, then the manifest's.
fn all(repo: &Repository) -> Vec<Scoped<'_>> {
    let mut out = Vec::new();
    for env in &repo.environments {
        for (i, waiver) in env.waivers.iter().enumerate() {
            out.push(Scoped {
                waiver,
                file: env.file,
                pointer: format!("/waivers/{i}"),
                environment: Some(env.name()),
            });
        }
    }
    for (i, waiver) in repo.manifest.waivers.iter().enumerate() {
        out.push(Scoped {
            waiver,
            file: repo.manifest_file,
            pointer: format!("/waivers/{i}"),
            environment: waiver.environment.as_deref(),
        });
    }
    out
}

/// `waiver-incomplete` findings for waivers lacking owner, reason or a valid expiry.
pub fn check_complete(repo: &Repository) -> Vec<Finding> {
    let mut findings = Vec::new();
    for scoped in all(repo) {
        let waiver = scoped.waiver;
        let pointer = &scoped.pointer;
        let missing: Vec<&str> = [
            ("owner", waiver.owner.as_deref()),
            ("reason", waiver.reason.as_deref()),
            ("expires", waiver.expires.as_deref()),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none_or(|s| s.trim().is_empty()))
        .map(|(k, _)| k)
        .collect();
        let finding = if !missing.is_empty() {
            Finding::new(
                RuleId::WaiverIncomplete,
                Severity::High,
                format!(
                    "waiver for `{}` has no {}",
                    waiver.rule,
                    missing.join(", no ")
                ),
                "every waiver needs an `owner`, a `reason` and an `expires: YYYY-MM-DD` date",
            )
            .at(repo.value_location(scoped.file, pointer))
        } else if let Some(expires) = waiver
            .expires
            .as_deref()
            .filter(|e| Date::parse(e).is_none())
        {
            Finding::new(
                RuleId::WaiverIncomplete,
                Severity::High,
                format!("waiver expiry `{expires}` is not a real date"),
                "write the date as `YYYY-MM-DD`",
            )
            .at(repo.value_location(scoped.file, &format!("{pointer}/expires")))
        } else {
            continue;
        };
        findings.push(match scoped.environment {
            Some(env) => finding.in_env(env),
            None => finding,
        });
    }
    findings
}

fn matches(scoped: &Scoped<'_>, finding: &Finding) -> bool {
    let waiver = scoped.waiver;
    if let Some(env) = scoped.environment
        && finding.environment.as_deref() != Some(env)
    {
        return false;
    }
    let rule_ok = match crate::finding::RuleId::parse(&waiver.rule) {
        Some(rule) => finding.rule == rule,
        None => {
            finding.setting.as_deref() == Some(waiver.rule.as_str())
                || finding
                    .advisory
                    .as_ref()
                    .is_some_and(|a| a.id == waiver.rule || a.aliases.contains(&waiver.rule))
        }
    };
    let setting_ok = waiver
        .setting
        .as_deref()
        .is_none_or(|s| finding.setting.as_deref() == Some(s));
    let path_ok = waiver.path.as_deref().is_none_or(|p| {
        finding.location.as_ref().is_some_and(|l| {
            l.path == p || l.path.starts_with(&format!("{}/", p.trim_end_matches('/')))
        })
    });
    rule_ok && setting_ok && path_ok
}

/// Marks findings covered by an active waiver; adds `waiver-expired` findings, and
/// `waiver-unused` ones when `report_unused` (only a full `check` sees every finding).
pub fn apply(repo: &Repository, findings: &mut Vec<Finding>, today: Date, report_unused: bool) {
    let mut extra = Vec::new();
    for scoped in all(repo) {
        let waiver = scoped.waiver;
        let Some(expires) = waiver.expires.as_deref().and_then(Date::parse) else {
            continue; // reported by `check_complete`
        };
        if waiver.owner.is_none() || waiver.reason.is_none() {
            continue;
        }
        let scope = |finding: Finding| match scoped.environment {
            Some(env) => finding.in_env(env),
            None => finding,
        };
        if expires < today {
            extra.push(scope(
                Finding::new(
                    RuleId::WaiverExpired,
                    Severity::Medium,
                    format!("waiver for `{}` expired on {expires}", waiver.rule),
                    "fix what it waives, or renew it with a new date after review by its owner",
                )
                .at(repo.value_location(scoped.file, &format!("{}/expires", scoped.pointer))),
            ));
            continue;
        }
        let mut used = false;
        for finding in findings.iter_mut().filter(|f| matches(&scoped, f)) {
            finding.waived = true;
            used = true;
        }
        if !used && report_unused {
            extra.push(scope(
                Finding::new(
                    RuleId::WaiverUnused,
                    Severity::Low,
                    format!("waiver for `{}` matches no finding", waiver.rule),
                    "remove the waiver: what it excused is fixed",
                )
                .at(repo.value_location(scoped.file, &scoped.pointer)),
            ));
        }
    }
    findings.extend(extra);
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_compare() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("27-01-01").is_none());
        assert!(Date::parse("2027-01-31") > Date::parse("2026-12-31"));
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_513).to_string(), "2026-03-01");
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-26",
            "1969-12-31",
            "2100-03-01",
        ] {
            let date = Date::parse(text).unwrap();
            assert_eq!(Date::from_days(date.days()), date, "{text}");
        }
        let d = Date::parse("2024-02-27").unwrap();
        assert_eq!(d.plus_days(3).to_string(), "2024-03-01");
    }
}
