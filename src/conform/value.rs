//! Comparing what a file says with what a setting requires, semantically: `yes`/`on`/`true`
//! are one boolean, `30s` is `30`, `64MB` is `65536kB`, comma- or space-separated lists are
//! lists (order-sensitive only when the setting says so).

use serde_json::Value;

use crate::model::Setting;
use crate::resolve::constraint::{self, Patterns};

/// A value for messages.
pub fn show(value: &Value) -> String {
    match value {
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(","),
        other => constraint::show(other),
    }
}

/// Whether the setting constrains values beyond its default (then the default is only a
/// default, and any allowed value conforms).
pub fn has_explicit_constraint(setting: &Setting) -> bool {
    setting.min.is_some()
        || setting.max.is_some()
        || setting.one_of.is_some()
        || setting.subset_of.is_some()
        || setting.pattern.is_some()
        || setting.forbidden
}

/// Every way `observed` (what a file says) fails `setting` with effective value `expected`.
/// Explicit constraints (`min`, `max`, `oneOf`, `subsetOf`, `pattern`, `forbidden`) decide
/// when present; a locked setting, or one with no explicit constraint, must equal `expected`.
pub fn conforms(
    setting: &Setting,
    expected: &Value,
    observed: &Value,
    patterns: &Patterns,
) -> Vec<String> {
    let coerced = coerce_cow(observed, expected);
    let coerced = coerced.as_ref();
    let explicit = has_explicit_constraint(setting);
    let mut problems = Vec::new();
    if explicit {
        // `oneOf` and `subsetOf` items read in the shape of the value; the setting is only
        // copied when that changes one of them.
        let one_of = setting
            .one_of
            .as_ref()
            .and_then(|allowed| reshaped(allowed, |_| coerced));
        let subset_of = setting.subset_of.as_ref().and_then(|allowed| {
            reshaped(allowed, |a| {
                coerced.as_array().and_then(|x| x.first()).unwrap_or(a)
            })
        });
        let shaped;
        let checked = if one_of.is_none() && subset_of.is_none() {
            setting
        } else {
            let mut copy = setting.clone();
            if one_of.is_some() {
                copy.one_of = one_of;
            }
            if subset_of.is_some() {
                copy.subset_of = subset_of;
            }
            shaped = copy;
            &shaped
        };
        let violations = constraint::violations(checked, coerced, patterns);
        if !violations.is_empty() {
            let written = show(observed);
            problems.extend(violations.into_iter().map(|p| {
                // `1.5min` was compared as `90`: say what the file says too.
                if !(observed.is_string() && coerced.is_number()) || written == show(coerced) {
                    p
                } else {
                    format!("{p} (written `{written}`)")
                }
            }));
        }
    }
    if (setting.locked || !explicit)
        && !equal(coerced, &coerce_cow(expected, coerced), setting.ordered)
    {
        problems.push(format!(
            "is `{}`, expected `{}`",
            show(observed),
            show(expected)
        ));
    }
    problems
}

/// `allowed` with every item coerced to the shape `like(item)` gives, or `None` when that
/// changes no item.
fn reshaped<'a>(allowed: &'a [Value], like: impl Fn(&'a Value) -> &'a Value) -> Option<Vec<Value>> {
    let shaped: Vec<std::borrow::Cow<'a, Value>> =
        allowed.iter().map(|a| coerce_cow(a, like(a))).collect();
    let changed = shaped
        .iter()
        .zip(allowed)
        .any(|(s, a)| matches!(s, std::borrow::Cow::Owned(v) if v != a));
    changed.then(|| {
        shaped
            .into_iter()
            .map(std::borrow::Cow::into_owned)
            .collect()
    })
}

fn equal(a: &Value, b: &Value, ordered: bool) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) if !ordered => {
            let mut x: Vec<String> = x.iter().map(Value::to_string).collect();
            let mut y: Vec<String> = y.iter().map(Value::to_string).collect();
            x.sort();
            y.sort();
            x == y
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y || x.eq_ignore_ascii_case(y) && is_word(x),
        _ => a == b,
    }
}

