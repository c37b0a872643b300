//! Compiling a rule's expression: cel-rust's parser, then the reference check against the
//! report's shape, then the budget's instrumentation.
//!
//! `package` is a reserved word of CEL, while policies write `package.delta.added` as the
//! design says: a small lexer renames the identifier before parsing ([`unreserve_package`]);
//! cel-rust has no option to accept it.

use cel::common::ast::IdedExpr;

use super::Subject;
use super::budget;
use super::check::check;
use super::schema;

/// Why an expression cannot be used; the messages name `package` as the policy wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("the expression is empty")]
    Empty,
    /// CEL's syntax errors, each with its position (`… (at 1:16)`), joined by `; `.
    #[error("{0}")]
    Syntax(String),
    /// The first reference to a name or field the report does not have.
    #[error("{0}")]
    Reference(String),
}

/// CEL's standard library plus its `strings` extension (`lowerAscii`, `split`, `trim`, …).
pub(super) fn environment() -> cel::Env {
    let mut env = cel::Env::stdlib();
    // Declaring the extension's overloads on a fresh environment cannot conflict.
    let _ = env.add_extension(cel::extensions::strings);
    budget::register(&mut env);
    env
}

/// Compile one CEL expression, check its field references against the report schema and
/// instrument it for the budget.
pub(super) fn compile(
    env: &cel::Env,
    source: &str,
    subject: Subject,
) -> Result<IdedExpr, CompileError> {
    if source.trim().is_empty() {
        return Err(CompileError::Empty);
    }
    let source = unreserve_package(source);
    let program = env.compile(&source).map_err(|errors| {
        // "Incomplete `IndexContext`!" is the parser's own state, not a fact about the source;
        // the syntax error beside it says what is wrong.
        let internal = |msg: &str| msg.starts_with("Incomplete `");
        let keep_internal = errors.errors.iter().all(|e| internal(&e.msg));
        let messages: Vec<String> = errors
            .errors
            .iter()
            .filter(|e| keep_internal || !internal(&e.msg))
            .map(|e| format!("{} (at {}:{})", e.msg, e.pos.0, e.pos.1))
            .collect();
        CompileError::Syntax(messages.join("; ").replace(PACKAGE_VARIABLE, "package"))
    })?;
    let mut scope = vec![(PACKAGE_VARIABLE.to_string(), schema::package())];
    if subject == Subject::Patch {
        scope.push(("patch".to_string(), schema::patch()));
    }
    let mut errors = Vec::new();
    check(program.expression(), &mut scope, &mut errors);
    match errors.into_iter().next() {
        Some(error) => Err(CompileError::Reference(
            error.replace(PACKAGE_VARIABLE, "package"),
        )),
        None => Ok(budget::instrument(
            program.expression(),
            &[PACKAGE_VARIABLE, "patch"],
        )),
    }
}

/// The name the `package` variable has inside CEL, where `package` is a reserved word. It has
/// the same length, so positions in CEL's error messages stay right.
pub(super) const PACKAGE_VARIABLE: &str = "__pkg__";

/// Rename the identifier `package` (not a field `.package`, not inside a string literal) to
/// [`PACKAGE_VARIABLE`], so policies can write `package.delta.added` as the design says.
pub(super) fn unreserve_package(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'"' || byte == b'\'' {
            // Copy a string literal verbatim (triple-quoted or not, with escapes).
            let triple = bytes[index..].starts_with(&[byte; 3]);
            let quote_len = if triple { 3 } else { 1 };
            let mut end = index + quote_len;
            while end < bytes.len() {
                if bytes[end] == b'\\' {
                    end += 2;
                    continue;
                }
                if bytes[end..].starts_with(&[byte; 3][..quote_len]) {
                    end += quote_len;
                    break;
                }
                end += 1;
            }
            let end = end.min(bytes.len());
            out.push_str(&source[index..end]);
            index = end;
        } else if byte == b'_' || byte.is_ascii_alphabetic() {
            let start = index;
            while index < bytes.len()
                && (bytes[index] == b'_' || bytes[index].is_ascii_alphanumeric())
            {
                index += 1;
            }
            let word = &source[start..index];
            let after_dot = source[..start].trim_end().ends_with('.');
            if word == "package" && !after_dot {
                out.push_str(PACKAGE_VARIABLE);
            } else {
                out.push_str(word);
            }
        } else {
            let width = source[index..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&source[index..index + width]);
            index += width;
        }
    }
    out
}
