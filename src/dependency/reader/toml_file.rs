//! TOML for the readers (Cargo.toml, Cargo.lock, pyproject.toml, uv.lock, poetry.lock, Gradle
//! version catalogs): parsed with the `toml` crate's span-keeping `DeTable` (no serde), so
//! every value knows its byte range and so its line; and the line grammar the patch side uses
//! on hunk fragments (`key = value`, `[table]`, an inline table's `version = "…"`).

use super::{ManifestError, check_nesting, line_of};
use crate::dependency::DependencyOptions;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A parsed TOML document.
pub(crate) type Document<'a> = Spanned<DeTable<'a>>;

/// Parse `text`, refusing nesting deeper than the bound first.
pub(crate) fn parse<'a>(
    file: &str,
    text: &'a str,
    options: &DependencyOptions,
) -> Result<Document<'a>, ManifestError> {
    check_nesting(file, text, options.max_nesting)?;
    DeTable::parse(text).map_err(|error| ManifestError::Syntax {
        file: file.to_string(),
        line: error.span().map_or(1, |span| line_of(text, span.start)),
        message: error.message().to_string(),
    })
}

/// The value of `key` in `table`.
pub(crate) fn get<'t, 'a>(table: &'t DeTable<'a>, key: &str) -> Option<&'t Spanned<DeValue<'a>>> {
    table.get(key)
}

/// The table at `key`.
pub(crate) fn table<'t, 'a>(table: &'t DeTable<'a>, key: &str) -> Option<&'t DeTable<'a>> {
    get(table, key)?.get_ref().as_table()
}

/// The string at `key`, with its line.
pub(crate) fn string_at<'t>(
    text: &str,
    table: &'t DeTable<'_>,
    key: &str,
) -> Option<(&'t str, usize)> {
    let value = get(table, key)?;
    Some((value.get_ref().as_str()?, line_of(text, value.span().start)))
}

/// The line of a spanned value.
pub(crate) fn line(text: &str, value: &Spanned<DeValue<'_>>) -> usize {
    line_of(text, value.span().start)
}

/// A `key = value` line: the key (unquoted, dotted keys kept as written) and the value text.
pub(crate) fn key_value(line: &str) -> Option<(String, &str)> {
    let line = line.trim();
    if line.starts_with(['#', '[']) {
        return None;
    }
    let (key, value) = if line.starts_with(['"', '\'']) {
        let quote = line.chars().next()?;
        let end = line[1..].find(quote)? + 1;
        let rest = line[end + 1..].trim_start().strip_prefix('=')?;
        (line[1..end].to_string(), rest)
    } else {
        let (key, value) = line.split_once('=')?;
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return None;
        }
        (key.to_string(), value)
    };
    Some((key, strip_comment(value.trim())))
}

/// A value without a trailing `# comment` (outside strings).
fn strip_comment(value: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in value.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return value[..i].trim_end(),
            _ => {}
        }
    }
    value
}

/// A TOML string value (`"…"` or `'…'`), without escapes processed (versions have none).
pub(crate) fn string_value(value: &str) -> Option<&str> {
    let value = value.trim().trim_end_matches(',');
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote)).then_some(inner)
}

/// The string of `field` inside an inline table (`{ version = "1.2", features = […] }`).
pub(crate) fn inline_field<'a>(value: &'a str, field: &str) -> Option<&'a str> {
    let inner = value.trim().strip_prefix('{')?;
    let mut rest = inner;
    while let Some(at) = rest.find(field) {
        let before = rest[..at].trim_end();
        let after = rest[at + field.len()..].trim_start();
        if (before.is_empty() || before.ends_with([',', '{'])) && after.starts_with('=') {
            let after = after[1..].trim_start();
            let quote = after.chars().next().filter(|c| matches!(c, '"' | '\''))?;
            let end = after[1..].find(quote)? + 1;
            return Some(&after[1..end]);
        }
        rest = &rest[at + field.len()..];
    }
    None
}

/// A `[table]` or `[[array]]` header line: the header's keys, unquoted.
pub(crate) fn header(line: &str) -> Option<Vec<String>> {
    let line = line.trim();
    let inner = line
        .strip_prefix("[[")
        .and_then(|l| l.strip_suffix("]]"))
        .or_else(|| line.strip_prefix('[')?.split(']').next())?;
    let mut keys = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '.') => keys.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    keys.push(current.trim().to_string());
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_grammar() {
        assert_eq!(
            key_value("serde = \"1.0.100\" # pinned"),
            Some(("serde".into(), "\"1.0.100\""))
        );
        assert_eq!(
            key_value("\"my-crate\" = { version = \"2\" }").map(|(k, _)| k),
            Some("my-crate".into())
        );
        assert_eq!(string_value("\"1.2\","), Some("1.2"));
        assert_eq!(
            inline_field("{ version = \"1.2\", features = [\"x\"] }", "version"),
            Some("1.2")
        );
        assert_eq!(
            inline_field("{ git = \"https://x\", rust-version = \"1\" }", "version"),
            None
        );
        assert_eq!(
            header("[target.'cfg(unix)'.dependencies]"),
            Some(vec![
                "target".into(),
                "cfg(unix)".into(),
                "dependencies".into()
            ])
        );
        assert_eq!(header("[[package]]"), Some(vec!["package".into()]));
    }
}
