//! Paths git refuses to track: a `.git` component in any spelling a filesystem folds to `.git`,
//! and `.gitmodules` as a symbolic link.
//!
//! A patch that writes `.git/config` (with `core.fsmonitor`) or `.git/hooks/*` makes the next
//! git command in the tree run the patch's command. The parser refuses such names in every
//! patch it reads and the applier refuses them again after `-p` stripping. The rules are git's
//! own (`verify_path` in read-cache.c, `is_ntfs_dotgit` in path.c, `is_hfs_dotgit` in utf8.c),
//! with both `core.protectNTFS` and `core.protectHFS` on, so a name is refused if git on any
//! platform would refuse it:
//! - `.git` compared without regard to case;
//! - NTFS: the short name `git~1`, trailing dots and spaces (`.git. .`), alternate data streams
//!   (`.git::$INDEX_ALLOCATION`), and a backslash as a folder separator;
//! - HFS+: Unicode code points HFS+ ignores (zero-width joiners, direction marks, …) anywhere in
//!   the name (`.g\u{200c}it`);
//! - for a symbolic link, `.gitmodules` in the same spellings (and NTFS's `gi7eba~N` short names).
//!
//! Written by hand: these rules live only in git's C code.

/// Why a path is one git refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitPathError {
    /// A component is `.git` or a spelling some filesystem folds to it.
    #[error(
        "`{0}` has a `.git` component (compared as git does: in any case, and in the \
         spellings NTFS and HFS+ fold to `.git`)"
    )]
    DotGit(String),
    /// A symbolic link named `.gitmodules` (or a spelling folded to it).
    #[error("`{0}` would be a `.gitmodules` that is a symbolic link")]
    GitmodulesLink(String),
}