fn is_word(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
}

/// Reads `value` in the shape of `like`: strings become booleans, numbers (with units) or
/// lists when `like` is one.
pub fn coerce(value: &Value, like: &Value) -> Value {
    coerce_cow(value, like).into_owned()
}

/// [`coerce`], borrowing `value` when it keeps its shape (most values do).
fn coerce_cow<'a>(value: &'a Value, like: &Value) -> std::borrow::Cow<'a, Value> {
    use std::borrow::Cow::{Borrowed, Owned};
    Owned(match (value, like) {
        (Value::String(s), Value::Bool(_)) => match boolean(s) {
            Some(b) => Value::Bool(b),
            None => return Borrowed(value),
        },
        (Value::String(s), Value::Number(_)) => {
            match quantity(s).and_then(serde_json::Number::from_f64) {
                Some(n) => Value::Number(normalise(n)),
                None => return Borrowed(value),
            }
        }
        (Value::Bool(b), Value::String(s)) if boolean(s).is_some() => Value::String(if *b {
            yes_like(s, true)
        } else {
            yes_like(s, false)
        }),
        (Value::String(s), Value::String(t)) => match (boolean(s), boolean(t)) {
            (Some(x), Some(_)) => Value::String(yes_like(t, x)),
            _ => match quantities(s, t) {
                Some((x, y)) if (has_unit(s) || has_unit(t)) && (x - y).abs() < f64::EPSILON => {
                    like.clone()
                }
                _ => return Borrowed(value),
            },
        },
        (Value::String(s), Value::Array(items)) => {
            let parts: Vec<&str> = if s.contains(',') {
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect()
            } else {
                s.split_whitespace().collect()
            };
            let first = items.first().unwrap_or(&Value::Null);
            Value::Array(
                parts
                    .into_iter()
                    .map(|p| {
                        let part = Value::String(p.to_owned());
                        let shaped = match coerce_cow(&part, first) {
                            Owned(shaped) => Some(shaped),
                            Borrowed(_) => None,
                        };
                        shaped.unwrap_or(part)
                    })
                    .collect(),
            )
        }
        (Value::Number(n), Value::String(s)) if quantity(s).is_some() => {
            let x = n.as_f64().unwrap_or_default();
            if quantity(s).is_some_and(|y| (x - y).abs() < f64::EPSILON) {
                like.clone()
            } else {
                return Borrowed(value);
            }
        }
        (Value::Array(items), Value::Array(like_items)) => {
            let first = like_items.first().unwrap_or(&Value::Null);
            Value::Array(items.iter().map(|i| coerce(i, first)).collect())
        }
        _ => return Borrowed(value),
    })
}

fn normalise(n: serde_json::Number) -> serde_json::Number {
    match n.as_f64() {
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => serde_json::Number::from(f as i64),
        _ => n,
    }
}

