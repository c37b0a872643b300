//! `fixed-in` requirements (DESIGN.md §1, §2): which releases already contain a patch.
//!
//! A requirement is a comma-separated list of clauses that must all hold (`">=2.0, <3"`);
//! `||` separates alternatives, so a fix backported to two branches can say
//! `">=1.2.13, <1.3 || >=1.3.1"`. A clause is an operator (`>=`, `>`, `<=`, `<`, `=`, `==`,
//! `!=`) and a version, a bare version (exact), or a wildcard (`1.2.x`, `1.2.*`: every release
//! of the 1.2 series). Versions compare with the package's [`Scheme`], so `>=1.10` holds for
//! `v1.10` and not for `1.9`. The expiry detector `fixed-in` is the main user.

use std::cmp::Ordering;
use std::fmt;

use super::version::{Scheme, compare};

/// A parsed `fixed-in` requirement; `Display` shows the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    text: String,
    /// Alternatives (`||`), each a list of clauses that must all hold.
    alternatives: Vec<Vec<Clause>>,
}

/// One clause of a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    Compare(Operator, String),
    /// `1.2.x`: the version's leading dot-separated parts equal these.
    Series(Vec<String>),
    /// `!=1.2.x`.
    NotSeries(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// A requirement that does not parse; the message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version requirement `{text}`: {problem}")]
pub struct RequirementError {
    /// The requirement as written.
    pub text: String,
    /// What is wrong with it.
    pub problem: Problem,
    /// The requirement as it was most likely meant (`>=1.1` for `=>1.1`), when one spelling
    /// stands out.
    pub suggestion: Option<String>,
}

/// What is wrong with a requirement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("it is empty")]
    Empty,
    #[error("an empty clause (check the commas and `||`)")]
    EmptyClause,
    #[error("unknown operator `{0}` (use `>=`, `>`, `<=`, `<`, `=`, `!=`)")]
    UnknownOperator(String),
    #[error("no version after `{0}`")]
    NoVersion(String),
    #[error("`{0}` is not one version (separate clauses with commas)")]
    NotOneVersion(String),
    #[error("`{0}`: a wildcard stands for the last part only (`1.2.x`)")]
    WildcardNotLast(String),
    #[error("`{0}`: a wildcard goes with `=` or `!=` only (write `>=1.2` instead)")]
    WildcardOperator(String),
    #[error("`{0}` is not a version (it has no number)")]
    NotAVersion(String),
}

/// The requirement forms, for messages that say what to write.
pub const FORMS: &str = "`>=1.3.1`, `>=2.0, <3` or `1.2.x`";

impl Requirement {
    /// Parse `">=1.3.1"`, `">=2.0, <3"`, `"1.2.x"`, `"=1.4"`, `"1.4"` (exact), `"<2"`,
    /// `">1.0"`, `"!=1.5"`, or alternatives joined by `||`.
    pub fn parse(text: &str) -> Result<Requirement, RequirementError> {
        parse_requirement(text).map_err(|problem| RequirementError {
            text: text.to_owned(),
            problem,
            suggestion: suggest(text),
        })
    }

    /// Whether `version` satisfies the requirement under `scheme`.
    pub fn matches(&self, scheme: Scheme, version: &str) -> bool {
        self.alternatives.iter().any(|clauses| {
            clauses
                .iter()
                .all(|clause| clause_matches(clause, scheme, version))
        })
    }

    /// The requirement as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl std::str::FromStr for Requirement {
    type Err = RequirementError;

    fn from_str(text: &str) -> Result<Requirement, RequirementError> {
        Requirement::parse(text)
    }
}

/// [`Requirement::parse`] without the suggestion: the error is what is wrong.
fn parse_requirement(text: &str) -> Result<Requirement, Problem> {
    if text.trim().is_empty() {
        return Err(Problem::Empty);
    }
    let mut alternatives = Vec::new();
    for alternative in text.split("||") {
        let mut clauses = Vec::new();
        for clause in alternative.split(',') {
            let clause = clause.trim();
            if clause.is_empty() {
                return Err(Problem::EmptyClause);
            }
            clauses.push(parse_clause(clause)?);
        }
        alternatives.push(clauses);
    }
    Ok(Requirement {
        text: text.to_owned(),
        alternatives,
    })
}

