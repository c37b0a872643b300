#!/usr/bin/env python3
"""Score `mindelta check` on the Wolfi corpus: does it call `expired` what Wolfi dropped?

For each bump of the manifest (build-corpus.py), the wolfi-dev/os clone is checked out at
commit A (the bump commit's parent: the package at version A with the patches it carried) in a
scratch work tree, and mindelta runs in place on it, as a Wolfi maintainer would:

    mindelta --workspace <checkout at A> --offline --cache-dir <cache> --format json \
        check <package> --release <B>

Each patch of the package is matched to its case by path (relative to the package folder, or
by base name) and each dependency pin by its module; a prediction is verdict `expired`.
Precision and recall are printed overall, for the patches that only touch dependency manifests
(and per ecosystem), and for the bump pins, false expiries first, then the misses.

Labels: `dropped` and `dropped-followup` are positives; `kept`, `kept-refreshed` and
`refreshed` are negatives (see README.md). Pins: `dropped` is positive, `kept` negative,
`raised` is listed but not scored (the old pin is superseded by a newer pin, not by upstream).

Run offline: seed the cache first with seed-mirrors.py (the upstream histories) and build
mindelta (`cargo build --release`). Usage:

    bench/wolfi-corpus/evaluate.py --repo WOLFI_OS_CLONE [--manifest FILE] [--cache DIR]
        [--scratch DIR] [--mindelta BIN] [--json FILE] [PKG...]
"""

import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(ROOT, "bench", "work", "wolfi-corpus")

