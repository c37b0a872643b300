//! `import quilt`: a quilt series (a `series` file and the patches it lists) into a package.
//!
//! The `series` file is read the way `dpkg-source` and quilt read it: one patch per line, the
//! path relative to the series folder (subfolders allowed), an optional `-pN` (or `-p N`), `#`
//! comments (whole lines, or after whitespace), blank lines ignored. Each patch is parsed (a
//! broken patch is refused now rather than at the next build), its header read for the manifest
//! fields (`entry_from_header`), and copied byte for byte: the header stays the source of truth,
//! the manifest mirrors it.

use std::path::{Path, PathBuf};

use super::{
    ImportError, ImportedPackage, PatchFile, entry_from_header, header_metadata, install_package,
    report,
};
use crate::patch::path::safe_relative;
use crate::workspace::{Manifest, Upstream};

/// One line of a `series` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEntry {
    /// The patch path relative to the series folder.
    pub file: String,
    /// The `-p` level (1 unless the line says otherwise).
    pub strip: usize,
    /// 1-based line in the series file.
    pub line: usize,
}

/// What to import and where it goes.
#[derive(Debug, Clone)]
pub struct QuiltImport {
    /// The folder holding `series` (e.g. `debian/patches`), a `series` file itself, or a source
    /// tree with `debian/patches/series`.
    pub source: PathBuf,
    /// The package name (the folder under `patches/`).
    pub name: String,
    /// The upstream the series applies to.
    pub upstream: Upstream,
    /// Replace an existing package of the same name.
    pub force: bool,
}

/// Parse a `series` file. `path` is only used in messages.
pub fn parse_series(text: &str, path: &Path) -> Result<Vec<SeriesEntry>, ImportError> {
    let mut entries: Vec<SeriesEntry> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |message: String| ImportError::Series {
            path: path.to_path_buf(),
            line,
            message,
        };
        let content = strip_comment(raw);
        let mut words = content.split_whitespace();
        let Some(file) = words.next() else {
            continue;
        };
        let mut strip = 1;
        while let Some(word) = words.next() {
            if let Some(level) = word.strip_prefix("-p") {
                let level = if level.is_empty() {
                    words.next().unwrap_or("")
                } else {
                    level
                };
                strip = level
                    .parse()
                    .map_err(|_| error(format!("`-p` needs a number, found `{level}`")))?;
            } else if word == "-R" || word == "--reverse" {
                return Err(error(format!(
                    "`{file}` is applied in reverse (`-R`), which a manifest cannot express"
                )));
            } else {
                return Err(error(format!("unknown option `{word}` for `{file}`")));
            }
        }
        safe_relative(file.as_bytes()).map_err(|e| error(format!("patch {e}")))?;
        if let Some(first) = entries.iter().find(|e| e.file == file) {
            return Err(error(format!(
                "`{file}` is listed twice (first at line {})",
                first.line
            )));
        }
        entries.push(SeriesEntry {
            file: file.to_string(),
            strip,
            line,
        });
    }
    Ok(entries)
}

/// The line without a `#` comment (at the start, or after whitespace).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'#' && (index == 0 || bytes[index - 1].is_ascii_whitespace()) {
            return &line[..index];
        }
    }
    line
}

/// Where the `series` file is for a `source` argument.
fn find_series(source: &Path) -> PathBuf {
    if source.is_file() {
        return source.to_path_buf();
    }
    let direct = source.join("series");
    if !direct.exists() && source.join("debian/patches/series").is_file() {
        return source.join("debian/patches/series");
    }
    direct
}

/// The git repository a Debian source declares for its upstream (DEP-12: `Repository:` in
/// `debian/upstream/metadata`), for a `source` as `import quilt` takes it (a source tree, its
/// `debian/patches` folder or that folder's `series`). Only a URL with a scheme counts
/// (`https://…`, `git://…`); a `-b branch` after it is dropped.
pub fn dep12_repository(source: &Path) -> Option<String> {
    let series = find_series(source);
    let patches = series.parent()?;
    let debian = if patches.file_name()? == "patches" {
        patches.parent()?.to_path_buf()
    } else {
        source.join("debian")
    };
    let text = std::fs::read_to_string(debian.join("upstream").join("metadata")).ok()?;
    text.lines().find_map(|line| {
        let value = line.strip_prefix("Repository:")?;
        let url = value.split_whitespace().next()?.trim_matches(['"', '\'']);
        url.contains("://").then(|| url.to_string())
    })
}

