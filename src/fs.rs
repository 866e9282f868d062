//! The only module that touches the file system for writing, and the one place that decides
//! whether a path stays inside its root.
//!
//! Reads are bounded (a 200 MB file never reaches memory whole); writes are staged into
//! temporary files next to their targets and renamed only once every file is staged, so a
//! failed run leaves the tree as it was.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// A file-system failure: hardline cannot do its job (exit 2).
#[derive(Debug, Error, miette::Diagnostic)]
pub enum FsError {
    /// A file or directory could not be read.
    #[error("cannot read `{path}`: {error}")]
    #[diagnostic(help("check that the path exists and that you may read it"))]
    Read {
        /// The path.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {error}")]
    #[diagnostic(help("check free space and permissions; nothing was changed"))]
    Write {
        /// The path.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A path leaves its root.
    #[error("`{path}` leads outside `{root}`")]
    #[diagnostic(help("rendered files are written only inside their output directory"))]
    Escapes {
        /// The offending path.
        path: String,
        /// The root it must stay in.
        root: String,
    },
}

/// Why a relative path is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// Empty.
    Empty,
    /// Absolute or with a drive prefix.
    Absolute,
    /// Contains a `..` segment.
    ParentSegment,
    /// A symlink on the way leads outside the root.
    SymlinkEscape,
}

impl PathProblem {
    /// A short phrase for messages.
    pub fn describe(self) -> &'static str {
        match self {
            PathProblem::Empty => "is empty",
            PathProblem::Absolute => "is absolute",
            PathProblem::ParentSegment => "contains a `..` segment",
            PathProblem::SymlinkEscape => "leads outside the repository through a symlink",
        }
    }
}