POSITIVE = {"dropped", "dropped-followup"}
NEGATIVE = {"kept", "kept-refreshed", "refreshed"}
PIN_POSITIVE = {"dropped"}
PIN_NEGATIVE = {"kept"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def checkout(repo, scratch, commit):
    """The scratch work tree of `repo`, at `commit`, with nothing else in it."""
    if not os.path.isdir(os.path.join(scratch, ".git")) and not os.path.isfile(
            os.path.join(scratch, ".git")):
        os.makedirs(os.path.dirname(scratch), exist_ok=True)
        subprocess.run(["git", "-C", repo, "worktree", "add", "--detach", "--force", scratch,
                        commit], check=True, capture_output=True)
    subprocess.run(["git", "-C", scratch, "checkout", "--quiet", "--detach", "--force", commit],
                   check=True)
    subprocess.run(["git", "-C", scratch, "clean", "-fdxq"], check=True)


def run_check(mindelta, scratch, cache, package, release):
    command = [mindelta, "--workspace", scratch, "--offline", "--cache-dir", cache,
               "--format", "json", "check", package, "--release", release]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    return report, result, elapsed


def entries(report, package):
    """The package's patch entries of a `check` report (all packages if the name differs), or
    None when the report has no record of the package (`check` failed for it: no tree)."""
    found = None
    for record in (report or {}).get("packages", []):
        if record.get("name") in (package, None) or len(report["packages"]) == 1:
            found = found or []
            found.extend(record.get("patches", []))
            # A melange package's `go/bump` pins, one entry per module (`module`, `version`).
            found.extend(record.get("pins", []))
    return found


def failure(result):
    """Why `check` gave no record: its first `error:` line and the `caused by:` lines."""
    lines = [line.strip() for line in result.stderr.splitlines()]
    why = [line for line in lines if line.startswith(("error:", "caused by:"))]
    return " / ".join(why) or (lines[-1] if lines else f"exit {result.returncode}")


def mirrors(cache, bump):
    """The cache's mirrors of the bump's upstream, under each spelling seed-mirrors.py uses."""
    github = bump["upstream"]["github"]
    urls = {f"https://github.com/{github}", f"https://github.com/{github}.git"}
    for key in ("repository", "uri"):
        written = bump["upstream"].get(key) or ""
        match = re.match(r"^(https?://github\.com/[^/]+/[^/]+)", written)
        if match and "${{" not in match.group(1):
            urls.add(match.group(1))
        if key == "repository" and written and "${{" not in written:
            urls.add(written)
    paths = (os.path.join(cache, "git", hashlib.sha256(url.encode()).hexdigest()) for url in urls)
    return [path for path in paths if os.path.isdir(path)]


def has_commit(mirror, commit):
    return bool(commit) and subprocess.run(
        ["git", "-C", mirror, "cat-file", "-e", commit + "^{commit}"],
        capture_output=True).returncode == 0


def not_judged(case, bump, cache):
    """Why a case has no verdict of its own to score, as a short class (None: it has one)."""
    verdict = case["verdict"]
    if verdict == "error":
        message = case.get("error", "")
        if bump["upstream"]["kind"] == "fetch" and "not in the cache" in message:
            return "fetch upstream: R's tarball not in the cache (the history alone is not R)"
        found = mirrors(cache, bump)
        if not found:
            return "no upstream history here"
        commit_b = (bump.get("upstream_b") or {}).get("expected_commit")
        if commit_b and not any(has_commit(m, commit_b) for m in found):
            return "history here, but older than R (the snapshot lacks R's commit)"
        if not bump["upstream"].get("tag"):
            return "a branch checkout: R has no tag (its commit is in B's YAML only)"
        if "not in the cache" in message or "no tag" in message or "no release" in message:
            return "R's commit here, but not its tag (the snapshot predates the tag)"
        return "check failed: " + message[:80]
    if verdict == "missing":
        if "module" in case:
            return f"a pin of a step check does not judge ({case.get('pipeline')})"
        return "patch not in check's list (not read from the YAML)"
    if verdict == "unknown":
        errors = [e for e in case.get("evidence", []) if e.get("result") == "error"]
        if any(e.get("detector") == "patch" for e in errors):
            return "patch file not read (parse error)"
        details = " ".join(str(e.get("detail")) for e in errors)
        if "a submodule of R" in details:
            return "patch of a submodule's files (R's tree holds only its commit)"
        if "the tree of another checkout" in details:
            return "patch of another git-checkout's tree, not the upstream's"
        if errors:
            return "unknown: " + "; ".join(str(e.get("detail"))[:60] for e in errors)
    return None


def match_patch(case, patches):
    stem = case["yaml"][:-len(".yaml")]
    relative = case["path"][len(stem) + 1:] if case["path"].startswith(stem + "/") else case["path"]
    base = os.path.basename(case["path"])
    for patch in patches:
        if patch.get("file") in (case["patch"], relative, case["path"]):
            return patch
    for patch in patches:
        if os.path.basename(str(patch.get("file", ""))) == base:
            return patch
    return None


def match_pin(pin, patches):
    """A pin's entry: one naming the module in `module`/`dependency`/`pin`, or in its `file`."""
    module = pin["module"].removeprefix("replace:")
    for patch in patches:
        for key in ("module", "dependency", "pin", "name"):
            value = str(patch.get(key, ""))
            if value and (value == module or value.startswith(module + "@")):
                return patch
    for patch in patches:
        if module in str(patch.get("file", "")) and "@" in str(patch.get("file", "")):
            return patch
    return None


def score(cases, positive, negative):
    tp = sum(1 for c in cases if c["label"] in positive and c["verdict"] == "expired")
    fp = sum(1 for c in cases if c["label"] in negative and c["verdict"] == "expired")
    fn = sum(1 for c in cases if c["label"] in positive and c["verdict"] != "expired")
    tn = sum(1 for c in cases if c["label"] in negative and c["verdict"] != "expired")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return f"TP {tp:4} FP {fp:4} FN {fn:4} TN {tn:4}  precision {precision:.3f}  recall {recall:.3f}"


def describe(case):
    evidence = "; ".join(f"{e.get('detector')}={e.get('result')}"
                         + (f" ({str(e.get('detail'))[:100]})" if e.get("detail") else "")
                         for e in case.get("evidence", [])[:4])
    what = case.get("patch") or f"{case.get('module')}@{case.get('pin')}"
    return (f"  {case['package']} {case['version_a']} -> {case['version_b']}  {what}  "
            f"[{case['label']}] verdict {case['verdict']} reason {case.get('reason')}  {evidence}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help="only these packages")
    parser.add_argument("--repo", required=True, help="the wolfi-dev/os clone build-corpus.py read")
    parser.add_argument("--manifest", default=os.path.join(WORK, "manifest.json"))
    parser.add_argument("--cache", help="mindelta's cache (default: <manifest folder>/cache)")
    parser.add_argument("--scratch", help="scratch work tree (default: <manifest folder>/checkout)")
    parser.add_argument("--mindelta", default=os.path.join(ROOT, "target", "release", "mindelta"))
    parser.add_argument("--json", help="write every case with its verdict to FILE")
    parser.add_argument("--keep-duplicates", action="store_true",
                        help="also run a bump identical to an earlier one (same package, A, B, "
                             "patches and pins with the same labels; wolfi-os's first-parent "
                             "history repeats some bumps), which is skipped by default")
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as handle:
        manifest = json.load(handle)
    base = os.path.dirname(os.path.abspath(args.manifest))
    cache = os.path.abspath(args.cache or os.path.join(base, "cache"))
    scratch = os.path.abspath(args.scratch or os.path.join(base, "checkout"))
    repo = os.path.abspath(args.repo)
    if not os.access(args.mindelta, os.X_OK):
        sys.exit(f"error: no mindelta binary at {args.mindelta} (run `cargo build --release`)")

    by_bump = collections.defaultdict(lambda: {"cases": [], "pins": []})
    for case in manifest["cases"]:
        by_bump[(case["package"], case["commit_bump"])]["cases"].append(case)
    for pin in manifest["pins"]:
        by_bump[(pin["package"], pin["commit_bump"])]["pins"].append(pin)
    bumps = {(b["package"], b["commit_bump"]): b for b in manifest["bumps"]}
    errors = []
    total = 0.0
    # oldest commit first: the scratch tree moves forward
    order = sorted(by_bump, key=lambda key: bumps[key]["date_bump"])
    seen = set()
    duplicates = 0
    for key in order:
        package, _ = key
        if args.packages and package not in args.packages:
            continue
        bump = bumps[key]
        # The same bump met again (a merge of an older branch takes the YAML back to A): its
        # cases are the earlier one's, scored once.
        same = (package, bump["version_a"], bump["version_b"],
                frozenset((c["path"], c["sha256"], c["label"]) for c in by_bump[key]["cases"]),
                frozenset((p["module"], p["pin"], p["label"]) for p in by_bump[key]["pins"]))
        if same in seen and not args.keep_duplicates:
            duplicates += 1
            continue
        seen.add(same)
        checkout(repo, scratch, bump["commit_a"])
        report, result, elapsed = run_check(args.mindelta, scratch, cache, package,
                                            bump["version_b"])
        total += elapsed
        patches = entries(report, package)
        # No record of the package: `check` failed for it (exit 5: no tree of R), and every
        # case of the bump is an error, not a patch the reader missed.
        error = failure(result) if patches is None else None
        if report is None:
            errors.append(f"{package} {bump['version_a']} -> {bump['version_b']}: exit "
                          f"{result.returncode}: {error}")
        for case in by_bump[key]["cases"]:
            found = match_patch(case, patches or [])
            case["verdict"] = found.get("verdict") if found else ("error" if error
                                                                   else "missing")
            if error:
                case["error"] = error
            if found:
                case["reason"] = found.get("reason")
                case["evidence"] = found.get("evidence", [])
                case["hunks"] = found.get("hunks", [])
        for pin in by_bump[key]["pins"]:
            found = match_pin(pin, patches or [])
            pin["verdict"] = found.get("verdict") if found else ("error" if error
                                                                 else "missing")
            if error:
                pin["error"] = error
            if found:
                pin["reason"] = found.get("reason")
                pin["evidence"] = found.get("evidence", [])
        log(f"{package} {bump['version_a']} -> {bump['version_b']}: {elapsed:.1f}s")

    cases = [c for c in manifest["cases"] if "verdict" in c]
    pins = [p for p in manifest["pins"] if "verdict" in p]
    print(f"{len(cases)} patch cases, {len(pins)} pin cases; check took {total:.0f}s; "
          f"{duplicates} duplicate bumps skipped")
    print("\nFalse expiries (negatives called expired):")
    for case in cases + pins:
        negative = PIN_NEGATIVE if "module" in case else NEGATIVE
        if case["label"] in negative and case["verdict"] == "expired":
            print(describe(case))
    for case in cases + pins:
        case["not_judged"] = not_judged(case, bumps[(case["package"], case["commit_bump"])],
                                        cache)
    judged = [c for c in cases if not c["not_judged"]]
    judged_pins = [p for p in pins if not p["not_judged"]]
    print("\nScores (prediction: verdict `expired`). Every case, then (judged) only the cases "
          "with a verdict of their own (R's tree here, the patch read):")
    for name, group, judged_group in (("all patches", cases, judged),
                                      ("code patches", *(
                                          [c for c in g if not c["dependency_only"]]
                                          for g in (cases, judged))),
                                      ("dependency-only", *(
                                          [c for c in g if c["dependency_only"]]
                                          for g in (cases, judged)))):
        print(f"  {name:22} {score(group, POSITIVE, NEGATIVE)}")
        print(f"  {name + ' (judged)':22} {score(judged_group, POSITIVE, NEGATIVE)}")
    dependency = [c for c in judged if c["dependency_only"]]
    for ecosystem in sorted({c["ecosystem"] for c in dependency}):
        subset = [c for c in dependency if c["ecosystem"] == ecosystem]
        print(f"    {ecosystem + ' (judged)':20} {score(subset, POSITIVE, NEGATIVE)}")
    for label in sorted(POSITIVE):
        for name, group in (("all", cases), ("judged", judged)):
            subset = [c for c in group if c["label"] == label]
            hit = sum(c["verdict"] == "expired" for c in subset)
            print(f"  {label} ({name}): {hit} of {len(subset)} called expired")
    print(f"  bump pins              {score(pins, PIN_POSITIVE, PIN_NEGATIVE)}")
    print(f"  bump pins (judged)     {score(judged_pins, PIN_POSITIVE, PIN_NEGATIVE)}")
    for ecosystem in sorted({p["ecosystem"] for p in pins}):
        for name, group in (("", pins), (" (judged)", judged_pins)):
            subset = [p for p in group if p["ecosystem"] == ecosystem]
            print(f"    {ecosystem + name:20} {score(subset, PIN_POSITIVE, PIN_NEGATIVE)}")
    verdicts = collections.Counter((c["label"], c["verdict"]) for c in cases)
    print("\nVerdicts per label (patches): " + ", ".join(
        f"{label}/{verdict} {n}" for (label, verdict), n in sorted(verdicts.items())))
    print("\nNot judged (no verdict of their own; counted as not expired in the first rows):")
    for kind, group in (("patches", cases), ("pins", pins)):
        reasons = collections.Counter()
        for case in group:
            if case["not_judged"]:
                positive = case["label"] in (PIN_POSITIVE if kind == "pins" else POSITIVE)
                reasons[(case["not_judged"], positive)] += 1
        for (why, positive), n in sorted(reasons.items(), key=lambda item: -item[1]):
            print(f"  {kind:8} {'positive' if positive else 'negative'}  {n:4}  {why}")
    print("\nMissed expiries (positives not called expired):")
    for case in cases + pins:
        positive = PIN_POSITIVE if "module" in case else POSITIVE
        if case["label"] in positive and case["verdict"] != "expired":
            print(describe(case))
    if errors:
        print(f"\n{len(errors)} runs without a JSON report:")
        for line in errors:
            print("  " + line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"cases": cases, "pins": pins}, handle, indent=1)


if __name__ == "__main__":
    main()