/// Refuse `path` (bytes as a patch names them, `/`-separated) where git's `verify_path` would,
/// with NTFS and HFS+ protection both on. `symlink`: the path will be a symbolic link, which
/// adds the `.gitmodules` rules.
pub fn verify_git_path(path: &[u8], symlink: bool) -> Result<(), GitPathError> {
    let shown = || String::from_utf8_lossy(path).into_owned();
    // Every component start: the beginning, after each `/` and (NTFS) after each `\`.
    let starts = std::iter::once(0).chain(
        path.iter()
            .enumerate()
            .filter(|(_, byte)| matches!(byte, b'/' | b'\\'))
            .map(|(at, _)| at + 1),
    );
    for start in starts {
        let rest = &path[start..];
        let after_slash = start == 0 || path[start - 1] == b'/';
        if is_ntfs_dotgit(rest) {
            return Err(GitPathError::DotGit(shown()));
        }
        if symlink && is_ntfs_dot_generic(rest, b"gitmodules", b"gi7eba") {
            return Err(GitPathError::GitmodulesLink(shown()));
        }
        if !after_slash {
            // After a backslash git checks the NTFS spellings only.
            continue;
        }
        if is_hfs_dot(rest, b"git") {
            return Err(GitPathError::DotGit(shown()));
        }
        if symlink && is_hfs_dot(rest, b"gitmodules") {
            return Err(GitPathError::GitmodulesLink(shown()));
        }
        if let Some(dotfile) = rest.strip_prefix(b".") {
            let ends = |at: usize| dotfile.get(at).is_none_or(|&b| b == b'/');
            if starts_with_ignore_case(dotfile, b"git") && ends(3) {
                return Err(GitPathError::DotGit(shown()));
            }
            if symlink && starts_with_ignore_case(dotfile, b"gitmodules") && ends(10) {
                return Err(GitPathError::GitmodulesLink(shown()));
            }
        }
    }
    Ok(())
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `.git` or `git~1`, then only dots and spaces up to the end of the component (a `/` or `\`)
/// or an alternate data stream (`:`): git's `is_ntfs_dotgit`.
fn is_ntfs_dotgit(name: &[u8]) -> bool {
    let rest = if let Some(rest) = name.strip_prefix(b".") {
        if !starts_with_ignore_case(rest, b"git") {
            return false;
        }
        &rest[3..]
    } else if starts_with_ignore_case(name, b"git~1") {
        &name[5..]
    } else {
        return false;
    };
    for &byte in rest {
        match byte {
            b'/' | b'\\' | b':' => return true,
            b'.' | b' ' => {}
            _ => return false,
        }
    }
    true
}

/// Git's `is_ntfs_dot_generic`: `.<dotgit_name>`, its regular short name (first six letters,
/// `~1` to `~4`) or its fall-back short name (`<prefix>~N`), then only dots and spaces up to the
/// end or a `:`. (Unlike `is_ntfs_dotgit`, a `/` does not end the name here, as in git.)
fn is_ntfs_dot_generic(name: &[u8], dotgit_name: &[u8], short_prefix: &[u8; 6]) -> bool {
    let only_spaces_and_periods = |from: usize| {
        for &byte in name.get(from..).unwrap_or_default() {
            match byte {
                b':' => return true,
                b' ' | b'.' => {}
                _ => return false,
            }
        }
        true
    };
    if name.first() == Some(&b'.') && starts_with_ignore_case(&name[1..], dotgit_name) {
        return only_spaces_and_periods(dotgit_name.len() + 1);
    }
    if starts_with_ignore_case(name, &dotgit_name[..6])
        && name.get(6) == Some(&b'~')
        && name.get(7).is_some_and(|b| (b'1'..=b'4').contains(b))
    {
        return only_spaces_and_periods(8);
    }
    let mut saw_tilde = false;
    let mut at = 0;
    while at < 8 {
        let Some(&byte) = name.get(at) else {
            return false;
        };
        if saw_tilde {
            if !byte.is_ascii_digit() {
                return false;
            }
        } else if byte == b'~' {
            at += 1;
            if !name.get(at).is_some_and(|b| (b'1'..=b'9').contains(b)) {
                return false;
            }
            saw_tilde = true;
        } else if at >= 6 || byte & 0x80 != 0 || byte.to_ascii_lowercase() != short_prefix[at] {
            return false;
        }
        at += 1;
    }
    only_spaces_and_periods(at)
}

/// Git's `is_hfs_dot_generic`: `.` and `needle` (ASCII, any case) with the code points HFS+
/// ignores skipped, then the end of the component. Malformed UTF-8 reads as the end, as in git.
fn is_hfs_dot(path: &[u8], needle: &[u8]) -> bool {
    let mut at = 0;
    if next_hfs_char(path, &mut at) != Some('.') {
        return false;
    }
    for &expected in needle {
        match next_hfs_char(path, &mut at) {
            Some(c) if c.is_ascii() && c.to_ascii_lowercase() == char::from(expected) => {}
            _ => return false,
        }
    }
    matches!(next_hfs_char(path, &mut at), None | Some('/'))
}

/// The next character at `*at` that HFS+ does not ignore; `None` at the end or at malformed
/// UTF-8 (git's `next_hfs_char` returns 0 for both).
fn next_hfs_char(path: &[u8], at: &mut usize) -> Option<char> {
    loop {
        let c = next_utf8_char(path, at)?;
        if !matches!(
            c,
            '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
        ) {
            return Some(c);
        }
    }
}

/// Decode one character as git's `pick_one_utf8_char` does (strict: no overlong forms, no
/// surrogates, no U+FFFE/U+FFFF); `None` at the end, at a NUL or at malformed input.
fn next_utf8_char(path: &[u8], at: &mut usize) -> Option<char> {
    let lead = *path.get(*at)?;
    let width = match lead {
        0 => return None,
        0x01..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let bytes = path.get(*at..*at + width)?;
    let c = std::str::from_utf8(bytes).ok()?.chars().next()?;
    if matches!(c, '\u{fffe}' | '\u{ffff}') {
        return None;
    }
    *at += width;
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(path: &str) -> bool {
        verify_git_path(path.as_bytes(), false).is_err()
    }

    #[test]
    fn refuses_dot_git_in_every_spelling_git_refuses() {
        for path in [
            ".git",
            ".git/config",
            "a/.git/hooks/pre-commit",
            ".GIT/config",
            ".Git",
            "git~1/config",
            "GIT~1",
            ".git./config",
            ".git . ./config",
            ".git::$INDEX_ALLOCATION/config",
            ".git:stream",
            "a\\.git\\config",
            "a\\git~1",
            ".g\u{200c}it/config",
            "\u{feff}.git/config",
            ".gi\u{206f}T",
        ] {
            assert!(refused(path), "{path:?} must be refused");
        }
    }

    #[test]
    fn keeps_names_that_only_look_alike() {
        for path in [
            ".gitignore",
            ".github/workflows/ci.yml",
            ".gitattributes",
            ".gitlab-ci.yml",
            "foo.git/x",
            "git/config",
            "a/git~2",
            ".git.orig",
            "src/.gitkeep",
            ".gitmodules",
        ] {
            assert!(!refused(path), "{path:?} must be accepted");
        }
    }

    #[test]
    fn gitmodules_may_not_be_a_symlink() {
        for path in [
            ".gitmodules",
            "sub/.GITMODULES",
            ".gitmodules . .",
            ".gitmodules:x",
            "gitmod~1",
            "gi7eba~1",
            ".g\u{200d}itmodules",
        ] {
            assert!(
                matches!(
                    verify_git_path(path.as_bytes(), true),
                    Err(GitPathError::GitmodulesLink(_))
                ),
                "{path:?} as a link must be refused"
            );
            assert!(
                verify_git_path(path.as_bytes(), false).is_ok(),
                "{path:?} as a file must be accepted"
            );
        }
        assert!(verify_git_path(b".gitmodulesx", true).is_ok());
    }

    #[test]
    fn malformed_utf8_after_dot_git_reads_as_the_end() {
        assert!(verify_git_path(b".git\xff", false).is_err());
        assert!(verify_git_path(b".gi\xfft", false).is_ok());
    }
}
