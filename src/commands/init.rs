//! `hardline init DIR`: scaffold a working baseline repository.
//!
//! The scaffold is this project's own built-in library (manifest, schemas, the sshd baseline,
//! its template, `dev` and `prod` environments and their rendered `deploy/` files), compiled
//! into the binary. The project's CI runs `hardline check` on those very files, so the
//! scaffold checks clean the moment it is written.

use std::path::Path;

use miette::{IntoDiagnostic, Result};

use super::Context;
use crate::ExitStatus;
use crate::cli::Format;
use crate::fs::WriteSet;
use crate::report;

/// The scaffold: repo-relative path and contents.
pub const SCAFFOLD: &[(&str, &str)] = &[
    ("hardline.yaml", include_str!("../../hardline.yaml")),
    (
        "schemas/manifest.schema.json",
        include_str!("../../schemas/manifest.schema.json"),
    ),
    (
        "schemas/baseline.schema.json",
        include_str!("../../schemas/baseline.schema.json"),
    ),
    (
        "schemas/environment.schema.json",
        include_str!("../../schemas/environment.schema.json"),
    ),
    (
        "baselines/sshd.yaml",
        include_str!("../../baselines/sshd.yaml"),
    ),
    (
        "templates/sshd_config.j2",
        include_str!("../../templates/sshd_config.j2"),
    ),
    (
        "environments/dev.yaml",
        include_str!("../../environments/dev.yaml"),
    ),
    (
        "environments/prod.yaml",
        include_str!("../../environments/prod.yaml"),
    ),
    (
        "deploy/dev/etc/ssh/sshd_config",
        include_str!("../../deploy/dev/etc/ssh/sshd_config"),
    ),
    (
        "deploy/prod/etc/ssh/sshd_config",
        include_str!("../../deploy/prod/etc/ssh/sshd_config"),
    ),
];

/// Writes the scaffold into `dir`; refuses to touch an existing baseline repository or to
/// overwrite any file.
pub fn run(ctx: &Context, dir: &Path) -> Result<ExitStatus> {
    if dir.join(crate::repo::MANIFEST).exists() {
        return Err(miette::miette!(
            help = "run `hardline check` there instead, or choose an empty directory",
            "`{}` already holds a baseline repository (hardline.yaml exists)",
            dir.display()
        ));
    }
    let mut set = WriteSet::default();
    for (rel, contents) in SCAFFOLD {
        if dir.join(rel).exists() {
            return Err(miette::miette!(
                help = "move the file away or choose an empty directory; init never overwrites",
                "`{}` already exists",
                dir.join(rel).display()
            ));
        }
        set.add(dir, rel, contents.as_bytes().to_vec())?;
    }
    set.commit()?;
    if ctx.style.format == Format::Human && !ctx.style.quiet {
        report::out(&format!(
            "created a baseline repository in `{}` ({} files)\nnext: hardline -C {} check\n",
            dir.display(),
            SCAFFOLD.len(),
            dir.display()
        ))
        .into_diagnostic()?;
    }
    Ok(ExitStatus::Success)
}
