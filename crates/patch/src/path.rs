//! Paths inside a patch: `-p` stripping and the safety rules every write obeys.
//!
//! A path from a patch or an archive is untrusted. `safe_relative` turns it into a relative
//! path with only normal components, refusing absolute paths, `..`, and empty names.

use std::path::{Component, Path, PathBuf};

/// Remove `strip` leading components (like `patch -pN`); `None` if there are not enough.
pub fn strip_components(path: &[u8], strip: usize) -> Option<Vec<u8>> {
    let mut rest = path;
    for _ in 0..strip {
        let slash = rest.iter().position(|&b| b == b'/')?;
        rest = &rest[slash + 1..];
        while rest.first() == Some(&b'/') {
            rest = &rest[1..];
        }
    }
    if rest.is_empty() {
        None
    } else {
        Some(rest.to_vec())
    }
}

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafePath {
    #[error("`{0}` is an absolute path")]
    Absolute(String),
    #[error("`{0}` has a `..` component")]
    ParentComponent(String),
    #[error("`{0}` is empty or not a valid file name")]
    Invalid(String),
    #[error("`{0}` goes through a symbolic link")]
    ThroughSymlink(String),
}

/// A relative path with only normal components, or the reason it is unsafe.
pub fn safe_relative(path: &[u8]) -> Result<PathBuf, UnsafePath> {
    let shown = String::from_utf8_lossy(path).into_owned();
    if path.is_empty() || path.contains(&0) {
        return Err(UnsafePath::Invalid(shown));
    }
    if path.first() == Some(&b'/') {
        return Err(UnsafePath::Absolute(shown));
    }
    let os = bytes_to_path(path);
    let mut out = PathBuf::new();
    for component in os.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err(UnsafePath::ParentComponent(shown)),
            Component::RootDir | Component::Prefix(_) => return Err(UnsafePath::Absolute(shown)),
        }
    }
    if out.as_os_str().is_empty() {
        return Err(UnsafePath::Invalid(shown));
    }
    Ok(out)
}

/// Refuse a relative path any of whose existing components under `root` is a symlink
/// (the final component included: writes never follow a link).
pub fn check_no_symlink(root: &Path, relative: &Path) -> Result<(), UnsafePath> {
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(UnsafePath::ThroughSymlink(relative.display().to_string()));
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Bytes of a path as an OS path (Unix: any bytes; elsewhere: lossy UTF-8).
pub fn bytes_to_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Append `prefix` + `path`, C-quoted the way git quotes paths (`core.quotePath` on).
pub fn git_quote_into(prefix: &[u8], path: &[u8], out: &mut Vec<u8>) {
    let needs_quote = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
    if !path.iter().any(|&b| needs_quote(b)) {
        out.extend_from_slice(prefix);
        out.extend_from_slice(path);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(prefix);
    for &byte in path {
        match byte {
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            11 => out.extend_from_slice(b"\\v"),
            12 => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b if needs_quote(b) => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_components_like_patch() {
        assert_eq!(strip_components(b"a/src/x.c", 1).unwrap(), b"src/x.c");
        assert_eq!(strip_components(b"a//src/x.c", 1).unwrap(), b"src/x.c");
        assert_eq!(strip_components(b"x.c", 0).unwrap(), b"x.c");
        assert!(strip_components(b"x.c", 1).is_none());
    }

    #[test]
    fn refuses_unsafe_paths() {
        assert!(matches!(
            safe_relative(b"/etc/passwd"),
            Err(UnsafePath::Absolute(_))
        ));
        assert!(matches!(
            safe_relative(b"a/../../x"),
            Err(UnsafePath::ParentComponent(_))
        ));
        assert!(matches!(safe_relative(b""), Err(UnsafePath::Invalid(_))));
        assert_eq!(safe_relative(b"./a/b").unwrap(), PathBuf::from("a/b"));
    }
}
