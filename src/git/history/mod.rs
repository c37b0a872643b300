//! The history walk: each commit's stable patch id, computed without a checkout, equal to
//! `git log -p --no-merges A..B | git patch-id --stable` for every commit.
//!
//! Objects come straight from the packs (`objects.rs`); the first parent's tree (the empty
//! tree for a root commit) and the commit's are walked side by side, renames are paired with
//! git's rules (`rename.rs`), each pair is written as `git log -p` writes it
//! (`commit_patch.rs`, text hunks from the xdiff port `xdiff.rs`), and the text goes through
//! `patch::patch_id::stable_patch_ids`. Commits are spread over the current rayon pool
//! (`walk.rs`). The design and its measurements: `docs/patch-id.md`, `docs/benchmarks.md`.

use std::path::Path;
use std::sync::Arc;

mod commit_patch;
mod objects;
mod rename;
mod walk;
mod xdiff;

pub use objects::{ObjectError, is_partial_clone};
pub use rename::git_similarity;
pub use walk::Walked;

use super::{GitError, ObjectId, Repository};
use crate::patch::patch_id::stable_patch_ids;

/// The stable patch id of each of `commits` of the repository at `git_dir`, in their order,
/// computed in parallel on the current rayon pool; `progress` is told of each computed commit.
/// In a partial clone a commit whose diff needs an object the clone lacks is
/// [`Walked::Missing`]; anywhere else a missing object is an error.
pub fn patch_ids(
    git_dir: &Path,
    commits: &[ObjectId],
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Vec<Walked>, GitError> {
    walk::compute_patch_ids(git_dir, commits, default_abbrev(git_dir), progress)
}

/// The stable patch id of one commit's change against its first parent (the empty tree for
/// a root commit); `None` when the change is empty.
pub fn commit_patch_id(repo: &Repository, commit: ObjectId) -> Result<Option<String>, GitError> {
    let text = commit_diff(repo, commit)?;
    Ok(stable_patch_ids(&text).into_iter().next().map(|(id, _)| id))
}

/// The diff of one commit as `git log -p` prints it (without the commit header): every line
/// its patch id reads is git's.
pub fn commit_diff(repo: &Repository, commit: ObjectId) -> Result<Vec<u8>, GitError> {
    let path = repo.path().to_path_buf();
    let packs = Arc::new(objects::Packs::open(&path));
    let mut text = Vec::new();
    commit_patch::CommitRenderer::new(repo.repo.clone(), packs, default_abbrev(&path))
        .render(commit, &mut text)
        .map_err(|source| GitError::History { path, source })?;
    Ok(text)
}

/// The abbreviation git uses for object ids in this repository (`core.abbrev` auto): half
/// the bits of the packed object count, in hex digits, at least 7.
pub fn default_abbrev(git_dir: &Path) -> u16 {
    let mut count: u64 = 0;
    if let Ok(entries) = std::fs::read_dir(git_dir.join("objects").join("pack")) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "idx") {
                count += pack_object_count(&path).unwrap_or(0);
            }
        }
    }
    let bits = if count == 0 {
        1
    } else {
        64 - count.leading_zeros() as u16
    };
    bits.div_ceil(2).max(7)
}

