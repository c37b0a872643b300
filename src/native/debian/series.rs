//! `debian/patches/series`: the patches of a `3.0 (quilt)` source package, in order.
//!
//! Read as dpkg-source reads it (dpkg `scripts/Dpkg/Source/Quilt.pm` `read_patch_list`): spaces
//! around a line are dropped, then a comment (`#` at the start or after whitespace), then blank
//! lines; the first word is the patch, relative to `debian/patches/` (subfolders allowed), the
//! rest are options. A path with a `..` component is refused (dpkg: "contains an insecure path"),
//! and so is an absolute one. dpkg-source applies every patch with `-p1` and warns about other
//! options; quilt honours `-pN` (and `-p N`) and `-R`: both are recorded here, and any other
//! option is kept as written in `unknown_options`. dpkg-source prefers
//! `debian/patches/<vendor>.series` for the current vendor; such files are listed.

use std::path::{Path, PathBuf};

use super::DebianError;
use crate::native::{Position, read_text};
use crate::patch::path::{UnsafePath, safe_relative};

/// The most bytes of a `series` file read. The longest series of the test packages is 2 KiB;
/// Debian's linux package, the longest in the archive, about 30 KiB. 1 MiB bounds a mistaken or
/// hostile file. Change it with [`super::DebianOptions::max_series_bytes`].
pub const MAX_SERIES_BYTES: u64 = 1 << 20;

/// A read `series` file.
#[derive(Debug, Clone)]
pub struct Series {
    pub path: PathBuf,
    /// The patches, in order.
    pub entries: Vec<SeriesEntry>,
    /// Comment lines and trailing comments, with their line numbers.
    pub comments: Vec<(usize, String)>,
}

/// One patch of the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEntry {
    /// The path as written, relative to `debian/patches/`.
    pub file: String,
    /// The file, under the source tree.
    pub path: PathBuf,
    /// Whether the file exists (dpkg-source fails on a missing one when it applies the series).
    pub exists: bool,
    /// `-pN` (1 unless the line says otherwise).
    pub strip: usize,
    /// `-R`: the patch is applied in reverse (quilt; dpkg-source ignores it with a warning).
    pub reverse: bool,
    /// Every option of the line, as written.
    pub options: Vec<String>,
    /// Options neither `-p` nor `-R`.
    pub unknown_options: Vec<String>,
    /// The path's place in the series file.
    pub position: Position,
}

/// Parse series text. `series_path` is the file (errors name it; entries are resolved beside
/// it).
pub fn parse(series_path: &Path, text: &str) -> Result<Series, DebianError> {
    let folder = series_path.parent().unwrap_or(Path::new(""));
    let mut entries = Vec::new();
    let mut comments = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (content, comment) = split_comment(line);
        if let Some(comment) = comment {
            comments.push((number, comment.to_string()));
        }
        let content_trimmed = content.trim();
        if content_trimmed.is_empty() {
            continue;
        }
        let leading = content.len() - content.trim_start().len();
        let mut words = content_trimmed.split_whitespace();
        let Some(file) = words.next() else {
            continue;
        };
        let refuse = |problem: UnsafePath| DebianError::SeriesPath {
            path: series_path.to_path_buf(),
            line: number,
            patch: file.to_string(),
            problem,
        };
        safe_relative(file.as_bytes()).map_err(refuse)?;
        let options: Vec<String> = words.map(str::to_string).collect();
        let mut strip = 1;
        let mut reverse = false;
        let mut unknown_options = Vec::new();
        let mut index = 0;
        while index < options.len() {
            let option = options[index].as_str();
            if let Some(level) = option.strip_prefix("-p") {
                let level = if level.is_empty() {
                    index += 1;
                    options.get(index).map(String::as_str).unwrap_or("")
                } else {
                    level
                };
                match level.parse() {
                    Ok(level) => strip = level,
                    Err(_) => {
                        return Err(DebianError::SeriesOption {
                            path: series_path.to_path_buf(),
                            line: number,
                            option: option.to_string(),
                        });
                    }
                }
            } else if option == "-R" || option == "--reverse" {
                reverse = true;
            } else {
                unknown_options.push(option.to_string());
            }
            index += 1;
        }
        let path = folder.join(file);
        entries.push(SeriesEntry {
            file: file.to_string(),
            exists: path.is_file(),
            path,
            strip,
            reverse,
            options,
            unknown_options,
            position: Position::span(number, line_start + leading, file.len()),
        });
    }
    Ok(Series {
        path: series_path.to_path_buf(),
        entries,
        comments,
    })
}

/// Read a series file.
pub fn read(series_path: &Path, limit: u64) -> Result<Series, DebianError> {
    let text = read_text(series_path, limit)?;
    parse(series_path, &text)
}

/// A line's content and its comment: `#` at the start, or after whitespace.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'#' && (index == 0 || bytes[index - 1].is_ascii_whitespace()) {
            return (&line[..index], Some(line[index..].trim_end()));
        }
    }
    (line, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Series, DebianError> {
        parse(Path::new("debian/patches/series"), text)
    }

    #[test]
    fn options_comments_and_subfolders() {
        let series = parse_text(
            "# upstream fixes\nfix-a.patch\n  debian/local.patch -p0 # ours\n\nb.diff -p 2 -R --fuzz=3\nweird#name.patch\n",
        )
        .unwrap();
        let files: Vec<&str> = series.entries.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "fix-a.patch",
                "debian/local.patch",
                "b.diff",
                "weird#name.patch"
            ]
        );
        assert_eq!(series.entries[1].strip, 0);
        assert_eq!(series.entries[1].position, Position::span(3, 31, 18));
        assert_eq!(
            series.entries[1].path,
            Path::new("debian/patches/debian/local.patch")
        );
        assert_eq!(series.entries[2].strip, 2);
        assert!(series.entries[2].reverse);
        assert_eq!(series.entries[2].unknown_options, ["--fuzz=3"]);
        assert_eq!(
            series.comments,
            vec![
                (1, "# upstream fixes".to_string()),
                (3, "# ours".to_string())
            ]
        );
    }

    #[test]
    fn unsafe_paths_are_refused_with_their_line() {
        for (text, line) in [
            ("a.patch\n../../etc/passwd\n", 2),
            ("/etc/passwd\n", 1),
            ("ok.patch\n\nsub/../../x.patch\n", 3),
        ] {
            match parse_text(text) {
                Err(DebianError::SeriesPath { line: at, .. }) => assert_eq!(at, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_text("a.patch -px\n"),
            Err(DebianError::SeriesOption { line: 1, .. })
        ));
    }
}
