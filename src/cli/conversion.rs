//! One conversion per library error into the CLI's error: its kind (which picks the exit
//! code, DESIGN.md §5), its message and cause chain, and the hint that says what to do next.
//!
//! Commands reach these through `CliError::from(&error)` and add only what their own context
//! knows (`nothing was changed`, the package a failure belongs to).

use mindelta::audit::{AuditError, PolicyError};
use mindelta::expiry::CheckError;
use mindelta::expiry::expire::ExpireError;
use mindelta::interop::{ExportError, ImportError};
use mindelta::native::edit::PinError;
use mindelta::prepare::PrepareError;
use mindelta::prepare::out::OutRefusal;
use mindelta::refresh::RefreshError;
use mindelta::upgrade::UpgradeError;
use mindelta::upstream::{FetchError, FetchErrorKind};
use mindelta::workspace::WorkspaceError;
use mindelta::workspace::edit::EditError;

use super::apply::apply_error;
use super::{CliError, ErrorKind};

impl From<FetchErrorKind> for ErrorKind {
    fn from(kind: FetchErrorKind) -> ErrorKind {
        match kind {
            FetchErrorKind::Unavailable | FetchErrorKind::NotFound => ErrorKind::Unavailable,
            FetchErrorKind::Integrity => ErrorKind::Integrity,
            FetchErrorKind::Invalid => ErrorKind::Error,
        }
    }
}

impl From<&FetchError> for CliError {
    fn from(error: &FetchError) -> CliError {
        fetch_hint(CliError::from_error(error.kind().into(), error), error)
    }
}

/// The hint for a fetch error: what to do next, and whether retrying helps.
fn fetch_hint(cli: CliError, error: &FetchError) -> CliError {
    match error {
        FetchError::NotCached { .. } => {
            cli.hint("run once without `--offline` to fill the cache; this is retryable")
        }
        FetchError::CorruptMirror {
            path,
            offline: true,
            ..
        } => cli.hint(format!(
            "delete `{}`, or run without `--offline` to clone it again",
            path.display()
        )),
        FetchError::CorruptMirror { path, .. } => {
            cli.hint(format!("delete `{}` and run again", path.display()))
        }
        FetchError::NotFound { .. } => cli.hint(
            "check `upstream.version` and the URL in the manifest; retrying will not help",
        ),
        FetchError::RefusedRedirect { .. } => cli.hint(
            "only http and https redirects are followed; retrying will not help",
        ),
        FetchError::DownloadTooLarge { .. } => cli.hint(
            "if the file is expected to be this large, raise `--max-download-size` (or `MINDELTA_MAX_DOWNLOAD_SIZE`)",
        ),
        FetchError::TooLarge { .. } => cli.hint(
            "if the tree is expected to be this large, raise `--max-expanded-size` (or `MINDELTA_MAX_EXPANDED_SIZE`)",
        ),
        FetchError::DecoderMemory { .. } => cli.hint(
            "if the archive is trusted, raise `--decoder-memory` (or `MINDELTA_DECODER_MEMORY`)",
        ),
        FetchError::TooSlow { .. } | FetchError::DeadlineExceeded { .. } => cli.hint(
            "this is retryable; the bounds are `--speed-limit`, `--speed-time` and `--fetch-deadline`",
        ),
        FetchError::Integrity { .. } => cli.hint(
            "the download does not match `sha256` in the manifest: do not retry; check the upstream release and the checksum",
        ),
        // A manifest whose `releases` cannot be used (release discovery reports it as invalid
        // data in the manifest).
        FetchError::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData => cli
            .hint(
                "check `releases` in the manifest: `pattern` is a regular expression with a `(?<version>…)` group",
            ),
        error if error.retryable() => cli.hint("check the URL and the network; this is retryable"),
        _ => cli,
    }
}

impl From<&CheckError> for CliError {
    fn from(error: &CheckError) -> CliError {
        match error {
            CheckError::Fetch { source, .. } => {
                let cli = CliError::from_error(source.kind().into(), error);
                match &**source {
                    FetchError::NoSuchRelease { package, source, .. }
                        if matches!(**source, FetchError::PinnedOnly { .. }) =>
                    {
                        cli.hint(format!(
                            "to judge other releases, write `{{version}}` where the version goes in the `dir` path \
                             (e.g. `../vendor/{package}-{{version}}`), one folder per release"
                        ))
                    }
                    _ if source.kind() == FetchErrorKind::NotFound => cli.hint(
                        "no verdict was guessed; pass one of the known releases to `--release` (this is not retryable)",
                    ),
                    source => {
                        let cli = match cli.kind {
                            ErrorKind::Unavailable => cli.hint("no verdict was guessed"),
                            _ => cli,
                        };
                        fetch_hint(cli, source)
                    }
                }
            }
            CheckError::Tree { .. } => CliError::from_error(ErrorKind::Error, error),
        }
    }
}

