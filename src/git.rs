//! Git revisions, read straight from the object database (no checkout): the only module that
//! imports `git2`.
//!
//! [`pull_request`] resolves `check --base REV [--head REV]` to trees: the base side is the
//! merge base of REV and the head, the head side a commit or (by default) the working
//! directory. A revision's tree is indexed once (path → mode and object id, under the
//! directory holding `hardline.yaml`); each blob is read at most once and cached by object id,
//! so identical files cost one read. Blobs are read through a small pool of repository
//! handles (a `git2::Repository` is not `Sync`), so parallel stages stay parallel.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock, PoisonError};

use thiserror::Error;

use crate::fs::{Bounded, FsError, PathProblem};
use crate::tree::{self, Entry, Kind, Tree};

/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;
/// Longest symlink target read.
const MAX_LINK_BYTES: u64 = 4096;

const SHALLOW_HELP: &str = "the clone is shallow and lacks that history: fetch full history (actions/checkout with fetch-depth: 0, or `git fetch --unshallow`)";

/// hardline cannot read the git revisions it was asked to compare (exit 2).
#[derive(Debug, Error, miette::Diagnostic)]
pub enum GitError {
    /// The directory is not inside a git repository.
    #[error("`{0}` is not inside a git repository")]
    #[diagnostic(help(
        "`--base` compares git revisions: run hardline inside a git clone (or pass `-C` to a directory in one), or drop `--base`"
    ))]
    NotARepository(String),
    /// A revision name does not resolve to a commit.
    #[error("unknown revision `{0}`")]
    #[diagnostic(help(
        "name a commit, branch or tag of this repository (e.g. `origin/main`, `HEAD~1`); in CI, fetch the base branch first"
    ))]
    UnknownRevision(String),
    /// A revision is missing and the clone is shallow.
    #[error("revision `{0}` is not in this shallow clone")]
    #[diagnostic(help("{}", SHALLOW_HELP))]
    Shallow(String),
    /// Base and head share no history.
    #[error("`{base}` and `{head}` have no merge base")]
    #[diagnostic(help(
        "pass a base that shares history with the head (the branch the pull request targets, e.g. `origin/main`)"
    ))]
    NoMergeBase {
        /// The base revision.
        base: String,
        /// The head revision.
        head: String,
    },
    /// Base and head share no history in this shallow clone.
    #[error("no merge base of `{base}` and `{head}` in this shallow clone")]
    #[diagnostic(help("{}", SHALLOW_HELP))]
    ShallowMergeBase {
        /// The base revision.
        base: String,
        /// The head revision.
        head: String,
    },
    /// The repository has no commit yet.
    #[error("the repository has no commit yet (HEAD is unborn)")]
    #[diagnostic(help("commit once before comparing with a base revision"))]
    Unborn,
    /// Any other failure of the git library.
    #[error("cannot read git repository `{path}`: {message}")]
    #[diagnostic(help("check that the repository is intact (`git fsck`) and readable"))]
    Other {
        /// The repository.
        path: String,
        /// What libgit2 said.
        message: String,
    },
}

/// The two sides of a pull request.
pub struct PullRequest {
    /// The merge base of the base revision and the head.
    pub base: Tree,
    /// The head revision; `None`: the working directory.
    pub head: Option<Tree>,
}

