//! A local directory as an upstream source (vendored code, tests).
//!
//! The tree is copied through the vetted [`TreeWriter`]: files with their modes (setuid and
//! setgid dropped), relative symbolic links that stay inside the tree; `.git` is skipped at any
//! depth, and anything else (device files, fifos, sockets, links that leave) is refused.

use std::path::{Path, PathBuf};

use super::archive::TreeWriter;
use super::{FetchError, FetchOptions, Provenance};

/// Copy the tree at `source` into `dest`.
pub(super) fn materialize(
    source: &Path,
    dest: &Path,
    options: &FetchOptions,
) -> Result<Provenance, FetchError> {
    let meta = match fs_err::metadata(source) {
        Ok(meta) => meta,
        // No tree there: for a `{version}` template, no such release (`release::not_found`
        // names the ones that exist).
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(FetchError::NoSuchFolder {
                path: source.display().to_string(),
            });
        }
        Err(error) => return Err(FetchError::io(source, error)),
    };
    if !meta.is_dir() {
        return Err(FetchError::io(
            source,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    let label = source.display().to_string();
    let mut writer = TreeWriter::new(dest, &label, options.max_expanded_bytes)?;
    copy_folder(source, &PathBuf::new(), &mut writer)?;
    writer.finish()?;
    Ok(Provenance {
        kind: "dir".into(),
        url: label,
        commit: None,
        sha256: None,
        tag: None,
    })
}

/// Copy the folder `relative` (under `source`) and everything below it.
fn copy_folder(source: &Path, relative: &Path, writer: &mut TreeWriter) -> Result<(), FetchError> {
    let folder = source.join(relative);
    let mut entries = fs_err::read_dir(&folder)
        .map_err(|e| FetchError::io(&folder, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| FetchError::io(&folder, e))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if entry.file_name() == ".git" {
            continue;
        }
        let child = relative.join(entry.file_name());
        let name = child.as_os_str().as_encoded_bytes();
        let path = entry.path();
        let meta = fs_err::symlink_metadata(&path).map_err(|e| FetchError::io(&path, e))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            writer.directory(name, Some(mode_of(&meta)))?;
            copy_folder(source, &child, writer)?;
        } else if kind.is_file() {
            let mut content = fs_err::File::open(&path).map_err(|e| FetchError::io(&path, e))?;
            writer.file(name, mode_of(&meta), &mut content)?;
        } else if kind.is_symlink() {
            let target = fs_err::read_link(&path).map_err(|e| FetchError::io(&path, e))?;
            writer.symlink(name, target.as_os_str().as_encoded_bytes())?;
        } else {
            return Err(writer.refuse(name, "device files, fifos and sockets are refused"));
        }
    }
    Ok(())
}

/// Permission bits of a file (0o644 off Unix).
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0o644
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_files_and_inner_links_and_skips_git() {
        let temp = tempfile::tempdir().unwrap();
        let source = temp.path().join("src");
        std::fs::create_dir_all(source.join(".git/objects")).unwrap();
        std::fs::create_dir_all(source.join("lib")).unwrap();
        std::fs::write(source.join("lib/a.c"), b"int a;\n").unwrap();
        std::fs::write(source.join(".git/HEAD"), b"ref\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("lib/a.c", source.join("link.c")).unwrap();
        let dest = temp.path().join("out");
        let provenance = materialize(&source, &dest, &FetchOptions::new(temp.path())).unwrap();
        assert_eq!(provenance.kind, "dir");
        assert_eq!(std::fs::read(dest.join("lib/a.c")).unwrap(), b"int a;\n");
        assert!(!dest.join(".git").exists());
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(dest.join("link.c")).unwrap(),
            PathBuf::from("lib/a.c")
        );
    }

    #[test]
    fn a_missing_folder_is_no_such_release() {
        let temp = tempfile::tempdir().unwrap();
        let source = temp.path().join("hello-9.9");
        let error = materialize(
            &source,
            &temp.path().join("out"),
            &FetchOptions::new(temp.path()),
        )
        .unwrap_err();
        assert_eq!(error.kind(), super::super::FetchErrorKind::NotFound);
        assert!(
            error.to_string().contains("hello-9.9` does not exist"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_links_that_leave_the_tree() {
        let temp = tempfile::tempdir().unwrap();
        let source = temp.path().join("src");
        std::fs::create_dir_all(&source).unwrap();
        std::os::unix::fs::symlink("../../etc/passwd", source.join("passwd")).unwrap();
        let dest = temp.path().join("out");
        let error = materialize(&source, &dest, &FetchOptions::new(temp.path())).unwrap_err();
        assert!(
            matches!(error, FetchError::UnsafeArchive { .. }),
            "{error:?}"
        );
        assert!(!dest.join("passwd").exists());
    }
}