/// The number of objects a pack index lists (the last fan-out entry).
fn pack_object_count(idx: &Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(idx).ok()?;
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    let fanout_start = if head[..4] == [0xff, b't', b'O', b'c'] {
        8
    } else {
        0
    };
    file.seek(SeekFrom::Start(fanout_start + 255 * 4)).ok()?;
    let mut last = [0u8; 4];
    file.read_exact(&mut last).ok()?;
    Some(u64::from(u32::from_be_bytes(last)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::git;

    /// A walk of `HEAD`'s whole history in `dir`: each non-merge commit with its id.
    fn walk_head(dir: &Path) -> Result<Vec<(ObjectId, Walked)>, GitError> {
        let repo = Repository::open(dir).unwrap();
        let head = repo.revision("HEAD").unwrap();
        let commits = repo.non_merge_commits(head, None, None).unwrap();
        let walked = patch_ids(repo.path(), &commits, None)?;
        Ok(commits.into_iter().zip(walked).collect())
    }

    /// `<patch id> <commit>` lines, as `git patch-id` prints them.
    fn ids_text(walked: Vec<(ObjectId, Walked)>) -> String {
        walked
            .into_iter()
            .filter_map(|(commit, walked)| match walked {
                Walked::Id(Some(id)) => Some(format!("{id} {commit}\n")),
                _ => None,
            })
            .collect()
    }

    /// A file of `count` numbered lines, `seed` making it distinct.
    fn numbered(seed: &str, count: usize) -> String {
        (0..count).map(|i| format!("{seed} line {i}\n")).collect()
    }

    #[test]
    fn ambiguous_renames_pair_as_git_pairs_them() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "-b", "main"], None);
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let commit = |message: &str| {
            git(dir, &["add", "-A"], None);
            git(dir, &["commit", "-q", "--allow-empty", "-m", message], None);
        };
        // Similar files: each pair differs in a few lines, so several sources score above
        // 50% for several destinations.
        let base = numbered("common", 30);
        let similar = [
            "a/one.c",
            "a/two.c",
            "b/one.c",
            "b/three.c",
            "c/dup.txt",
            "d/dup.txt",
        ];
        for (i, name) in similar.iter().enumerate() {
            write(
                name,
                &format!("{base}{}", numbered(&format!("own{i}"), 4 + i)),
            );
        }
        write("same1.txt", "identical\n");
        write("same2.txt", "identical\n");
        write("empty-a", "");
        write("link-target", "target\n");
        write("image.bin", "\0binary\0content\n");
        commit("root");
        // Delete all, add similar ones under new names: exact duplicates, unique base names,
        // and an inexact many-to-many matrix with ties.
        for name in similar {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for (i, name) in [
            "x/one.c",
            "y/one.c",
            "x/four.c",
            "x/five.c",
            "e/dup.txt",
            "f/dup.txt",
        ]
        .iter()
        .enumerate()
        {
            let mut text = format!("{base}{}", numbered(&format!("own{}", 5 - i), 9 - i));
            text.push_str("extra\n");
            write(name, &text);
        }
        std::fs::remove_file(dir.join("same1.txt")).unwrap();
        std::fs::remove_file(dir.join("same2.txt")).unwrap();
        write("moved/same1.txt", "identical\n");
        write("moved/other.txt", "identical\n");
        write("copy.txt", "identical\n");
        std::fs::remove_file(dir.join("empty-a")).unwrap();
        write("empty-b", "");
        std::fs::remove_file(dir.join("image.bin")).unwrap();
        write("pictures/image.bin", "\0binary\0content, changed\n");
        commit("shuffle");
        std::fs::remove_file(dir.join("link-target")).unwrap();
        std::os::unix::fs::symlink("x/one.c", dir.join("link-target")).unwrap();
        write("x/four.c", &numbered("rewritten", 50));
        commit("a file becomes a symlink, a rewrite");

        let log = git(dir, &["log", "-p", "--no-merges", "HEAD"], None);
        let expected = String::from_utf8(git(dir, &["patch-id", "--stable"], Some(&log))).unwrap();
        let actual = ids_text(walk_head(dir).unwrap());
        assert_eq!(actual, expected);
        let shuffle = String::from_utf8(git(dir, &["show", "--format=", "HEAD~1"], None)).unwrap();
        assert!(
            shuffle.contains("rename from"),
            "the test makes renames: {shuffle}"
        );
    }

    /// `git log -p | git patch-id --stable` on `dir`'s whole history equals the walk's ids.
    fn assert_ids_are_gits(dir: &Path) {
        let log = git(dir, &["log", "-p", "--no-merges", "HEAD"], None);
        let expected = String::from_utf8(git(dir, &["patch-id", "--stable"], Some(&log))).unwrap();
        let actual = ids_text(walk_head(dir).unwrap());
        assert_eq!(actual, expected);
    }

    #[test]
    fn packed_and_loose_histories_give_gits_ids() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        git(dir, &["init", "-q", "-b", "main"], None);
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut below = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        // Lines from a small vocabulary repeat often (xdiff's discarding and sliding); blocks
        // and blank lines feed the indent heuristic; a form feed and CRs are not whitespace to
        // git's indent measure; one big file of distinct lines makes long deltas and entries
        // that take several reads.
        let vocabulary = [
            "{\n",
            "}\n",
            "\n",
            "  return 0;\n",
            "\tx++;\n",
            "\x0c\n",
            "  if (a) {\n",
            "    b();\n",
            "  }\n",
            " \r\n",
            "int f(void)\n",
            "/* c */\n",
        ];
        let mut files: Vec<(String, Vec<String>)> = (0..6)
            .map(|i| {
                let lines = (0..30)
                    .map(|_| vocabulary[below(vocabulary.len())].to_string())
                    .collect();
                (format!("src/file{i}.c"), lines)
            })
            .collect();
        let big: Vec<String> = (0..6000)
            .map(|i| {
                format!(
                    "{i:05} {:016x}\n",
                    (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
            })
            .collect();
        files.push(("data/big.txt".to_string(), big));
        let write = |files: &[(String, Vec<String>)]| {
            for (name, lines) in files {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, lines.concat()).unwrap();
            }
        };
        let commit = |message: &str| {
            git(dir, &["add", "-A"], None);
            git(dir, &["commit", "-q", "--allow-empty", "-m", message], None);
        };
        write(&files);
        commit("root");
        for round in 0..40 {
            for _ in 0..1 + below(3) {
                let f = below(files.len());
                let lines = &mut files[f].1;
                let at = below(lines.len() + 1);
                match below(4) {
                    0 => {
                        for _ in 0..1 + below(6) {
                            lines.insert(at, vocabulary[below(vocabulary.len())].to_string());
                        }
                    }
                    1 => {
                        let end = (at + 1 + below(5)).min(lines.len());
                        lines.drain(at.min(end)..end);
                    }
                    2 if at < lines.len() => lines[at] = format!("changed {round}\n"),
                    _ => lines.push(format!("appended {round}\n")),
                }
            }
            if round % 7 == 3 {
                // A file without a final newline, then with one again.
                let last = files[0].1.len() - 1;
                let line = files[0].1[last].trim_end_matches('\n').to_string();
                files[0].1[last] = if round % 14 == 3 { line } else { line + "\n" };
            }
            write(&files);
            if round == 10 {
                git(dir, &["mv", "src/file5.c", "src/renamed.c"], None);
                files[5].0 = "src/renamed.c".to_string();
            }
            if round == 20 {
                std::fs::write(dir.join("image.bin"), [0u8, 1, 2, 0, round as u8]).unwrap();
            }
            commit(&format!("round {round}"));
        }
        assert_ids_are_gits(dir);
        git(
            dir,
            &[
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
                "--depth=50",
                "--window=50",
            ],
            None,
        );
        assert_ids_are_gits(dir);
        git(
            dir,
            &[
                "-c",
                "repack.useDeltaBaseOffset=false",
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
            ],
            None,
        );
        assert_ids_are_gits(dir);
        // New commits stay loose next to the pack.
        files[1].1.insert(3, "loose\n".to_string());
        write(&files);
        commit("loose");
        assert_ids_are_gits(dir);
    }

    #[test]
    fn abbreviation_is_at_least_seven() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(default_abbrev(temp.path()), 7);
    }
}
