//! `debian/watch` (versions 3 and 4): where uscan looks for new upstream releases.
//!
//! Read as uscan reads it (devscripts `lib/Devscripts/Uscan/WatchFile.pm` and `WatchLine.pm`):
//! lines starting with `#` (after blanks) and blank lines are skipped; a line ending with `\`
//! (not `\\`) continues on the next one, whose leading blanks version 4 drops; the first line is
//! `version=N`. `@PACKAGE@`, `@ANY_VERSION@`, `@ARCHIVE_EXT@`, `@SIGNATURE_EXT@` and `@DEB_EXT@`
//! are replaced in the whole line by uscan's definitions ([`ANY_VERSION`], …). A line is
//! `[opts=OPTIONS|opts="OPTIONS"] URL [PATTERN [VERSION [SCRIPT]]]`; when the last path
//! component of the URL holds a `(…)` group, it is the pattern. Options are comma-separated;
//! the `*mangle` ones hold `;`-separated rules (`mangle.rs`); `dversionmangle=auto` is the
//! removal of [`DEB_EXT`]. `pgpsigurlmangle` is kept but not interpreted (mindelta checks no
//! signatures).

use std::path::{Path, PathBuf};

use super::DebianError;
use super::mangle::MangleRule;
use crate::native::{Position, read_text};

/// uscan's `@ANY_VERSION@`.
pub const ANY_VERSION: &str = r"(?:[-_]?(\d[\-+\.:\~\da-zA-Z]*))";
/// uscan's `@ARCHIVE_EXT@`.
pub const ARCHIVE_EXT: &str = r"(?i)(?:\.(?:tar\.xz|tar\.bz2|tar\.gz|tar\.zstd?|zip|tgz|tbz|txz))";
/// uscan's `@DEB_EXT@`.
pub const DEB_EXT: &str = r"(?:[\+~](debian|dfsg|ds|deb)(\.)?(\d+)?$)";

/// uscan's `@SIGNATURE_EXT@`: [`ARCHIVE_EXT`] followed by a signature extension.
pub fn signature_ext() -> String {
    format!(r"{ARCHIVE_EXT}(?:\.(?:asc|pgp|gpg|sig|sign))")
}

/// The most bytes of a watch file read. Real ones are under 2 KiB; 1 MiB bounds a mistaken or
/// hostile file. Change it with [`super::DebianOptions::max_watch_bytes`].
pub const MAX_WATCH_BYTES: u64 = 1 << 20;

/// A read watch file.
#[derive(Debug, Clone)]
pub struct WatchFile {
    pub path: PathBuf,
    /// `version=N` (3 or 4).
    pub version: u32,
    pub entries: Vec<WatchEntry>,
}

/// One watch line (continuations joined).
#[derive(Debug, Clone)]
pub struct WatchEntry {
    /// The first line, and the byte range of every line it spans.
    pub position: Position,
    /// The line as uscan reads it: joined, substitutions made.
    pub text: String,
    pub options: WatchOptions,
    /// Where to look: a page URL, or a git repository for `mode=git`.
    pub url: String,
    /// The matching pattern (a Perl regular expression), substitutions made.
    pub pattern: Option<String>,
    /// The version field: `debian`, `same`, `ignore`, `previous`, `group`, `checksum` or a
    /// version.
    pub version_rule: Option<String>,
    /// The script uscan runs after a download (historical; mindelta never runs it).
    pub script: Option<String>,
}

/// The options of a watch line that mindelta reads; others are in `other`.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// `mode=`: `http` (the default, or `ftp` for an ftp URL), `git`, `svn`.
    pub mode: Option<String>,
    /// `component=`: the line finds this component's tarball.
    pub component: Option<String>,
    pub uversionmangle: Vec<MangleRule>,
    pub dversionmangle: Vec<MangleRule>,
    pub oversionmangle: Vec<MangleRule>,
    pub dirversionmangle: Vec<MangleRule>,
    pub filenamemangle: Vec<MangleRule>,
    pub downloadurlmangle: Vec<MangleRule>,
    pub pagemangle: Vec<MangleRule>,
    /// Kept as written; signatures are not checked.
    pub pgpsigurlmangle: Vec<String>,
    pub pgpmode: Option<String>,
    pub searchmode: Option<String>,
    pub gitmode: Option<String>,
    pub repacksuffix: Option<String>,
    pub compression: Option<String>,
    /// Every other option, as written (`decompress`, `repack`, `user-agent=…`, …).
    pub other: Vec<String>,
}

