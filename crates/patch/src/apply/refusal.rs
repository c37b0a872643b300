//! What the applier refuses before anything is staged: unsafe paths (`path::safe_relative`),
//! paths git refuses (`dotgit`), and symbolic links that are unusable, absolute, point into
//! `.git` or are named `.gitmodules`. Where a link leads through the others is `links`'s part.

use std::path::{Path, PathBuf};

use super::ApplyError;
use crate::dotgit::{GitPathError, verify_git_path};
use crate::path::{UnsafePath, safe_relative};

/// Why a path or a symbolic link is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Absolute, `..`, empty, or through a symbolic link.
    #[error(transparent)]
    Path(#[from] UnsafePath),
    /// A path git refuses: a `.git` component, or `.gitmodules` as a link.
    #[error(transparent)]
    Git(#[from] GitPathError),
    /// The link's target, followed through the links of the tree as the patch leaves it,
    /// leads out of the tree; `via` is the last link it went through, if any.
    #[error(
        "the symbolic link `{link}` -> `{target}` leads out of the tree{}",
        via.as_ref().map(|via| format!(" through the link `{via}`")).unwrap_or_default()
    )]
    LinkEscapes {
        link: String,
        target: String,
        via: Option<String>,
    },
    /// The link's target leads into a `.git` folder.
    #[error("the symbolic link `{link}` -> `{target}` leads into a `.git` folder")]
    LinkIntoGit { link: String, target: String },
    /// Following the link's target never ends.
    #[error("the symbolic link `{link}` -> `{target}` goes through links that loop")]
    LinkLoop { link: String, target: String },
}

/// A path from the patch (`-p` applied), refused if absolute, with `..`, or one git refuses
/// (a `.git` component in any spelling).
pub(super) fn checked(path: &[u8]) -> Result<PathBuf, ApplyError> {
    let refuse = |reason: Refusal| ApplyError::Unsafe {
        path: String::from_utf8_lossy(path).into_owned(),
        reason,
    };
    verify_git_path(path, false).map_err(|reason| refuse(reason.into()))?;
    safe_relative(path).map_err(|reason| refuse(reason.into()))
}

/// A symbolic link may not be named `.gitmodules` (in any spelling git folds to it).
pub(super) fn refuse_gitmodules_link(link: &Path) -> Result<(), ApplyError> {
    verify_git_path(link.as_os_str().as_encoded_bytes(), true).map_err(|reason| {
        ApplyError::Unsafe {
            path: link.display().to_string(),
            reason: reason.into(),
        }
    })
}

/// A symlink a patch creates or changes: a usable target, relative, with no `.git` component,
/// and not named `.gitmodules`. Where the target leads through the other links of the tree is
/// checked once the whole patch is staged (`Tree::check_links`).
pub(super) fn check_link_target(link: &Path, target: &[u8]) -> Result<(), ApplyError> {
    refuse_gitmodules_link(link)?;
    let shown = String::from_utf8_lossy(target).into_owned();
    let refuse = |reason: Refusal| ApplyError::Unsafe {
        path: link.display().to_string(),
        reason,
    };
    if target.is_empty() || target.contains(&0) || target.contains(&b'\n') {
        return Err(refuse(UnsafePath::Invalid(shown).into()));
    }
    if target.first() == Some(&b'/') {
        return Err(refuse(UnsafePath::Absolute(shown).into()));
    }
    if verify_git_path(target, false).is_err() {
        return Err(refuse(Refusal::LinkIntoGit {
            link: link.display().to_string(),
            target: shown,
        }));
    }
    Ok(())
}
