//! melange's `${{…}}` substitution and `var-transforms`, so that for any version V the tag, the
//! fetch URI and every other templated string of a package can be computed for V.
//!
//! What melange does (chainguard-dev/melange, `pkg/config/config.go` `ParseConfiguration`,
//! `buildConfigMap`, `replacerFromMap`; `pkg/config/vars.go` `PerformVarSubstitutions`;
//! `pkg/build/pipeline.go` `NewSubstitutionMap`, `MutateWith`; `pkg/cond/subst.go` `Subst`;
//! `pkg/build/compile.go` `compilePipeline`), and what this module does the same way:
//! 1. At parse time a map holds `package.name`, `package.version`, `package.description`,
//!    `package.epoch`, `package.full-version` (`<version>-r<epoch>`) and `vars.K` (the raw value
//!    of each `vars` key). Each `var-transforms` entry, in order, substitutes its `from` against
//!    that map (`cond.Subst`: an undefined variable is an error), applies Go's
//!    `Regexp.ReplaceAllString(from, replace)` with its `match`, and stores the result as
//!    `vars.<to>` (a later transform sees an earlier one's result).
//! 2. The whole configuration then goes through one literal pass (`strings.Replacer`): each
//!    exact `${{name}}` of the map is replaced, left to right, once; anything else stays.
//! 3. At build time every `with:` value of a pipeline step is substituted again with
//!    `cond.Subst` against the build map (the same names plus `package.srcdir` = `/home/build`,
//!    `targets.*`, `context.name`, `subpkg.name` in a subpackage, `range.key`/`range.value` in a
//!    ranged subpackage, `inputs.*`); there whitespace inside the braces is allowed
//!    (`${{ package.version }}`) and an undefined variable is an error.
//!
//! Names that depend on the build machine (`build.arch`, `host.triplet.*`, …) are not defined
//! here: a value that uses them cannot be computed, and says which variable it needs.
//!
//! Regular expressions are Go's RE2 syntax, compiled with Rust's `regex` (the same family:
//! linear time, no backreferences or look-around). On ASCII text, which versions and tags are,
//! both match the same, except that Rust's `\s` also matches a vertical tab. The replacement is
//! expanded exactly as Go's `Regexp.Expand` does (`$1`, `${1}`, `$name`, `$$`; `$1x` names the
//! group `1x`, which does not exist, so it expands to nothing — Wolfi's `$1_beta$2` is `$2`).

use std::collections::BTreeMap;

use regex::Regex;

/// The most bytes a substituted or transformed string may reach. A chain of var-transforms can
/// grow a string geometrically (each `replace` may repeat its match); the longest templated value
/// in wolfi-os is a few kilobytes of shell, so 1 MiB is far above any real value. Change it with
/// [`super::MelangeOptions::max_substituted_bytes`].
pub const MAX_SUBSTITUTED_BYTES: usize = 1 << 20;

/// The most bytes a compiled regular expression of a package file may take (the `regex` crate's
/// size limit; its default is 10 MiB). The patterns of wolfi-os compile to a few kilobytes; a
/// hostile `(a{1000}){1000}` is refused at once instead of taking memory and time. Change it with
/// [`super::MelangeOptions::regex_size_limit`].
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a templated string could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstitutionError {
    #[error("variable `{name}` is not defined")]
    Undefined { name: String },
    #[error("`${{{{` without a variable name")]
    EmptyName,
    #[error("the variable reference `{name}` has no closing `}}}}`")]
    Unterminated { name: String },
    #[error("the substituted text would be longer than {limit} bytes")]
    TooLong { limit: usize },
}

/// Compile a Go (RE2) regular expression with Rust's `regex`, its compiled size bounded.
pub fn compile_go_regex(pattern: &str, size_limit: usize) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(size_limit)
        .dfa_size_limit(size_limit)
        .build()
}

