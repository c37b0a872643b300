//! `debian/upstream/metadata` (DEP-12): a YAML mapping about the upstream project. mindelta
//! reads `Repository` (the upstream VCS, for the history detectors), `Repository-Browse` and
//! `Bug-Database`; every other field is ignored, and a field mindelta reads that holds a list or
//! a mapping instead of text is taken as absent.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::DebianError;
use crate::native::{LenientValue, Located, Position, YamlValue, read_text};

/// The most bytes of the file read. Real ones are under 4 KiB (a long `Reference:` list); 1 MiB
/// bounds a mistaken or hostile file. Change it with [`super::DebianOptions::max_metadata_bytes`].
pub const MAX_METADATA_BYTES: u64 = 1 << 20;

/// The fields mindelta reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamMetadata {
    pub path: PathBuf,
    /// `Repository`: the upstream VCS URL (Debian writes a branch as `URL -b BRANCH`).
    pub repository: Option<Located<String>>,
    pub repository_browse: Option<Located<String>>,
    pub bug_database: Option<Located<String>>,
}

impl UpstreamMetadata {
    /// The repository URL and the branch a `-b BRANCH` after it names.
    pub fn repository_url(&self) -> Option<(&str, Option<&str>)> {
        let text = self.repository.as_ref()?.value.trim();
        let mut words = text.split_whitespace();
        let url = words.next()?;
        let branch = match (words.next(), words.next()) {
            (Some("-b"), Some(branch)) => Some(branch),
            _ => None,
        };
        Some((url, branch))
    }
}

#[derive(Deserialize)]
struct RawMetadata {
    #[serde(default, rename = "Repository")]
    repository: Option<Spanned<LenientValue>>,
    #[serde(default, rename = "Repository-Browse")]
    repository_browse: Option<Spanned<LenientValue>>,
    #[serde(default, rename = "Bug-Database")]
    bug_database: Option<Spanned<LenientValue>>,
}

/// Read the file.
pub fn read(path: &Path, limit: u64) -> Result<UpstreamMetadata, DebianError> {
    let text = read_text(path, limit)?;
    parse(path, &text)
}

/// Parse the text; `path` names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<UpstreamMetadata, DebianError> {
    if text.trim().is_empty() || text.trim() == "---" {
        return Ok(UpstreamMetadata {
            path: path.to_path_buf(),
            ..UpstreamMetadata::default()
        });
    }
    let raw: RawMetadata = serde_saphyr::from_str(text).map_err(|error| DebianError::Metadata {
        path: path.to_path_buf(),
        line: error.location().map(|l| l.line() as usize).unwrap_or(0),
        message: crate::workspace::manifest::yaml_message(&error),
    })?;
    let text_of = |value: Option<Spanned<LenientValue>>| {
        let value = value?;
        let position = Position::from_spanned(&value);
        match value.value.into_value() {
            YamlValue::Text(text) if !text.trim().is_empty() => {
                Some(Located::new(text.trim().to_string(), position))
            }
            _ => None,
        }
    };
    Ok(UpstreamMetadata {
        path: path.to_path_buf(),
        repository: text_of(raw.repository),
        repository_browse: text_of(raw.repository_browse),
        bug_database: text_of(raw.bug_database),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_branches() {
        let metadata = parse(
            Path::new("debian/upstream/metadata"),
            "---\nBug-Database: https://github.com/curl/curl/issues\nReference:\n  - Title: x\nRepository: https://github.com/curl/curl.git -b main\nRepository-Browse: [a, b]\n",
        )
        .unwrap();
        assert_eq!(
            metadata.repository_url(),
            Some(("https://github.com/curl/curl.git", Some("main")))
        );
        assert_eq!(metadata.repository.as_ref().unwrap().position.line, 5);
        assert_eq!(metadata.repository_browse, None);
        assert_eq!(
            metadata.bug_database.unwrap().value,
            "https://github.com/curl/curl/issues"
        );
        assert!(matches!(
            parse(Path::new("m"), "Repository: [\n"),
            Err(DebianError::Metadata { .. })
        ));
    }
}
