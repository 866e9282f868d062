//! JSON Schema validation of manifest, baseline and environment files.
//!
//! The schemas in `schemas/` are the contract; they are compiled into the binary (no
//! network, no file resolution at run time) and applied with the jsonschema crate. Each
//! error's JSON Pointer is mapped back to the exact YAML key or value.

use std::sync::OnceLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::finding::{Finding, RuleId, Severity};
use crate::source::SourceFile;
use crate::source::yaml::Node;

/// Which schema a document is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// `hardline.yaml`.
    Manifest,
    /// `baselines/*.yaml`.
    Baseline,
    /// `environments/*.yaml`.
    Environment,
    /// The end-of-life catalogue named by `components.endOfLife`.
    EndOfLife,
}

impl DocKind {
    /// The schema file name under `schemas/`.
    pub fn schema_file(self) -> &'static str {
        match self {
            DocKind::Manifest => "schemas/manifest.schema.json",
            DocKind::Baseline => "schemas/baseline.schema.json",
            DocKind::Environment => "schemas/environment.schema.json",
            DocKind::EndOfLife => "schemas/eol.schema.json",
        }
    }

    fn source(self) -> &'static str {
        match self {
            DocKind::Manifest => include_str!("../../schemas/manifest.schema.json"),
            DocKind::Baseline => include_str!("../../schemas/baseline.schema.json"),
            DocKind::Environment => include_str!("../../schemas/environment.schema.json"),
            DocKind::EndOfLife => include_str!("../../schemas/eol.schema.json"),
        }
    }

    fn validator(self) -> &'static Result<Validator, String> {
        static CELLS: [OnceLock<Result<Validator, String>>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let index = self as usize;
        CELLS[index].get_or_init(|| {
            let schema: Value = serde_json::from_str(self.source()).map_err(|e| e.to_string())?;
            jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())
        })
    }
}

/// Checks `instance` (the JSON form of `tree`) against the schema of `kind`.
pub fn check(kind: DocKind, instance: &Value, tree: &Node, file: &SourceFile) -> Vec<Finding> {
    let validator = match kind.validator() {
        Ok(v) => v,
        Err(e) => {
            // Only reachable if a shipped schema is broken; a unit test guards against it.
            return vec![Finding::new(
                RuleId::Schema,
                Severity::High,
                format!(
                    "the built-in schema `{}` does not compile: {e}",
                    kind.schema_file()
                ),
                "report this as a bug in hardline",
            )];
        }
    };
    let mut findings = Vec::new();
    for error in validator.iter_errors(instance) {
        let pointer = error.instance_path().as_str().to_owned();
        let (message, at_pointer, prefer_key) = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let first = unexpected.first().cloned().unwrap_or_default();
                let escaped = first.replace('~', "~0").replace('/', "~1");
                (
                    format!("unknown key `{first}`{}", context(&pointer)),
                    format!("{pointer}/{escaped}"),
                    true,
                )
            }
            ValidationErrorKind::Required { property } => (
                format!(
                    "missing required key `{}`{}",
                    property.as_str().unwrap_or_default(),
                    context(&pointer)
                ),
                pointer.clone(),
                true,
            ),
            // The schemas use `not` only for relative paths; say which rule the path breaks.
            ValidationErrorKind::Not { .. } => {
                match error.instance().as_str().map(crate::fs::check_relative) {
                    Some(Err(problem)) => (
                        format!(
                            "path `{}` {}{}",
                            error.instance().as_str().unwrap_or_default(),
                            problem.describe(),
                            context(&pointer)
                        ),
                        pointer.clone(),
                        false,
                    ),
                    _ => (
                        format!("{}{}", lower_first(&error.to_string()), context(&pointer)),
                        pointer.clone(),
                        false,
                    ),
                }
            }
            _ => (
                format!("{}{}", lower_first(&error.to_string()), context(&pointer)),
                pointer.clone(),
                false,
            ),
        };
        let located = tree.locate(&at_pointer);
        let span = match (prefer_key, located.key) {
            (true, Some(key)) => key.span,
            _ => located.node.span,
        };
        findings.push(
            Finding::new(
                RuleId::Schema,
                Severity::High,
                message,
                format!(
                    "fix the value to match `{}` (editors that read the `$schema` comment show it as you type)",
                    kind.schema_file()
                ),
            )
            .at(super::span_location(file, span)),
        );
    }
    findings
}

fn context(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" at `{pointer}`")
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_schemas_compile() {
        for kind in [
            DocKind::Manifest,
            DocKind::Baseline,
            DocKind::Environment,
            DocKind::EndOfLife,
        ] {
            assert!(
                kind.validator().is_ok(),
                "{:?}",
                kind.validator().as_ref().err()
            );
        }
    }

    #[test]
    fn every_property_has_a_description() {
        fn walk(value: &Value, path: &str, missing: &mut Vec<String>) {
            if let Value::Object(map) = value {
                for key in ["properties", "patternProperties", "$defs"] {
                    if let Some(Value::Object(props)) = map.get(key) {
                        for (name, schema) in props {
                            if schema.get("description").is_none() {
                                missing.push(format!("{path}/{key}/{name}"));
                            }
                        }
                    }
                }
                for (key, child) in map {
                    walk(child, &format!("{path}/{key}"), missing);
                }
            } else if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}/{i}"), missing);
                }
            }
        }
        for kind in [
            DocKind::Manifest,
            DocKind::Baseline,
            DocKind::Environment,
            DocKind::EndOfLife,
        ] {
            let schema: Value = serde_json::from_str(kind.source()).unwrap();
            let mut missing = Vec::new();
            walk(&schema, kind.schema_file(), &mut missing);
            assert!(missing.is_empty(), "{missing:?}");
        }
    }
}