/// Go's `Regexp.ReplaceAllString(text, template)`: every non-overlapping match replaced by the
/// template with `$…` expanded (see the module comment). An empty match right after a previous
/// match is not replaced, as in Go; Rust's match iteration skips it the same way.
pub fn replace_all(
    regex: &Regex,
    text: &str,
    template: &str,
    limit: usize,
) -> Result<String, SubstitutionError> {
    let mut out = String::new();
    let mut last = 0;
    for captures in regex.captures_iter(text) {
        let Some(whole) = captures.get(0) else {
            continue;
        };
        out.push_str(&text[last..whole.start()]);
        expand(regex, &captures, template, &mut out);
        last = whole.end();
        if out.len() > limit {
            return Err(SubstitutionError::TooLong { limit });
        }
    }
    out.push_str(&text[last..]);
    if out.len() > limit {
        return Err(SubstitutionError::TooLong { limit });
    }
    Ok(out)
}

/// Go's `Regexp.expand` (regexp/regexp.go): `$$` is `$`; `$name` takes the longest run of
/// letters, digits and `_`; `${name}` needs its brace; a name of digits without a leading zero
/// is a group number; a malformed `$` is copied as it is.
fn expand(regex: &Regex, captures: &regex::Captures<'_>, template: &str, out: &mut String) {
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some((name, remainder)) = extract_name(rest) else {
            out.push('$');
            continue;
        };
        rest = remainder;
        match group_number(name) {
            Some(number) => {
                if let Some(group) = captures.get(number) {
                    out.push_str(group.as_str());
                }
            }
            None => {
                let index = regex
                    .capture_names()
                    .position(|candidate| candidate == Some(name));
                if let Some(group) = index.and_then(|i| captures.get(i)) {
                    out.push_str(group.as_str());
                }
            }
        }
    }
    out.push_str(rest);
}

/// The name after a `$` and the text after it (Go's `extract`).
fn extract_name(text: &str) -> Option<(&str, &str)> {
    let (braced, body) = match text.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let end = body
        .char_indices()
        .find(|(_, c)| !(c.is_alphabetic() || c.is_numeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    if braced {
        let after = body[end..].strip_prefix('}')?;
        return Some((name, after));
    }
    Some((name, &body[end..]))
}

/// A group number as Go reads one: ASCII digits, no leading zero, below 10^8.
fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    name.parse::<usize>().ok().filter(|n| *n < 100_000_000)
}

/// The variables of one package at one version, and the two passes that use them.
#[derive(Debug, Clone)]
pub struct Substitution {
    /// The parse-time map (step 1 of the module comment), by name without braces.
    literal: BTreeMap<String, String>,
    /// The build-time map (step 3): `literal` plus the build paths and scope variables.
    build: BTreeMap<String, String>,
    limit: usize,
}

/// One `var-transforms` entry, its regular expression compiled.
#[derive(Debug, Clone)]
pub struct CompiledTransform {
    pub from: String,
    pub regex: Regex,
    pub replace: String,
    pub to: String,
}

/// What a [`Substitution`] is computed from.
#[derive(Debug, Clone)]
pub struct SubstitutionInput<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub epoch: u64,
    pub description: &'a str,
    pub vars: &'a [(String, String)],
    pub transforms: &'a [CompiledTransform],
    /// Names of the package and of every subpackage (`targets.package.<name>`).
    pub package_names: &'a [String],
    pub limit: usize,
}

/// A var-transform whose `from` cannot be substituted or whose result is too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("var-transform {index} (to `{to}`)")]
pub struct TransformError {
    /// 0-based index in `var-transforms`.
    pub index: usize,
    pub to: String,
    #[source]
    pub source: SubstitutionError,
}

