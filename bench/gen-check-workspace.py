#!/usr/bin/env python3
"""Generate a workspace for the `check` scale benchmark (bench/check-scale.sh).

Writes OUT/patches/pkg-NNN/{package.yaml, NNNN-fix-*.patch} and one local git upstream per
package in OUT/upstreams/pkg-NNN (tags v1.0 and v1.1, fixed identity and dates). Each of the
PATCHES patches of a package changes one line of one of five 200-line files of v1.0. Between
v1.0 and v1.1 upstream commits the first 30% of them verbatim (`check --release 1.1` finds
them by patch id and content: expired), rewrites the lines under the next 10% (conflict),
and edits elsewhere; the rest stay needed.

Usage: bench/gen-check-workspace.py OUT [--packages 100] [--patches 10] [--files 5]

`--files` spreads the patches over more files (12 per file fit in 200 lines): one package of
1 500 patches (bench/expire-scale.sh) needs `--files 125`.
"""

import argparse
import os
import subprocess

FILES = 5
LINES = 200


def git(repo, *args):
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="Up Stream", GIT_AUTHOR_EMAIL="up@example.org",
               GIT_COMMITTER_NAME="Up Stream", GIT_COMMITTER_EMAIL="up@example.org",
               GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z")
    subprocess.run(["git", "-C", repo, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def original(package, file):
    return [f"/* {package} file {file} line {i} */ int v{file}_{i} = {i};" for i in range(1, LINES + 1)]


def patch_target(index):
    """(file, line) a patch changes."""
    line = 10 + 15 * (index // FILES) + (index % 3)
    assert line + 4 <= LINES, "too many patches for the files: raise --files"
    return index % FILES, line


def patch_text(package, index):
    file, line = patch_target(index)
    lines = original(package, file)
    start = line - 3
    body = [" " + lines[i - 1] for i in range(start, line)]
    body.append("-" + lines[line - 1])
    body.append("+" + lines[line - 1].replace("= ", f"= fixed_{index} + "))
    body += [" " + lines[i - 1] for i in range(line + 1, line + 4)]
    return (
        f"From: Down Stream <down@example.org>\nSubject: [PATCH] fix {index} of {package}\n\n---\n"
        f"diff --git a/src/f{file}.c b/src/f{file}.c\n--- a/src/f{file}.c\n+++ b/src/f{file}.c\n"
        f"@@ -{start},7 +{start},7 @@\n" + "\n".join(body) + "\n"
    )


def write_tree(repo, files):
    for file, lines in files.items():
        with open(os.path.join(repo, "src", f"f{file}.c"), "w") as out:
            out.write("\n".join(lines) + "\n")


def package(out, number, patches):
    name = f"pkg-{number:03d}"
    repo = os.path.join(out, "upstreams", name)
    os.makedirs(os.path.join(repo, "src"))
    git(repo, "init", "-q", "-b", "main")
    files = {f: original(name, f) for f in range(FILES)}
    write_tree(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release 1.0")
    git(repo, "tag", "v1.0")
    expired = int(patches * 0.3)
    conflicting = max(1, patches // 10)
    for index in range(patches):
        file, line = patch_target(index)
        if index < expired:
            files[file][line - 1] = files[file][line - 1].replace("= ", f"= fixed_{index} + ")
            write_tree(repo, files)
            git(repo, "commit", "-q", "-am", f"fix {index}")
        elif index < expired + conflicting:
            files[file][line - 2] = f"/* rewritten upstream */ int w{index};"
            write_tree(repo, files)
            git(repo, "commit", "-q", "-am", f"rewrite near {index}")
    files[0][LINES - 2] = "/* unrelated upstream change */"
    write_tree(repo, files)
    git(repo, "commit", "-q", "-am", "unrelated")
    git(repo, "tag", "v1.1")

    folder = os.path.join(out, "patches", name)
    os.makedirs(folder)
    entries = []
    for index in range(patches):
        file_name = f"{index + 1:04d}-fix-{index}.patch"
        with open(os.path.join(folder, file_name), "w") as patch:
            patch.write(patch_text(name, index))
        entries.append(f"  - file: {file_name}\n    reason: fix {index}\n    status: pending\n")
    with open(os.path.join(folder, "package.yaml"), "w") as manifest:
        manifest.write(
            f"name: {name}\nupstream:\n  version: \"1.0\"\n  git: {os.path.abspath(repo)}\n"
            f"  tag: \"v{{version}}\"\npatches:\n" + "".join(entries)
        )


def main():
    global FILES
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--packages", type=int, default=100)
    parser.add_argument("--patches", type=int, default=10)
    parser.add_argument("--files", type=int, default=FILES)
    args = parser.parse_args()
    FILES = args.files
    for number in range(args.packages):
        package(args.out, number, args.patches)


if __name__ == "__main__":
    main()