/// `yes`/`no`, `on`/`off`, `true`/`false`, `1`/`0` (case-insensitive).
pub fn boolean(s: &str) -> Option<bool> {
    let s = s.trim();
    let is = |word: &str| s.eq_ignore_ascii_case(word);
    if is("yes") || is("on") || is("true") || s == "1" {
        Some(true)
    } else if is("no") || is("off") || is("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

/// The spelling family of `like` (`yes`/`no`, `on`/`off`, `true`/`false`) for `value`.
fn yes_like(like: &str, value: bool) -> String {
    let like = like.trim();
    let is = |word: &str| like.eq_ignore_ascii_case(word);
    let pair = if is("on") || is("off") {
        ("on", "off")
    } else if is("true") || is("false") {
        ("true", "false")
    } else if like == "1" || like == "0" {
        ("1", "0")
    } else {
        ("yes", "no")
    };
    (if value { pair.0 } else { pair.1 }).to_owned()
}

fn has_unit(s: &str) -> bool {
    s.trim()
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphabetic())
}

/// Two quantities read together: a bare `m` is minutes (as sshd reads it) unless the
/// other side is a size (nginx writes `1m` for one megabyte: `1m` = `1024k`).
fn quantities(a: &str, b: &str) -> Option<(f64, f64)> {
    let unit = |s: &str| {
        s.trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || ".+-".contains(c))
            .to_owned()
    };
    let is_size = |u: &str| {
        matches!(
            u,
            "B" | "k" | "K" | "kB" | "KB" | "M" | "MB" | "G" | "GB" | "T" | "TB"
        )
    };
    let size_m = |s: &str, other: &str| {
        (unit(s) == "m" && is_size(&unit(other)))
            .then(|| quantity(s.trim().trim_end_matches('m')).map(|n| n * 1024.0))
            .flatten()
    };
    let x = size_m(a, b).or_else(|| quantity(a))?;
    let y = size_m(b, a).or_else(|| quantity(b))?;
    Some((x, y))
}

/// A number with an optional unit, in base units: time in seconds (`us`, `ms`, `s`, `min`,
/// `h`, `d`, and sshd's `m`/`w`), sizes in kilobytes (`B`, `kB`, `MB`, `GB`, `TB`, `k`/`K`, `M`, `G`).
pub fn quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" | "S" | "kB" | "k" | "K" | "KB" => 1.0,
        "ms" => 0.001,
        "us" => 0.000_001,
        "min" | "m" => 60.0,
        "h" | "H" => 3600.0,
        "d" | "D" => 86_400.0,
        "w" | "W" => 604_800.0,
        "B" => 1.0 / 1024.0,
        "MB" | "M" => 1024.0,
        "GB" | "G" => 1024.0 * 1024.0,
        "TB" | "T" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::constraint::test_setting as setting;
    use serde_json::json;

    #[test]
    fn values_compare_semantically() {
        let p = Patterns::default();
        let plain = setting(json!({}));
        assert!(conforms(&plain, &json!("no"), &json!("No"), &p).is_empty());
        assert!(conforms(&plain, &json!(false), &json!("off"), &p).is_empty());
        assert!(conforms(&plain, &json!(30), &json!("30s"), &p).is_empty());
        assert!(conforms(&plain, &json!("1min"), &json!("60s"), &p).is_empty());
        assert!(conforms(&plain, &json!("64MB"), &json!("65536kB"), &p).is_empty());
        assert!(conforms(&plain, &json!("1m"), &json!("1024k"), &p).is_empty());
        assert!(conforms(&plain, &json!("1m"), &json!("60s"), &p).is_empty());
        assert_eq!(conforms(&plain, &json!("1m"), &json!("1k"), &p).len(), 1);
        assert!(conforms(&plain, &json!("1ms"), &json!("1000us"), &p).is_empty());
        assert_eq!(
            conforms(&plain, &json!("no"), &json!("yes"), &p),
            ["is `yes`, expected `no`"]
        );
        assert!(conforms(&plain, &json!(["a", "b"]), &json!("b,a"), &p).is_empty());
        let ordered = setting(json!({"ordered": true}));
        assert_eq!(
            conforms(&ordered, &json!(["a", "b"]), &json!("b,a"), &p).len(),
            1
        );
        let bounded = setting(json!({"min": 1, "max": 4}));
        assert!(conforms(&bounded, &json!(2), &json!("3"), &p).is_empty());
        assert_eq!(
            conforms(&bounded, &json!(2), &json!("6"), &p),
            ["is `6`, above the maximum `4`"]
        );
        let subset = setting(json!({"subsetOf": ["a", "b", "c"]}));
        assert!(conforms(&subset, &json!(["a"]), &json!("c,b"), &p).is_empty());
        assert_eq!(conforms(&subset, &json!(["a"]), &json!("a,z"), &p).len(), 1);
    }
}
