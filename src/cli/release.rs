//! The release a command works against: `--release V` as given, else the newest release
//! discovered upstream (`check`, `expire`).

use super::{CliError, ErrorKind};
use mindelta::upstream::Fetcher;
use mindelta::upstream::release::latest;
use mindelta::workspace::Package;

/// `release` when given, else the newest discovered release of `package`; with the release's
/// tag when discovery found it (tried first when its tree is read).
pub fn release_for(
    package: &Package,
    fetcher: &Fetcher,
    release: Option<&str>,
) -> Result<(String, Option<String>), CliError> {
    if let Some(release) = release {
        return Ok((release.to_string(), None));
    }
    match latest(package, fetcher, false) {
        Ok(Some(release)) => Ok((release.version, release.tag)),
        Ok(None) => Err(CliError::new(
            ErrorKind::Error,
            format!("no release of `{}` was discovered", package.name),
        )
        .hint("pass `--release V`, or set `upstream.releases` in the manifest")),
        Err(error) => Err(CliError::from(&error)),
    }
}
