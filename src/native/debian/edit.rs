//! In-place edits of `debian/patches/series` for `expire`: the line of each dropped patch
//! goes (its trailing comment with it); every other line, comments and blank lines included,
//! stays byte for byte. The version and `debian/changelog` stay the maintainer's.

use std::path::Path;

use super::DebianError;
use super::series;

/// The series text without the lines of `files`; an error names a file the series does not
/// list.
pub fn remove_series_entries(
    path: &Path,
    text: &str,
    files: &[&str],
) -> Result<String, DebianError> {
    let read = series::parse(path, text)?;
    let mut lines: Vec<usize> = Vec::new();
    for file in files {
        let entry = read
            .entries
            .iter()
            .find(|entry| entry.file == *file)
            .ok_or_else(|| DebianError::NotListed {
                path: path.to_path_buf(),
                patch: file.to_string(),
            })?;
        lines.push(entry.position.line);
    }
    let new: String = text
        .split_inclusive('\n')
        .enumerate()
        .filter(|(index, _)| !lines.contains(&(index + 1)))
        .map(|(_, line)| line)
        .collect();
    let after = series::parse(path, &new)?;
    let kept: Vec<&str> = read
        .entries
        .iter()
        .map(|e| e.file.as_str())
        .filter(|f| !files.contains(f))
        .collect();
    let found: Vec<&str> = after.entries.iter().map(|e| e.file.as_str()).collect();
    debug_assert_eq!(kept, found);
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dropped_lines_go() {
        let text = "# From upstream\na.patch\nsub/b.patch -p1 # backport\n\nc.patch\n";
        let new =
            remove_series_entries(Path::new("series"), text, &["sub/b.patch", "a.patch"]).unwrap();
        assert_eq!(new, "# From upstream\n\nc.patch\n");
        assert!(remove_series_entries(Path::new("series"), text, &["z.patch"]).is_err());
    }
}
