//! `sysctl` format: `sysctl.conf` and `sysctl.d/*.conf` — `key = value` lines, `#` and `;`
//! comments, `/` or `.` as key separators, a leading `-` (ignore errors) allowed; the last
//! value of a key wins.
//!
//! A file that is part of the boot-time set is judged by the values that set leaves in
//! force, in the order `sysctl --system` (procps) applies it: every `*.conf` in
//! `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`, `/usr/lib/sysctl.d` and
//! `/lib/sysctl.d` — one file per name, the earlier directory winning — in name order, then
//! `/etc/sysctl.conf` last. So a drop-in weakened by a later file is reported where the
//! weakening value is, and a setting any file of the set provides is not "missing".

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Format, Found, Input, Observed, Parsed, Problem, Reader, Site};

/// The sysctl format.
pub struct Sysctl;

/// Last value of each key, located.
struct Data {
    values: BTreeMap<String, (String, Site)>,
    /// Whether the checked file is the last of its boot-time set (or stands alone): the file
    /// that answers for settings no file of the set provides.
    answers_absence: bool,
}

fn normalise_key(key: &str) -> String {
    key.trim().trim_start_matches('-').replace('/', ".")
}

/// Directories of the boot-time set, by precedence (a name in an earlier one hides the
/// same name in later ones).
const DROP_IN_DIRS: &[&str] = &[
    "etc/sysctl.d",
    "run/sysctl.d",
    "usr/local/lib/sysctl.d",
    "usr/lib/sysctl.d",
    "lib/sysctl.d",
];

/// The files `sysctl --system` would apply, in order, if `path` is one of them.
fn boot_set(path: &str, sysroot: &str, reader: &dyn Reader) -> Option<Vec<String>> {
    let under = |rel: &str| {
        if sysroot.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", sysroot.trim_end_matches('/'))
        }
    };
    let conf = under("etc/sysctl.conf");
    let in_set = path == conf
        || DROP_IN_DIRS.iter().any(|dir| {
            path.strip_prefix(&format!("{}/", under(dir)))
                .is_some_and(|name| {
                    !name.contains('/')
                        && std::path::Path::new(name)
                            .extension()
                            .is_some_and(|e| e == "conf")
                })
        });
    if !in_set {
        return None;
    }
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in DROP_IN_DIRS {
        for file in reader.glob(&format!("{}/*.conf", under(dir))) {
            let name = file.rsplit('/').next().unwrap_or(&file).to_owned();
            by_name.entry(name).or_insert(file);
        }
    }
    let mut files: Vec<String> = by_name.into_values().collect();
    if reader.exists(&conf) {
        files.retain(|f| *f != conf);
        files.push(conf);
    }
    Some(files)
}

/// Reads one file's lines into `values` (later lines win) and `problems`.
fn scan(
    text: &str,
    file: usize,
    values: &mut BTreeMap<String, (String, Site)>,
    problems: &mut Vec<Problem>,
) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';')) {
            let site = Site {
                file,
                offset: offset + indent,
                len: trimmed.len(),
            };
            match trimmed.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    values.insert(normalise_key(key), (value.trim().to_owned(), site));
                }
                _ => problems.push(Problem {
                    site,
                    message: format!(
                        "`{}` is not a `key = value` line",
                        trimmed.chars().take(60).collect::<String>()
                    ),
                }),
            }
        }
        offset += line.len();
    }
}

impl Format for Sysctl {
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed {
        let mut files = vec![(input.path.to_owned(), input.text.to_owned())];
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        let mut answers_absence = true;
        match boot_set(input.path, input.sysroot, reader) {
            Some(set) => {
                answers_absence = set.last().is_none_or(|last| last == input.path);
                for path in set {
                    let index = if path == input.path {
                        0
                    } else {
                        match reader.read(&path) {
                            Ok(text) => {
                                files.push((path, text));
                                files.len() - 1
                            }
                            // Unreadable files of the set are findings when checked themselves.
                            Err(_) => continue,
                        }
                    };
                    let text = files[index].1.clone();
                    // Problems are reported for the checked file only; the others are
                    // checked (and reported) as files of their own.
                    let mut ignored = Vec::new();
                    let sink = if index == 0 {
                        &mut problems
                    } else {
                        &mut ignored
                    };
                    scan(&text, index, &mut values, sink);
                }
            }
            None => scan(input.text, 0, &mut values, &mut problems),
        }
        Parsed {
            files,
            problems,
            data: Box::new(Data {
                values,
                answers_absence,
            }),
        }
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(data) = parsed.data.downcast_ref::<Data>() else {
            return Vec::new();
        };
        data.values
            .get(&normalise_key(key))
            .map(|(value, site)| {
                vec![Found::Value(Observed {
                    value: Value::String(value.clone()),
                    site: *site,
                    scope: None,
                })]
            })
            .unwrap_or_default()
    }

    fn reports_absence(&self, parsed: &Parsed) -> bool {
        parsed
            .data
            .downcast_ref::<Data>()
            .is_none_or(|d| d.answers_absence)
    }

    fn placement(&self, key: &str) -> String {
        format!("add a `{key} = …` line")
    }
}
