#!/usr/bin/env python3
"""Score `mindelta check` on the bookworm -> trixie expiry corpus, beside `patch -R --dry-run`.

Reads bench/work/expiry-corpus/manifest.json (written by build-corpus.py). For every package
with cases it builds a mindelta workspace in bench/work/expiry-corpus/ws/:

  patches/<pkg>/package.yaml   upstream: {version: <bookworm upstream>, tarball:
                               ../../../tarballs/<pkg>-{version}.orig, sha256: <bookworm orig>}
                               + the bookworm series, in order, with each patch's -pN
  patches/<pkg>/<patch>        the bookworm patch files

and runs `mindelta --offline check <pkg> --release <trixie upstream> --format json` (the
trixie orig tarball is found through the `{version}` template; `check` fetches a release other
than the pinned one unverified). The baseline is GNU `patch -R --dry-run -f -pN` of each
bookworm patch against the pristine trixie tree (reversed applies => "upstream"), with
patch's default fuzz (2) and with `-F0`.

Scoring (a prediction is `expired` or `partial`):
  primary   positives: `upstream` (the trixie changelog says the dropped patch is upstream)
            negatives: `kept` and `renamed` (trixie still carries the change)
  extended  positives also: `upstream-weak`, `stable-backport`, `origin-upstream`,
            `upstream-generic` (weaker labels)
`kept-shrunk` (trixie still carries a strict part of the patch) is not scored: its right verdict
is `partial`; how each tool classifies those cases is printed.
`dropped-other` cases are never scored; how many of them each tool flags is printed.

In the lists, [aP.] are the hunk states mindelta found in the trixie tree: a = applied (its
pre-image is there), P = present (its post-image is there), . = absent (neither).

Usage: bench/expiry-corpus/evaluate.py [--mindelta PATH] [--no-baseline] [--json FILE]
                                       [--list-all] [--with-git] [PKG...]

With `--with-git`, packages of PACKAGE_GIT declare their git repository (run seed-mirrors.py
first: the check is offline).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(ROOT, "bench", "work", "expiry-corpus")
WS = os.path.join(WORK, "ws")
TREES = os.path.join(WORK, "trees")
PRIMARY_POS = {"upstream"}
EXTENDED_POS = {"upstream", "upstream-weak", "stable-backport", "origin-upstream",
                "upstream-generic"}
NEGATIVE = {"kept", "renamed"}

# `--with-git`: the public git repository of each package's upstream, declared as the tarball
# upstream's `git:` so that the history detectors (`patch-id`, `upstream-commit` on the
# package's own history, mail `From <id>` lines) run too. Offline, they need the mirrors that
# seed-mirrors.py puts in the cache; packages without a mirror there get `error` evidence.
PACKAGE_GIT = {
    "bluez": "https://git.kernel.org/pub/scm/bluetooth/bluez.git",
    "busybox": "https://git.busybox.net/busybox",
    "cups": "https://github.com/OpenPrinting/cups.git",
    "curl": "https://github.com/curl/curl.git",
    "file": "https://github.com/file/file.git",
    "git": "https://github.com/git/git.git",
    "harfbuzz": "https://github.com/harfbuzz/harfbuzz.git",
    "krb5": "https://github.com/krb5/krb5.git",
    "less": "https://github.com/gwsw/less.git",
    "libarchive": "https://github.com/libarchive/libarchive.git",
    "libgit2": "https://github.com/libgit2/libgit2.git",
    "libssh": "https://git.libssh.org/projects/libssh.git",
    "libwebp": "https://github.com/webmproject/libwebp.git",
    "lua5.4": "https://github.com/lua/lua.git",
    "memcached": "https://github.com/memcached/memcached.git",
    "mosquitto": "https://github.com/eclipse-mosquitto/mosquitto.git",
    "net-snmp": "https://github.com/net-snmp/net-snmp.git",
    "openssh": "https://github.com/openssh/openssh-portable.git",
    "samba": "https://gitlab.com/samba-team/samba.git",
    "tiff": "https://gitlab.com/libtiff/libtiff.git",
    "tmux": "https://github.com/tmux/tmux.git",
    "util-linux": "https://github.com/util-linux/util-linux.git",
    "xz-utils": "https://github.com/tukaani-project/xz.git",
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def quote(text):
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def use_work(path):
    """Point the module at the corpus folder `path` (build-corpus.py's `--work`)."""
    global WORK, WS, TREES
    WORK = os.path.abspath(path)
    WS = os.path.join(WORK, "ws")
    TREES = os.path.join(WORK, "trees")


def load_records(packages=()):
    """The manifest's packages that have cases (only `packages`, when given), and the skipped."""
    with open(os.path.join(WORK, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    records = [r for r in manifest["packages"] if r.get("cases")
               and (not packages or r["package"] in packages)]
    skipped = [r for r in manifest["packages"] if "skipped" in r]
    return records, skipped


def write_workspace(record, with_git=False, ws=None):
    """The package's workspace folder under `ws` (default: WORK/ws), rewritten from scratch."""
    package = record["package"]
    folder = os.path.join(ws or WS, "patches", package)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    source = os.path.join(WORK, "pkgs", package, "old", "debian", "patches")
    template = os.path.relpath(os.path.join(WORK, "tarballs", f"{package}-{{version}}.orig"), folder)
    lines = [
        f"name: {quote(package)}",
        "upstream:",
        f"  version: {quote(record['old_upstream'])}",
        f"  tarball: {quote(template)}",
        f"  sha256: {record['old_sha256']}",
    ]
    if with_git and package in PACKAGE_GIT:
        lines.append(f"  git: {quote(PACKAGE_GIT[package])}")
    lines.append("patches:")
    for case in record["cases"]:
        target = os.path.join(folder, case["patch"])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(source, case["patch"]), target)
        lines.append(f"  - file: {quote(case['patch'])}")
        if case["strip"] != 1:
            lines.append(f"    strip: {case['strip']}")
    with open(os.path.join(folder, "package.yaml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def run_check(mindelta, record):
    command = [mindelta, "--workspace", WS, "--offline", "--cache-dir", os.path.join(WORK, "cache"),
               "check", record["package"], "--release", record["new_upstream"], "--format", "json"]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    verdicts = {}
    try:
        document = json.loads(result.stdout) if result.stdout.strip() else {"packages": []}
    except json.JSONDecodeError:
        document = {"packages": []}
    for package in document.get("packages", []):
        for patch in package.get("patches", []):
            verdicts[patch["file"]] = patch
    error = None
    if result.returncode != 0 or not verdicts:
        error = f"exit {result.returncode}: " + " | ".join(result.stderr.strip().splitlines()[:3])
    return verdicts, elapsed, error


def new_tree(record):
    """The pristine trixie upstream tree (extracted once, its single top folder stripped)."""
    tree = os.path.join(TREES, f"{record['package']}-{record['new_upstream']}")
    if os.path.isdir(tree):
        return tree
    os.makedirs(TREES, exist_ok=True)
    temp = tempfile.mkdtemp(dir=TREES, prefix=".extract-")
    with tarfile.open(os.path.join(WORK, record["new_tarball"])) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(temp, filter="data")
        else:
            archive.extractall(temp)
    entries = os.listdir(temp)
    root = os.path.join(temp, entries[0]) if len(entries) == 1 and os.path.isdir(
        os.path.join(temp, entries[0])) else temp
    os.rename(root, tree)
    shutil.rmtree(temp, ignore_errors=True)
    return tree


def reverse_applies(tree, patch, strip, fuzz=None):
    command = ["patch", "-R", "--dry-run", "-f", "-s", f"-p{strip}", "-i", patch, "-d", tree]
    if fuzz is not None:
        command.insert(1, f"-F{fuzz}")
    try:
        result = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


# ---------------------------------------------------------------------------------------------
# --probe: a Python model of a candidate relaxed content detector, to size what it would gain.
# A hunk counts as upstream when its added lines (whitespace-normalised, blank lines ignored)
# appear in order as one block in the file -- or, when the file is gone, in a file of the
# same base name anywhere in the tree -- and its removed lines do not appear as one block
# there. Context lines are ignored entirely (they are what code churn changes).

def parse_hunks(path, strip):
    """[(file, removed lines, added lines)] of a unified diff, -p`strip` applied."""
    hunks = []
    current_file = None
    in_hunk = False
    with open(path, "rb") as handle:
        lines = [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in handle]
    for index, line in enumerate(lines):
        if line.startswith("+++ ") and index and lines[index - 1].startswith("--- "):
            name = line[4:].split("\t")[0].strip()
            if name == "/dev/null":
                name = lines[index - 1][4:].split("\t")[0].strip()
            parts = name.split("/")
            current_file = "/".join(parts[strip:]) if len(parts) > strip else name
            in_hunk = False
        elif line.startswith("@@") and current_file:
            hunks.append((current_file, [], []))
            in_hunk = True
        elif in_hunk and line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- ")):
            text = " ".join(line[1:].split())
            if text:
                hunks[-1][(1 if line[0] == "-" else 2)].append(text)
        elif in_hunk and not line[:1] in (" ", "\\", ""):
            in_hunk = False
    return hunks


def contains_block(haystack, block):
    if not block:
        return False
    first = block[0]
    for start, line in enumerate(haystack):
        if line == first and haystack[start:start + len(block)] == block:
            return True
    return False


class TreeIndex:
    def __init__(self, tree):
        self.tree = tree
        self.by_base = None
        self.cache = {}

    def lines(self, relative):
        if relative not in self.cache:
            try:
                with open(os.path.join(self.tree, relative), "rb") as handle:
                    text = handle.read().decode("utf-8", "replace")
                self.cache[relative] = [" ".join(l.split()) for l in text.splitlines()
                                        if l.strip()]
            except OSError:
                self.cache[relative] = None
        return self.cache[relative]

    def same_base(self, relative):
        if self.by_base is None:
            self.by_base = {}
            for folder, _, files in os.walk(self.tree):
                for name in files:
                    self.by_base.setdefault(name, []).append(
                        os.path.relpath(os.path.join(folder, name), self.tree))
        return self.by_base.get(os.path.basename(relative), [])


def probe(index, patch, strip):
    """(every hunk found relaxed, a file had to be found by its base name)"""
    hunks = parse_hunks(patch, strip)
    if not hunks:
        return False, False
    moved = False
    for relative, removed, added in hunks:
        candidates = [relative] if index.lines(relative) is not None else index.same_base(relative)
        if relative not in candidates:
            moved = True
        substantive = any(sum(ch.isalnum() for ch in line) >= 3 for line in added + removed)
        if not substantive:
            return False, moved
        found = False
        for candidate in candidates:
            text = index.lines(candidate) or []
            if added and not contains_block(text, added):
                continue
            if removed and contains_block(text, removed):
                continue
            if not added and not text:
                continue
            found = True
            break
        if not found:
            return False, moved
    return True, moved


def score(cases, predicate, positives):
    tp = sum(1 for c in cases if c["label"] in positives and predicate(c))
    fn = sum(1 for c in cases if c["label"] in positives and not predicate(c))
    fp = sum(1 for c in cases if c["label"] in NEGATIVE and predicate(c))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*")
    parser.add_argument("--mindelta", default=os.path.join(ROOT, "target", "release", "mindelta"))
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", help="write every case with its verdicts to FILE")
    parser.add_argument("--probe", action="store_true",
                        help="also score a Python model of a relaxed content detector")
    parser.add_argument("--with-git", action="store_true",
                        help="declare each package's git repository (PACKAGE_GIT) as `git:`")
    parser.add_argument("--list-all", action="store_true",
                        help="also list the extended-label misses and dropped-other flags")
    parser.add_argument("--work", default=WORK,
                        help="the corpus folder build-corpus.py wrote (default: bench/work/expiry-corpus)")
    args = parser.parse_args()
    use_work(args.work)
    records, skipped = load_records(args.packages)
    cases = []
    total_time = 0.0
    failures = []
    for record in records:
        write_workspace(record, args.with_git)
        verdicts, elapsed, error = run_check(args.mindelta, record)
        total_time += elapsed
        if error:
            failures.append((record["package"], error))
            log(f"{record['package']}: check failed: {error}")
        tree = None if args.no_baseline else new_tree(record)
        source = os.path.join(WORK, "pkgs", record["package"], "old", "debian", "patches")
        for case in record["cases"]:
            entry = dict(case, package=record["package"], old=record["old_upstream"],
                         new=record["new_upstream"])
            verdict = verdicts.get(case["patch"], {})
            entry["verdict"] = verdict.get("verdict", "missing")
            entry["reason"] = verdict.get("reason")
            entry["cumulative"] = (verdict.get("cumulative") or {}).get("verdict")
            entry["hunks"] = [h["state"] for h in verdict.get("hunks", [])]
            entry["modulo_context"] = [bool(h.get("modulo_context")) for h in verdict.get("hunks", [])]
            entry["evidence_md"] = [f"{e['detector']}:{e['result']}: {e['detail']}"
                                    for e in verdict.get("evidence", [])]
            if tree:
                patch = os.path.join(source, case["patch"])
                entry["baseline"] = reverse_applies(tree, patch, case["strip"])
                entry["baseline_f0"] = reverse_applies(tree, patch, case["strip"], fuzz=0)
            if tree and args.probe:
                if "index" not in locals() or index.tree != tree:
                    index = TreeIndex(tree)
                entry["probe"], entry["probe_moved"] = probe(index, patch, case["strip"])
            cases.append(entry)
        log(f"{record['package']}: {len(record['cases'])} cases, check {elapsed:.2f}s")

    def mindelta(c):
        return c["verdict"] in ("expired", "partial")

    tools = [("mindelta", mindelta)]
    if not args.no_baseline:
        tools += [("patch -R", lambda c: c["baseline"]), ("patch -R -F0", lambda c: c["baseline_f0"])]
        if args.probe:
            tools += [("relaxed model", lambda c: c["probe"]),
                      ("mindelta|model", lambda c: mindelta(c) or c["probe"])]
    labels = {}
    for c in cases:
        labels[c["label"]] = labels.get(c["label"], 0) + 1
    print(f"packages: {len(records)} with cases, {len(skipped)} skipped; cases: {len(cases)} ("
          + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())) + ")")
    print(f"mindelta check: {total_time:.1f}s wall over {len(records)} packages"
          + (f", {len(failures)} failed" if failures else ""))
    results = {}
    for name, positives in (("primary", PRIMARY_POS), ("extended", EXTENDED_POS)):
        pos = sum(1 for c in cases if c["label"] in positives)
        neg = sum(1 for c in cases if c["label"] in NEGATIVE)
        print(f"\n{name}: {pos} positives ({'+'.join(sorted(positives))}), {neg} negatives")
        print(f"  {'tool':<14}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}")
        for tool, predicate in tools:
            s = score(cases, predicate, positives)
            results[f"{name}/{tool}"] = s
            print(f"  {tool:<14}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"
                  f"{s['precision']:>11.3f}{s['recall']:>8.3f}")
    shrunk = [c for c in cases if c["label"] == "kept-shrunk"]
    print(f"\nkept-shrunk ({len(shrunk)}, unscored; right answer: partial): mindelta partial "
          f"{sum(1 for c in shrunk if c['verdict'] == 'partial')}, expired "
          f"{sum(1 for c in shrunk if c['verdict'] == 'expired')}")
    other = [c for c in cases if c["label"] == "dropped-other"]
    print(f"\ndropped-other ({len(other)}, unscored): flagged by "
          + ", ".join(f"{tool} {sum(1 for c in other if p(c))}" for tool, p in tools))
    print("\nverdicts by label:")
    verdict_names = ["expired", "partial", "needed", "conflict", "unknown", "missing"]
    print(f"  {'label':<18}" + "".join(f"{v:>10}" for v in verdict_names))
    for label in sorted(labels):
        row = [sum(1 for c in cases if c["label"] == label and c["verdict"] == v)
               for v in verdict_names]
        print(f"  {label:<18}" + "".join(f"{n:>10}" for n in row))
    print("\nwhich detector proved each primary TP:")
    proofs = {}
    for c in cases:
        if c["label"] in PRIMARY_POS and mindelta(c):
            key = c["reason"] or c["verdict"]
            proofs[key] = proofs.get(key, 0) + 1
    for key, count in sorted(proofs.items(), key=lambda kv: -kv[1]):
        print(f"  {key:<16}{count:>5}")
    if not args.no_baseline:
        both = sum(1 for c in cases if c["label"] in PRIMARY_POS and mindelta(c) and c["baseline"])
        only_m = sum(1 for c in cases if c["label"] in PRIMARY_POS and mindelta(c) and not c["baseline"])
        only_b = sum(1 for c in cases if c["label"] in PRIMARY_POS and not mindelta(c) and c["baseline"])
        print(f"  primary TPs: both {both}, mindelta only {only_m}, patch -R only {only_b}")

    def show(title, selected):
        print(f"\n{title} ({len(selected)}):")
        for c in selected:
            base = "" if args.no_baseline else f" patch-R={'y' if c['baseline'] else 'n'}"
            hunks = "".join({"applied": "a", "present": "P", "absent": "."}.get(h, "?")
                            for h in c["hunks"])
            print(f"  {c['package']} {c['old']}->{c['new']} {c['patch']}: {c['verdict']}"
                  f"{'/' + c['cumulative'] if c['cumulative'] else ''} [{hunks}]{base}"
                  f" | {c['label']}: {c['evidence'][:140]}")

    show("false negatives (primary)",
         [c for c in cases if c["label"] in PRIMARY_POS and not mindelta(c)])
    show("false positives", [c for c in cases if c["label"] in NEGATIVE and mindelta(c)])
    if args.list_all:
        show("false negatives (extended only)",
             [c for c in cases if c["label"] in EXTENDED_POS - PRIMARY_POS and not mindelta(c)])
        show("dropped-other flagged by mindelta",
             [c for c in cases if c["label"] == "dropped-other" and mindelta(c)])
    for package, error in failures:
        print(f"check failed: {package}: {error}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"results": results, "check_seconds": total_time, "cases": cases,
                       "failures": failures}, handle, indent=1)


if __name__ == "__main__":
    main()
