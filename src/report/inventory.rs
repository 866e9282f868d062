//! Inventory views: a table for people, JSON per the machine-readable contract, and a
//! CycloneDX 1.5 bill of materials.

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::inventory::{Component, purl};

#[derive(Serialize)]
struct Entry<'a> {
    ecosystem: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    purl: String,
    path: &'a str,
    line: usize,
}

fn entries(components: &[Component]) -> Vec<Entry<'_>> {
    components
        .iter()
        .map(|c| Entry {
            ecosystem: c.ecosystem.as_str(),
            name: &c.name,
            version: c.version.as_deref(),
            purl: purl(c.ecosystem, &c.name, c.version.as_deref()),
            path: &c.path,
            line: c.line,
        })
        .collect()
}

/// `{"components": [...]}`.
pub fn json(components: &[Component]) -> String {
    super::json::value(&json!({ "components": entries(components) }))
}

/// Aligned columns: ecosystem, name, version, where.
pub fn table(components: &[Component]) -> String {
    let rows: Vec<[String; 4]> = components
        .iter()
        .map(|c| {
            [
                c.ecosystem.as_str().to_owned(),
                c.name.clone(),
                c.version
                    .clone()
                    .or_else(|| c.requirement.as_ref().map(|r| format!("({r})")))
                    .unwrap_or_else(|| "(unpinned)".to_owned()),
                format!("{}:{}", c.path, c.line),
            ]
        })
        .collect();
    let header = [
        "ECOSYSTEM".to_owned(),
        "NAME".to_owned(),
        "VERSION".to_owned(),
        "DECLARED AT".to_owned(),
    ];
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let files: std::collections::BTreeSet<&str> =
        components.iter().map(|c| c.path.as_str()).collect();
    out.push_str(&format!(
        "\n{} component{} in {} file{}\n",
        components.len(),
        if components.len() == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    ));
    out
}

/// A CycloneDX 1.5 JSON bill of materials. The serial number is derived from the content,
/// so the same inventory gives the same document.
pub fn cyclonedx(components: &[Component]) -> String {
    let list: Vec<serde_json::Value> = components
        .iter()
        .map(|c| {
            let purl = purl(c.ecosystem, &c.name, c.version.as_deref());
            let mut entry = json!({
                "type": match c.ecosystem {
                    crate::inventory::Ecosystem::Docker => "container",
                    _ => "library",
                },
                "bom-ref": format!("{purl}#{}:{}", c.path, c.line),
                "name": c.name,
                "purl": purl,
                "properties": [
                    { "name": "hardline:ecosystem", "value": c.ecosystem.as_str() },
                    { "name": "hardline:path", "value": c.path },
                    { "name": "hardline:line", "value": c.line.to_string() },
                ],
            });
            if let Some(version) = &c.version {
                entry["version"] = json!(version);
            }
            entry
        })
        .collect();
    let body = serde_json::to_string(&list).unwrap_or_default();
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    // RFC 4122 version 8 (custom) layout: set the version and variant bits.
    let uuid = format!(
        "{}-{}-8{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        (u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 0x3) | 0x8,
        &hex[17..20],
        &hex[20..32]
    );
    super::json::value(&json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{uuid}"),
        "version": 1,
        "metadata": {
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "hardline",
                    "version": env!("CARGO_PKG_VERSION"),
                }]
            }
        },
        "components": list,
    }))
}
