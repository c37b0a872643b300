//! Tags and file names as versions: `refs/tags/`, a package-name prefix, `release-`, a leading
//! `v` stripped, underscores read as dots; anything that is not clearly a version refused.

/// A tag or file-name fragment turned into a version, or `None` when it is not clearly one.
///
/// Strips `refs/tags/`, the package-name prefix (`zlib-1.3`, `zlib_1.3`), `release-`,
/// `version-`, `rel-`, and a leading `v` (`v1.3`); underscores between numbers become dots
/// when there are no dots (`zlib_1_3` → `1.3`). What is left must start with a digit and hold
/// only version characters (`docs`, `latest`, `other-1.0` are not versions).
pub fn normalize(text: &str, package: &str) -> Option<String> {
    normalize_explained(text, package).map(|(version, _)| version)
}

/// [`normalize`], with the steps taken (`stripped the package prefix `zlib-``), for `--explain`.
pub fn normalize_explained(text: &str, package: &str) -> Option<(String, String)> {
    let mut rest = text.trim();
    let mut steps = Vec::new();
    if let Some(stripped) = rest.strip_prefix("refs/tags/") {
        rest = stripped;
    }
    if !package.is_empty()
        && rest.len() > package.len()
        && rest.is_char_boundary(package.len())
        && rest[..package.len()].eq_ignore_ascii_case(package)
    {
        let after = &rest[package.len()..];
        if let Some(stripped) = after.strip_prefix(['-', '_']) {
            steps.push(format!(
                "stripped the package prefix `{}`",
                &rest[..=package.len()]
            ));
            rest = stripped;
        }
    }
    for word in ["release-", "release_", "version-", "rel-"] {
        if rest.len() > word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
        {
            steps.push(format!("stripped `{}`", &rest[..word.len()]));
            rest = &rest[word.len()..];
            break;
        }
    }
    if let Some(stripped) = rest.strip_prefix(['v', 'V'])
        && stripped.starts_with(|c: char| c.is_ascii_digit())
    {
        steps.push("stripped the leading `v`".to_owned());
        rest = stripped;
    }
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '+');
    if !rest.chars().all(allowed) {
        return None;
    }
    let mut version = rest.to_owned();
    let underscored = !version.contains('.')
        && version.contains('_')
        && version
            .split('_')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if underscored {
        version = version.replace('_', ".");
        steps.push("read underscores as dots".to_owned());
    }
    let explanation = if steps.is_empty() {
        format!("`{text}` is the version as written")
    } else {
        format!("`{text}`: {}", steps.join(", "))
    };
    Some((version, explanation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_tags() {
        let table = [
            ("v1.3", Some("1.3")),
            ("1.3", Some("1.3")),
            ("zlib-1.3", Some("1.3")),
            ("ZLIB_1.3.1", Some("1.3.1")),
            ("zlib_1_3", Some("1.3")),
            ("release-2.0", Some("2.0")),
            ("refs/tags/v1.2-rc1", Some("1.2-rc1")),
            ("docs", None),
            ("latest", None),
            ("other-1.0", None),
            ("v", None),
            ("1.0 beta", None),
            ("zlib-", None),
        ];
        for (text, expected) in table {
            assert_eq!(normalize(text, "zlib").as_deref(), expected, "{text}");
        }
        let (_, why) = normalize_explained("zlib-1.9", "zlib").unwrap();
        assert!(why.contains("package prefix `zlib-`"), "{why}");
    }
}
