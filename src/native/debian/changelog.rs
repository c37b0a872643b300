//! `debian/changelog`: the top entry, which names the source package and its version, with the
//! position of each of its lines for a later `dch`-style edit (a new entry goes above
//! `entry.header`; a line of the entry is changed in place).
//!
//! The entry is read as dpkg reads it (dpkg `scripts/Dpkg/Changelog/Entry/Debian.pm`:
//! `$regex_header`, `$regex_trailer`; `scripts/Dpkg/Version.pm`): the header
//! `source (version) distribution…; key=value, …`, body lines, then the trailer
//! ` -- Name <email>  date`. Only the top entry is read (the rest of the file is history), so a
//! changelog of any length costs the same.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::DebianError;
use crate::native::{FileReadError, Located, Position};

/// The most bytes of the top entry read. The longest top entry of the ten test packages is a few
/// kilobytes; entries of a big merge reach a few hundred. 1 MiB bounds a file without a trailer
/// (a changelog that is not one) without reading it whole. Change it with
/// [`super::DebianOptions::max_changelog_entry_bytes`].
pub const MAX_CHANGELOG_ENTRY_BYTES: u64 = 1 << 20;

/// The top entry of `debian/changelog`.
#[derive(Debug, Clone)]
pub struct Changelog {
    pub path: PathBuf,
    /// The source package name.
    pub source: Located<String>,
    pub version: Located<DebianVersion>,
    /// The distributions (`unstable`, `UNRELEASED`, …), as written, with their position.
    pub distributions: Located<Vec<String>>,
    /// `key=value` options after the `;` (`urgency=medium`), in order.
    pub options: Vec<(String, String)>,
    /// The header line.
    pub header: ChangelogLine,
    /// The lines between the header and the trailer (blank lines included).
    pub body: Vec<ChangelogLine>,
    /// The ` -- ` line.
    pub trailer: ChangelogLine,
    pub maintainer: String,
    pub email: String,
    pub date: String,
    /// Byte offset just after the trailer line: where the rest of the history starts.
    pub end: usize,
}

impl Changelog {
    /// Whether the entry is not released yet (`UNRELEASED` among its distributions), as `dch`
    /// sees it: a new change then goes into this entry rather than a new one.
    pub fn unreleased(&self) -> bool {
        self.distributions
            .value
            .iter()
            .any(|d| d.eq_ignore_ascii_case("UNRELEASED"))
    }

    /// The `urgency` option, when present.
    pub fn urgency(&self) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("urgency"))
            .map(|(_, value)| value.as_str())
    }
}

/// One line of the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogLine {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's first byte in the file.
    pub offset: usize,
    /// The line without its end of line.
    pub text: String,
}

/// A Debian version: `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianVersion {
    pub epoch: Option<u64>,
    /// The upstream version (what the orig tarball is named after).
    pub upstream: String,
    /// The Debian revision; `None` for a native version.
    pub revision: Option<String>,
}

impl std::fmt::Display for DebianVersion {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(epoch) = self.epoch {
            write!(formatter, "{epoch}:")?;
        }
        formatter.write_str(&self.upstream)?;
        if let Some(revision) = &self.revision {
            write!(formatter, "-{revision}")?;
        }
        Ok(())
    }
}

/// Why a version is not a Debian version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionProblem {
    #[error("the epoch `{0}` is not a number")]
    Epoch(String),
    #[error("the upstream version is empty")]
    EmptyUpstream,
    #[error("the upstream version `{0}` does not start with a digit")]
    UpstreamStart(String),
    #[error("the revision is empty")]
    EmptyRevision,
    #[error("`{0}` is not allowed in a version")]
    Character(char),
}

impl DebianVersion {
    /// Parse as dpkg's `parseversion` and `version_check` do: the epoch before the first `:`,
    /// the revision after the last `-`, the upstream version between, starting with a digit;
    /// letters, digits and `.+~-:` only (`-` and `:` only where they do not end a part).
    pub fn parse(text: &str) -> Result<DebianVersion, VersionProblem> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => {
                let number = epoch
                    .parse::<u64>()
                    .map_err(|_| VersionProblem::Epoch(epoch.to_string()))?;
                (Some(number), rest)
            }
            None => (None, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((upstream, revision)) => {
                if revision.is_empty() {
                    return Err(VersionProblem::EmptyRevision);
                }
                (upstream, Some(revision.to_string()))
            }
            None => (rest, None),
        };
        let Some(first) = upstream.chars().next() else {
            return Err(VersionProblem::EmptyUpstream);
        };
        if !first.is_ascii_digit() {
            return Err(VersionProblem::UpstreamStart(upstream.to_string()));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~');
        if let Some(bad) = upstream
            .chars()
            .find(|c| !(allowed(*c) || *c == '-' || *c == ':'))
        {
            return Err(VersionProblem::Character(bad));
        }
        if let Some(revision) = &revision
            && let Some(bad) = revision.chars().find(|c| !allowed(*c))
        {
            return Err(VersionProblem::Character(bad));
        }
        Ok(DebianVersion {
            epoch,
            upstream: upstream.to_string(),
            revision,
        })
    }
}

