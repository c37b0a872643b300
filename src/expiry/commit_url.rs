//! Commit URLs in a patch's claims, split into the repository to clone and the commit id.
//!
//! A DEP-3 `Origin:`, `Applied-Upstream:`, a Yocto `Upstream-Status: Backport [url]` or the
//! manifest's `upstream-url` often points at the upstream commit on a forge. For a package
//! built from a tarball, that URL is the only way to the history that can prove the claim
//! (the `upstream-commit` detector then checks ancestry in that repository). Known shapes:
//!
//! | front end | commit URL | clone URL |
//! |---|---|---|
//! | GitHub, Gitea/Forgejo, Bitbucket | `https://host/O/R/commit/<id>` (`/commits/<id>`, `/pull/N/commits/<id>` on GitHub) | `https://host/O/R.git` |
//! | GitLab | `https://host/G/…/R/-/commit/<id>` | `https://host/G/…/R.git` |
//! | cgit | `https://host/…/R/commit/?id=<id>` (Savannah: `/cgit/R.git`) | `https://host/…/R` (Savannah: `/git/R.git`) |
//! | gitweb | `https://host/…/?p=R.git;a=commit;h=<id>` | `https://host/…/R.git` |
//!
//! Anything else is not a commit URL; nothing is guessed.

/// A commit on a forge: where to clone its repository, and the commit's (maybe abbreviated) id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitUrl {
    pub repository: String,
    pub commit: String,
}

/// Every commit URL in `text` (a header value), in order, without repeats.
pub fn commit_urls_in(text: &str) -> Vec<CommitUrl> {
    let mut found: Vec<CommitUrl> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let candidate = &rest[at..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '<' | '>' | '"' | '\'' | ']'))
            .unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(['.', ')', ';']);
        if let Some(parsed) = parse_commit_url(url)
            && !found.contains(&parsed)
        {
            found.push(parsed);
        }
        rest = &candidate[end.max(4)..];
    }
    found
}

/// The repository and commit of one commit URL, or `None` when it is not one (see the module
/// comment for the shapes).
pub fn parse_commit_url(url: &str) -> Option<CommitUrl> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let location = location.split('#').next().unwrap_or(location);
    let (host, path) = location.split_once('/')?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    let base = format!("{scheme}://{host}");
    if let Some(query) = query
        && let Some(found) = gitweb(&base, path, query)
    {
        return Some(found);
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let marker = segments
        .iter()
        .position(|s| *s == "commit" || *s == "commits")?;
    let commit = match segments.get(marker + 1) {
        Some(id) => commit_id(id)?,
        None => commit_id(query_value(query?, "id")?)?,
    };
    let mut repository: Vec<&str> = segments[..marker].to_vec();
    if repository.last() == Some(&"-") {
        repository.pop();
    }
    if host == "github.com" {
        repository.truncate(2);
    }
    if repository.is_empty() || (host == "github.com" && repository.len() < 2) {
        return None;
    }
    if host.starts_with("git.savannah.") && repository.first() == Some(&"cgit") {
        repository[0] = "git";
    }
    let mut repository = format!("{base}/{}", repository.join("/"));
    if is_forge(host) && !repository.ends_with(".git") {
        repository.push_str(".git");
    }
    Some(CommitUrl { repository, commit })
}

/// Forges that serve `…/R.git` for repository `…/R`; elsewhere (cgit) the path is the name.
fn is_forge(host: &str) -> bool {
    matches!(
        host,
        "github.com" | "codeberg.org" | "bitbucket.org" | "salsa.debian.org"
    ) || host.starts_with("gitlab.")
}

