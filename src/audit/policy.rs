//! Version policy: minimum versions and banned versions (manifest `components.policy` and
//! each baseline's `component`), and end-of-life release lines from the repository's
//! catalogue.

use std::cmp::Ordering;

use serde::Deserialize;

use super::patch::component_ref;
use super::version::{Scheme, Version};
use crate::finding::{Finding, RuleId, Severity};
use crate::inventory::{Component, Ecosystem, normalize_pypi};
use crate::waiver::Date;

/// A version rule for one component name.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Ecosystem it is limited to.
    pub ecosystem: Option<Ecosystem>,
    /// Component name.
    pub name: String,
    /// Lowest acceptable version.
    pub min_version: Option<String>,
    /// Banned versions and ranges.
    pub banned: Vec<String>,
    /// Why, for messages.
    pub reason: Option<String>,
    /// Severity override.
    pub severity: Option<Severity>,
    /// Where the rule is written (`hardline.yaml`, `baselines/sshd.yaml`).
    pub origin: String,
}

/// The end-of-life catalogue (`kind: EndOfLife`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Always `hardline/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Always `EndOfLife`.
    pub kind: String,
    /// Products and their release lines.
    pub products: Vec<Product>,
}

/// One product of the catalogue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Product name (`python`, `node`, `debian`).
    pub name: String,
    /// Which inventory components are this product.
    pub components: Vec<ProductComponent>,
    /// Release lines.
    pub cycles: Vec<Cycle>,
    /// Severity of its findings (default high).
    pub severity: Option<Severity>,
}

/// A component name (and ecosystem) standing for a product.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductComponent {
    /// OSV ecosystem (or `Docker` for images).
    pub ecosystem: String,
    /// Component name.
    pub name: String,
}

/// One release line.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cycle {
    /// The line (`3.8`, `16`, `10`).
    pub cycle: String,
    /// Other names of the line (`buster`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// End-of-life date, `YYYY-MM-DD`.
    pub eol: String,
}

/// Checks `components` against the version rules and the end-of-life catalogue.
pub fn check(
    components: &[Component],
    rules: &[Rule],
    catalogue: Option<&Catalogue>,
    today: Date,
    locate: &(dyn Fn(Finding, &Component) -> Finding + Sync),
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for component in components {
        let Some(version) = component.version.as_deref() else {
            continue;
        };
        for rule in rules.iter().filter(|r| r.applies_to(component)) {
            findings.extend(
                rule.judge(component, version)
                    .into_iter()
                    .map(|f| locate(f, component)),
            );
        }
        if let Some(catalogue) = catalogue {
            findings.extend(
                end_of_life(catalogue, component, version, today)
                    .into_iter()
                    .map(|f| locate(f, component)),
            );
        }
    }
    findings
}

fn same_name(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    match ecosystem {
        Ecosystem::PyPI => normalize_pypi(a) == normalize_pypi(b),
        _ => a == b,
    }
}

/// Compares in the component's ecosystem order; ecosystems without one (image tags) use
/// the lenient semantic-version order.
fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    let scheme = Scheme::of(ecosystem).unwrap_or(Scheme::Semver);
    let a = Version::parse(scheme, a).ok()?;
    let b = Version::parse(scheme, b).ok()?;
    Some(a.cmp(&b))
}

impl Rule {
    fn applies_to(&self, component: &Component) -> bool {
        self.ecosystem.is_none_or(|e| e == component.ecosystem)
            && (same_name(component.ecosystem, &component.name, &self.name)
                || component.source_name.as_deref() == Some(self.name.as_str()))
    }

    fn judge(&self, component: &Component, version: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let because = self
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let eco = component.ecosystem;
        if let Some(min) = &self.min_version {
            match compare(eco, version, min) {
                Some(Ordering::Less) => out.push(
                    Finding::new(
                        RuleId::OutdatedComponent,
                        self.severity.unwrap_or(Severity::Medium),
                        format!(
                            "`{}` {version} is below the minimum version {min} set in `{}`{because}",
                            component.name, self.origin
                        ),
                        format!("upgrade `{}` to {min} or later", component.name),
                    )
                    .for_component(component_ref(component))
                    .keyed(format!("{eco}/{}/min/{}", component.name, self.origin)),
                ),
                Some(_) => {}
                None => out.push(self.unparsable(component, version, min)),
            }
        }
        for banned in &self.banned {
            match in_range(eco, version, banned) {
                Some(true) => out.push(
                    Finding::new(
                        RuleId::BannedComponent,
                        self.severity.unwrap_or(Severity::High),
                        format!(
                            "`{}` {version} is banned by `{banned}` in `{}`{because}",
                            component.name, self.origin
                        ),
                        format!("move `{}` to a version outside `{banned}`", component.name),
                    )
                    .for_component(component_ref(component))
                    .keyed(format!("{eco}/{}/banned/{banned}", component.name)),
                ),
                Some(false) => {}
                None => out.push(self.unparsable(component, version, banned)),
            }
        }
        out
    }

