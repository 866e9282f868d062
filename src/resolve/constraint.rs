//! Setting constraints: does a value satisfy `min`/`max`/`oneOf`/`subsetOf`/`pattern`/
//! `forbidden`/`required`? Pure functions; callers turn violations into findings.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use crate::model::Setting;

/// Compiled regular expressions, shared by every check of a run.
#[derive(Debug, Default)]
pub struct Patterns {
    compiled: HashMap<String, Result<Regex, String>>,
}

impl Patterns {
    /// The compiled regex for `pattern`, if [`Patterns::get`] compiled it successfully.
    pub fn lookup(&self, pattern: &str) -> Option<&Regex> {
        self.compiled.get(pattern).and_then(|r| r.as_ref().ok())
    }

    /// Compiles (once) an anchored regex for `pattern`.
    pub fn get(&mut self, pattern: &str) -> &Result<Regex, String> {
        self.compiled.entry(pattern.to_owned()).or_insert_with(|| {
            regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                .size_limit(1 << 20)
                .build()
                .map_err(|e| e.to_string())
        })
    }
}

/// Renders a value for a message: strings bare, everything else as compact JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A short description of what the setting allows, for `explain` and help texts.
pub fn describe(setting: &Setting) -> String {
    let mut parts = Vec::new();
    if setting.locked {
        parts.push(format!("locked to `{}`", show(&setting.value)));
    }
    match (setting.min, setting.max) {
        (Some(min), Some(max)) => parts.push(format!("{}..={}", num(min), num(max))),
        (Some(min), None) => parts.push(format!(">= {}", num(min))),
        (None, Some(max)) => parts.push(format!("<= {}", num(max))),
        (None, None) => {}
    }
    if let Some(allowed) = &setting.one_of {
        parts.push(format!("one of `{}`", list(allowed)));
    }
    if let Some(allowed) = &setting.subset_of {
        parts.push(format!("a subset of `{}`", list(allowed)));
    }
    if let Some(pattern) = &setting.pattern {
        parts.push(format!("matching `{pattern}`"));
    }
    if setting.forbidden {
        parts.push("must be absent".to_owned());
    }
    if setting.required {
        parts.push("required".to_owned());
    }
    if parts.is_empty() {
        "any value (no constraint)".to_owned()
    } else {
        parts.join(", ")
    }
}

fn list(values: &[Value]) -> String {
    values.iter().map(show).collect::<Vec<_>>().join("`, `")
}

fn num(n: f64) -> String {
    serde_json::Number::from_f64(n).map_or_else(
        || n.to_string(),
        |n| {
            if n.as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
            {
                #[allow(clippy::cast_possible_truncation)]
                let whole = n.as_f64().unwrap_or_default() as i64;
                whole.to_string()
            } else {
                n.to_string()
            }
        },
    )
}

/// Every way `value` violates `setting`'s constraints, as message fragments
/// ("is `6`, above the maximum `4`").
/// Patterns must have been compiled with [`Patterns::get`] first (validation does).
pub fn violations(setting: &Setting, value: &Value, patterns: &Patterns) -> Vec<String> {
    let mut out = Vec::new();
    if value.is_null() {
        if setting.required {
            out.push("is not set, but the setting is required".to_owned());
        }
        return out;
    }
    if setting.forbidden {
        out.push(format!(
            "is set to `{}`, but the setting must be absent",
            show(value)
        ));
        return out;
    }
    if setting.min.is_some() || setting.max.is_some() {
        match value.as_f64() {
            Some(n) => {
                if let Some(min) = setting.min.filter(|&min| n < min) {
                    out.push(format!(
                        "is `{}`, below the minimum `{}`",
                        show(value),
                        num(min)
                    ));
                }
                if let Some(max) = setting.max.filter(|&max| n > max) {
                    out.push(format!(
                        "is `{}`, above the maximum `{}`",
                        show(value),
                        num(max)
                    ));
                }
            }
            None => out.push(format!(
                "is `{}`, but `min`/`max` need a number",
                show(value)
            )),
        }
    }
    if let Some(allowed) = &setting.one_of
        && !allowed.contains(value)
    {
        out.push(format!(
            "is `{}`, not one of `{}`",
            show(value),
            list(allowed)
        ));
    }
    if let Some(allowed) = &setting.subset_of {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let extra: Vec<Value> = items
            .into_iter()
            .filter(|item| !allowed.contains(item))
            .cloned()
            .collect();
        if !extra.is_empty() {
            out.push(format!(
                "contains `{}`, outside the allowed set",
                list(&extra)
            ));
        }
    }
    if let Some(pattern) = &setting.pattern
        && let Some(regex) = patterns.lookup(pattern)
    {
        let texts: Vec<String> = match value {
            Value::Array(items) => items.iter().map(show).collect(),
            other => vec![show(other)],
        };
        for text in texts {
            if !regex.is_match(&text) {
                out.push(format!("has `{text}`, which does not match `{pattern}`"));
            }
        }
    }
    out
}

/// A setting with no value and the given fields, for unit tests.
#[cfg(test)]
pub(crate) fn test_setting(extra: Value) -> Setting {
    let mut base = serde_json::json!({"value": null});
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    serde_json::from_value(base).unwrap()
}

#[cfg(test)]
mod tests {
    use super::test_setting as setting;
    use super::*;
    use serde_json::json;

    #[test]
    fn bounds_lists_and_patterns() {
        let mut p = Patterns::default();
        let s = setting(json!({"min": 1, "max": 4}));
        assert!(violations(&s, &json!(2), &p).is_empty());
        assert_eq!(
            violations(&s, &json!(6), &p),
            ["is `6`, above the maximum `4`"]
        );
        assert_eq!(violations(&s, &json!("x"), &p).len(), 1);
        let s = setting(json!({"subsetOf": ["a", "b"]}));
        assert!(violations(&s, &json!(["b", "a"]), &p).is_empty());
        assert_eq!(
            violations(&s, &json!(["a", "c"]), &p),
            ["contains `c`, outside the allowed set"]
        );
        let s = setting(json!({"pattern": "[0-9]+:[0-9]+:[0-9]+"}));
        assert!(p.get("[0-9]+:[0-9]+:[0-9]+").is_ok());
        assert!(violations(&s, &json!("10:30:60"), &p).is_empty());
        assert_eq!(violations(&s, &json!("10:30:60x"), &p).len(), 1);
        let s = setting(json!({"oneOf": ["VERBOSE", "INFO"]}));
        assert_eq!(
            violations(&s, &json!("DEBUG"), &p),
            ["is `DEBUG`, not one of `VERBOSE`, `INFO`"]
        );
        let s = setting(json!({"forbidden": true}));
        assert!(violations(&s, &Value::Null, &p).is_empty());
        assert_eq!(violations(&s, &json!("x"), &p).len(), 1);
        let s = setting(json!({"required": true}));
        assert_eq!(violations(&s, &Value::Null, &p).len(), 1);
        assert_eq!(describe(&setting(json!({"min": 1, "max": 4}))), "1..=4");
    }
}
