#!/usr/bin/env python3
"""Score `dependency-superseded` on the Wolfi corpus's dependency-only patches, without melange.

`evaluate.py` runs mindelta in place on a wolfi-dev/os checkout, which needs the melange reader.
This script needs only mindelta's own workspace: for each case whose patch touches nothing but
dependency manifests (`dependency_only` in the manifest), it builds a one-package workspace
whose `package.yaml` names the upstream's GitHub repository and pins commit A (the bump's
`expected-commit` at A), copies the patch as Wolfi carried it at A (`git show commit_a:path`,
`-p` from the YAML's `strip-components`, default 1), and runs

    mindelta --workspace <scratch>/<case> --offline --cache-dir <cache> --format json \
        check <package> --release <commit B>

The upstream's bare clone (from `--mirrors`, folders `OWNER+NAME/repo` as `fetch` brings them)
is put into the cache as `seed-mirrors.py` does (`git clone --mirror`, hard links), plus one
lightweight tag per pinned commit (`corpus-<sha>`), so the package's `tag: "corpus-{version}"`
names the exact commits the bump built. Cases whose repository or commits are missing are
counted as skipped, never scored.

A prediction is verdict `expired`. Printed: recall on the positives (`dropped`,
`dropped-followup`), false expiries on the negatives (`kept`, `kept-refreshed`, `refreshed`),
per ecosystem, how many expiries `dependency-superseded` proved, the `partial` verdicts, and
every false expiry and miss with the detector's detail. Usage:

    bench/wolfi-corpus/evaluate-dependencies.py --repo WOLFI_OS_CLONE --manifest FILE \
        --mirrors DIR [--cache DIR] [--scratch DIR] [--mindelta BIN] [--json FILE]
"""

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