impl WatchEntry {
    /// The effective mode: `mode=`, else `ftp` for an `ftp://` URL, else `http`.
    pub fn mode(&self) -> &str {
        match self.options.mode.as_deref() {
            Some(mode) => mode,
            None if self.url.starts_with("ftp://") => "ftp",
            None => "http",
        }
    }
}

/// Read a watch file; `package` replaces `@PACKAGE@`.
pub fn read(
    path: &Path,
    package: &str,
    limit: u64,
    regex_size_limit: usize,
) -> Result<WatchFile, DebianError> {
    let text = read_text(path, limit)?;
    parse(path, &text, package, regex_size_limit)
}

/// Parse watch text; `path` names the file in errors.
pub fn parse(
    path: &Path,
    text: &str,
    package: &str,
    regex_size_limit: usize,
) -> Result<WatchFile, DebianError> {
    let problem = |line: usize, message: String| DebianError::Watch {
        path: path.to_path_buf(),
        line,
        message,
    };
    let lines: Vec<(usize, usize, &str)> = {
        let mut offset = 0;
        text.split_inclusive('\n')
            .enumerate()
            .map(|(index, raw)| {
                let start = offset;
                offset += raw.len();
                (index + 1, start, raw.trim_end_matches(['\n', '\r']))
            })
            .collect()
    };
    let mut version = 0u32;
    let mut entries = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let (number, start, first) = lines[index];
        index += 1;
        let trimmed = first.trim_start();
        if trimmed.starts_with('#') || trimmed.trim().is_empty() {
            continue;
        }
        let mut joined = trimmed.to_string();
        let mut end = start + first.len();
        while continues(&joined) {
            joined.pop();
            let Some(&(_, next_start, next)) = lines.get(index) else {
                return Err(problem(number, "the file ends with `\\`".into()));
            };
            index += 1;
            joined.push_str(if version > 3 { next.trim_start() } else { next });
            end = next_start + next.len();
        }
        if version == 0 {
            let Some(found) = joined
                .strip_prefix("version")
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('='))
                .map(|rest| rest.trim())
            else {
                return Err(problem(
                    number,
                    "the first line is not `version=N` (version 1 files are not read)".into(),
                ));
            };
            let digits: String = found.chars().take_while(char::is_ascii_digit).collect();
            version = match digits.parse() {
                Ok(version @ (3 | 4)) => version,
                _ => {
                    return Err(problem(
                        number,
                        format!("watch file version `{found}` is not read (3 and 4 are)"),
                    ));
                }
            };
            continue;
        }
        let substituted = substitute(&joined, package);
        let position = Position::span(number, start, end - start);
        entries.push(
            entry(&substituted, position, regex_size_limit)
                .map_err(|message| problem(number, message))?,
        );
    }
    if version == 0 {
        return Err(problem(0, "the file has no `version=N` line".into()));
    }
    Ok(WatchFile {
        path: path.to_path_buf(),
        version,
        entries,
    })
}

/// Whether a line continues: it ends with `\` not preceded by `\`.
fn continues(line: &str) -> bool {
    line.ends_with('\\') && !line.ends_with("\\\\")
}

fn substitute(line: &str, package: &str) -> String {
    line.replace("@PACKAGE@", package)
        .replace("@ANY_VERSION@", ANY_VERSION)
        .replace("@ARCHIVE_EXT@", ARCHIVE_EXT)
        .replace("@SIGNATURE_EXT@", &signature_ext())
        .replace("@DEB_EXT@", DEB_EXT)
}