/// gitweb: `…/?p=R.git;a=commit;h=<id>` (also `a=commitdiff`, `&` separators).
fn gitweb(base: &str, path: &str, query: &str) -> Option<CommitUrl> {
    let project = query_value(query, "p")?;
    let action = query_value(query, "a")?;
    if !matches!(action, "commit" | "commitdiff" | "patch") {
        return None;
    }
    let commit = commit_id(query_value(query, "h")?)?;
    let folder = path
        .trim_end_matches('/')
        .trim_end_matches("gitweb.cgi")
        .trim_end_matches('/');
    let repository = if folder.is_empty() {
        format!("{base}/{project}")
    } else {
        format!("{base}/{folder}/{project}")
    };
    Some(CommitUrl { repository, commit })
}

fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query
        .split([';', '&'])
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

/// A commit id: 7 to 40 hexadecimal digits (lower-cased).
fn commit_id(text: &str) -> Option<String> {
    let text = text.trim_end_matches(".patch").trim_end_matches(".diff");
    ((7..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Option<(String, String)> {
        parse_commit_url(url).map(|c| (c.repository, c.commit))
    }

    fn pair(repository: &str, commit: &str) -> Option<(String, String)> {
        Some((repository.to_string(), commit.to_string()))
    }

    #[test]
    fn reads_forge_commit_urls() {
        assert_eq!(
            parsed("https://github.com/gwsw/less/commit/A78E1351113cef564d790a730d657a321624d79c"),
            pair(
                "https://github.com/gwsw/less.git",
                "a78e1351113cef564d790a730d657a321624d79c"
            )
        );
        assert_eq!(
            parsed("https://github.com/curl/curl/pull/123/commits/0123abc"),
            pair("https://github.com/curl/curl.git", "0123abc")
        );
        assert_eq!(
            parsed("https://gitlab.com/libtiff/libtiff/-/commit/deadbeef12#note"),
            pair("https://gitlab.com/libtiff/libtiff.git", "deadbeef12")
        );
        assert_eq!(
            parsed("https://git.savannah.gnu.org/cgit/tar.git/commit/?id=a339f05cd269"),
            pair("https://git.savannah.gnu.org/git/tar.git", "a339f05cd269")
        );
        assert_eq!(
            parsed("https://git.kernel.org/pub/scm/utils/dtc/dtc.git/commit/?id=abcdef0"),
            pair(
                "https://git.kernel.org/pub/scm/utils/dtc/dtc.git",
                "abcdef0"
            )
        );
        assert_eq!(
            parsed("https://git.busybox.net/busybox/commit/?id=0123abcd"),
            pair("https://git.busybox.net/busybox", "0123abcd")
        );
        assert_eq!(
            parsed("https://sourceware.org/git/?p=binutils-gdb.git;a=commit;h=b3eff3e15576"),
            pair(
                "https://sourceware.org/git/binutils-gdb.git",
                "b3eff3e15576"
            )
        );
        assert_eq!(
            parsed("https://github.com/openssl/openssl/commit/0123abcd.patch"),
            pair("https://github.com/openssl/openssl.git", "0123abcd")
        );
    }

    #[test]
    fn other_urls_are_not_commits() {
        assert_eq!(parsed("https://github.com/gwsw/less/pull/12"), None);
        assert_eq!(parsed("https://bugs.debian.org/1030825"), None);
        assert_eq!(parsed("https://github.com/commit/abcdef01"), None);
        assert_eq!(parsed("https://example.org/commit/not-hex"), None);
        assert_eq!(parsed("ftp://example.org/r.git/commit/abcdef0"), None);
        assert_eq!(parsed("https://example.org/commit/abc"), None);
    }

    #[test]
    fn finds_urls_in_header_values() {
        let found = commit_urls_in(
            "upstream, https://github.com/gwsw/less/commit/a78e1351113c, \
             <https://gitlab.com/a/b/-/commit/0123456>.",
        );
        assert_eq!(
            found,
            vec![
                CommitUrl {
                    repository: "https://github.com/gwsw/less.git".into(),
                    commit: "a78e1351113c".into()
                },
                CommitUrl {
                    repository: "https://gitlab.com/a/b.git".into(),
                    commit: "0123456".into()
                },
            ]
        );
        assert!(commit_urls_in("no url here, http").is_empty());
    }
}