/// Import a quilt series into `patches_dir/<name>/`.
pub fn import_quilt(
    patches_dir: &Path,
    options: &QuiltImport,
) -> Result<ImportedPackage, ImportError> {
    super::check_package_name(&options.name)?;
    let series_path = find_series(&options.source);
    let folder = series_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let text = fs_err::read_to_string(&series_path)?;
    let series = parse_series(&text, &series_path)?;
    let mut files = Vec::with_capacity(series.len());
    let mut patches = Vec::with_capacity(series.len());
    for entry in &series {
        let path = folder.join(&entry.file);
        let bytes = fs_err::read(&path)?;
        let metadata = header_metadata(&path, &bytes)?;
        patches.push(entry_from_header(&entry.file, entry.strip, &metadata));
        files.push(PatchFile {
            file: entry.file.clone(),
            bytes,
        });
    }
    let manifest = Manifest {
        name: Some(options.name.clone()),
        upstream: options.upstream.clone(),
        patches,
        expired: Vec::new(),
    };
    let dir = install_package(patches_dir, &options.name, &manifest, &files, options.force)?;
    Ok(report(&options.name, dir, &manifest, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep12_repository_of_a_debian_source() {
        let temp = tempfile::tempdir().unwrap();
        let debian = temp.path().join("debian");
        std::fs::create_dir_all(debian.join("patches")).unwrap();
        std::fs::create_dir_all(debian.join("upstream")).unwrap();
        std::fs::write(debian.join("patches/series"), "a.patch\n").unwrap();
        let metadata = debian.join("upstream/metadata");
        std::fs::write(
            &metadata,
            "---\nBug-Database: https://example.org/issues\nRepository: https://example.org/demo.git -b main\nRepository-Browse: https://example.org/demo\n",
        )
        .unwrap();
        let want = Some("https://example.org/demo.git".to_string());
        assert_eq!(dep12_repository(temp.path()), want);
        assert_eq!(dep12_repository(&debian.join("patches")), want);
        assert_eq!(dep12_repository(&debian.join("patches/series")), want);
        std::fs::write(&metadata, "Repository: 'git://example.org/demo.git'\n").unwrap();
        assert_eq!(
            dep12_repository(temp.path()).as_deref(),
            Some("git://example.org/demo.git")
        );
        std::fs::write(&metadata, "Repository: example.org/demo.git\n").unwrap();
        assert_eq!(dep12_repository(temp.path()), None, "no scheme, no URL");
        std::fs::remove_file(&metadata).unwrap();
        assert_eq!(dep12_repository(temp.path()), None);
    }

    #[test]
    fn series_with_levels_comments_and_folders() {
        let series = parse_series(
            "# leading comment\n\n01-first.patch\ndebian/02-second.diff -p0\n03-third.patch -p 2 # why\n#04-disabled.patch\n05 # trailing\nodd#name.patch\n",
            Path::new("series"),
        )
        .unwrap();
        let found: Vec<(&str, usize, usize)> = series
            .iter()
            .map(|e| (e.file.as_str(), e.strip, e.line))
            .collect();
        assert_eq!(
            found,
            vec![
                ("01-first.patch", 1, 3),
                ("debian/02-second.diff", 0, 4),
                ("03-third.patch", 2, 5),
                ("05", 1, 7),
                ("odd#name.patch", 1, 8),
            ]
        );
    }

    #[test]
    fn refuses_reverse_unsafe_and_duplicate_entries() {
        let error = |text: &str| {
            parse_series(text, Path::new("series"))
                .unwrap_err()
                .to_string()
        };
        assert!(error("a.patch\nb.patch -R\n").contains("line 2"));
        assert!(error("../a.patch\n").contains(".."));
        assert!(error("/etc/passwd\n").contains("absolute"));
        assert!(error("a.patch\na.patch\n").contains("twice"));
        assert!(error("a.patch -px\n").contains("number"));
    }
}
