//! The file tree every input is read through: the working directory, or a git revision read
//! straight from the object database (no checkout; see [`crate::git`]).
//!
//! Engines never touch `std::fs` to read the user's repository: they ask a [`Tree`], so the
//! same code checks the working directory and the base side of a pull request. Every path is
//! repo-relative (relative to the directory holding `hardline.yaml`), `/`-separated.
//!
//! How to read a file:
//! ```ignore
//! tree.confine(rel)?;                    // PathProblem: `..`, absolute, or a symlink leading out (a finding)
//! match tree.read_confined(rel, limit)? { // FsError: unreadable, not a regular file, a submodule (exit 2 or a finding)
//!     Bounded::Bytes(bytes) => { /* the whole file */ }
//!     Bounded::TooLarge(size) => { /* over `limit`; nothing kept */ }
//! }
//! ```
//! How to walk a directory:
//! ```ignore
//! for entry in tree.walk("deploy/prod")? {   // everything below, directories included, symlinks not followed
//!     if entry.kind == Kind::File { /* entry.path is "deploy/prod/…" */ }
//! }
//! ```
//! ([`Tree::read`] does both steps, the escape becoming an error.) `walk` lists in the order of `walkdir`'s `sort_by_file_name` (component by component), and
//! [`Tree::list`] gives a directory's direct children. [`Tree::kind`] looks at a path without
//! following a final symlink; [`Tree::is_file`], [`Tree::is_dir`] and [`Tree::exists`] follow
//! symlinks the way `std::path::Path` does.
//!
//! Both kinds of tree keep today's guarantees: reads are bounded, only regular files are read
//! (a FIFO is never opened; a submodule is reported, not followed), and nothing outside the
//! root is read. In a git tree a symlink is resolved inside the tree; one that leads out of it
//! (or dangles) is a [`PathProblem::SymlinkEscape`], as in the working directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fs::{self, Bounded, FsError, PathProblem};

/// What is at a path (not following a final symlink).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A regular file (in git: a blob, executable or not).
    File,
    /// A directory (in git: a tree).
    Dir,
    /// A symbolic link.
    Symlink,
    /// A git submodule: a commit of another repository, whose files are not here.
    Submodule,
    /// Anything else: FIFO, socket, device.
    Special,
}

/// One entry of a [`Tree::walk`] or [`Tree::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Repo-relative path, `/`-separated.
    pub path: String,
    /// What it is (symlinks not followed).
    pub kind: Kind,
}

/// A repository's files: the working directory or a git revision. Cheap to clone and safe to
/// share between threads.
#[derive(Clone)]
pub struct Tree(Arc<Source>);

enum Source {
    Work(PathBuf),
    Git(crate::git::Snapshot),
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tree({})", self.label())
    }
}

impl Tree {
    /// The working directory at `root` (the directory holding `hardline.yaml`).
    pub fn work(root: &Path) -> Tree {
        Tree(Arc::new(Source::Work(root.to_path_buf())))
    }

    pub(crate) fn git(snapshot: crate::git::Snapshot) -> Tree {
        Tree(Arc::new(Source::Git(snapshot)))
    }

    /// What the tree is, for messages: the directory, or `REV (commit)`.
    pub fn label(&self) -> String {
        match &*self.0 {
            Source::Work(root) => root.display().to_string(),
            Source::Git(snapshot) => snapshot.label().to_owned(),
        }
    }

    /// `true` for a git revision, `false` for the working directory.
    pub fn is_git(&self) -> bool {
        matches!(&*self.0, Source::Git(_))
    }

    /// Checks that `rel` is a plain relative path and that no existing part of it is a
    /// symlink leading outside the root (or dangling).
    pub fn confine(&self, rel: &str) -> Result<(), PathProblem> {
        match &*self.0 {
            Source::Work(root) => fs::confine(root, rel).map(|_| ()),
            Source::Git(snapshot) => {
                fs::check_relative(rel)?;
                snapshot.resolve(rel).map(|_| ())
            }
        }
    }