fn parse_clause(clause: &str) -> Result<Clause, Problem> {
    const OPERATORS: [(&str, Operator); 7] = [
        (">=", Operator::GreaterOrEqual),
        ("<=", Operator::LessOrEqual),
        ("==", Operator::Equal),
        ("!=", Operator::NotEqual),
        (">", Operator::Greater),
        ("<", Operator::Less),
        ("=", Operator::Equal),
    ];
    let (operator, version) = OPERATORS
        .iter()
        .find_map(|(symbol, operator)| {
            clause
                .strip_prefix(symbol)
                .map(|rest| (Some((*symbol, *operator)), rest.trim()))
        })
        .unwrap_or((None, clause));
    if let Some(first) = version.chars().next()
        && matches!(first, '=' | '<' | '>' | '!' | '~' | '^')
    {
        let written: String = clause
            .chars()
            .take_while(|c| matches!(c, '=' | '<' | '>' | '!' | '~' | '^'))
            .collect();
        return Err(Problem::UnknownOperator(written));
    }
    if version.is_empty() {
        let symbol = operator.map_or("", |(symbol, _)| symbol);
        return Err(Problem::NoVersion(symbol.to_owned()));
    }
    if version.contains(char::is_whitespace) {
        return Err(Problem::NotOneVersion(version.to_owned()));
    }
    let parts: Vec<&str> = version.split('.').collect();
    let wildcard = |part: &&str| matches!(*part, "x" | "X" | "*");
    if let Some(position) = parts.iter().position(wildcard) {
        if position + 1 != parts.len() || position == 0 {
            return Err(Problem::WildcardNotLast(version.to_owned()));
        }
        not_a_word(version)?;
        let prefix = parts[..position].iter().map(|p| (*p).to_owned()).collect();
        return match operator.map(|(_, operator)| operator) {
            None | Some(Operator::Equal) => Ok(Clause::Series(prefix)),
            Some(Operator::NotEqual) => Ok(Clause::NotSeries(prefix)),
            Some(_) => Err(Problem::WildcardOperator(version.to_owned())),
        };
    }
    not_a_word(version)?;
    let operator = operator.map_or(Operator::Equal, |(_, operator)| operator);
    Ok(Clause::Compare(operator, version.to_owned()))
}

/// Every scheme's versions hold a number; a word (`banana`, `latest`, `master`) would compare
/// as a version and match no release, silently disabling the expiry.
fn not_a_word(version: &str) -> Result<(), Problem> {
    if version.bytes().any(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::NotAVersion(version.to_owned()))
    }
}

/// The requirement as it was most likely meant, when one spelling stands out: operators written
/// the other way round (`=>`, `=<`, `<>`), a doubled `=` after `<`/`>` (`>==`), or clauses
/// separated by spaces instead of commas (`>=1.0 <2`). `None` otherwise.
fn suggest(text: &str) -> Option<String> {
    const SWAPPED: [(&str, &str); 5] = [
        ("=>", ">="),
        ("=<", "<="),
        ("<>", "!="),
        (">==", ">="),
        ("<==", "<="),
    ];
    let mut alternatives = Vec::new();
    for alternative in text.split("||") {
        let mut clauses = Vec::new();
        for clause in alternative.split(',') {
            let mut clause = clause.trim().to_owned();
            for (written, meant) in SWAPPED {
                if let Some(rest) = clause.strip_prefix(written) {
                    clause = format!("{meant}{}", rest.trim_start());
                }
            }
            // `>=1.0 <2`: two clauses written with a space between them.
            let words: Vec<&str> = clause.split_whitespace().collect();
            let starts_clause = |word: &&str| word.starts_with(['<', '>', '=', '!']);
            if words.len() > 1 && words[1..].iter().all(starts_clause) {
                clause = words.join(", ");
            }
            clauses.push(clause);
        }
        alternatives.push(clauses.join(", "));
    }
    let suggestion = alternatives.join(" || ");
    (suggestion != text.trim() && parse_requirement(&suggestion).is_ok()).then_some(suggestion)
}

fn clause_matches(clause: &Clause, scheme: Scheme, version: &str) -> bool {
    match clause {
        Clause::Compare(operator, wanted) => {
            let ordering = compare(scheme, version, wanted);
            match operator {
                Operator::Equal => ordering == Ordering::Equal,
                Operator::NotEqual => ordering != Ordering::Equal,
                Operator::Greater => ordering == Ordering::Greater,
                Operator::GreaterOrEqual => ordering != Ordering::Less,
                Operator::Less => ordering == Ordering::Less,
                Operator::LessOrEqual => ordering != Ordering::Greater,
            }
        }
        Clause::Series(prefix) => in_series(scheme, version, prefix),
        Clause::NotSeries(prefix) => !in_series(scheme, version, prefix),
    }
}