/// Resolves `--base` and `--head` for the repository containing `root` (the directory
/// holding `hardline.yaml`, possibly a subdirectory of the git work tree).
pub fn pull_request(root: &Path, base: &str, head: Option<&str>) -> Result<PullRequest, GitError> {
    allow_foreign_owner();
    let repo = git2::Repository::discover(root)
        .map_err(|_| GitError::NotARepository(root.display().to_string()))?;
    let other = |e: git2::Error| GitError::Other {
        path: repo.path().display().to_string(),
        message: e.message().to_owned(),
    };
    let Some(workdir) = repo.workdir() else {
        return Err(GitError::NotARepository(root.display().to_string()));
    };
    let prefix = match (root.canonicalize(), workdir.canonicalize()) {
        (Ok(root), Ok(workdir)) => crate::fs::slash_relative(&root, &workdir)
            .ok_or_else(|| GitError::NotARepository(root.display().to_string()))?,
        (Err(e), _) | (_, Err(e)) => {
            return Err(GitError::Other {
                path: root.display().to_string(),
                message: e.to_string(),
            });
        }
    };
    let head_commit = match head {
        Some(rev) => commit(&repo, rev)?,
        None => match repo.head() {
            Ok(reference) => reference.peel_to_commit().map_err(other)?,
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => return Err(GitError::Unborn),
            Err(e) => return Err(other(e)),
        },
    };
    let base_commit = commit(&repo, base)?;
    let head_name = head.unwrap_or("HEAD");
    let merge_base = match repo.merge_base(base_commit.id(), head_commit.id()) {
        Ok(oid) => oid,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let (base, head) = (base.to_owned(), head_name.to_owned());
            return Err(if repo.is_shallow() {
                GitError::ShallowMergeBase { base, head }
            } else {
                GitError::NoMergeBase { base, head }
            });
        }
        Err(e) => return Err(other(e)),
    };
    let merge_base = repo.find_commit(merge_base).map_err(other)?;
    let git_dir = repo.path().to_path_buf();
    let head_tree = match head {
        Some(rev) => Some(Tree::git(Snapshot::index(
            &repo,
            &git_dir,
            &head_commit,
            &prefix,
            format!("{rev} ({})", short(&head_commit)),
        )?)),
        None => None,
    };
    let base_tree = Tree::git(Snapshot::index(
        &repo,
        &git_dir,
        &merge_base,
        &prefix,
        format!(
            "merge base of {base} and {head_name} ({})",
            short(&merge_base)
        ),
    )?);
    Ok(PullRequest {
        base: base_tree,
        head: head_tree,
    })
}

fn short(commit: &git2::Commit<'_>) -> String {
    commit.id().to_string().chars().take(12).collect()
}

fn commit<'r>(repo: &'r git2::Repository, rev: &str) -> Result<git2::Commit<'r>, GitError> {
    let missing = || {
        if repo.is_shallow() {
            GitError::Shallow(rev.to_owned())
        } else {
            GitError::UnknownRevision(rev.to_owned())
        }
    };
    repo.revparse_single(rev)
        .and_then(|object| object.peel_to_commit())
        .map_err(|_| missing())
}

/// Lets hardline read repositories owned by another user.
///
/// libgit2, like git since CVE-2022-24765, refuses to open a repository owned by someone else
/// unless it is listed in `safe.directory`. That check protects against a repository's
/// configuration making git *run programs* (`core.fsmonitor`, hooks, filters on checkout)
/// as the current user. hardline only reads objects and refs through libgit2, which runs none
/// of those, and writes nothing, so the risk does not apply; and CI commonly checks out
/// as one user and runs as another (container jobs), where the check would break PR mode.
fn allow_foreign_owner() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the option is a libgit2 global written without synchronisation. It is set
        // here, inside `Once`, before this module makes any other libgit2 call (every entry
        // point calls this first and `Once` orders those calls after it), and only this
        // module uses libgit2.
        #[allow(unsafe_code)]
        let _ = unsafe { git2::opts::set_verify_owner_validation(false) };
        // Blobs are cached here, by object id, once each: libgit2's own object cache would
        // only hold second copies. Re-hashing every object read (strict verification) costs
        // a fifth of reading a revision and guards against disk corruption, which is
        // `git fsck`'s job, not a checker's.
        git2::opts::enable_caching(false);
        git2::opts::strict_hash_verification(false);
    });
}

#[derive(Clone, Copy)]
struct Node {
    kind: Kind,
    oid: git2::Oid,
}