fn entry(line: &str, position: Position, regex_size_limit: usize) -> Result<WatchEntry, String> {
    let mut rest = line;
    let mut options = WatchOptions::default();
    let opts = rest
        .strip_prefix("opts")
        .or_else(|| rest.strip_prefix("options"))
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='));
    if let Some(after) = opts {
        let after = after.trim_start();
        let (text, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let close = quoted.find('"').ok_or("`opts=\"` is not closed")?;
            (&quoted[..close], &quoted[close + 1..])
        } else {
            after.split_once(char::is_whitespace).unwrap_or((after, ""))
        };
        options = parse_options(text, regex_size_limit);
        rest = remainder.trim_start();
    }
    if rest.trim().is_empty() {
        return Err("the line has options but no URL".into());
    }
    let mut fields = rest.split_whitespace();
    let mut url = fields.next().unwrap_or_default().to_string();
    let mut pattern = None;
    // The last path component holds the pattern when it has a `(…)` group.
    if let Some(slash) = url.rfind('/') {
        let last = &url[slash + 1..];
        if last.contains('(') && last[last.find('(').unwrap_or(0)..].contains(')') {
            pattern = Some(last.to_string());
            url.truncate(slash + 1);
        }
    }
    if pattern.is_none() {
        pattern = fields.next().map(str::to_string);
    }
    let version_rule = fields.next().map(str::to_string);
    let script = {
        let rest: Vec<&str> = fields.collect();
        (!rest.is_empty()).then(|| rest.join(" "))
    };
    Ok(WatchEntry {
        position,
        text: line.to_string(),
        options,
        url,
        pattern,
        version_rule,
        script,
    })
}

