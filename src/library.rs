//! The built-in hardened library: this repository's own baselines, templates, environments
//! and examples, compiled into the binary. `hardline init` writes a subset of it; CI runs
//! `hardline check` on the repository itself, so what `init` writes checks clean.

use crate::model::Baseline;
use crate::resolve::constraint;
use crate::source::yaml;

/// One component of the library: the files `init --with NAME` adds.
pub struct Component {
    /// Name used by `init --with`.
    pub name: &'static str,
    /// Baseline names it contributes (keys of environment overlays).
    pub baselines: &'static [&'static str],
    /// Repo-relative path and contents.
    pub files: &'static [(&'static str, &'static str)],
}

macro_rules! file {
    ($path:literal) => {
        ($path, include_str!(concat!("../", $path)))
    };
}

/// Files every scaffold gets.
pub const COMMON: &[(&str, &str)] = &[
    file!("hardline.yaml"),
    file!("schemas/manifest.schema.json"),
    file!("schemas/baseline.schema.json"),
    file!("schemas/environment.schema.json"),
    file!("schemas/eol.schema.json"),
    file!("eol.yaml"),
];

/// The environments of the library (their overlays are filtered to the chosen components).
pub const ENVIRONMENTS: &[(&str, &str)] = &[
    file!("environments/dev.yaml"),
    file!("environments/prod.yaml"),
];

/// Every component, in `init --with` order.
pub const COMPONENTS: &[Component] = &[
    Component {
        name: "sshd",
        baselines: &["sshd"],
        files: &[
            file!("baselines/sshd.yaml"),
            file!("templates/sshd_config.j2"),
        ],
    },
    Component {
        name: "nginx",
        baselines: &["nginx"],
        files: &[
            file!("baselines/nginx.yaml"),
            file!("templates/nginx.conf.j2"),
        ],
    },
    Component {
        name: "postgres",
        baselines: &["postgresql", "pg_hba"],
        files: &[
            file!("baselines/postgresql.yaml"),
            file!("baselines/pg_hba.yaml"),
            file!("templates/postgresql.conf.j2"),
            file!("templates/pg_hba.conf.j2"),
        ],
    },
    Component {
        name: "sysctl",
        baselines: &["sysctl"],
        files: &[
            file!("baselines/sysctl.yaml"),
            file!("templates/sysctl.conf.j2"),
        ],
    },
    Component {
        name: "docker",
        baselines: &["docker"],
        files: &[
            file!("baselines/docker.yaml"),
            file!("templates/daemon.json.j2"),
        ],
    },
    Component {
        name: "k8s",
        baselines: &["k8s-pss"],
        files: &[
            file!("baselines/k8s-pss.yaml"),
            file!("k8s/web/deployment.yaml"),
        ],
    },
];

/// The component called `name`.
pub fn component(name: &str) -> Option<&'static Component> {
    COMPONENTS.iter().find(|c| c.name == name)
}

/// An environment file keeping only the overlays (`values:` entries) of `baselines`.
///
/// The library's environment files are written so that this is a text operation: `values:`
/// is a top-level key whose entries are two-space-indented baseline names, each followed by
/// its more deeply indented settings; everything else is kept as written (comments too).
pub fn filter_environment(text: &str, baselines: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_values = false;
    let mut keep = true;
    let mut kept_any = false;
    let mut values_header = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty();
        if indent == 0 && !blank && !line.starts_with('#') {
            in_values = line.trim_end() == "values:";
            if in_values {
                values_header = Some(out.len());
                out.push_str(line);
                kept_any = false;
                continue;
            }
        }
        if in_values && !blank {
            if indent == 2 && !line.trim_start().starts_with('#') {
                let name = line.trim().trim_end_matches(':');
                keep = baselines.contains(&name);
                kept_any |= keep;
            }
            if keep {
                out.push_str(line);
            }
            continue;
        }
        out.push_str(line);
    }
    // No overlay left: drop the empty `values:` key.
    if let (Some(at), false) = (values_header, kept_any) {
        let end = out[at..].find('\n').map_or(out.len(), |e| at + e + 1);
        out.replace_range(at..end, "");
    }
    out
}

/// `docs/baselines.md`: every built-in setting with its value, constraint, severity and
/// references.
pub fn baselines_markdown() -> String {
    let mut out = String::from(
        "# Built-in baselines\n\n<!-- generated from baselines/*.yaml by `UPDATE_DOCS=1 cargo test baselines_doc`; do not edit -->\n\n\
         The hardened library shipped with hardline (`hardline init --with ...` writes it into a new\n\
         repository). Values are defaults; environments may override unlocked settings within the\n\
         constraint.\n",
    );
    for component in COMPONENTS {
        for (path, text) in component
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("baselines/"))
        {
            let Some(baseline) = parse(text) else {
                out.push_str(&format!("\n## `{path}`\n\n(does not parse)\n"));
                continue;
            };
            out.push_str(&format!("\n## {} (`{path}`)\n\n", baseline.name()));
            if let Some(description) = &baseline.metadata.description {
                out.push_str(&format!("{}\n\n", description.trim()));
            }
            if !baseline.metadata.references.is_empty() {
                out.push_str(&format!(
                    "References: {}.\n\n",
                    baseline.metadata.references.join("; ")
                ));
            }
            out.push_str(
                "| setting | value | allowed | severity | references |\n|---|---|---|---|---|\n",
            );
            for (name, setting) in &baseline.settings {
                let value = if setting.value.is_null() {
                    "(unset)".to_owned()
                } else {
                    format!("`{}`", cell(&constraint::show(&setting.value)))
                };
                out.push_str(&format!(
                    "| `{name}` | {value} | {} | {} | {} |\n",
                    cell(&constraint::describe(setting)),
                    setting.severity,
                    cell(&setting.references.join("; ")),
                ));
            }
        }
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn parse(text: &str) -> Option<Baseline> {
    let tree = yaml::parse(text).ok()?;
    serde_json::from_value(tree.to_json()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn baselines_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/baselines.md");
        let expected = baselines_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/baselines.md is stale: run `UPDATE_DOCS=1 cargo test baselines_doc`"
        );
    }

    #[test]
    fn every_library_baseline_parses() {
        for component in COMPONENTS {
            for (path, text) in component
                .files
                .iter()
                .filter(|(p, _)| p.starts_with("baselines/"))
            {
                let baseline = parse(text).unwrap_or_else(|| panic!("{path} does not parse"));
                assert!(component.baselines.contains(&baseline.name()), "{path}");
                for (name, setting) in &baseline.settings {
                    assert!(
                        setting.rationale.is_some(),
                        "{path}: {name} has no rationale"
                    );
                }
            }
        }
    }

    #[test]
    fn environment_overlays_filter_by_baseline() {
        let text = "# c\napiVersion: hardline/v1\nvalues:\n  sshd:\n    A: 1 # x\n\n  nginx:\n    B: [1,\n      2]\nwaivers: []\n";
        assert_eq!(
            filter_environment(text, &["nginx"]),
            "# c\napiVersion: hardline/v1\nvalues:\n\n  nginx:\n    B: [1,\n      2]\nwaivers: []\n"
        );
        assert_eq!(
            filter_environment(text, &[]),
            "# c\napiVersion: hardline/v1\n\nwaivers: []\n"
        );
    }
}