/// dpkg's `$regex_header`: package name, version, distributions, options.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(\w[-+0-9a-z.]*) \(([^() \t]+)\)((?:\s+[-+0-9a-z.]+)+);(.*?)\s*$")
        .expect("a valid regular expression")
});

/// dpkg's `$regex_trailer`, the date kept as written.
static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ \-\- (.*) <(.*)>(  ?)(.*?)\s*$").expect("a valid regular expression")
});

/// What is wrong with the top entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangelogProblem {
    #[error("`{0}` is not an entry header (`source (version) distribution; urgency=…`)")]
    NotAHeader(String),
    #[error("the entry has no ` -- Name <email>  date` line")]
    NoTrailer,
    #[error("the entry's trailer `{0}` is not ` -- Name <email>  date`")]
    BadTrailer(String),
    #[error("the entry is longer than {0} bytes")]
    TooLong(u64),
}

/// Read the top entry of a changelog.
pub fn read(path: &Path, limit: u64) -> Result<Changelog, DebianError> {
    let file = std::fs::File::open(path).map_err(|source| FileReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_from(path, BufReader::new(file), limit)
}

/// Read the top entry from `reader`; `path` names the file in errors.
pub fn read_from(
    path: &Path,
    mut reader: impl BufRead,
    limit: u64,
) -> Result<Changelog, DebianError> {
    let problem = |line: usize, problem: ChangelogProblem| DebianError::Changelog {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let mut offset = 0usize;
    let mut number = 0usize;
    let mut header_line: Option<ChangelogLine> = None;
    let mut body = Vec::new();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|source| FileReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        let text = String::from_utf8(buffer.clone()).map_err(|_| FileReadError::NotText {
            path: path.to_path_buf(),
        })?;
        let line = ChangelogLine {
            number,
            offset,
            text: text.trim_end_matches(['\n', '\r']).to_string(),
        };
        offset += read;
        if offset as u64 > limit {
            return Err(problem(number, ChangelogProblem::TooLong(limit)));
        }
        let Some(header) = &header_line else {
            if line.text.trim().is_empty() {
                continue;
            }
            if !HEADER.is_match(&line.text) {
                return Err(problem(number, ChangelogProblem::NotAHeader(line.text)));
            }
            header_line = Some(line);
            continue;
        };
        if line.text.starts_with(" --") {
            return entry(path, header.clone(), body, line, offset);
        }
        if HEADER.is_match(&line.text) {
            // The next entry starts: this one has no trailer.
            return Err(problem(header.number, ChangelogProblem::NoTrailer));
        }
        body.push(line);
    }
    match header_line {
        Some(header) => Err(problem(header.number, ChangelogProblem::NoTrailer)),
        None => Err(DebianError::EmptyChangelog {
            path: path.to_path_buf(),
        }),
    }
}

fn entry(
    path: &Path,
    header: ChangelogLine,
    body: Vec<ChangelogLine>,
    trailer: ChangelogLine,
    end: usize,
) -> Result<Changelog, DebianError> {
    let captures = HEADER
        .captures(&header.text)
        .expect("the header line matched before");
    let group = |index: usize| captures.get(index).expect("a group of the header regex");
    let position = |index: usize| {
        let found = group(index);
        Position {
            line: header.number,
            column: found.start() + 1,
            offset: Some(header.offset + found.start()),
            length: Some(found.len()),
            through_alias: false,
        }
    };
    let version_text = group(2).as_str();
    let version = DebianVersion::parse(version_text).map_err(|problem| DebianError::Version {
        path: path.to_path_buf(),
        line: header.number,
        version: version_text.to_string(),
        problem,
    })?;
    let options = group(4)
        .as_str()
        .split(',')
        .filter_map(|option| {
            let (key, value) = option.split_once('=')?;
            Some((key.trim().to_string(), value.trim().to_string()))
        })
        .collect();
    let Some(parts) = TRAILER.captures(&trailer.text) else {
        return Err(DebianError::Changelog {
            path: path.to_path_buf(),
            line: trailer.number,
            problem: ChangelogProblem::BadTrailer(trailer.text.clone()),
        });
    };
    let part = |index: usize| {
        parts
            .get(index)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default()
    };
    Ok(Changelog {
        path: path.to_path_buf(),
        source: Located::new(group(1).as_str().to_string(), position(1)),
        version: Located::new(version, position(2)),
        distributions: Located::new(
            group(3)
                .as_str()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            position(3),
        ),
        options,
        maintainer: part(1),
        email: part(2),
        date: part(4),
        header,
        body,
        trailer,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Changelog, DebianError> {
        read_from(
            Path::new("debian/changelog"),
            text.as_bytes(),
            MAX_CHANGELOG_ENTRY_BYTES,
        )
    }

    #[test]
    fn the_top_entry() {
        let text = "\ncurl (1:8.14.1-2+deb13u5) trixie-security UNRELEASED; urgency=medium, binary-only=yes\n\n  * Fix CVE-2025-0001.\n\n -- Jane Doe <jane@example.org>  Mon, 01 Dec 2025 10:00:00 +0100\n\ncurl (8.14.1-1) unstable; urgency=low\n\n  * Old.\n\n -- Jane Doe <jane@example.org>  Mon, 01 Jan 2025 10:00:00 +0100\n";
        let entry = parse(text).unwrap();
        assert_eq!(entry.source.value, "curl");
        assert_eq!(entry.source.position.line, 2);
        assert_eq!(entry.source.position.offset, Some(1));
        let version = &entry.version.value;
        assert_eq!(version.epoch, Some(1));
        assert_eq!(version.upstream, "8.14.1");
        assert_eq!(version.revision.as_deref(), Some("2+deb13u5"));
        assert_eq!(version.to_string(), "1:8.14.1-2+deb13u5");
        assert_eq!(entry.version.position.offset, Some(7));
        assert_eq!(entry.distributions.value, ["trixie-security", "UNRELEASED"]);
        assert!(entry.unreleased());
        assert_eq!(entry.urgency(), Some("medium"));
        assert_eq!(entry.body.len(), 3);
        assert_eq!(entry.body[1].text, "  * Fix CVE-2025-0001.");
        assert_eq!(entry.trailer.number, 6);
        assert_eq!(entry.maintainer, "Jane Doe");
        assert_eq!(entry.email, "jane@example.org");
        assert_eq!(entry.date, "Mon, 01 Dec 2025 10:00:00 +0100");
        assert_eq!(&text[entry.end..entry.end + 1], "\n");
        assert!(text[entry.end..].starts_with("\ncurl (8.14.1-1)"));
    }

    #[test]
    fn versions() {
        let native = DebianVersion::parse("2.0").unwrap();
        assert_eq!((native.epoch, native.revision), (None, None));
        let dashed = DebianVersion::parse("1.2-rc1-3").unwrap();
        assert_eq!(dashed.upstream, "1.2-rc1");
        assert_eq!(dashed.revision.as_deref(), Some("3"));
        assert_eq!(
            DebianVersion::parse("x:1.0-1"),
            Err(VersionProblem::Epoch("x".into()))
        );
        assert_eq!(
            DebianVersion::parse("v1.0-1"),
            Err(VersionProblem::UpstreamStart("v1.0".into()))
        );
        assert_eq!(
            DebianVersion::parse("1.0-"),
            Err(VersionProblem::EmptyRevision)
        );
        assert_eq!(
            DebianVersion::parse("1.0_2-1"),
            Err(VersionProblem::Character('_'))
        );
    }

    #[test]
    fn broken_changelogs() {
        assert!(matches!(
            parse("\n\n"),
            Err(DebianError::EmptyChangelog { .. })
        ));
        assert!(matches!(
            parse("not a header\n"),
            Err(DebianError::Changelog {
                line: 1,
                problem: ChangelogProblem::NotAHeader(_),
                ..
            })
        ));
        assert!(matches!(
            parse("x (1.0-1) unstable; urgency=low\n\n  * a\n"),
            Err(DebianError::Changelog {
                line: 1,
                problem: ChangelogProblem::NoTrailer,
                ..
            })
        ));
        assert!(matches!(
            parse("x (1.0-1) unstable; urgency=low\n\n -- nobody\n"),
            Err(DebianError::Changelog {
                line: 3,
                problem: ChangelogProblem::BadTrailer(_),
                ..
            })
        ));
        let long = format!("x (1.0-1) unstable; urgency=low\n{}", "  * a\n".repeat(100));
        assert!(matches!(
            read_from(Path::new("c"), long.as_bytes(), 64),
            Err(DebianError::Changelog {
                problem: ChangelogProblem::TooLong(64),
                ..
            })
        ));
    }
}