/// Whether `version`'s leading dot-separated parts equal `prefix` (each compared under the
/// scheme, so `v1.02.3` is in the `1.2` series).
fn in_series(scheme: Scheme, version: &str, prefix: &[String]) -> bool {
    let version = version.trim();
    let version = match version.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => version,
    };
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() >= prefix.len()
        && prefix
            .iter()
            .zip(&parts)
            .all(|(want, have)| compare(scheme, have, want) == Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(requirement: &str, version: &str) -> bool {
        Requirement::parse(requirement)
            .unwrap()
            .matches(Scheme::Default, version)
    }

    #[test]
    fn matches_the_documented_forms() {
        let table = [
            (">=1.3.1", "1.3.1", true),
            (">=1.3.1", "1.3.2", true),
            (">=1.3.1", "1.10", true),
            (">=1.3.1", "1.3", false),
            (">=1.3.1", "1.3.1rc1", false),
            (">=1.3.1", "v1.3.1", true),
            (">=2.0, <3", "2.5", true),
            (">=2.0, <3", "3.0", false),
            (">=2.0, <3", "3.0rc1", true),
            (">=2.0, <3", "1.9", false),
            ("1.2.x", "1.2", true),
            ("1.2.x", "1.2.9", true),
            ("1.2.*", "v1.2.10", true),
            ("1.2.x", "1.20", false),
            ("1.2.x", "1.3.0", false),
            ("!=1.2.x", "1.3.0", true),
            ("=1.4", "1.4", true),
            ("=1.4", "1.4.0", true),
            ("=1.4", "1.4.1", false),
            ("1.4", "v1.4", true),
            ("1.4", "1.5", false),
            ("<2", "1.99", true),
            ("<2", "2.0", false),
            (">1.0", "1.0", false),
            (">1.0", "1.0.1", true),
            ("!=1.5", "1.5", false),
            ("!=1.5", "1.6", true),
            ("<=1.5", "1.5", true),
            (">=1.2.13, <1.3 || >=1.3.1", "1.2.13", true),
            (">=1.2.13, <1.3 || >=1.3.1", "1.3", false),
            (">=1.2.13, <1.3 || >=1.3.1", "1.3.1", true),
        ];
        for (requirement, version, expected) in table {
            assert_eq!(
                holds(requirement, version),
                expected,
                "`{requirement}` on {version}"
            );
        }
    }

    #[test]
    fn uses_the_scheme() {
        let requirement = Requirement::parse(">=1.0-2").unwrap();
        assert!(requirement.matches(Scheme::Debian, "1.0-10"));
        assert!(!requirement.matches(Scheme::Debian, "1.0~rc1-5"));
        assert!(requirement.matches(Scheme::Debian, "1:0.1-1"));
        let semver = Requirement::parse(">=1.0.0").unwrap();
        assert!(!semver.matches(Scheme::Semver, "1.0.0-rc.1"));
        assert!(semver.matches(Scheme::Semver, "1.0.0+build.7"));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let table = [
            ("", "empty"),
            ("  ", "empty"),
            (">=", "no version after `>=`"),
            ("=>1.0", "unknown operator `=>`"),
            ("~>1.0", "unknown operator `~>`"),
            (">=1.0,", "empty clause"),
            (">=1.0 <2", "not one version"),
            (">=1.x", "wildcard goes with `=`"),
            ("1.x.2", "last part only"),
            ("x", "last part only"),
            ("banana", "`banana` is not a version"),
            (">=latest", "`latest` is not a version"),
            ("1.2, master", "`master` is not a version"),
            ("main.x", "`main.x` is not a version"),
        ];
        for (text, wanted) in table {
            let error = Requirement::parse(text).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(wanted), "`{text}`: {message}");
            assert!(message.contains(&format!("`{text}`")), "{message}");
        }
    }

    #[test]
    fn suggests_the_spelling_that_was_meant() {
        let suggestion = |text: &str| Requirement::parse(text).unwrap_err().suggestion;
        assert_eq!(suggestion("=>1.1").as_deref(), Some(">=1.1"));
        assert_eq!(suggestion("=<2").as_deref(), Some("<=2"));
        assert_eq!(suggestion(">==1.0").as_deref(), Some(">=1.0"));
        assert_eq!(suggestion("<>1.5").as_deref(), Some("!=1.5"));
        assert_eq!(suggestion(">=1.0 <2").as_deref(), Some(">=1.0, <2"));
        assert_eq!(
            suggestion(">=1.2.13, =<1.3 || =>1.3.1").as_deref(),
            Some(">=1.2.13, <=1.3 || >=1.3.1")
        );
        for text in ["banana", "", ">=", "1.x.2", "~>1.0", "=>banana"] {
            assert_eq!(suggestion(text), None, "`{text}`");
        }
    }

    #[test]
    fn displays_the_original_text() {
        let requirement: Requirement = ">=2.0,  <3".parse().unwrap();
        assert_eq!(requirement.to_string(), ">=2.0,  <3");
        assert_eq!(requirement.as_str(), ">=2.0,  <3");
    }
}