fn parse_options(text: &str, regex_size_limit: usize) -> WatchOptions {
    let mut options = WatchOptions::default();
    // uscan: a user agent holds commas, so `user-agent=` takes the whole option text.
    if let Some(agent) = text
        .trim()
        .strip_prefix("user-agent=")
        .or_else(|| text.trim().strip_prefix("useragent="))
    {
        options.other.push(format!("user-agent={}", agent.trim()));
        return options;
    }
    let rules = |value: &str| -> Vec<MangleRule> {
        value
            .split(';')
            .map(|rule| MangleRule::parse(rule, regex_size_limit))
            .collect()
    };
    for option in text.split(',') {
        let option = option.trim();
        if option.is_empty() {
            continue;
        }
        let (key, value) = match option.split_once('=') {
            Some((key, value)) => (key.trim(), value.trim()),
            None => (option, ""),
        };
        match key {
            "mode" => options.mode = Some(value.to_string()),
            "component" => options.component = Some(value.to_string()),
            "uversionmangle" => options.uversionmangle = rules(value),
            "dversionmangle" => {
                options.dversionmangle = value
                    .split(';')
                    .map(|rule| {
                        if rule.trim() == "auto" {
                            MangleRule::parse(&format!("s/{DEB_EXT}//"), regex_size_limit)
                        } else {
                            MangleRule::parse(rule, regex_size_limit)
                        }
                    })
                    .collect();
            }
            "versionmangle" => {
                options.uversionmangle = rules(value);
                options.dversionmangle = rules(value);
            }
            "oversionmangle" => options.oversionmangle = rules(value),
            "dirversionmangle" => options.dirversionmangle = rules(value),
            "filenamemangle" => options.filenamemangle = rules(value),
            "downloadurlmangle" => options.downloadurlmangle = rules(value),
            "pagemangle" => options.pagemangle = rules(value),
            "pgpsigurlmangle" => {
                options.pgpsigurlmangle = value.split(';').map(str::to_string).collect();
            }
            "pgpmode" => options.pgpmode = Some(value.to_string()),
            "searchmode" => options.searchmode = Some(value.to_string()),
            "gitmode" => options.gitmode = Some(value.to_string()),
            "repacksuffix" => options.repacksuffix = Some(value.to_string()),
            "compression" => options.compression = Some(value.to_string()),
            _ => options.other.push(option.to_string()),
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::debian::mangle::apply_all;

    fn parse_text(text: &str) -> Result<WatchFile, DebianError> {
        parse(Path::new("debian/watch"), text, "cups", 1 << 20)
    }

    #[test]
    fn version_4_with_continuations_and_substitutions() {
        let watch = parse_text(concat!(
            "# new watch file\n",
            "version=4\n",
            "opts=\"searchmode=plain,\\\n",
            "  uversionmangle=s/^(release|v)?\\.//;s/(rc|b)/~$1/,\\\n",
            "  pgpsigurlmangle=s/$/\\.sig/\" \\\n",
            "  https://api.github.com/repos/OpenPrinting/@PACKAGE@/releases \\\n",
            "  https://github.com/OpenPrinting/@PACKAGE@/releases/download/v?[\\d.]+/@PACKAGE@@ANY_VERSION@-source@ARCHIVE_EXT@\n",
            "\n",
            "#version=4\n",
            "#opts=\"uversionmangle=s/a/b/\" https://example.org/ x-(.*).tgz\n",
        ))
        .unwrap();
        assert_eq!(watch.version, 4);
        assert_eq!(watch.entries.len(), 1);
        let entry = &watch.entries[0];
        assert_eq!(entry.position.line, 3);
        assert_eq!(
            entry.url,
            "https://api.github.com/repos/OpenPrinting/cups/releases"
        );
        assert_eq!(
            entry.pattern.as_deref(),
            Some(
                r"https://github.com/OpenPrinting/cups/releases/download/v?[\d.]+/cups(?:[-_]?(\d[\-+\.:\~\da-zA-Z]*))-source(?i)(?:\.(?:tar\.xz|tar\.bz2|tar\.gz|tar\.zstd?|zip|tgz|tbz|txz))"
            )
        );
        assert_eq!(entry.options.searchmode.as_deref(), Some("plain"));
        assert_eq!(
            apply_all(&entry.options.uversionmangle, "2.5b1").unwrap(),
            "2.5~b1"
        );
        assert_eq!(entry.options.pgpsigurlmangle, [r"s/$/\.sig/"]);
        assert_eq!(entry.mode(), "http");
    }

    #[test]
    fn version_3_with_the_pattern_in_the_url() {
        let watch = parse_text(
            "version=3\nopts=pgpsigurlmangle=s/$/.asc/ http://web.mit.edu/kerberos/dist/krb5/[\\d.]+/krb5-([\\d.]+).tar.gz$ debian uupdate\n",
        )
        .unwrap();
        let entry = &watch.entries[0];
        assert_eq!(entry.url, "http://web.mit.edu/kerberos/dist/krb5/[\\d.]+/");
        assert_eq!(entry.pattern.as_deref(), Some(r"krb5-([\d.]+).tar.gz$"));
        assert_eq!(entry.version_rule.as_deref(), Some("debian"));
        assert_eq!(entry.script.as_deref(), Some("uupdate"));
    }

    #[test]
    fn components_modes_and_auto() {
        let watch = parse_text(
            "version=4\nopts=dversionmangle=auto,component=git,mode=git,decompress \\\nhttps://git.example.org/x.git refs/tags/v@ANY_VERSION@\n",
        )
        .unwrap();
        let entry = &watch.entries[0];
        assert_eq!(entry.options.component.as_deref(), Some("git"));
        assert_eq!(entry.mode(), "git");
        assert_eq!(entry.options.other, ["decompress"]);
        assert_eq!(
            apply_all(&entry.options.dversionmangle, "1.2+dfsg").unwrap(),
            "1.2"
        );
        assert_eq!(entry.position, Position::span(2, 10, 115));
    }

    #[test]
    fn broken_watch_files() {
        for (text, line) in [
            ("opts=a https://x/ y-(.*)\n", 1),
            ("version=5\nhttps://x/ y-(.*)\n", 1),
            ("version=4\nhttps://x/ \\\n", 2),
            ("version=4\nopts=\"a=b https://x/ y-(.*)\n", 2),
            ("# only a comment\n", 0),
        ] {
            match parse_text(text) {
                Err(DebianError::Watch { line: at, .. }) => assert_eq!(at, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