    /// [`Tree::read`] for a path already known to stay inside: [`Tree::confine`] accepted it,
    /// or a [`Tree::walk`] of a confined directory listed it as a regular file. The working
    /// directory then skips the symlink check (it resolves every ancestor).
    pub fn read_confined(&self, rel: &str, limit: u64) -> Result<Bounded, FsError> {
        match &*self.0 {
            Source::Work(root) => fs::read_bounded(&root.join(rel), rel, limit),
            Source::Git(snapshot) => snapshot.read(rel, limit),
        }
    }

    /// Reads at most `limit` bytes of the regular file at `rel` (symlinks inside the tree are
    /// followed). Call [`Tree::confine`] first to report a path leading out as a finding:
    /// here it is an error.
    pub fn read(&self, rel: &str, limit: u64) -> Result<Bounded, FsError> {
        match &*self.0 {
            Source::Work(root) => {
                let path = fs::confine(root, rel).map_err(|p| FsError::Read {
                    path: rel.to_owned(),
                    error: std::io::Error::other(p.describe()),
                })?;
                fs::read_bounded(&path, rel, limit)
            }
            Source::Git(snapshot) => snapshot.read(rel, limit),
        }
    }

    /// What is at `rel`, without following a final symlink (`None`: nothing).
    pub fn kind(&self, rel: &str) -> Option<Kind> {
        match &*self.0 {
            Source::Work(root) => {
                let meta = root.join(rel).symlink_metadata().ok()?;
                let t = meta.file_type();
                Some(if t.is_symlink() {
                    Kind::Symlink
                } else if t.is_dir() {
                    Kind::Dir
                } else if t.is_file() {
                    Kind::File
                } else {
                    Kind::Special
                })
            }
            Source::Git(snapshot) => snapshot.kind(rel),
        }
    }

    /// Whether `rel` is a regular file, following symlinks. In a git tree a symlink leading
    /// out counts as a file: reading it then reports the escape instead of skipping it.
    pub fn is_file(&self, rel: &str) -> bool {
        match &*self.0 {
            Source::Work(root) => root.join(rel).is_file(),
            Source::Git(snapshot) => match snapshot.resolve(rel) {
                Ok(Some((_, kind))) => kind == Kind::File,
                Ok(None) => false,
                Err(_) => true,
            },
        }
    }

    /// Whether `rel` is a directory, following symlinks inside the tree.
    pub fn is_dir(&self, rel: &str) -> bool {
        match &*self.0 {
            Source::Work(root) => root.join(rel).is_dir(),
            Source::Git(snapshot) => {
                matches!(snapshot.resolve(rel), Ok(Some((_, Kind::Dir))))
            }
        }
    }

    /// Whether anything is at `rel`, following symlinks (like `Path::exists`). In a git tree a
    /// symlink leading out counts as existing, so that reading it reports the escape.
    pub fn exists(&self, rel: &str) -> bool {
        match &*self.0 {
            Source::Work(root) => root.join(rel).exists(),
            Source::Git(snapshot) => !matches!(snapshot.resolve(rel), Ok(None)),
        }
    }

    /// The repo-relative path `rel` really is, every symlink resolved (`None`: it does not
    /// exist or leads outside the root).
    pub fn real_path(&self, rel: &str) -> Option<String> {
        match &*self.0 {
            Source::Work(root) => {
                let canonical_root = root.canonicalize().ok()?;
                let resolved = root.join(rel).canonicalize().ok()?;
                fs::slash_relative(&resolved, &canonical_root)
            }
            Source::Git(snapshot) => snapshot.resolve(rel).ok().flatten().map(|(p, _)| p),
        }
    }