impl Substitution {
    /// The variables of a package at `input.version`, var-transforms applied in order.
    pub fn new(input: &SubstitutionInput<'_>) -> Result<Substitution, TransformError> {
        let mut literal = BTreeMap::new();
        literal.insert("package.name".to_string(), input.name.to_string());
        literal.insert("package.version".to_string(), input.version.to_string());
        literal.insert(
            "package.description".to_string(),
            input.description.to_string(),
        );
        literal.insert("package.epoch".to_string(), input.epoch.to_string());
        literal.insert(
            "package.full-version".to_string(),
            format!("{}-r{}", input.version, input.epoch),
        );
        for (key, value) in input.vars {
            literal.insert(format!("vars.{key}"), value.clone());
        }
        for (index, transform) in input.transforms.iter().enumerate() {
            let error = |source| TransformError {
                index,
                to: transform.to.clone(),
                source,
            };
            let from = subst(&literal, &transform.from, input.limit).map_err(error)?;
            let output = replace_all(&transform.regex, &from, &transform.replace, input.limit)
                .map_err(error)?;
            literal.insert(format!("vars.{}", transform.to), output);
        }
        let mut build = literal.clone();
        let home = "/home/build";
        let out = format!("{home}/melange-out");
        build.insert("package.srcdir".into(), home.into());
        build.insert("targets.outdir".into(), out.clone());
        build.insert("targets.destdir".into(), format!("{out}/{}", input.name));
        build.insert("targets.contextdir".into(), format!("{out}/{}", input.name));
        build.insert("context.name".into(), input.name.into());
        for name in input.package_names {
            build.insert(format!("targets.package.{name}"), format!("{out}/{name}"));
        }
        Ok(Substitution {
            literal,
            build,
            limit: input.limit,
        })
    }

    /// The value of a variable (`package.version`, `vars.tag-name`, …), as a step sees it.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.build.get(name).map(String::as_str)
    }

    /// A pipeline value as melange computes it: the literal pass, then `cond.Subst`.
    pub fn resolve(&self, text: &str) -> Result<String, SubstitutionError> {
        let first = literal_pass(&self.literal, text, self.limit)?;
        subst(&self.build, &first, self.limit)
    }

    /// A value melange substitutes only at parse time (the `update:` block, `package.version`):
    /// exact `${{name}}` references replaced, anything else left as written.
    pub fn resolve_literal(&self, text: &str) -> Result<String, SubstitutionError> {
        literal_pass(&self.literal, text, self.limit)
    }

    /// The scope of a subpackage: `subpkg.name`, `context.name`, `targets.subpkgdir`,
    /// `targets.contextdir`, and for a ranged one `range.key`/`range.value` (melange puts those
    /// in the parse-time map of the subpackage).
    pub fn subpackage(&self, name: &str, range: Option<(&str, &str)>) -> Substitution {
        let mut scoped = self.clone();
        if let Some((key, value)) = range {
            for map in [&mut scoped.literal, &mut scoped.build] {
                map.insert("range.key".into(), key.into());
                map.insert("range.value".into(), value.into());
            }
        }
        let directory = format!("/home/build/melange-out/{name}");
        scoped.build.insert("subpkg.name".into(), name.into());
        scoped.build.insert("context.name".into(), name.into());
        scoped
            .build
            .insert("targets.subpkgdir".into(), directory.clone());
        scoped.build.insert("targets.contextdir".into(), directory);
        scoped
    }

    /// The scope of a step: its `with:` entries as `inputs.<key>` (each resolved against the
    /// scope around it when it can be, as melange's `MutateWith` does).
    pub fn step<'a>(&self, with: impl IntoIterator<Item = (&'a str, &'a str)>) -> Substitution {
        let mut scoped = self.clone();
        for (key, value) in with {
            let value = self.resolve(value).unwrap_or_else(|_| value.to_string());
            scoped.build.insert(format!("inputs.{key}"), value);
        }
        scoped
    }
}

