//! Files of a package folder, read and written without going through a symbolic link.
//!
//! A manifest's `file:` is a relative path with no `..` (manifest validation), but any of its
//! components may still be a link in the checkout: `ln/fix.patch` with `ln -> /outside` would
//! make `check` read, and `expire` delete, a file outside the package folder. Every patch path
//! is therefore opened one component at a time from the package folder with `O_NOFOLLOW`
//! (no link is followed, not even one that would stay inside: a rename over a link replaces
//! the link, so writing through one could never do what the user meant), and every file a
//! transaction writes, removes or backs up is checked the same way first.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, openat, statat};
use rustix::io::Errno;

/// Why a path of a package folder was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfinedError {
    /// A component of the path is a symbolic link.
    #[error(
        "`{}` is a symbolic link: mindelta reads and writes a package's files only inside its folder, never through a link",
        link.display()
    )]
    Link { link: PathBuf },
    /// The path is absolute, has a `..` component, or is not below the folder.
    #[error("`{}` is not a path inside `{}`", path.display(), base.display())]
    Outside { path: PathBuf, base: PathBuf },
}

impl ConfinedError {
    /// As an I/O error, so readers that report `cannot read …` keep this as the cause.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, self)
    }
}

/// The normal components of `relative`, or an error for anything else.
fn components<'a>(
    base: &Path,
    relative: &'a Path,
) -> Result<Vec<&'a std::ffi::OsStr>, ConfinedError> {
    let mut names = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) => names.push(name),
            Component::CurDir => {}
            _ => {
                return Err(ConfinedError::Outside {
                    path: relative.to_path_buf(),
                    base: base.to_path_buf(),
                });
            }
        }
    }
    if names.is_empty() {
        return Err(ConfinedError::Outside {
            path: relative.to_path_buf(),
            base: base.to_path_buf(),
        });
    }
    Ok(names)
}

/// `path` relative to `base` (lexically: both as given).
pub fn relative_to<'a>(base: &Path, path: &'a Path) -> Result<&'a Path, ConfinedError> {
    path.strip_prefix(base).map_err(|_| ConfinedError::Outside {
        path: path.to_path_buf(),
        base: base.to_path_buf(),
    })
}

/// Open `relative` below `base` for reading, following no link on the way (`base` itself may
/// be one: it is the user's choice of folder).
pub fn open(base: &Path, relative: &Path) -> std::io::Result<File> {
    let names = components(base, relative).map_err(ConfinedError::into_io)?;
    let mut dir = rustix::fs::open(
        base,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut walked = base.to_path_buf();
    let (last, folders) = names.split_last().expect("at least one component");
    for name in folders {
        walked.push(name);
        dir = openat(
            &dir,
            *name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|errno| link_or(errno, &dir, name, &walked))?;
    }
    walked.push(last);
    let file = openat(
        &dir,
        *last,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| link_or(errno, &dir, last, &walked))?;
    Ok(File::from(file))
}

/// Read `relative` below `base` whole, following no link (see [`open`]).
pub fn read(base: &Path, relative: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open(base, relative)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Read `path` (which must be below `base`), following no link below `base`; `None` when it
/// does not exist.
pub fn read_if_exists(base: &Path, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let relative = relative_to(base, path).map_err(ConfinedError::into_io)?;
    match read(base, relative) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Check that no existing component of `path` below `base` is a link (the last one included:
/// a file about to be replaced or removed). Missing components are fine: nothing can be
/// followed through them.
pub fn check(base: &Path, path: &Path) -> Result<(), ConfinedError> {
    let relative = relative_to(base, path)?;
    let names = components(base, relative)?;
    let mut walked = base.to_path_buf();
    for name in names {
        walked.push(name);
        match std::fs::symlink_metadata(&walked) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ConfinedError::Link { link: walked });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// The error for a failed `openat` of `name` in `dir`: a link when it is one (`ELOOP` from the
/// last component, `ENOTDIR` for a link where a folder was asked for), else the I/O error.
fn link_or(
    errno: Errno,
    dir: &impl rustix::fd::AsFd,
    name: &std::ffi::OsStr,
    walked: &Path,
) -> std::io::Error {
    let is_link = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|stat| rustix::fs::FileType::from_raw_mode(stat.st_mode).is_symlink());
    if is_link {
        ConfinedError::Link {
            link: walked.to_path_buf(),
        }
        .into_io()
    } else {
        std::io::Error::from(errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_refused_anywhere_below_the_base() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().join("pkg");
        let outside = temp.path().join("outside");
        std::fs::create_dir_all(base.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("fix.patch"), "secret").unwrap();
        std::fs::write(base.join("sub/ok.patch"), "ok").unwrap();
        std::os::unix::fs::symlink(&outside, base.join("ln")).unwrap();
        std::os::unix::fs::symlink(outside.join("fix.patch"), base.join("file.patch")).unwrap();
        std::os::unix::fs::symlink("sub", base.join("inside")).unwrap();

        assert_eq!(read(&base, Path::new("sub/ok.patch")).unwrap(), b"ok");
        for relative in ["ln/fix.patch", "file.patch", "inside/ok.patch"] {
            let error = read(&base, Path::new(relative)).unwrap_err();
            let inner = error
                .get_ref()
                .and_then(|e| e.downcast_ref::<ConfinedError>());
            assert!(
                matches!(inner, Some(ConfinedError::Link { .. })),
                "{relative}: {error:?}"
            );
            assert!(check(&base, &base.join(relative)).is_err(), "{relative}");
        }
        assert!(read(&base, Path::new("../outside/fix.patch")).is_err());
        assert!(check(&base, &base.join("sub/new.patch")).is_ok());
        assert!(check(&base, &temp.path().join("elsewhere")).is_err());
        assert_eq!(
            read(&base, Path::new("missing.patch")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        assert_eq!(read_if_exists(&base, &base.join("missing")).unwrap(), None);
    }
}
