//! A local upstream folder as an imported manifest's `dir:` (`import --upstream-dir`).
//!
//! A `dir:` path without `{version}` holds one release only (`upstream::release::available`
//! refuses to judge it as any other), so import writes a `{version}` template wherever the
//! path names the version: `vendor/bash-5.2` with version `5.2` becomes `vendor/bash-{version}`,
//! and `check --release 5.3` then reads `vendor/bash-5.3`. Where the path does not name the
//! version, it is kept as it is and the import says why it cannot be a template.

/// How a local upstream folder is written in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirUpstream {
    /// A `{version}` template: the folders of other releases beside it can be judged.
    Template(String),
    /// The path as given, which provides only the imported version; `reason` says why it
    /// cannot be a template and what to do.
    Fixed { path: String, reason: String },
}

/// `path` as a `dir:` for a package at `version`: a path that holds `{version}` already is a
/// template; otherwise the last path component that names the version (as a whole word:
/// `bash-5.2`, `5.2`, `bash_v5.2-src`, not `bash-5.21` or `bash-5.2.1`) gets `{version}` in its
/// place.
pub fn dir_upstream(path: &str, version: &str) -> DirUpstream {
    let version = version.trim();
    if path.contains("{version}") {
        return DirUpstream::Template(path.to_owned());
    }
    if !version.is_empty() {
        let components: Vec<&str> = path.split('/').collect();
        for (index, component) in components.iter().enumerate().rev() {
            let found = whole_word_positions(component, version);
            if found.is_empty() {
                continue;
            }
            let mut templated = String::new();
            let mut last = 0;
            for at in found {
                templated.push_str(&component[last..at]);
                templated.push_str("{version}");
                last = at + version.len();
            }
            templated.push_str(&component[last..]);
            let mut parts: Vec<&str> = components.clone();
            parts[index] = &templated;
            return DirUpstream::Template(parts.join("/"));
        }
    }
    let name = path.rsplit('/').find(|c| !c.is_empty()).unwrap_or(path);
    DirUpstream::Fixed {
        path: path.to_owned(),
        reason: format!(
            "`{path}` does not name the version {version}, so only {version} can be judged \
             against it; name the folder after its release (`{name}-{version}`) and import \
             again, or write `{{version}}` where the version goes in the `dir:` path"
        ),
    }
}

/// Where `version` stands in `component` as a whole word: not inside a longer number or name
/// (`5.2` is not in `5.21`, `5.2.1` or `x5.2`); a `v` right before it is allowed (`bash-v5.2`).
fn whole_word_positions(component: &str, version: &str) -> Vec<usize> {
    component
        .match_indices(version)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = &component[..at];
            let after = &component[at + version.len()..];
            let mut back = before.chars().rev();
            let before_ok = match back.next() {
                None => true,
                Some('v' | 'V') => back.next().is_none_or(|c| !c.is_ascii_alphanumeric()),
                Some(c) => !c.is_ascii_alphanumeric() && c != '.',
            };
            let mut forward = after.chars();
            let after_ok = match forward.next() {
                None => true,
                Some('.') => forward.next().is_none_or(|c| !c.is_ascii_digit()),
                Some(c) => !c.is_ascii_alphanumeric(),
            };
            before_ok && after_ok
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(path: &str, version: &str) -> Option<String> {
        match dir_upstream(path, version) {
            DirUpstream::Template(template) => Some(template),
            DirUpstream::Fixed { .. } => None,
        }
    }

    #[test]
    fn the_component_naming_the_version_becomes_the_template() {
        let table = [
            ("/v/bash-5.2", "5.2", Some("/v/bash-{version}")),
            ("/v/bash-5.2/", "5.2", Some("/v/bash-{version}/")),
            ("/v/5.2/src", "5.2", Some("/v/{version}/src")),
            ("/v/zlib-v1.3-src", "1.3", Some("/v/zlib-v{version}-src")),
            ("/v/hello_1.0", "1.0", Some("/v/hello_{version}")),
            ("/1.0/x/hello-1.0", "1.0", Some("/1.0/x/hello-{version}")),
            ("/v/bash-{version}", "5.2", Some("/v/bash-{version}")),
            ("/v/bash-5.21", "5.2", None),
            ("/v/bash-5.2.1", "5.2", None),
            ("/v/dev5.2", "5.2", None),
            ("/v/src", "5.2", None),
            ("/v/src", "", None),
        ];
        for (path, version, expected) in table {
            assert_eq!(
                template(path, version).as_deref(),
                expected,
                "{path} at {version}"
            );
        }
    }

    #[test]
    fn a_fixed_folder_says_why_and_what_to_do() {
        let DirUpstream::Fixed { path, reason } = dir_upstream("/v/src", "1.3") else {
            panic!("a template");
        };
        assert_eq!(path, "/v/src");
        assert!(reason.contains("only 1.3 can be judged"), "{reason}");
        assert!(reason.contains("`src-1.3`"), "{reason}");
        assert!(reason.contains("`{version}`"), "{reason}");
    }
}
