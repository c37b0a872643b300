//! Where a symbolic link leads: its target followed component by component, through the other
//! links of the tree, as the kernel walks it.
//!
//! A link judged by its text alone can pass (`a/s1 -> ..` stays in the tree) and still lead
//! out once another link is followed (`a/s2 -> s1/..` is `a/../..`). `Tree::check_links` asks
//! `resolve` about every link of the tree as a patch leaves it; `disk_links` finds the links
//! already on disk. The approach is the archive writer's (`upstream::archive`), over the
//! applier's view of the tree (staged changes, then the cache, then the disk).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::dotgit::verify_git_path;
use crate::path::bytes_to_path;

/// Bound on link expansions while resolving one link (Linux's `MAXSYMLINKS`): more is a loop.
const MAX_LINK_EXPANSIONS: usize = 40;

/// How a link fails to stay in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Escape {
    /// An absolute target, or a `..` above the root; `via` is the last link followed on the
    /// way, if any.
    Outside { via: Option<PathBuf> },
    /// A component on the way is `.git` (in any spelling git refuses).
    IntoGit,
    /// More than `MAX_LINK_EXPANSIONS` links followed.
    Loop,
}

/// Follow `target`, the target of the link at `link` (relative to the root), through the links
/// `link_at` reports (the target of the link at a path, `None` where there is none), and
/// return where it leads, relative to the root. A component that does not exist counts as a
/// folder: something may create it later, and then the kernel walks it as one.
pub(super) fn resolve(
    link: &Path,
    target: &[u8],
    link_at: &mut dyn FnMut(&Path) -> Option<Vec<u8>>,
) -> Result<PathBuf, Escape> {
    if target.first() == Some(&b'/') {
        return Err(Escape::Outside { via: None });
    }
    let mut current: Vec<OsString> = link
        .parent()
        .map(|parent| {
            parent
                .components()
                .map(|c| c.as_os_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut pending: VecDeque<Vec<u8>> = target.split(|b| *b == b'/').map(<[u8]>::to_vec).collect();
    let mut expansions = 0;
    let mut via = None;
    while let Some(part) = pending.pop_front() {
        match part.as_slice() {
            b"" | b"." => {}
            b".." => {
                if current.pop().is_none() {
                    return Err(Escape::Outside { via });
                }
            }
            name => {
                if verify_git_path(name, false).is_err() {
                    return Err(Escape::IntoGit);
                }
                current.push(bytes_to_path(name).into_os_string());
                let path: PathBuf = current.iter().collect();
                if let Some(next) = link_at(&path) {
                    expansions += 1;
                    if expansions > MAX_LINK_EXPANSIONS {
                        return Err(Escape::Loop);
                    }
                    if next.first() == Some(&b'/') {
                        return Err(Escape::Outside { via: Some(path) });
                    }
                    current.pop();
                    for piece in next.split(|b| *b == b'/').rev() {
                        pending.push_front(piece.to_vec());
                    }
                    via = Some(path);
                }
            }
        }
    }
    Ok(current.iter().collect())
}

/// Every symbolic link under `root` (path relative to it, target), found without following
/// any link. `.git` folders are not walked: no patch may touch them, and a repository's object
/// store would cost more to walk than the whole tree.
pub(super) fn disk_links(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let relative = folder.join(&name);
            if kind.is_symlink() {
                if let Ok(target) = std::fs::read_link(entry.path()) {
                    found.push((relative, target.as_os_str().as_encoded_bytes().to_vec()));
                }
            } else if kind.is_dir() && verify_git_path(name.as_encoded_bytes(), false).is_ok() {
                folders.push(relative);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve_in(links: &[(&str, &str)], link: &str, target: &str) -> Result<PathBuf, Escape> {
        let links: HashMap<PathBuf, Vec<u8>> = links
            .iter()
            .map(|(path, target)| (PathBuf::from(path), target.as_bytes().to_vec()))
            .collect();
        resolve(Path::new(link), target.as_bytes(), &mut |path| {
            links.get(path).cloned()
        })
    }

    #[test]
    fn follows_links_as_the_kernel_does() {
        assert_eq!(resolve_in(&[], "a/l", "../b"), Ok(PathBuf::from("b")));
        assert!(resolve_in(&[], "a/l", "../../b").is_err());
        assert_eq!(
            resolve_in(&[], "l", "/etc"),
            Err(Escape::Outside { via: None })
        );
        // `a/s1 -> ..` stays in; `a/s2 -> s1/..` is `a/../..`: out.
        let chain = [("a/s1", "..")];
        assert_eq!(resolve_in(&chain, "a/s1", ".."), Ok(PathBuf::new()));
        assert_eq!(
            resolve_in(&chain, "a/s2", "s1/.."),
            Err(Escape::Outside {
                via: Some(PathBuf::from("a/s1"))
            })
        );
        assert_eq!(
            resolve_in(&[("x", "y"), ("y", "x")], "x", "y"),
            Err(Escape::Loop)
        );
        assert_eq!(resolve_in(&[], "l", "src/.GIT/hooks"), Err(Escape::IntoGit));
        assert_eq!(
            resolve_in(&[("up", "/")], "l", "up/etc"),
            Err(Escape::Outside {
                via: Some(PathBuf::from("up"))
            })
        );
    }
}