    fn unparsable(&self, component: &Component, version: &str, bound: &str) -> Finding {
        Finding::new(
            RuleId::InvalidLockfile,
            Severity::Low,
            format!(
                "`{}` {version} cannot be compared with `{bound}` from `{}` as {} versions",
                component.name, self.origin, component.ecosystem
            ),
            "write versions the ecosystem understands in the lockfile and the policy",
        )
        .for_component(component_ref(component))
        .keyed(format!(
            "{}/{}/compare/{bound}",
            component.ecosystem, component.name
        ))
    }
}

/// Whether `version` is in `range`: an exact version, or comparisons (`<`, `<=`, `>`,
/// `>=`, `=`, `==`, `!=`) separated by commas or spaces, all of which must hold. `None`
/// when something does not parse.
pub fn in_range(ecosystem: Ecosystem, version: &str, range: &str) -> Option<bool> {
    let mut any = false;
    for token in range.split([',', ' ']).filter(|t| !t.is_empty()) {
        any = true;
        let (op, bound) = split_operator(token);
        let ord = compare(ecosystem, version, bound)?;
        let holds = match op {
            "<" => ord == Ordering::Less,
            "<=" => ord != Ordering::Greater,
            ">" => ord == Ordering::Greater,
            ">=" => ord != Ordering::Less,
            "!=" => ord != Ordering::Equal,
            _ => ord == Ordering::Equal,
        };
        if !holds {
            return Some(false);
        }
    }
    any.then_some(true)
}

fn split_operator(token: &str) -> (&str, &str) {
    for op in ["<=", ">=", "==", "!=", "<", ">", "="] {
        if let Some(rest) = token.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("=", token)
}

fn end_of_life(
    catalogue: &Catalogue,
    component: &Component,
    version: &str,
    today: Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for product in &catalogue.products {
        let is_product = product.components.iter().any(|pc| {
            Ecosystem::parse(&pc.ecosystem) == Some(component.ecosystem)
                && same_name(component.ecosystem, &pc.name, &component.name)
        });
        if !is_product {
            continue;
        }
        // The most specific line wins: `3.10` before `3`.
        let cycle = product
            .cycles
            .iter()
            .filter(|c| {
                std::iter::once(&c.cycle)
                    .chain(&c.aliases)
                    .any(|line| in_line(version, line))
            })
            .max_by_key(|c| c.cycle.len());
        let Some(cycle) = cycle else { continue };
        let Some(eol) = Date::parse(&cycle.eol) else {
            continue; // reported when the catalogue is loaded
        };
        if eol < today {
            out.push(
                Finding::new(
                    RuleId::EndOfLife,
                    product.severity.unwrap_or(Severity::High),
                    format!(
                        "`{}` {version} is {} {}, end of life since {eol}",
                        component.name, product.name, cycle.cycle
                    ),
                    format!(
                        "move to a supported release line of {}: {} {} gets no more security fixes",
                        product.name, product.name, cycle.cycle
                    ),
                )
                .for_component(component_ref(component))
                .keyed(format!(
                    "{}/{}/eol/{}/{}",
                    component.ecosystem, component.name, product.name, cycle.cycle
                )),
            );
        }
    }
    out
}

/// Whether `version` belongs to release line `line`: equal, or `line` followed by a
/// separator (`3.8.18`, `3.8-slim`, `16-alpine`, `buster-slim`).
fn in_line(version: &str, line: &str) -> bool {
    let version = version.strip_prefix('v').unwrap_or(version);
    version == line
        || version
            .strip_prefix(line)
            .is_some_and(|rest| rest.starts_with(['.', '-', '_', '+', '~']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_lines_match_on_separators() {
        assert!(in_line("3.8", "3.8"));
        assert!(in_line("3.8.18-slim", "3.8"));
        assert!(in_line("16-alpine", "16"));
        assert!(in_line("buster-slim", "buster"));
        assert!(!in_line("3.80", "3.8"));
        assert!(!in_line("160", "16"));
    }
}
