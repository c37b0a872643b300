#!/usr/bin/env python3
"""Put the upstream git repositories of the Wolfi corpus into mindelta's cache, for offline runs.

`mindelta check` on a melange package reads its upstream's history (the `git-checkout`
repository, or the GitHub repository a `fetch` URI names). Online it clones each into its cache
as a bare mirror, `<cache>/git/<sha256 of the URL>` (src/upstream/cache.rs; the URL is the one
the package names, as written, see `remote_url` in src/upstream/git.rs). This script does the
same from local bare clones, so that `evaluate.py` (which runs `--offline`) sees what an online
run would see without downloading anything:

    bench/wolfi-corpus/seed-mirrors.py --snapshots DIR [--manifest FILE] [--cache DIR]

DIR holds bare clones named `owner+name/repo`, `owner+name.git` or `owner+name` (make them
with `git clone --bare https://github.com/OWNER/NAME DIR/OWNER+NAME.git`). Each repository is
seeded under every spelling a package may use: the `repository:` (or fetch URI's repository)
as written, and `https://github.com/OWNER/NAME` with and without `.git`, since which one the
melange reader passes to the cache is its choice. The clone is `git clone --mirror` of a
local path, so its objects are hard links, not copies. Repositories without a clone in DIR
are listed and skipped: their cases keep the evidence "cannot read …", as offline. Existing
mirrors are left alone.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "..", "work", "wolfi-corpus")


def snapshot(snapshots, github):
    name = github.replace("/", "+")
    for candidate in (os.path.join(name, "repo"), name + ".git", name):
        path = os.path.join(snapshots, candidate)
        if os.path.isdir(path) and (
            os.path.exists(os.path.join(path, "HEAD")) or os.path.isdir(os.path.join(path, ".git"))
        ):
            return path
    return None


def spellings(bump):
    """Every URL under which mindelta may look for this bump's upstream."""
    github = bump["upstream"]["github"]
    urls = {f"https://github.com/{github}", f"https://github.com/{github}.git"}
    written = bump["upstream"].get("repository")
    if written and "${{" not in written:
        urls.add(written)
    uri = bump["upstream"].get("uri")
    if uri:
        match = re.match(r"^(https?://github\.com/[^/]+/[^/]+)", uri)
        if match:
            urls.add(match.group(1))
    return urls


ARCHIVE = re.compile(
    r"^https://github\.com/(?P<github>[^/]+/[^/]+)/archive/(?:refs/tags/)?"
    r"(?P<tag>[^/]+?)(?:/[^/]+)?\.(?P<ext>tar\.gz|tgz|tar\.xz|zip)$")


def seed_archives(manifest, cache, snapshots):
    """Each `fetch` bump's GitHub archive of release B (`…/archive/…`), made from the mirror
    with `git archive`, as GitHub makes it: `check --release B` reads R's tree from it offline.
    Only GitHub's archive URLs (not release assets, which are built by their maintainers), and
    only B's (A's checksum is Wolfi's, which a recompressed archive would not match)."""
    made = 0
    for bump in manifest["bumps"]:
        uri = bump["upstream"].get("uri") or ""
        url = uri.replace("${{package.version}}", bump["version_b"])
        match = ARCHIVE.match(url)
        if bump["upstream"]["kind"] != "fetch" or "${{" in url or not match:
            continue
        source = snapshot(snapshots, match["github"])
        tag = match["tag"]
        if match["ext"] == "zip" or source is None or subprocess.run(
                ["git", "-C", source, "rev-parse", "--verify", "-q", f"refs/tags/{tag}"],
                capture_output=True).returncode:
            continue
        by_url = os.path.join(cache, "tarballs", "by-url")
        record = os.path.join(by_url, hashlib.sha256(url.encode()).hexdigest())
        if os.path.exists(record):
            continue
        archive = subprocess.run(["git", "-C", source, "archive", "--format=tar",
                                  f"--prefix={match['github'].split('/')[1]}-{tag}/", tag],
                                 capture_output=True, check=True).stdout
        compress = ["gzip", "-n"] if match["ext"] in ("tar.gz", "tgz") else ["xz"]
        data = subprocess.run(compress, input=archive, capture_output=True, check=True).stdout
        sha = hashlib.sha256(data).hexdigest()
        folder = os.path.join(cache, "tarballs", sha)
        os.makedirs(folder, exist_ok=True)
        os.makedirs(by_url, exist_ok=True)
        with open(os.path.join(folder, url.rsplit("/", 1)[1]), "wb") as handle:
            handle.write(data)
        with open(record, "w", encoding="ascii") as handle:
            handle.write(sha)
        made += 1
        print(f"archived {url} from {match['github']} {tag}")
    print(f"{made} archives made", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", required=True, help="folder of bare GitHub clones")
    parser.add_argument("--manifest", default=os.path.join(WORK, "manifest.json"),
                        help="the corpus manifest (default bench/work/wolfi-corpus/manifest.json)")
    parser.add_argument("--cache", help="mindelta's cache (default: <manifest folder>/cache)")
    parser.add_argument("--archives", action="store_true",
                        help="also make the GitHub archive (`…/archive/…` URIs) of each fetch "
                             "bump's release B from its mirror, as GitHub makes it")
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as handle:
        manifest = json.load(handle)
    cache = args.cache or os.path.join(os.path.dirname(os.path.abspath(args.manifest)), "cache")
    mirrors = os.path.join(cache, "git")
    os.makedirs(mirrors, exist_ok=True)
    wanted = {}
    for bump in manifest["bumps"]:
        for url in spellings(bump):
            wanted[url] = bump["upstream"]["github"]
    missing = set()
    seeded = have = 0
    for url, github in sorted(wanted.items()):
        target = os.path.join(mirrors, hashlib.sha256(url.encode()).hexdigest())
        if os.path.isdir(target):
            have += 1
            continue
        source = snapshot(args.snapshots, github)
        if source is None:
            missing.add(github)
            continue
        subprocess.run(["git", "clone", "--quiet", "--mirror", source, target], check=True)
        seeded += 1
        print(f"seeded {url} from {github}")
    print(f"{seeded} seeded, {have} already there, {len(missing)} repositories without a clone",
          file=sys.stderr)
    for github in sorted(missing):
        print(f"no clone for {github}", file=sys.stderr)
    if args.archives:
        seed_archives(manifest, cache, args.snapshots)


if __name__ == "__main__":
    main()
