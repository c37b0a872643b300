//! Writing data to stdout and messages to stderr, with a broken pipe ending quietly.
//!
//! A reader that goes away (`mindelta list | head -1`, `mindelta check 2>&1 | head -1`) or a
//! closed stream must not turn a command's exit code into a panic's 101: stdout reports a
//! write error only when it is not a broken pipe, and stderr, where errors themselves go,
//! drops what it cannot write. `status!` is the `eprintln!` of the command line.
//!
//! Human output is fitted to [`width`]: the terminal's when stdout is one, else `COLUMNS`, else
//! 80 columns, so a log or a pipe reads as well as a terminal (JSON is never fitted).

use std::io::{IsTerminal, Write};

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

/// Write `text` to stderr (colour stripped when colour is off); what cannot be written is
/// dropped, so a closed or broken stderr never stops a command or changes its exit code.
pub fn stderr(text: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Write a JSON document (pretty, newline-terminated) to stdout.
pub fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::new(ErrorKind::Error, format!("cannot encode JSON: {error}")))?;
    text.push('\n');
    stdout(&text)
}

/// What human output on stdout is fitted to, in columns: the terminal's width when stdout is a
/// terminal, else `COLUMNS` when it is a number (a caller that knows better), else 80.
pub fn width() -> usize {
    if std::io::stdout().is_terminal()
        && let Some(width) = comfy_table::Table::new().width()
    {
        return usize::from(width).max(MIN_WIDTH);
    }
    file_width()
}

/// What human output written to a file or a pipe is fitted to: `COLUMNS` when it is a
/// number, else 80.
pub fn file_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// The width when stdout is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 80;

/// Below this, wrapping makes a column of single words: lines overflow instead.
const MIN_WIDTH: usize = 40;