POSITIVE = {"dropped", "dropped-followup"}
NEGATIVE = {"kept", "kept-refreshed", "refreshed"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def git(*args, **kwargs):
    return subprocess.run(["git", *args], capture_output=True, **kwargs)


def snapshot(mirrors, github):
    name = github.replace("/", "+")
    for candidate in (os.path.join(name, "repo"), name + ".git", name):
        path = os.path.join(mirrors, candidate)
        if os.path.isdir(path):
            return path
    return None


def seed(cache, mirrors, github, commits):
    """The URL the workspace names, with its mirror in the cache and a tag per commit; None
    when the repository or a commit is missing."""
    url = f"https://github.com/{github}"
    target = os.path.join(cache, "git", hashlib.sha256(url.encode()).hexdigest())
    if not os.path.isdir(target):
        source = snapshot(mirrors, github)
        if source is None:
            return None, f"no clone of {github}"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if git("clone", "--quiet", "--mirror", source, target).returncode != 0:
            return None, f"cannot clone {github}"
    for commit in commits:
        if git("--git-dir", target, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
            return None, f"{github} has no commit {commit[:12]}"
        git("--git-dir", target, "tag", "-f", f"corpus-{commit}", commit, check=True)
    return url, None


def strip_level(repo, commit, yaml_path, patch):
    """`strip-components` of the patch step that applies `patch` in the YAML at `commit`."""
    shown = git("--git-dir", repo, "show", f"{commit}:{yaml_path}")
    if shown.returncode != 0:
        return 1
    try:
        document = yaml.safe_load(shown.stdout)
    except yaml.YAMLError:
        return 1
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("uses") == "patch":
                with_ = node.get("with") or {}
                names = str(with_.get("patches", "")).split()
                if os.path.basename(patch) in [os.path.basename(n) for n in names]:
                    found.append(with_.get("strip-components", 1))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    try:
        return int(found[0]) if found else 1
    except (TypeError, ValueError):
        return 1


def run_case(args, case, bump, index):
    upstream, upstream_b = bump["upstream"], bump.get("upstream_b") or {}
    commit_a, commit_b = upstream.get("expected_commit"), upstream_b.get("expected_commit")
    if upstream.get("kind") != "git-checkout" or not commit_a or not commit_b:
        return {"skipped": "no pinned commits at A and B (a `fetch` upstream)"}
    url, why = seed(args.cache, args.mirrors, upstream["github"], [commit_a, commit_b])
    if url is None:
        return {"skipped": why}
    shown = git("--git-dir", args.repo, "show", f"{case['commit_a']}:{case['path']}")
    if shown.returncode != 0:
        return {"skipped": "patch not readable at A"}
    root = os.path.join(args.scratch, f"case-{index:04d}")
    shutil.rmtree(root, ignore_errors=True)
    package = os.path.join(root, "patches", "pkg")
    os.makedirs(package)
    file = os.path.basename(case["path"])
    with open(os.path.join(package, file), "wb") as handle:
        handle.write(shown.stdout)
    strip = strip_level(args.repo, case["commit_a"], case["yaml"], case["patch"])
    with open(os.path.join(package, "package.yaml"), "w", encoding="utf-8") as handle:
        handle.write(
            f"upstream:\n  version: \"{commit_a}\"\n  git: {url}\n  tag: \"corpus-{{version}}\"\n"
            f"patches:\n  - file: {json.dumps(file)}\n    strip: {strip}\n")
    command = [args.mindelta, "--workspace", root, "--offline", "--cache-dir", args.cache,
               "--format", "json", "check", "pkg", "--release", commit_b]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    try:
        patch = json.loads(result.stdout)["packages"][0]["patches"][0]
    except (json.JSONDecodeError, KeyError, IndexError):
        return {"skipped": "check failed: " + result.stderr.strip().splitlines()[-1:][0]
                if result.stderr.strip() else "check failed"}
    dependency = next((e for e in patch["evidence"]
                       if e["detector"] == "dependency-superseded"), None)
    return {
        "verdict": patch["verdict"],
        "reason": patch.get("reason"),
        "dependency": dependency and dependency["result"],
        "detail": dependency and dependency["detail"],
        "seconds": round(elapsed, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="a wolfi-dev/os clone (bare is fine)")
    parser.add_argument("--manifest", required=True, help="the corpus (build-corpus.py)")
    parser.add_argument("--mirrors", required=True, help="bare clones, OWNER+NAME/repo")
    parser.add_argument("--cache", default=None, help="mindelta's cache (default <scratch>/cache)")
    parser.add_argument("--scratch", default=os.path.join("bench", "work", "wolfi-deps"))
    parser.add_argument("--mindelta", default=os.path.join("target", "release", "mindelta"))
    parser.add_argument("--json", help="write every case's result here")
    args = parser.parse_args()
    args.scratch = os.path.abspath(args.scratch)
    args.cache = os.path.abspath(args.cache or os.path.join(args.scratch, "cache"))
    os.makedirs(args.scratch, exist_ok=True)
    with open(args.manifest, encoding="utf-8") as handle:
        manifest = json.load(handle)
    bumps = {(b["package"], b["commit_bump"]): b for b in manifest["bumps"]}
    cases = [c for c in manifest["cases"] if c.get("dependency_only")]
    results = []
    for index, case in enumerate(cases):
        bump = bumps[(case["package"], case["commit_bump"])]
        result = run_case(args, case, bump, index)
        result.update({k: case[k] for k in ("package", "version_a", "version_b", "patch",
                                             "ecosystem", "label", "github")})
        results.append(result)
        log(f"[{index + 1}/{len(cases)}] {case['package']} {case['patch']}: "
            f"{result.get('verdict') or result.get('skipped')}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)
    report(results)


def report(results):
    scored = [r for r in results if "verdict" in r]
    skipped = collections.Counter(r["skipped"].split(":")[0] for r in results if "skipped" in r)
    print(f"{len(results)} dependency-only cases, {len(scored)} judged, "
          f"{len(results) - len(scored)} skipped")
    for why, count in skipped.most_common():
        print(f"  skipped {count}: {why}")
    by_ecosystem = collections.defaultdict(list)
    for r in scored:
        by_ecosystem[r["ecosystem"]].append(r)
    print("ecosystem  positives  expired  (by dependency-superseded)  partial | negatives  "
          "false expiries  partial")
    for ecosystem in sorted(by_ecosystem) + ["all"]:
        rows = scored if ecosystem == "all" else by_ecosystem[ecosystem]
        positives = [r for r in rows if r["label"] in POSITIVE]
        negatives = [r for r in rows if r["label"] in NEGATIVE]
        hit = [r for r in positives if r["verdict"] == "expired"]
        by_dependency = [r for r in hit if r["reason"] == "dependency-superseded"]
        false = [r for r in negatives if r["verdict"] == "expired"]
        recall = f"{len(hit) / len(positives):.2f}" if positives else "-"
        print(f"{ecosystem:<10} {len(positives):>9}  {len(hit):>7}  {len(by_dependency):>26}  "
              f"{sum(r['verdict'] == 'partial' for r in positives):>7} | {len(negatives):>9}  "
              f"{len(false):>14}  {sum(r['verdict'] == 'partial' for r in negatives):>7}"
              f"   recall {recall}")
    print("\nfalse expiries:")
    for r in scored:
        if r["label"] in NEGATIVE and r["verdict"] == "expired":
            print(f"  {r['package']} {r['version_a']}->{r['version_b']} {r['patch']} "
                  f"({r['label']}, {r['reason']}): {r['detail']}")
    print("\nmisses:")
    for r in scored:
        if r["label"] in POSITIVE and r["verdict"] != "expired":
            print(f"  {r['package']} {r['version_a']}->{r['version_b']} {r['patch']} "
                  f"[{r['verdict']}, dependency-superseded {r['dependency']}]: {r['detail']}")


if __name__ == "__main__":
    main()
