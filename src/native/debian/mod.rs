//! The Debian reader: an unpacked source package (a tree with `debian/`) into a
//! [`DebianSource`]: the top changelog entry (source, version, distribution, with positions),
//! the source format (only `3.0 (quilt)`), the patch series, the orig tarballs beside the tree,
//! the watch file and the DEP-12 upstream metadata. Each part cites the tool whose reading it
//! follows (dpkg, dpkg-source, uscan). Nothing is written and nothing is unpacked.

pub mod changelog;
pub mod dsc;
pub mod edit;
pub mod mangle;
pub mod metadata;
pub mod orig;
pub mod series;
pub mod unpack;
pub mod watch;

use std::path::{Path, PathBuf};

pub use changelog::{Changelog, ChangelogLine, ChangelogProblem, DebianVersion, VersionProblem};
pub use dsc::Dsc;
pub use mangle::{MangleError, MangleKind, MangleRule};
pub use metadata::UpstreamMetadata;
pub use orig::{Component, OrigTarballs};
pub use series::{Series, SeriesEntry};
pub use watch::{WatchEntry, WatchFile, WatchOptions};

use crate::native::{FileReadError, Located, Position, read_text};
use crate::patch::path::UnsafePath;

/// The only source format read: the one whose patches live in `debian/patches/`.
pub const QUILT_FORMAT: &str = "3.0 (quilt)";

/// The most bytes of `debian/source/format` read (one short line).
const MAX_FORMAT_BYTES: u64 = 4 << 10;

/// The compiled-size bound of a watch file's regular expressions, as the melange reader's
/// ([`crate::native::melange::REGEX_SIZE_LIMIT`]). Change it with
/// [`DebianOptions::regex_size_limit`].
pub const REGEX_SIZE_LIMIT: usize = crate::native::melange::REGEX_SIZE_LIMIT;

/// Bounds and choices of the reader.
#[derive(Debug, Clone)]
pub struct DebianOptions {
    /// The vendor whose `debian/patches/<vendor>.series` dpkg-source would prefer (it asks
    /// `dpkg-vendor`); `None` reads `debian/patches/series`.
    pub vendor: Option<String>,
    /// See [`changelog::MAX_CHANGELOG_ENTRY_BYTES`].
    pub max_changelog_entry_bytes: u64,
    /// See [`series::MAX_SERIES_BYTES`].
    pub max_series_bytes: u64,
    /// See [`watch::MAX_WATCH_BYTES`].
    pub max_watch_bytes: u64,
    /// See [`metadata::MAX_METADATA_BYTES`].
    pub max_metadata_bytes: u64,
    /// See [`dsc::MAX_DSC_BYTES`].
    pub max_dsc_bytes: u64,
    /// See [`REGEX_SIZE_LIMIT`].
    pub regex_size_limit: usize,
}

impl Default for DebianOptions {
    fn default() -> DebianOptions {
        DebianOptions {
            vendor: None,
            max_changelog_entry_bytes: changelog::MAX_CHANGELOG_ENTRY_BYTES,
            max_series_bytes: series::MAX_SERIES_BYTES,
            max_watch_bytes: watch::MAX_WATCH_BYTES,
            max_metadata_bytes: metadata::MAX_METADATA_BYTES,
            max_dsc_bytes: dsc::MAX_DSC_BYTES,
            regex_size_limit: REGEX_SIZE_LIMIT,
        }
    }
}

/// An unpacked Debian source package, read.
#[derive(Debug, Clone)]
pub struct DebianSource {
    /// The tree (the folder holding `debian/`).
    pub root: PathBuf,
    /// The top entry of `debian/changelog`.
    pub changelog: Changelog,
    /// `debian/source/format`, as written (trimmed).
    pub format: Located<String>,
    /// The series in use (`<vendor>.series` when asked for and present, else `series`); `None`
    /// when there is none: the package has no patches.
    pub series: Option<Series>,
    /// Every `debian/patches/<vendor>.series` present, in name order (dpkg-source would use the
    /// one of its vendor instead of `series`).
    pub vendor_series: Vec<PathBuf>,
    pub orig: OrigTarballs,
    /// `<source>_<version>.dsc` beside the tree, when present: it pins the orig tarballs.
    pub dsc: Option<Dsc>,
    /// `debian/watch`, when present.
    pub watch: Option<WatchFile>,
    /// `debian/upstream/metadata`, when present.
    pub upstream_metadata: Option<UpstreamMetadata>,
}

