//! `sysctl` format: `sysctl.conf` and `sysctl.d/*.conf` — `key = value` lines, `#` and `;`
//! comments, `/` or `.` as key separators, a leading `-` (ignore errors) allowed; the last
//! value of a key wins.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Format, Found, Input, Observed, Parsed, Problem, Reader, Site};

/// The sysctl format.
pub struct Sysctl;

/// Last value of each key, located.
struct Data {
    values: BTreeMap<String, (String, Site)>,
}

fn normalise_key(key: &str) -> String {
    key.trim().trim_start_matches('-').replace('/', ".")
}

impl Format for Sysctl {
    fn parse(&self, input: &Input<'_>, _reader: &dyn Reader) -> Parsed {
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        let mut offset = 0;
        for line in input.text.split_inclusive('\n') {
            let content = line.trim_end_matches(['\n', '\r']);
            let trimmed = content.trim_start();
            let indent = content.len() - trimmed.len();
            if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';')) {
                let site = Site {
                    file: 0,
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
        Parsed {
            files: vec![(input.path.to_owned(), input.text.to_owned())],
            problems,
            data: Box::new(Data { values }),
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

    fn placement(&self, key: &str) -> String {
        format!("add a `{key} = …` line")
    }
}