    /// Everything below the directory `dir` (`""` or `"."`: the root), directories included,
    /// symlinks not followed (except `dir` itself), in `walkdir` `sort_by_file_name` order.
    /// Paths are repo-relative (`dir/…`). A `dir` that is not a directory gives nothing.
    pub fn walk(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        let dir = normalise_dir(dir);
        match &*self.0 {
            Source::Work(root) => {
                let start = root.join(dir);
                if !start.is_dir() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for entry in walkdir::WalkDir::new(&start)
                    .min_depth(1)
                    .follow_links(false)
                    .sort_by_file_name()
                {
                    let entry = entry.map_err(|e| FsError::Read {
                        path: dir.to_owned(),
                        error: e.into(),
                    })?;
                    let Some(rel) = fs::slash_relative(entry.path(), &start) else {
                        continue;
                    };
                    out.push(Entry {
                        path: join(dir, &rel),
                        kind: work_kind(entry.file_type()),
                    });
                }
                Ok(out)
            }
            Source::Git(snapshot) => Ok(snapshot.walk(dir, true)),
        }
    }

    /// The direct children of the directory `dir`, sorted by name, symlinks not followed.
    pub fn list(&self, dir: &str) -> Result<Vec<Entry>, FsError> {
        let dir = normalise_dir(dir);
        match &*self.0 {
            Source::Work(root) => {
                let start = root.join(dir);
                if !start.is_dir() {
                    return Ok(Vec::new());
                }
                let err = |error| FsError::Read {
                    path: dir.to_owned(),
                    error,
                };
                let mut out = Vec::new();
                for entry in std::fs::read_dir(&start).map_err(err)? {
                    let entry = entry.map_err(err)?;
                    let kind = work_kind(entry.file_type().map_err(err)?);
                    let name = entry.file_name().to_string_lossy().into_owned();
                    out.push(Entry {
                        path: join(dir, &name),
                        kind,
                    });
                }
                out.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(out)
            }
            Source::Git(snapshot) => Ok(snapshot.walk(dir, false)),
        }
    }
}

fn work_kind(t: std::fs::FileType) -> Kind {
    if t.is_symlink() {
        Kind::Symlink
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Special
    }
}

/// `path` below the directory `dir` (`""`: the root), or `None` when it is not below it.
pub fn below<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// `""` for the root (`""`, `"."`, `"./"`), else `dir` without trailing slashes or a
/// leading `./`.
pub fn normalise_dir(dir: &str) -> &str {
    let dir = dir.trim_end_matches('/');
    let dir = dir.strip_prefix("./").unwrap_or(dir);
    if dir == "." { "" } else { dir }
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Sorts paths component by component (`a/b` before `a-c`), as `walkdir` visits them.
pub(crate) fn sort_walk_order(entries: &mut [Entry]) {
    entries.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn working_tree_walks_in_walkdir_order_and_reads_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("d/a")).unwrap();
        std::fs::write(dir.path().join("d/a/b"), "x").unwrap();
        std::fs::write(dir.path().join("d/a-c"), "yy").unwrap();
        let tree = Tree::work(dir.path());
        let paths: Vec<String> = tree
            .walk("d")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["d/a", "d/a/b", "d/a-c"]);
        let mut sorted: Vec<Entry> = paths
            .iter()
            .rev()
            .map(|p| Entry {
                path: p.clone(),
                kind: Kind::File,
            })
            .collect();
        sort_walk_order(&mut sorted);
        assert_eq!(
            sorted.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            paths
        );
        assert!(matches!(tree.read("d/a-c", 1), Ok(Bounded::TooLarge(2))));
        assert!(matches!(tree.read("d/a-c", 2), Ok(Bounded::Bytes(b)) if b == b"yy"));
        assert!(tree.read("d/a", 10).is_err());
        assert_eq!(tree.kind("d/a"), Some(Kind::Dir));
        assert!(tree.is_file("d/a/b") && tree.is_dir("d") && !tree.exists("nope"));
        assert_eq!(tree.real_path("d/./a/b").as_deref(), Some("d/a/b"));
        assert_eq!(
            tree.list(".").unwrap(),
            [Entry {
                path: "d".into(),
                kind: Kind::Dir
            }]
        );
    }
}
