//! Writing data to stdout: JSON documents and human lines, with a broken pipe ending quietly.

use std::io::Write;

use super::{CliError, ErrorKind};

/// Write `text` to stdout; a closed pipe (`mindelta list | head`) is not an error.
pub fn stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(CliError::new(
            ErrorKind::Error,
            format!("cannot write to stdout: {error}"),
        )),
    }
}

/// Write a JSON document (pretty, newline-terminated) to stdout.
pub fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::new(ErrorKind::Error, format!("cannot encode JSON: {error}")))?;
    text.push('\n');
    stdout(&text)
}
