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

/// The changelog text with one `dch`-style item added at the end of the top entry, which must
/// be `UNRELEASED` (a released entry is history: `dch -i` opens a new one). `item` is the text
/// after `  * `, wrapped at 80 columns with the continuation lines indented by four spaces.
pub fn add_changelog_item(path: &Path, text: &str, item: &str) -> Result<String, DebianError> {
    let top = super::changelog::read_from(path, text.as_bytes(), u64::MAX)?;
    if !top.unreleased() {
        return Err(DebianError::Released {
            path: path.to_path_buf(),
            line: top.header.number,
            version: top.version.value.to_string(),
        });
    }
    // After the last non-blank line of the body (or the header), before the blank line and
    // the trailer.
    let after = top
        .body
        .iter()
        .rev()
        .find(|line| !line.text.trim().is_empty())
        .unwrap_or(&top.header);
    let at = text[after.offset..]
        .find('\n')
        .map_or(text.len(), |n| after.offset + n + 1);
    let mut lines = wrap(item, 80 - 4);
    let mut insert = String::new();
    if top.body.iter().all(|line| line.text.trim().is_empty()) {
        insert.push('\n');
    }
    for (index, line) in lines.drain(..).enumerate() {
        insert.push_str(if index == 0 { "  * " } else { "    " });
        insert.push_str(&line);
        insert.push('\n');
    }
    let mut new = text.to_string();
    if at == text.len() && !text.ends_with('\n') {
        new.push('\n');
    }
    new.insert_str(at.min(new.len()), &insert);
    super::changelog::read_from(path, new.as_bytes(), u64::MAX)?;
    Ok(new)
}

/// Words into lines of at most `width` characters (a longer word stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod changelog_tests {
    use super::*;

    const TOP: &str = "hello (1.0-2) UNRELEASED; urgency=medium\n\n  * Fix the build.\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\nhello (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@example.org>  Sun, 31 Dec 2023 00:00:00 +0000\n";

    #[test]
    fn an_item_joins_the_unreleased_entry() {
        let item = "Drop patches applied upstream in 1.1: fix-two.patch (patch-id: identical change in upstream commit 0123456789ab), gone.patch (content)";
        let new = add_changelog_item(Path::new("changelog"), TOP, item).unwrap();
        assert_eq!(
            new,
            TOP.replace(
                "  * Fix the build.\n",
                "  * Fix the build.\n  * Drop patches applied upstream in 1.1: fix-two.patch (patch-id: identical\n    change in upstream commit 0123456789ab), gone.patch (content)\n"
            )
        );
    }

    #[test]
    fn a_released_entry_is_not_changed() {
        let released = TOP.replace("UNRELEASED", "unstable");
        let error = add_changelog_item(Path::new("changelog"), &released, "x").unwrap_err();
        assert!(error.to_string().contains("dch -i"), "{error}");
    }
}
