//! The one error type of the command line: a kind (which picks the exit code), a message, the
//! cause chain, and hints. Printed as `error: …`, `caused by: …`, `hint: …` on stderr.

use std::process::ExitCode;

use anstyle::{AnsiColor, Style};

/// What went wrong, as far as the exit code is concerned (DESIGN.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Bad input, I/O, a manifest or patch that does not parse: exit 1.
    Error,
    /// A patch does not apply: exit 3.
    Conflict,
    /// Findings: a policy finding of severity `error` (audit), a patch that can expire
    /// (check `--exit-code`): exit 4.
    Findings,
    /// Upstream unavailable (network, 404; retryable): exit 5.
    Unavailable,
    /// Integrity failure (checksum mismatch; never retry): exit 6.
    Integrity,
}

impl ErrorKind {
    pub fn code(self) -> u8 {
        match self {
            ErrorKind::Error => 1,
            ErrorKind::Conflict => 3,
            ErrorKind::Findings => 4,
            ErrorKind::Unavailable => 5,
            ErrorKind::Integrity => 6,
        }
    }
}

/// An error ready to show a user.
#[derive(Debug)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
    pub causes: Vec<String>,
    pub hints: Vec<String>,
    /// Extra text shown after the causes (a failed hunk and the closest match).
    pub detail: Option<String>,
}

impl CliError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
            causes: Vec::new(),
            hints: Vec::new(),
            detail: None,
        }
    }

    /// An error whose message is `error`'s and whose causes are its `source()` chain.
    pub fn from_error(kind: ErrorKind, error: &dyn std::error::Error) -> CliError {
        let mut cli = CliError::new(kind, error.to_string());
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !cli.message.contains(&text) && !cli.causes.contains(&text) {
                cli.causes.push(text);
            }
            source = cause.source();
        }
        cli
    }

    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hints.push(hint.into());
        self
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.code())
    }

    /// Print to stderr in the house format (a broken stderr is ignored: the exit code stands).
    pub fn print(&self) {
        let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
        let cyan = Style::new().bold().fg_color(Some(AnsiColor::Cyan.into()));
        let mut text = format!("{red}error:{red:#} {}\n", self.message);
        for cause in &self.causes {
            text.push_str(&format!("caused by: {cause}\n"));
        }
        if let Some(detail) = &self.detail {
            text.push_str(detail);
            if !detail.ends_with('\n') {
                text.push('\n');
            }
        }
        for hint in &self.hints {
            text.push_str(&format!("{cyan}hint:{cyan:#} {hint}\n"));
        }
        super::output::stderr(&text);
    }
}

/// Print every failure of a batch command and return a summary error whose kind is the most
/// severe one (so the command reports all of them and still exits non-zero).
pub fn report_failures(failures: Vec<CliError>) -> Result<std::process::ExitCode, CliError> {
    match failures.len() {
        0 => Ok(std::process::ExitCode::SUCCESS),
        1 => Err(failures.into_iter().next().expect("one failure")),
        count => {
            let kind = failures
                .iter()
                .map(|f| f.kind)
                .max()
                .unwrap_or(ErrorKind::Error);
            for failure in &failures {
                failure.print();
            }
            Err(CliError::new(
                kind,
                format!("{count} packages failed (reported above)"),
            ))
        }
    }
}

/// Print a warning line to stderr (unless quiet).
pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        let yellow = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
        super::output::stderr(&format!("{yellow}warning:{yellow:#} {message}\n"));
    }
}