impl From<&RefreshError> for CliError {
    fn from(error: &RefreshError) -> CliError {
        match error {
            RefreshError::Fetch { source, .. } => {
                fetch_hint(CliError::from_error(source.kind().into(), error), source)
            }
            _ => CliError::from_error(ErrorKind::Error, error),
        }
    }
}

impl From<&ExpireError> for CliError {
    fn from(error: &ExpireError) -> CliError {
        match error {
            ExpireError::Check(error) => error.into(),
            ExpireError::Refresh(error) => error.into(),
        }
    }
}

impl From<&UpgradeError> for CliError {
    fn from(error: &UpgradeError) -> CliError {
        match error {
            UpgradeError::Check(error) => error.into(),
            UpgradeError::Refresh(error) => error.into(),
            UpgradeError::WorkTree(source) => {
                CliError::from_error(source.kind().into(), error).hint("nothing was changed")
            }
            _ => CliError::from_error(ErrorKind::Error, error),
        }
    }
}

impl From<&PrepareError> for CliError {
    fn from(error: &PrepareError) -> CliError {
        match error {
            PrepareError::Fetch { source, .. } => {
                fetch_hint(CliError::from_error(source.kind().into(), error), source)
            }
            PrepareError::Apply {
                package,
                file,
                source,
            } => apply_error(&format!("{package}/{file}"), source),
            PrepareError::PatchMissing { .. } => CliError::from_error(ErrorKind::Error, error)
                .hint("fix the `file:` entry in the manifest or restore the patch file"),
            PrepareError::Out { refusal, .. } => {
                let cli = CliError::from_error(ErrorKind::Error, error);
                match refusal {
                    OutRefusal::NotOurs => cli.hint(
                        "choose a new or empty folder, or pass `--force` to replace this one and everything in it",
                    ),
                    OutRefusal::NotAFolder => cli.hint("remove it or choose another `--out`"),
                    _ => cli.hint(
                        "give the tree a folder of its own, such as `--out build/PKG` (`--force` does not change this)",
                    ),
                }
            }
            _ => CliError::from_error(ErrorKind::Error, error),
        }
    }
}

/// A change set that could not be committed: it was rolled back, unless the rollback itself
/// failed (then the journal finishes it on the next run).
impl From<&EditError> for CliError {
    fn from(error: &EditError) -> CliError {
        let cli = CliError::from_error(ErrorKind::Error, error);
        match error {
            EditError::RollbackFailed { .. } => cli.hint(
                "the next mindelta command on the workspace finishes the rollback from the journal",
            ),
            _ => cli.hint("the edit was rolled back: every file it touched is as it was"),
        }
    }
}

/// The pins of a moved version could not be completed (nothing was written).
impl From<&PinError> for CliError {
    fn from(error: &PinError) -> CliError {
        match error {
            PinError::Fetch(source) => CliError::from(source),
            PinError::Edit(source) => CliError::from_error(ErrorKind::Error, source),
        }
    }
}

/// A workspace or manifest error, with the manifest's hint.
impl From<&WorkspaceError> for CliError {
    fn from(error: &WorkspaceError) -> CliError {
        let mut cli = CliError::from_error(ErrorKind::Error, error);
        if let WorkspaceError::Manifest(manifest) = error
            && let Some(hint) = manifest.hint()
        {
            cli = cli.hint(hint);
        }
        if let WorkspaceError::UnknownPackage { .. } = error {
            cli = cli.hint("`mindelta list` shows the packages of the workspace");
        }
        cli
    }
}

impl From<&ImportError> for CliError {
    fn from(error: &ImportError) -> CliError {
        let cli = CliError::from_error(ErrorKind::Error, error);
        match error.hint() {
            Some(hint) => cli.hint(hint),
            None => cli,
        }
    }
}

impl From<&ExportError> for CliError {
    fn from(error: &ExportError) -> CliError {
        let cli = CliError::from_error(ErrorKind::Error, error);
        match error.hint() {
            Some(hint) => cli.hint(hint),
            None => cli,
        }
    }
}

impl From<&PolicyError> for CliError {
    fn from(error: &PolicyError) -> CliError {
        let cli = CliError::from_error(ErrorKind::Error, error);
        match error {
            PolicyError::Budget { .. } => cli.hint(
                "simplify the rule, or raise the budget with `--policy-steps N` (or \
                 `--policy-seconds N`) if you trust the policy",
            ),
            _ => cli.hint("see docs/policies.md for the rule format and the fields a rule can use"),
        }
    }
}

/// A package the audit could not report.
impl From<&AuditError> for CliError {
    fn from(error: &AuditError) -> CliError {
        match error {
            AuditError::Workspace(error) => error.into(),
            AuditError::Policy(error) => error.into(),
            AuditError::Metrics(_) => CliError::from_error(ErrorKind::Error, error)
                .hint("fix the manifest entry or restore the patch file"),
        }
    }
}
