//! The typed model of a baseline repository: manifest, baselines with their settings and
//! constraints, environments with overlays and waivers.
//!
//! Types here are plain data read from already schema-checked YAML; they know the file they
//! came from so that every finding can point back into it. No IO, no findings.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::finding::Severity;
use crate::source::FileId;

/// `hardline.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Repository metadata.
    pub metadata: ManifestMetadata,
    /// Where things are.
    #[serde(default)]
    pub paths: Paths,
    /// Default fail threshold.
    pub fail_on: Option<Severity>,
    /// Repository-wide waivers.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Where components are declared and which versions are acceptable.
    #[serde(default)]
    pub components: Components,
    /// The offline OSV advisory database (repo-relative).
    pub advisories: Option<String>,
    /// Patch deadlines.
    #[serde(default)]
    pub patch: PatchPolicy,
}

/// `components` of the manifest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    /// Globs of lockfiles, package lists and Dockerfiles.
    #[serde(default)]
    pub lockfiles: Vec<String>,
    /// Version policies.
    #[serde(default)]
    pub policy: Vec<ComponentPolicy>,
    /// Repo-relative path of the end-of-life catalogue.
    pub end_of_life: Option<String>,
}

/// One entry of `components.policy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentPolicy {
    /// OSV ecosystem; any when absent.
    pub ecosystem: Option<String>,
    /// Component name.
    pub name: String,
    /// Lowest acceptable version.
    pub min_version: Option<String>,
    /// Banned versions or ranges.
    #[serde(default)]
    pub banned: Vec<String>,
    /// Why.
    pub reason: Option<String>,
    /// Severity of its findings.
    pub severity: Option<Severity>,
}

/// `patch` of the manifest.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatchPolicy {
    /// Deadline per severity (`2d`, `1w`).
    #[serde(default)]
    pub sla: BTreeMap<Severity, String>,
}

/// `metadata` of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestMetadata {
    /// Repository name.
    pub name: String,
    /// Owning team.
    pub owner: Option<String>,
}

/// Directory layout, repo-relative.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Paths {
    /// Master baselines.
    pub baselines: String,
    /// Templates (the only place templates load from).
    pub templates: String,
    /// Environment overlays.
    pub environments: String,
}

impl Default for Paths {
    fn default() -> Paths {
        Paths {
            baselines: "baselines".into(),
            templates: "templates".into(),
            environments: "environments".into(),
        }
    }
}

/// Metadata of a baseline or environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// Name: the key used in overlays and outputs.
    pub name: String,
    /// Accountable owner.
    pub owner: Option<String>,
    /// Version of the baseline.
    pub version: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Documents followed.
    #[serde(default)]
    pub references: Vec<String>,
}

/// The software a baseline hardens.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Package name.
    pub name: String,
    /// OSV ecosystem.
    pub ecosystem: Option<String>,
    /// Lowest acceptable version.
    pub min_version: Option<String>,
}

/// How a baseline renders.
#[derive(Debug, Clone, Deserialize)]
pub struct RenderSpec {
    /// Template name under the templates directory.
    pub template: String,
    /// Path under the environment's output directory.
    pub target: String,
    /// Config format of the target.
    pub format: Option<String>,
}

/// Files a baseline checks besides what it renders.
#[derive(Debug, Clone, Deserialize)]
pub struct ConformSpec {
    /// Config format (defaults to the render format).
    pub format: Option<String>,
    /// Repo-relative paths or globs.
    pub paths: Vec<String>,
    /// Repo-relative directory standing for `/` in absolute includes.
    pub root: Option<String>,
}

/// Where a setting lives in a checked file: one key, or alternatives tried in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    /// One key or pointer.
    One(String),
    /// Alternatives: the first that occurs counts.
    Many(Vec<String>),
}

impl KeySpec {
    /// The keys, in order.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeySpec::One(k) => vec![k.as_str()],
            KeySpec::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// One setting of a baseline: its default value and the constraints any effective value
/// must meet.
#[derive(Debug, Clone, Deserialize)]
#[allow(clippy::struct_excessive_bools)] // each flag is a field of the file format
#[serde(rename_all = "camelCase")]
pub struct Setting {
    /// Default (and, when locked, the only) value.
    #[serde(default)]
    pub value: Value,
    /// No overlay may set it.
    #[serde(default)]
    pub locked: bool,
    /// Severity of findings about it.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Why.
    pub rationale: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Control ids.
    #[serde(default)]
    pub references: Vec<String>,
    /// Inclusive numeric lower bound.
    pub min: Option<f64>,
    /// Inclusive numeric upper bound.
    pub max: Option<f64>,
    /// Allowed values.
    pub one_of: Option<Vec<Value>>,
    /// Allowed list items.
    pub subset_of: Option<Vec<Value>>,
    /// Regex the whole value must match.
    pub pattern: Option<String>,
    /// Must be absent.
    #[serde(default)]
    pub forbidden: bool,
    /// Must be present.
    #[serde(default)]
    pub required: bool,
    /// Location in checked files, when not the setting name.
    pub key: Option<KeySpec>,
    /// The component's built-in default, in force when a file does not set it.
    pub builtin: Option<Value>,
    /// Whether list order matters in checked files.
    #[serde(default)]
    pub ordered: bool,
}

fn default_severity() -> Severity {
    Severity::Medium
}

/// A master baseline.
#[derive(Debug, Clone, Deserialize)]
pub struct Baseline {
    /// The file it was read from.
    #[serde(skip, default = "unset_file")]
    pub file: FileId,
    /// Metadata.
    pub metadata: Metadata,
    /// Hardened software.
    pub component: Option<Component>,
    /// Rendering, if the baseline renders a file.
    pub render: Option<RenderSpec>,
    /// Other checked-in files to check.
    pub conform: Option<ConformSpec>,
    /// Settings by name.
    pub settings: BTreeMap<String, Setting>,
}

impl Baseline {
    /// The baseline's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// An environment overlay.
#[derive(Debug, Clone, Deserialize)]
pub struct Environment {
    /// The file it was read from.
    #[serde(skip, default = "unset_file")]
    pub file: FileId,
    /// Metadata.
    pub metadata: Metadata,
    /// Repo-relative directory of the checked-in rendered files.
    pub output: String,
    /// Baselines rendered here (`None`: all that render).
    pub baselines: Option<Vec<String>>,
    /// Template variables.
    #[serde(default)]
    pub vars: serde_json::Map<String, Value>,
    /// Overlay values: baseline → setting → value.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
    /// Time-bounded exceptions.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

impl Environment {
    /// The environment's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this environment renders `baseline`.
    pub fn renders(&self, baseline: &str) -> bool {
        self.baselines
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == baseline))
    }
}

/// A time-bounded, owned exception to a rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Waiver {
    /// A rule id, or a setting key `baseline.Setting`.
    pub rule: String,
    /// Setting key the waiver is limited to.
    pub setting: Option<String>,
    /// Repo-relative path the waiver is limited to.
    pub path: Option<String>,
    /// Environment a repository-wide waiver is limited to.
    pub environment: Option<String>,
    /// Why the exception is acceptable.
    pub reason: Option<String>,
    /// Who answers for it.
    pub owner: Option<String>,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires: Option<String>,
}

fn unset_file() -> FileId {
    FileId::PLACEHOLDER
}
