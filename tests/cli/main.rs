//! End-to-end tests: every test runs the real `hardline` binary on a real repository in a
//! temporary directory. One integration-test binary (one link step); one file per command.

#![allow(clippy::disallowed_methods)] // tests write fixtures with std::fs::write
#![allow(
    clippy::missing_panics_doc,
    clippy::similar_names,
    clippy::cast_possible_truncation
)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic by design

mod audit;
mod bad_input;
mod check;
mod conform;
mod conform_nginx;
mod conform_postgres;
mod conform_sshd;
mod conform_structured;
mod daemon;
mod determinism;
mod diff;
mod explain;
mod init;
mod pr;
mod pr_review;
mod render;
mod report;
mod validate;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A baseline repository in a temporary directory.
pub struct Repo {
    dir: tempfile::TempDir,
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The findings of a `--format json` run.
    pub fn findings(&self) -> Vec<serde_json::Value> {
        self.json()["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The rule ids of findings, in order.
pub fn rules(findings: &[serde_json::Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The single finding with `rule`, panicking when there is not exactly one.
#[track_caller]
pub fn one<'a>(findings: &'a [serde_json::Value], rule: &str) -> &'a serde_json::Value {
    let matching: Vec<&serde_json::Value> = findings.iter().filter(|f| f["rule"] == rule).collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one `{rule}` finding in {findings:#?}"
    );
    matching[0]
}

/// `(path, line, column)` of a finding.
pub fn at(finding: &serde_json::Value) -> (String, u64, u64) {
    let loc = &finding["location"];
    (
        loc["path"].as_str().unwrap_or_default().to_owned(),
        loc["line"].as_u64().unwrap_or_default(),
        loc["column"].as_u64().unwrap_or_default(),
    )
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hardline")
}

/// Runs hardline with `args` in `cwd`, no colour, width 80.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("run hardline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Repo {
    /// An empty directory.
    pub fn empty() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A repository made by `hardline init` (the shipped sshd library, dev and prod).
    pub fn scaffold() -> Repo {
        let repo = Repo::empty();
        repo.run(&["init", "."]).assert_code(0);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Repo {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Replaces `from` (which must occur) by `to` in a file.
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Repo {
        let text = self.read(rel);
        assert!(text.contains(from), "`{from}` not in {rel}");
        self.write(rel, &text.replacen(from, to, 1))
    }

    /// Runs `hardline -C <repo> args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        let dir = self.path().to_str().expect("utf-8 tempdir").to_owned();
        let mut all = vec!["-C", dir.as_str()];
        all.extend_from_slice(args);
        run_in(self.path(), &all)
    }

    /// Every file under the repository with its contents, for "nothing changed" checks.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![self.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read_dir") {
                let entry = entry.expect("entry");
                let path = entry.path();
                if entry.file_type().expect("type").is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(self.path())
                        .expect("prefix")
                        .display()
                        .to_string();
                    files.push((rel, std::fs::read(&path).unwrap_or_default()));
                }
            }
        }
        files.sort();
        files
    }
}

/// Asserts that a `--format json` report validates against `schemas/report.schema.json`.
#[track_caller]
pub fn assert_report_schema(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/report.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}