impl DebianSource {
    /// The source package name.
    pub fn name(&self) -> &str {
        &self.changelog.source.value
    }

    /// The upstream version (the version without epoch and Debian revision).
    pub fn upstream_version(&self) -> &str {
        &self.changelog.version.value.upstream
    }

    /// The patches, in order (none without a series).
    pub fn patches(&self) -> &[SeriesEntry] {
        self.series.as_ref().map_or(&[], |s| &s.entries)
    }

    /// The sha256 the `.dsc` pins for an orig tarball, when a `.dsc` lists it.
    pub fn dsc_sha256(&self, tarball: &Path) -> Option<String> {
        self.dsc
            .as_ref()
            .and_then(|dsc| dsc.sha256_of(tarball))
            .map(str::to_string)
    }
}

/// An upstream version without a Debian repack suffix (`+dfsg`, `+ds1`, `~dfsg.2`, `+debian`;
/// uscan's `@DEB_EXT@`, which `dversionmangle=auto` removes).
pub fn strip_repack_suffix(version: &str) -> &str {
    static SUFFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(watch::DEB_EXT).expect("uscan's @DEB_EXT@ is a valid regex")
    });
    match SUFFIX.find(version) {
        Some(found) => &version[..found.start()],
        None => version,
    }
}

/// Why a Debian source package could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DebianError {
    #[error("`{root}` is not an unpacked Debian source package: it has no `debian/changelog`")]
    NotSourceTree { root: PathBuf },
    #[error(transparent)]
    File(#[from] FileReadError),
    #[error("`{path}` has no entry")]
    EmptyChangelog { path: PathBuf },
    #[error("`{path}` line {line}: {problem}")]
    Changelog {
        path: PathBuf,
        line: usize,
        problem: ChangelogProblem,
    },
    #[error("`{path}` line {line}: `{version}` is not a Debian version: {problem}")]
    Version {
        path: PathBuf,
        line: usize,
        version: String,
        problem: VersionProblem,
    },
    #[error("`{path}`: source format `{found}` is not read (only `3.0 (quilt)` is)")]
    Format { path: PathBuf, found: String },
    #[error("`{path}` line {line}: patch `{patch}` is refused: {problem}")]
    SeriesPath {
        path: PathBuf,
        line: usize,
        patch: String,
        problem: UnsafePath,
    },
    #[error("`{path}` line {line}: `{option}` needs a number (`-p1`, `-p 0`)")]
    SeriesOption {
        path: PathBuf,
        line: usize,
        option: String,
    },
    #[error(
        "`{path}` leads outside the source tree through a symbolic link; mindelta reads only the tree's own files"
    )]
    OutsideTree { path: PathBuf },
    #[error(
        "`{path}` line {line}: the top entry ({version}) is released; open a new one (`dch -i`) for `--changelog` to add to"
    )]
    Released {
        path: PathBuf,
        line: usize,
        version: String,
    },
    #[error("`{path}` does not list `{patch}`")]
    NotListed { path: PathBuf, patch: String },
    #[error("several orig tarballs for one part: {}", files.iter().map(|f| format!("`{}`", f.display())).collect::<Vec<_>>().join(", "))]
    SeveralOrig { files: Vec<PathBuf> },
    #[error("`{path}` line {line}: {message}")]
    Watch {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}` line {line}: {message}")]
    Metadata {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Whether a folder is an unpacked Debian source package (it has `debian/changelog`).
pub fn is_source_tree(root: &Path) -> bool {
    root.join("debian/changelog").is_file()
}

/// Read an unpacked source package. Patch files are located, not read.
pub fn read_source(root: &Path, options: &DebianOptions) -> Result<DebianSource, DebianError> {
    if !is_source_tree(root) {
        return Err(DebianError::NotSourceTree {
            root: root.to_path_buf(),
        });
    }
    let debian = root.join("debian");
    let tree = root.canonicalize().map_err(|source| FileReadError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    // Every file read must be the tree's own: a link out of it (a series pointing at
    // `/etc/…`) is refused before anything is read.
    let own = |path: &Path| -> Result<(), DebianError> {
        match path.canonicalize() {
            Ok(real) if !real.starts_with(&tree) => Err(DebianError::OutsideTree {
                path: path.to_path_buf(),
            }),
            _ => Ok(()),
        }
    };
    for file in [
        "changelog",
        "source/format",
        "patches/series",
        "watch",
        "upstream/metadata",
    ] {
        own(&debian.join(file))?;
    }
    let changelog = changelog::read(&debian.join("changelog"), options.max_changelog_entry_bytes)?;
    let format = read_format(&debian.join("source/format"))?;

    let patches = debian.join("patches");
    let mut vendor_series: Vec<PathBuf> = std::fs::read_dir(&patches)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.is_file()
                        && path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.ends_with(".series") && n.len() > ".series".len())
                })
                .collect()
        })
        .unwrap_or_default();
    vendor_series.sort();
    let vendor_file = options
        .vendor
        .as_ref()
        .map(|vendor| patches.join(format!("{vendor}.series")))
        .filter(|path| path.is_file());
    let series_file = vendor_file.unwrap_or_else(|| patches.join("series"));
    own(&series_file)?;
    let series = if series_file.is_file() {
        Some(series::read(&series_file, options.max_series_bytes)?)
    } else {
        None
    };

    let parent = root
        .canonicalize()
        .ok()
        .and_then(|root| root.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root.join(".."));
    let orig = orig::find(
        &parent,
        &changelog.source.value,
        &changelog.version.value.upstream,
    )?;
    let without_epoch = DebianVersion {
        epoch: None,
        ..changelog.version.value.clone()
    };
    let dsc = dsc::find(
        &parent,
        &changelog.source.value,
        &without_epoch.to_string(),
        options.max_dsc_bytes,
    )?;

    let watch_file = debian.join("watch");
    let watch = if watch_file.is_file() {
        Some(watch::read(
            &watch_file,
            &changelog.source.value,
            options.max_watch_bytes,
            options.regex_size_limit,
        )?)
    } else {
        None
    };
    let metadata_file = debian.join("upstream/metadata");
    let upstream_metadata = if metadata_file.is_file() {
        Some(metadata::read(&metadata_file, options.max_metadata_bytes)?)
    } else {
        None
    };
    Ok(DebianSource {
        root: root.to_path_buf(),
        changelog,
        format,
        series,
        vendor_series,
        orig,
        dsc,
        watch,
        upstream_metadata,
    })
}

/// `debian/source/format`: `3.0 (quilt)` or an error naming what was found (a missing file is
/// format `1.0`, as dpkg-source reads it).
fn read_format(path: &Path) -> Result<Located<String>, DebianError> {
    if !path.exists() {
        return Err(DebianError::Format {
            path: path.to_path_buf(),
            found: "1.0 (the file is missing)".into(),
        });
    }
    let text = read_text(path, MAX_FORMAT_BYTES)?;
    let found = text.trim();
    if found != QUILT_FORMAT {
        return Err(DebianError::Format {
            path: path.to_path_buf(),
            found: found.to_string(),
        });
    }
    let leading = text.len() - text.trim_start().len();
    Ok(Located::new(
        found.to_string(),
        Position::span(
            1 + text[..leading].matches('\n').count(),
            leading,
            found.len(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn tree() -> tempfile::TempDir {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path().join("hello-2.10");
        write(
            &root,
            "debian/changelog",
            "hello (1:2.10-3) unstable; urgency=medium\n\n  * Fix.\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n",
        );
        write(&root, "debian/source/format", "3.0 (quilt)\n");
        write(
            &root,
            "debian/patches/series",
            "a.patch\n# c\nsub/b.patch -p0\n",
        );
        write(&root, "debian/patches/a.patch", "");
        write(&root, "debian/patches/ubuntu.series", "a.patch\n");
        write(
            &root,
            "debian/watch",
            "version=4\nhttps://ftp.gnu.org/gnu/@PACKAGE@/ @PACKAGE@@ANY_VERSION@@ARCHIVE_EXT@\n",
        );
        write(
            &root,
            "debian/upstream/metadata",
            "Repository: https://git.savannah.gnu.org/git/hello.git\n",
        );
        write(folder.path(), "hello_2.10.orig.tar.gz", "");
        write(folder.path(), "hello_2.10.orig.tar.gz.asc", "");
        write(folder.path(), "hello_2.10.orig-doc.tar.xz", "");
        folder
    }

    #[test]
    fn reads_every_part() {
        let folder = tree();
        let root = folder.path().join("hello-2.10");
        let source = read_source(&root, &DebianOptions::default()).unwrap();
        assert_eq!(source.name(), "hello");
        assert_eq!(source.upstream_version(), "2.10");
        assert_eq!(source.changelog.version.value.epoch, Some(1));
        assert_eq!(source.format.value, QUILT_FORMAT);
        let files: Vec<&str> = source.patches().iter().map(|e| e.file.as_str()).collect();
        assert_eq!(files, ["a.patch", "sub/b.patch"]);
        assert!(source.patches()[0].exists);
        assert!(!source.patches()[1].exists);
        assert_eq!(source.patches()[1].strip, 0);
        assert_eq!(
            source.vendor_series,
            [root.join("debian/patches/ubuntu.series")]
        );
        assert!(
            source
                .orig
                .main
                .as_ref()
                .unwrap()
                .ends_with("hello_2.10.orig.tar.gz")
        );
        assert_eq!(source.orig.components[0].name, "doc");
        let watch = source.watch.unwrap();
        assert_eq!(watch.entries[0].url, "https://ftp.gnu.org/gnu/hello/");
        assert!(
            watch.entries[0]
                .pattern
                .as_deref()
                .unwrap()
                .starts_with("hello(?:[-_]?")
        );
        assert_eq!(
            source.upstream_metadata.unwrap().repository_url(),
            Some(("https://git.savannah.gnu.org/git/hello.git", None))
        );
        let vendor = read_source(
            &root,
            &DebianOptions {
                vendor: Some("ubuntu".into()),
                ..DebianOptions::default()
            },
        )
        .unwrap();
        assert_eq!(vendor.patches().len(), 1);
    }

    #[test]
    fn repack_suffixes_go() {
        assert_eq!(strip_repack_suffix("1.2+dfsg"), "1.2");
        assert_eq!(strip_repack_suffix("1.2+ds1"), "1.2");
        assert_eq!(strip_repack_suffix("1.2~dfsg.2"), "1.2");
        assert_eq!(strip_repack_suffix("1.2+really1.1"), "1.2+really1.1");
    }

    #[test]
    fn no_series_means_no_patches_and_other_formats_are_refused() {
        let folder = tree();
        let root = folder.path().join("hello-2.10");
        std::fs::remove_file(root.join("debian/patches/series")).unwrap();
        let source = read_source(&root, &DebianOptions::default()).unwrap();
        assert!(source.series.is_none());
        assert!(source.patches().is_empty());
        write(&root, "debian/source/format", "3.0 (native)\n");
        let error = read_source(&root, &DebianOptions::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "`{}`: source format `3.0 (native)` is not read (only `3.0 (quilt)` is)",
                root.join("debian/source/format").display()
            )
        );
        std::fs::remove_file(root.join("debian/source/format")).unwrap();
        assert!(matches!(
            read_source(&root, &DebianOptions::default()),
            Err(DebianError::Format { .. })
        ));
        assert!(matches!(
            read_source(folder.path(), &DebianOptions::default()),
            Err(DebianError::NotSourceTree { .. })
        ));
    }
}
