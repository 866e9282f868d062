//! Vulnerabilities and patch deadlines: every component matched against the advisory
//! database, each vulnerability due `sla[severity]` days after its advisory was published
//! (`OpenSAMM`: "2 days for critical … 30 days for low"). Within the deadline it is a
//! `vulnerable-component`; past it, `patch-overdue`, one severity level higher.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::osv::{Database, Match};
use crate::finding::{AdvisoryRef, ComponentRef, Finding, RuleId, Severity};
use crate::inventory::{Component, purl};
use crate::waiver::Date;

/// Patch deadlines in days, per severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sla {
    days: BTreeMap<Severity, i64>,
}

impl Default for Sla {
    fn default() -> Sla {
        Sla {
            days: BTreeMap::from([
                (Severity::Critical, 2),
                (Severity::High, 7),
                (Severity::Medium, 30),
                (Severity::Low, 90),
                (Severity::Info, 365),
            ]),
        }
    }
}

impl Sla {
    /// The defaults overridden by `configured` (`high: 7d`, `low: 12w`); an entry that does
    /// not parse comes back as `Err((severity, text))` (the schema also rejects it).
    pub fn from_config(configured: &BTreeMap<Severity, String>) -> Result<Sla, (Severity, String)> {
        let mut sla = Sla::default();
        for (&severity, text) in configured {
            let days = parse_duration(text).ok_or_else(|| (severity, text.clone()))?;
            sla.days.insert(severity, days);
        }
        Ok(sla)
    }

    /// The deadline for a severity, in days.
    pub fn days(&self, severity: Severity) -> i64 {
        self.days.get(&severity).copied().unwrap_or(30)
    }
}

/// `2d` → 2, `3w` → 21.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: i64 = number.parse().ok().filter(|n| *n >= 0)?;
    match unit {
        "d" => Some(n),
        "w" => n.checked_mul(7),
        _ => None,
    }
}

/// The reference a finding carries for a component.
pub fn component_ref(component: &Component) -> ComponentRef {
    ComponentRef {
        ecosystem: component.ecosystem.as_str().to_owned(),
        name: component.name.clone(),
        version: component.version.clone(),
        purl: purl(
            component.ecosystem,
            &component.name,
            component.version.as_deref(),
        ),
    }
}

/// Findings for every vulnerability of every component. `locate` gives a component's
/// finding its location.
pub fn check(
    components: &[Component],
    db: &Database,
    sla: &Sla,
    today: Date,
    locate: &(dyn Fn(Finding, &Component) -> Finding + Sync),
) -> Vec<Finding> {
    // Components are independent: matched in parallel, findings kept in component order.
    let per_component: Vec<Vec<Finding>> = components
        .par_iter()
        .map(|component| {
            let mut findings = Vec::new();
            let matches = db.matches(component);
            if let Some(reason) = matches.unparsable
                && matches.vulnerabilities.is_empty()
            {
                let finding = Finding::new(
                    RuleId::InvalidLockfile,
                    Severity::Low,
                    format!(
                        "`{}` cannot be checked for vulnerabilities: {reason}",
                        component.name
                    ),
                    "pin a version the ecosystem understands",
                )
                .for_component(component_ref(component))
                .keyed(format!(
                    "{}/{}/version",
                    component.ecosystem, component.name
                ));
                findings.push(locate(finding, component));
            }
            for m in &matches.vulnerabilities {
                findings.push(locate(vulnerability(component, m, sla, today), component));
            }
            findings
        })
        .collect();
    per_component.into_iter().flatten().collect()
}

fn vulnerability(component: &Component, m: &Match, sla: &Sla, today: Date) -> Finding {
    let severity = m.rating.severity();
    let deadline = sla.days(severity);
    let due = m
        .published
        .as_deref()
        .and_then(Date::parse)
        .map(|p| p.plus_days(deadline));
    let version = component.version.as_deref().unwrap_or("?");
    let also = if m.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", m.aliases.join(", "))
    };
    let summary = m
        .summary
        .as_deref()
        .map(|s| format!(": {}", s.trim()))
        .unwrap_or_default();
    let rating = m.rating.as_str();
    let (rule, severity, when) = match due {
        Some(due) if due < today => (
            RuleId::PatchOverdue,
            raise(severity),
            format!(
                "patch overdue by {} days (due {due}, {deadline} days after publication for {rating} severity)",
                today.days() - due.days()
            ),
        ),
        Some(due) => (
            RuleId::VulnerableComponent,
            severity,
            match due.days() - today.days() {
                0 => format!("patch due today ({due})"),
                1 => format!("patch due in 1 day ({due})"),
                n => format!("patch due in {n} days ({due})"),
            },
        ),
        None => (
            RuleId::VulnerableComponent,
            severity,
            "the advisory has no publication date, so no deadline".to_owned(),
        ),
    };
    let message = format!(
        "`{}` {version} is affected by {}{also}{summary}; {when}",
        component.name, m.id
    );
    let fixes = if m.fixed.is_empty() {
        "no fixed version is known: remove or replace the component, or waive the advisory with an owner, reason and expiry".to_owned()
    } else {
        let upgrade = match &m.upgrade {
            Some(v) => format!("upgrade `{}` to {v}", component.name),
            None => format!("upgrade `{}`", component.name),
        };
        format!("{upgrade} (fixed in {})", m.fixed.join(", "))
    };
    Finding::new(rule, severity, message, fixes)
        .for_component(component_ref(component))
        .for_advisory(AdvisoryRef {
            id: m.id.clone(),
            aliases: m.aliases.clone(),
            fixed: m.fixed.clone(),
            published: m.published.clone(),
            due: due.map(|d| d.to_string()),
        })
        .keyed(format!(
            "{}/{}/{}",
            component.ecosystem, component.name, m.id
        ))
}

/// One severity level higher (critical stays critical).
pub fn raise(severity: Severity) -> Severity {
    match severity {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2d"), Some(2));
        assert_eq!(parse_duration("3w"), Some(21));
        assert_eq!(parse_duration("0d"), Some(0));
        for bad in ["", "d", "2", "2m", "-1d", "1.5d", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn sla_overrides_defaults() {
        let configured = BTreeMap::from([(Severity::High, "2w".to_owned())]);
        let sla = Sla::from_config(&configured).unwrap();
        assert_eq!(sla.days(Severity::High), 14);
        assert_eq!(sla.days(Severity::Critical), 2);
        let bad = BTreeMap::from([(Severity::Low, "soon".to_owned())]);
        assert_eq!(
            Sla::from_config(&bad),
            Err((Severity::Low, "soon".to_owned()))
        );
    }
}