/// Checks that `rel` is a plain relative path (no root, no drive, no `..`).
pub fn check_relative(rel: &str) -> Result<(), PathProblem> {
    if rel.is_empty() {
        return Err(PathProblem::Empty);
    }
    if rel.starts_with('/') || rel.starts_with('\\') || rel.as_bytes().get(1) == Some(&b':') {
        return Err(PathProblem::Absolute);
    }
    for component in Path::new(rel).components() {
        match component {
            Component::ParentDir => return Err(PathProblem::ParentSegment),
            Component::RootDir | Component::Prefix(_) => return Err(PathProblem::Absolute),
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    if rel.split(['/', '\\']).any(|s| s == "..") {
        return Err(PathProblem::ParentSegment);
    }
    Ok(())
}

/// `path` below `base` as a `/`-separated string (`None` when it is not below `base`): the
/// one spelling of relative paths in findings and lookups, whatever the platform.
pub fn slash_relative(path: &Path, base: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Joins `rel` to `root` after checking it is relative and that no existing part of it is
/// a symlink leading outside `root`.
pub fn confine(root: &Path, rel: &str) -> Result<PathBuf, PathProblem> {
    check_relative(rel)?;
    let joined = root.join(rel);
    // The deepest existing ancestor decides: canonicalising it resolves every symlink on
    // the way, and the result must still be under the canonical root.
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut probe = joined.as_path();
    loop {
        if probe.symlink_metadata().is_ok() {
            // A dangling symlink (canonicalize fails) points outside our control too.
            return match probe.canonicalize() {
                Ok(resolved) if resolved.starts_with(&canonical_root) => Ok(joined),
                _ => Err(PathProblem::SymlinkEscape),
            };
        }
        match probe.parent() {
            Some(parent) if parent.starts_with(root) && parent != probe => probe = parent,
            _ => return Ok(joined),
        }
    }
}

/// A file's bytes, or the fact that it exceeds the limit (its size).
pub enum Bounded {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file is larger than the limit; nothing was kept.
    TooLarge(u64),
}

/// Reads at most `limit` bytes of a file.
pub fn read_bounded(path: &Path, display: &str, limit: u64) -> Result<Bounded, FsError> {
    let err = |error| FsError::Read {
        path: display.to_owned(),
        error,
    };
    // Opening a FIFO blocks until a writer appears: only regular files are read.
    if !std::fs::metadata(path).map_err(err)?.is_file() {
        return Err(err(std::io::Error::other("not a regular file")));
    }
    let file = std::fs::File::open(path).map_err(err)?;
    let size = file.metadata().map_err(err)?.len();
    if size > limit {
        return Ok(Bounded::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(err)?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::TooLarge(bytes.len() as u64));
    }
    Ok(Bounded::Bytes(bytes))
}

/// A set of files to write all together or not at all.
#[derive(Default)]
pub struct WriteSet {
    files: Vec<(PathBuf, String, Vec<u8>)>,
}

impl WriteSet {
    /// Adds a file: `root` is the directory it must stay in, `rel` its path under it.
    pub fn add(&mut self, root: &Path, rel: &str, contents: Vec<u8>) -> Result<(), FsError> {
        let path = confine(root, rel).map_err(|_| FsError::Escapes {
            path: rel.to_owned(),
            root: root.display().to_string(),
        })?;
        self.files.push((path, rel.to_owned(), contents));
        Ok(())
    }

    /// Number of files in the set.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// `true` when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every file: each goes to a temporary file beside its target first; only when
    /// all are staged are they renamed into place. On failure, staged files and directories
    /// created for them are removed.
    pub fn commit(self) -> Result<(), FsError> {
        let mut created_dirs: Vec<PathBuf> = Vec::new();
        let mut staged = Vec::with_capacity(self.files.len());
        let result = (|| {
            for (path, display, contents) in &self.files {
                let werr = |error| FsError::Write {
                    path: display.clone(),
                    error,
                };
                let parent = path.parent().unwrap_or(Path::new("."));
                create_dirs(parent, &mut created_dirs).map_err(werr)?;
                let mut tmp = tempfile::Builder::new()
                    .prefix(".hardline-")
                    .tempfile_in(parent)
                    .map_err(werr)?;
                tmp.write_all(contents).map_err(werr)?;
                // Temp files are created 0600; a config keeps the mode it had, and a new one
                // gets the usual 0644.
                let mode =
                    std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
                tmp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(werr)?;
                tmp.as_file().sync_all().map_err(werr)?;
                staged.push((tmp, path.clone(), display.clone()));
            }
            Ok(())
        })();
        if let Err(e) = result {
            drop(staged);
            for dir in created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
        for (tmp, path, display) in staged {
            tmp.persist(&path).map_err(|e| FsError::Write {
                path: display,
                error: e.error,
            })?;
        }
        Ok(())
    }
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    std::fs::create_dir(dir)?;
    created.push(dir.to_path_buf());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_checked() {
        assert_eq!(check_relative("deploy/prod"), Ok(()));
        assert_eq!(check_relative("../x"), Err(PathProblem::ParentSegment));
        assert_eq!(check_relative("a/../../x"), Err(PathProblem::ParentSegment));
        assert_eq!(check_relative("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(check_relative("C:/x"), Err(PathProblem::Absolute));
        assert_eq!(check_relative(""), Err(PathProblem::Empty));
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn symlinks_out_of_the_root_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
        assert_eq!(
            confine(root.path(), "out/file").err(),
            Some(PathProblem::SymlinkEscape)
        );
        assert!(confine(root.path(), "in/deeper/file").is_ok());
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn a_failed_write_set_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("blocker"), "x").unwrap();
        let mut set = WriteSet::default();
        set.add(root.path(), "new/dir/a.conf", b"a".to_vec())
            .unwrap();
        // A path whose parent is a file cannot be staged.
        set.add(root.path(), "blocker/b.conf", b"b".to_vec())
            .unwrap();
        assert!(set.commit().is_err());
        assert!(!root.path().join("new").exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("blocker")).unwrap(),
            "x"
        );
    }
}
