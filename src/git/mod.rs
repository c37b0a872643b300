//! The one home of git in mindelta: local reads of a repository (tags, ancestry, commits, trees,
//! blobs) and the history walk that gives each commit its stable patch id.
//!
//! Everything goes through gix (pure Rust); its types stay in this module, callers see
//! [`ObjectId`], [`Repository`] and [`GitError`]. The walk reads packs itself (`history/`) and
//! ports git's xdiff and rename pairing so its ids equal `git patch-id --stable`; why, and how
//! it was measured, is in `docs/patch-id.md` and `docs/benchmarks.md`. Talking to a remote
//! (clone, fetch, ls-remote) is `upstream::git`'s.

pub mod history;
mod object_id;
mod repository;
#[cfg(test)]
pub(crate) mod testing;
mod tree;

pub use object_id::{InvalidObjectId, ObjectId};
pub use repository::{ChainCommit, Repository};
pub use tree::{EntryKind, TreeEntry};

use std::path::PathBuf;

/// A boxed error from gix, kept as the cause.
type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The folder is not a git repository gix can open.
    #[error("cannot open the git repository `{}`", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    /// The references (tags, branches) could not be listed or followed.
    #[error("cannot read the references of `{}`", path.display())]
    References {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    /// The object store failed to give an object: damaged packs or loose objects.
    #[error("cannot read object {id} in `{}`", path.display())]
    Object {
        path: PathBuf,
        id: ObjectId,
        #[source]
        source: Cause,
    },
    /// An object the repository's own references or trees name is not there.
    #[error("object {id} is missing from `{}`", path.display())]
    Missing { path: PathBuf, id: ObjectId },
    /// An object is not of the kind that names it, or does not parse as one.
    #[error("object {id} in `{}` is not a well-formed {kind}", path.display())]
    Malformed {
        path: PathBuf,
        id: ObjectId,
        kind: &'static str,
    },
    /// A revision (`v1.2`, an id, `HEAD~3`) that names no commit.
    #[error("`{spec}` names no commit in `{}`", path.display())]
    UnknownRevision { path: PathBuf, spec: String },
    /// The commit graph could not be walked.
    #[error("cannot walk the history of `{}`", path.display())]
    Walk {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    /// The history walk could not read an object it needs.
    #[error("cannot read the history in `{}`", path.display())]
    History {
        path: PathBuf,
        #[source]
        source: history::ObjectError,
    },
}

impl GitError {
    /// Whether the repository's object store is damaged (an object that cannot be read or
    /// parsed, or one that its own history names and that is not there), as opposed to a
    /// question it cannot answer (an unknown revision) or a folder that is no repository.
    pub fn is_damaged(&self) -> bool {
        match self {
            GitError::Object { .. } | GitError::Missing { .. } | GitError::Malformed { .. } => true,
            GitError::History { source, .. } => !matches!(source, history::ObjectError::Io { .. }),
            GitError::Walk { .. } => true,
            GitError::Open { .. }
            | GitError::References { .. }
            | GitError::UnknownRevision { .. } => false,
        }
    }
}