type Cell = Arc<OnceLock<Result<Arc<[u8]>, String>>>;

/// One revision's tree under the manifest directory, read from the object database.
pub(crate) struct Snapshot {
    label: String,
    git_dir: PathBuf,
    index: BTreeMap<String, Node>,
    pool: Mutex<Vec<git2::Repository>>,
    blobs: Mutex<HashMap<git2::Oid, Cell>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Snapshot {
    /// Indexes `commit`'s tree below `prefix` (empty when `prefix` does not exist there).
    fn index(
        repo: &git2::Repository,
        git_dir: &Path,
        commit: &git2::Commit<'_>,
        prefix: &str,
        label: String,
    ) -> Result<Snapshot, GitError> {
        let other = |e: git2::Error| GitError::Other {
            path: git_dir.display().to_string(),
            message: e.message().to_owned(),
        };
        let mut index = BTreeMap::new();
        let top = commit.tree().map_err(other)?;
        let tree = if prefix.is_empty() {
            Some(top)
        } else {
            match top.get_path(Path::new(prefix)) {
                Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
                    Some(repo.find_tree(entry.id()).map_err(other)?)
                }
                Ok(_) => None,
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(other(e)),
            }
        };
        if let Some(tree) = tree {
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                let name = String::from_utf8_lossy(entry.name_bytes());
                let kind = match entry.filemode() {
                    0o040_000 => Kind::Dir,
                    0o120_000 => Kind::Symlink,
                    0o160_000 => Kind::Submodule,
                    0o100_644 | 0o100_755 | 0o100_664 => Kind::File,
                    _ => Kind::Special,
                };
                index.insert(
                    format!("{dir}{name}"),
                    Node {
                        kind,
                        oid: entry.id(),
                    },
                );
                git2::TreeWalkResult::Ok
            })
            .map_err(other)?;
        }
        let handle = git2::Repository::open(git_dir).map_err(other)?;
        Ok(Snapshot {
            label,
            git_dir: git_dir.to_path_buf(),
            index,
            pool: Mutex::new(vec![handle]),
            blobs: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    fn with_repo<T>(
        &self,
        f: impl FnOnce(&git2::Repository) -> Result<T, git2::Error>,
    ) -> Result<T, String> {
        let pooled = lock(&self.pool).pop();
        let repo = match pooled {
            Some(repo) => repo,
            None => git2::Repository::open(&self.git_dir).map_err(|e| e.message().to_owned())?,
        };
        let result = f(&repo).map_err(|e| e.message().to_owned());
        lock(&self.pool).push(repo);
        result
    }

    /// A blob's bytes, or its size when above `limit` (then nothing is read or kept).
    fn blob(&self, oid: git2::Oid, limit: u64) -> Result<Bounded, String> {
        let cell = lock(&self.blobs).entry(oid).or_default().clone();
        if cell.get().is_none() {
            let size = self.with_repo(|repo| repo.odb()?.read_header(oid).map(|(size, _)| size))?;
            if size as u64 > limit {
                return Ok(Bounded::TooLarge(size as u64));
            }
        }
        let bytes = cell
            .get_or_init(|| self.with_repo(|repo| Ok(Arc::from(repo.odb()?.read(oid)?.data()))))
            .clone()?;
        Ok(if bytes.len() as u64 > limit {
            Bounded::TooLarge(bytes.len() as u64)
        } else {
            Bounded::Bytes(bytes.to_vec())
        })
    }

    /// Resolves every symlink on `rel`'s way: the real path and what it is, `None` when
    /// nothing is there, or the escape (a link leading out of the tree, absolute, dangling or
    /// looping), judged as the working directory's `fs::confine` judges it.
    pub(crate) fn resolve(&self, rel: &str) -> Result<Option<(String, Kind)>, PathProblem> {
        // (segment, came from a symlink's target)
        let mut pending: VecDeque<(String, bool)> = rel
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(|s| (s.to_owned(), false))
            .collect();
        let mut current: Vec<String> = Vec::new();
        let mut kind = Kind::Dir;
        let mut hops = 0;
        while let Some((segment, from_link)) = pending.pop_front() {
            if segment == ".." {
                if current.pop().is_none() {
                    return Err(PathProblem::SymlinkEscape);
                }
                kind = Kind::Dir;
                continue;
            }
            // A segment below something that is not a directory does not exist; a symlink's
            // target that does not exist dangles (an escape, as canonicalising fails).
            let missing = if from_link {
                Err(PathProblem::SymlinkEscape)
            } else {
                Ok(None)
            };
            if kind != Kind::Dir {
                return missing;
            }
            current.push(segment);
            let path = current.join("/");
            let Some(node) = self.index.get(&path).copied() else {
                return missing;
            };
            if node.kind == Kind::Symlink {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(PathProblem::SymlinkEscape);
                }
                let target = match self.blob(node.oid, MAX_LINK_BYTES) {
                    Ok(Bounded::Bytes(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                    _ => return Err(PathProblem::SymlinkEscape),
                };
                if target.starts_with('/') || target.is_empty() {
                    return Err(PathProblem::SymlinkEscape);
                }
                current.pop();
                for segment in target
                    .split('/')
                    .rev()
                    .filter(|s| !s.is_empty() && *s != ".")
                {
                    pending.push_front((segment.to_owned(), true));
                }
                kind = Kind::Dir;
                continue;
            }
            kind = node.kind;
        }
        Ok(Some((current.join("/"), kind)))
    }

    /// What is at `rel`, not following a final symlink.
    pub(crate) fn kind(&self, rel: &str) -> Option<Kind> {
        let rel = tree::normalise_dir(rel);
        if rel.is_empty() {
            return Some(Kind::Dir);
        }
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        match self.resolve(parent) {
            Ok(Some((dir, Kind::Dir))) => self.index.get(&tree::join(&dir, name)).map(|n| n.kind),
            _ => None,
        }
    }

    /// The entries below `dir` (all depths, or direct children only), paths spelled under
    /// `dir` even when `dir` is a symlink to another directory.
    pub(crate) fn walk(&self, dir: &str, recursive: bool) -> Vec<Entry> {
        let Ok(Some((real, Kind::Dir))) = self.resolve(dir) else {
            return Vec::new();
        };
        let prefix = if real.is_empty() {
            String::new()
        } else {
            format!("{real}/")
        };
        let mut out: Vec<Entry> = self
            .index
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter_map(|(path, node)| {
                let rest = &path[prefix.len()..];
                (recursive || !rest.contains('/')).then(|| Entry {
                    path: tree::join(dir, rest),
                    kind: node.kind,
                })
            })
            .collect();
        if recursive {
            tree::sort_walk_order(&mut out);
        }
        out
    }

    /// Reads the regular file at `rel` (symlinks inside the tree followed).
    pub(crate) fn read(&self, rel: &str, limit: u64) -> Result<Bounded, FsError> {
        let err = |message: &str| FsError::Read {
            path: rel.to_owned(),
            error: std::io::Error::other(format!("{message} (in {})", self.label)),
        };
        match self.resolve(rel) {
            Err(problem) => Err(err(problem.describe())),
            Ok(None) => Err(FsError::Read {
                path: rel.to_owned(),
                error: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no such file in {}", self.label),
                ),
            }),
            Ok(Some((target, Kind::File))) => {
                let Some(node) = self.index.get(&target) else {
                    return Err(err("not in the tree"));
                };
                self.blob(node.oid, limit).map_err(|m| err(&m))
            }
            Ok(Some((_, Kind::Submodule))) => Err(err(
                "a git submodule (a commit of another repository), not a file",
            )),
            Ok(Some(_)) => Err(err("not a regular file")),
        }
    }
}
