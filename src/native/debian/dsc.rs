//! The `.dsc` beside an unpacked source package: the checksums that pin its orig tarballs.
//!
//! `dpkg-source -x` verifies every file a `.dsc` lists against its `Checksums-Sha256` field
//! (dpkg `scripts/Dpkg/Checksums.pm`): one ` <sha256> <size> <file name>` line per file. The
//! `.dsc` of the tree is `<source>_<version>.dsc`, the version without its epoch. An
//! OpenPGP-signed `.dsc` is read through its signature armour; the signature is not checked
//! (mindelta checks no signatures, as for the watch file's `pgpsigurlmangle`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::native::{FileReadError, read_text};

/// The most bytes of a `.dsc` read. A real one is a few kilobytes (its `Package-List` and
/// `Files` grow with the binary packages, a few hundred lines at most); 1 MiB bounds a
/// mistaken or hostile file. Change it with [`super::DebianOptions::max_dsc_bytes`].
pub const MAX_DSC_BYTES: u64 = 1 << 20;

/// The checksums of a `.dsc`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dsc {
    pub path: PathBuf,
    /// File name → lower-case sha256, from `Checksums-Sha256`.
    pub sha256: BTreeMap<String, String>,
}

impl Dsc {
    /// The sha256 the `.dsc` pins for a file of that name.
    pub fn sha256_of(&self, file: &Path) -> Option<&str> {
        let name = file.file_name()?.to_str()?;
        self.sha256.get(name).map(String::as_str)
    }
}

/// The `.dsc` of `source` at `version` (without epoch) in `folder`, when there is one.
pub fn find(
    folder: &Path,
    source: &str,
    version: &str,
    limit: u64,
) -> Result<Option<Dsc>, FileReadError> {
    let path = folder.join(format!("{source}_{version}.dsc"));
    if !path.is_file() {
        return Ok(None);
    }
    let text = read_text(&path, limit)?;
    Ok(Some(parse(&path, &text)))
}

/// Read the `Checksums-Sha256` field of `.dsc` text (continuation lines start with a space).
pub fn parse(path: &Path, text: &str) -> Dsc {
    let mut sha256 = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if inside {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let [sum, _size, name] = words[..]
                    && sum.len() == 64
                    && sum.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    sha256.insert(name.to_string(), sum.to_ascii_lowercase());
                }
            }
            continue;
        }
        inside = line
            .split_once(':')
            .is_some_and(|(field, _)| field.eq_ignore_ascii_case("Checksums-Sha256"));
    }
    Dsc {
        path: path.to_path_buf(),
        sha256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sha256_field_of_a_signed_dsc() {
        let text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nFormat: 3.0 (quilt)\nSource: x\nChecksums-Sha1:\n 0123456789012345678901234567890123456789 10 x_1.0.orig.tar.gz\nChecksums-Sha256:\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 10 x_1.0.orig.tar.gz\n bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 20 x_1.0-1.debian.tar.xz\nFiles:\n 0123456789abcdef0123456789abcdef 10 x_1.0.orig.tar.gz\n\n-----BEGIN PGP SIGNATURE-----\n";
        let dsc = parse(Path::new("x_1.0-1.dsc"), text);
        assert_eq!(dsc.sha256.len(), 2);
        assert_eq!(
            dsc.sha256_of(Path::new("/a/x_1.0.orig.tar.gz")),
            Some("a".repeat(64).as_str())
        );
        assert_eq!(dsc.sha256_of(Path::new("x_1.1.orig.tar.gz")), None);
    }
}