/// `strings.Replacer` over `${{name}}` keys: one left-to-right pass, exact names only.
fn literal_pass(
    map: &BTreeMap<String, String>,
    text: &str,
    limit: usize,
) -> Result<String, SubstitutionError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        match after
            .find("}}")
            .and_then(|end| map.get(&after[..end]).map(|v| (end, v)))
        {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("${{");
                rest = after;
            }
        }
        if out.len() > limit {
            return Err(SubstitutionError::TooLong { limit });
        }
    }
    out.push_str(rest);
    if out.len() > limit {
        return Err(SubstitutionError::TooLong { limit });
    }
    Ok(out)
}

/// melange's `cond.Subst`: `${{ name }}` with optional whitespace; the name is letters, digits,
/// `.`, `-`, `_`; an empty name, a missing `}}` or an undefined name is an error.
fn subst(
    map: &BTreeMap<String, String>,
    text: &str,
    limit: usize,
) -> Result<String, SubstitutionError> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let Some(found) = text[i..].find("${{") else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + found]);
        i += found + 3;
        while i < bytes.len() && is_whitespace(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && is_variable_char(bytes[i]) {
            i += 1;
        }
        let name = &text[start..i];
        if name.is_empty() {
            return Err(SubstitutionError::EmptyName);
        }
        while i < bytes.len() && is_whitespace(bytes[i]) {
            i += 1;
        }
        if !text[i..].starts_with("}}") {
            return Err(SubstitutionError::Unterminated {
                name: name.to_string(),
            });
        }
        i += 2;
        let value = map.get(name).ok_or_else(|| SubstitutionError::Undefined {
            name: name.to_string(),
        })?;
        out.push_str(value);
        if out.len() > limit {
            return Err(SubstitutionError::TooLong { limit });
        }
    }
    Ok(out)
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_variable_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_replace(pattern: &str, text: &str, template: &str) -> String {
        let regex = compile_go_regex(pattern, REGEX_SIZE_LIMIT).unwrap();
        replace_all(&regex, text, template, MAX_SUBSTITUTED_BYTES).unwrap()
    }

    #[test]
    fn replacement_expands_as_go_does() {
        // openssh: 10.4_p1 → V_10_4_P1
        assert_eq!(
            go_replace(r"^(\d+)\.(\d+)_p(\d+)$", "10.4_p1", "V_${1}_${2}_P$3"),
            "V_10_4_P1"
        );
        // `$1_beta` names the group `1_beta`, which does not exist.
        assert_eq!(go_replace(r"^(\d+)b(\d+)$", "3b2", "$1_beta$2"), "2");
        assert_eq!(
            go_replace(r"^(\d+)b(\d+)$", "3b2", "${1}_beta$2"),
            "3_beta2"
        );
        // `$$` is a dollar; a malformed `$` stays; `${1` without its brace stays.
        assert_eq!(go_replace("a", "a", "$$1"), "$1");
        assert_eq!(go_replace("a", "a", "$-"), "$-");
        assert_eq!(go_replace("(a)", "a", "${1"), "${1");
        // A leading zero makes a name, not a number.
        assert_eq!(go_replace("(a)", "a", "[$01]"), "[]");
        // Named groups, and a group that did not take part.
        assert_eq!(
            go_replace("(?P<major>\\d+)(x)?", "12", "<$major|$2>"),
            "<12|>"
        );
        // Every match is replaced; an empty match right after a match is not.
        assert_eq!(go_replace(r"\.", "1.2.3", "_"), "1_2_3");
        assert_eq!(go_replace("a*", "baaac", "-"), "-b-c-");
        assert_eq!(go_replace("", "ab", "-"), "-a-b-");
    }

    #[test]
    fn the_replacement_is_bounded() {
        let regex = compile_go_regex("", REGEX_SIZE_LIMIT).unwrap();
        let error = replace_all(&regex, &"x".repeat(100), &"y".repeat(100), 1000).unwrap_err();
        assert_eq!(error, SubstitutionError::TooLong { limit: 1000 });
    }

    #[test]
    fn a_huge_regex_is_refused() {
        assert!(compile_go_regex("(a{1000}){1000}", REGEX_SIZE_LIMIT).is_err());
    }

    fn substitution(version: &str) -> Substitution {
        let transforms = vec![
            CompiledTransform {
                from: "${{package.version}}".into(),
                regex: compile_go_regex(r"^(\d+)\.(\d+)_p(\d+)$", REGEX_SIZE_LIMIT).unwrap(),
                replace: "V_${1}_${2}_P$3".into(),
                to: "tag-name".into(),
            },
            CompiledTransform {
                from: "${{ vars.tag-name }}".into(),
                regex: compile_go_regex("_", REGEX_SIZE_LIMIT).unwrap(),
                replace: "-".into(),
                to: "dashed".into(),
            },
        ];
        Substitution::new(&SubstitutionInput {
            name: "openssh",
            version,
            epoch: 2,
            description: "",
            vars: &[("site".into(), "https://example.org".into())],
            transforms: &transforms,
            package_names: &["openssh".into(), "openssh-doc".into()],
            limit: MAX_SUBSTITUTED_BYTES,
        })
        .unwrap()
    }

    #[test]
    fn transforms_follow_the_version() {
        let at = substitution("10.4_p1");
        assert_eq!(at.resolve("${{vars.tag-name}}").unwrap(), "V_10_4_P1");
        assert_eq!(at.resolve("${{vars.dashed}}").unwrap(), "V-10-4-P1");
        let next = substitution("10.5_p2");
        assert_eq!(next.resolve("${{vars.tag-name}}").unwrap(), "V_10_5_P2");
        assert_eq!(
            next.resolve("${{vars.site}}/${{package.name}}-${{ package.full-version }}")
                .unwrap(),
            "https://example.org/openssh-10.5_p2-r2"
        );
        assert_eq!(
            next.resolve("${{package.srcdir}}/a.patch").unwrap(),
            "/home/build/a.patch"
        );
        assert_eq!(
            next.resolve("${{targets.package.openssh-doc}}").unwrap(),
            "/home/build/melange-out/openssh-doc"
        );
    }

    #[test]
    fn undefined_and_malformed_references() {
        let at = substitution("1.0");
        assert_eq!(
            at.resolve("${{build.arch}}").unwrap_err(),
            SubstitutionError::Undefined {
                name: "build.arch".into()
            }
        );
        assert_eq!(
            at.resolve("${{ }}").unwrap_err(),
            SubstitutionError::EmptyName
        );
        assert_eq!(
            at.resolve("${{package.version").unwrap_err(),
            SubstitutionError::Unterminated {
                name: "package.version".into()
            }
        );
        // The parse-time pass leaves what it does not know.
        assert_eq!(
            at.resolve_literal("${{build.arch}}-${{package.version}}")
                .unwrap(),
            "${{build.arch}}-1.0"
        );
        // A var holding a reference is resolved by the second pass.
        let with_reference = Substitution::new(&SubstitutionInput {
            name: "x",
            version: "2.0",
            epoch: 0,
            description: "",
            vars: &[("tag".into(), "v${{package.version}}".into())],
            transforms: &[],
            package_names: &[],
            limit: MAX_SUBSTITUTED_BYTES,
        })
        .unwrap();
        assert_eq!(with_reference.resolve("${{vars.tag}}").unwrap(), "v2.0");
    }

    #[test]
    fn scopes() {
        let at = substitution("1.0");
        let sub = at.subpackage("openssh-doc", Some(("3.12", "312")));
        assert_eq!(
            sub.resolve("${{range.key}}-${{subpkg.name}}").unwrap(),
            "3.12-openssh-doc"
        );
        let step = at.step([("patches", "a-${{package.version}}.patch")]);
        assert_eq!(step.resolve("${{inputs.patches}}").unwrap(), "a-1.0.patch");
    }
}
