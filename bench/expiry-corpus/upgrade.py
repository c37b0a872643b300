#!/usr/bin/env python3
"""Carry the bookworm -> trixie corpus with `mindelta upgrade`, beside today's `expire`.

Reads the manifest build-corpus.py wrote. For every package with cases, on a fresh workspace
each (evaluate.py's, under WORK/upgrade/):

  upgrade   mindelta --offline upgrade PKG --release <trixie upstream> --no-stop --format json
  expire    mindelta --offline expire PKG --release <trixie upstream> --allow-conflicts --format json

and prints, per package and in total, what each did with the bookworm series: dropped
(`expired`, `merged-empty`), kept, refreshed (`shrunk` counted apart), merged cleanly,
conflicting. Then, on the series the upgrade wrote:

  zero fuzz   every patch it left in the series (all but `conflict`, which stay untouched) is
              applied in series order to a pristine copy of the trixie upstream tree: each is
              checked with GNU `patch --dry-run -F0 -pN` (no "offset"/"fuzz" in its output) and
              `git apply --check -pN`, then applied for real with GNU patch. Each failure is
              listed (a bug of the upgrade).
  order       every patch the upgrade dropped (`expired`, `merged-empty`: judged against R
              alone) is tried, file by file, on R with the carried patches before it: a file part
              that applies there but not on R means an earlier carried patch brought back what
              the dropped one removes (the pair's net change is lost).
  Debian      for the carried patches trixie still carries under the same name (in
              `debian/patches/series`), whether the tree after our series prefix up to that
              patch and the tree after Debian's trixie series prefix up to its own copy (both on
              the pristine trixie tree) hold identical contents in the files either copy touches.
  conflicts   of the patches `expire` leaves as `conflict`, what the upgrade made of them.

Usage: bench/expiry-corpus/upgrade.py [--mindelta PATH] [--work DIR] [--json FILE]
                                      [--no-verify] [PKG...]

The default binary is the debug build (`cargo build`): the runs are dominated by reading the
tarballs, not by mindelta's code. Like evaluate.py the runs are offline: the repositories that
commit URLs name are read from DIR/cache if seed-mirrors.py put them there, else those
detectors report that they could not read them.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

import evaluate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

_spec = importlib.util.spec_from_file_location("build_corpus", os.path.join(HERE, "build-corpus.py"))
build_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_corpus)

log = evaluate.log

# What each command did with a patch, in the columns of the tables.
COLUMNS = ["expired", "merged-empty", "kept", "refreshed", "shrunk", "merged", "conflict", "other"]
UPGRADE_COLUMN = {"expired": "expired", "merged-empty": "merged-empty", "kept": "kept",
                  "refreshed": "refreshed", "shrunk": "shrunk", "merged": "merged",
                  "conflict": "conflict"}
# `expire`'s plan, list by list. `already_upstream` (proven only in series order) is left in
# place, and `needs_refresh` keeps the version as a conflict does: both count as `other`.
EXPIRE_LISTS = {"expired": "expired", "unchanged": "kept", "refreshed": "refreshed",
                "shrunk": "shrunk", "conflicts": "conflict", "needs_refresh": "other",
                "already_upstream": "other"}
STILL_CARRIED = {"kept", "kept-shrunk", "renamed"}
OFFSET_OR_FUZZ = re.compile(r"\(offset -?\d+ lines?\)|with fuzz \d", re.IGNORECASE)


def run_json(command):
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                            stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    try:
        document = json.loads(result.stdout) if result.stdout.strip() else None
    except json.JSONDecodeError:
        document = None
    return document, result, elapsed


def fresh_workspace(record, name):
    ws = os.path.join(evaluate.WORK, "upgrade", name)
    shutil.rmtree(ws, ignore_errors=True)
    evaluate.write_workspace(record, ws=ws)
    return ws


def mindelta_command(mindelta, ws, *arguments):
    return [mindelta, "--workspace", ws, "--offline", "--cache-dir",
            os.path.join(evaluate.WORK, "cache"), *arguments]


def failure(result, document):
    """The error of a run, or None: exit 0 (finished) and 3 (held conflicts) are results."""
    if result.returncode in (0, 3) and document and document.get("packages"):
        return None
    lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
    return f"exit {result.returncode}: " + " | ".join(lines[:4])


def run_upgrade(mindelta, record):
    ws = fresh_workspace(record, "ws-upgrade")
    command = mindelta_command(mindelta, ws, "upgrade", record["package"], "--release",
                               record["new_upstream"], "--no-stop", "--format", "json")
    document, result, elapsed = run_json(command)
    outcome = {"command": command, "seconds": elapsed, "error": failure(result, document),
               "exit": result.returncode, "steps": {}, "status": None, "ws": ws}
    if not outcome["error"]:
        package = document["packages"][0]
        outcome["status"] = package.get("status")
        for step in package.get("patches", []):
            outcome["steps"][step["file"]] = step
    return outcome


def run_expire(mindelta, record):
    ws = fresh_workspace(record, "ws-expire")
    command = mindelta_command(mindelta, ws, "expire", record["package"], "--release",
                               record["new_upstream"], "--allow-conflicts", "--format", "json")
    document, result, elapsed = run_json(command)
    outcome = {"command": command, "seconds": elapsed, "error": failure(result, document),
               "exit": result.returncode, "steps": {}}
    if not outcome["error"]:
        plan = document["packages"][0]
        for key, column in EXPIRE_LISTS.items():
            for entry in plan.get(key, []):
                file = entry["file"] if isinstance(entry, dict) else entry
                outcome["steps"][file] = dict(entry, column=column) if isinstance(
                    entry, dict) else {"file": file, "column": column}
    return outcome


def column_of_upgrade(step):
    return UPGRADE_COLUMN.get(step.get("outcome"), "other") if step else "missing"


def written_series(ws, package):
    """[(file, strip)] of the package's series as the run left it."""
    folder = os.path.join(ws, "patches", package)
    with open(os.path.join(folder, "package.yaml"), encoding="utf-8") as handle:
        manifest = yaml.safe_load(handle)
    return [(os.path.join(folder, p["file"]), p["file"], int(p.get("strip", 1)))
            for p in manifest.get("patches") or []]


def patch_paths(path, strip):
    """The paths (after -p`strip`) a unified or git diff names, old and new sides."""
    paths = set()
    with open(path, "rb") as handle:
        lines = [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in handle]
    for index, line in enumerate(lines):
        names = []
        if line.startswith("+++ ") and index and lines[index - 1].startswith("--- "):
            names = [lines[index - 1][4:], line[4:]]
        elif line.startswith(("rename from ", "rename to ", "copy from ", "copy to ")):
            names = ["x/" * strip + line.split(" ", 2)[2]]
        for name in names:
            name = name.split("\t")[0].strip()
            if name.startswith('"') and name.endswith('"'):
                name = name[1:-1]
            if name == "/dev/null":
                continue
            parts = name.split("/")
            if len(parts) > strip:
                paths.add("/".join(parts[strip:]))
    return paths


def copy_tree(record, into):
    source = evaluate.new_tree(record)
    target = os.path.join(into, "tree")
    shutil.copytree(source, target, symlinks=True)
    return target


def gnu_patch(tree, path, strip, dry_run, fuzz=0):
    command = ["patch", f"-F{fuzz}", "-f", "-N", "-E", "--no-backup-if-mismatch", f"-p{strip}",
               "-i", path, "-d", tree]
    if dry_run:
        command.insert(1, "--dry-run")
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, timeout=300)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def zero_context(path):
    """Whether a hunk of the patch has no context line (`@@ -822 +822 @@`, `diff -U0`)."""
    with open(path, "rb") as handle:
        text = handle.read().decode("utf-8", "replace")
    return re.search(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", text, re.MULTILINE) is not None and any(
        not re.search(r"^ ", hunk, re.MULTILINE)
        for hunk in re.split(r"^@@ ", text, flags=re.MULTILINE)[1:])


def git_apply_check(tree, path, strip):
    """(applies, output, needed --unidiff-zero): git refuses hunks without context unless told."""
    command = ["git", "apply", "--check", f"-p{strip}", path]
    for attempt in (command, command[:3] + ["--unidiff-zero"] + command[3:]):
        result = subprocess.run(attempt, cwd=tree, capture_output=True, text=True,
                                errors="replace", stdin=subprocess.DEVNULL)
        if result.returncode == 0 or not zero_context(path):
            break
    return (result.returncode == 0, (result.stdout + result.stderr).strip(),
            "--unidiff-zero" in attempt)


def file_sections(path):
    """The per-file parts of a patch: [(the paths it names, its text)]."""
    with open(path, "rb") as handle:
        lines = handle.read().decode("utf-8", "surrogateescape").splitlines(keepends=True)
    starts = []
    for index, line in enumerate(lines):
        if line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            start = index
            while start > 0 and re.match(r"(diff |index |new file mode|deleted file mode|"
                                         r"old mode|new mode|similarity |rename )", lines[start - 1]):
                start -= 1
            starts.append(start)
    return ["".join(lines[a:b]) for a, b in zip(starts, starts[1:] + [len(lines)])]


def reapplying_sections(pristine, tree, path, strip, scratch):
    """The files of a dropped patch whose part applies (-F0) on the carried tree but not on R:
    an earlier carried patch brought back the pre-image this patch changes."""
    found = []
    for index, text in enumerate(file_sections(path)):
        piece = os.path.join(scratch, f"section-{index}.patch")
        with open(piece, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
        if (gnu_patch(tree, piece, strip, dry_run=True)[0]
                and not gnu_patch(pristine, piece, strip, dry_run=True)[0]):
            found.extend(sorted(patch_paths(piece, strip)))
        os.remove(piece)
    return found


def snapshot(tree, paths):
    contents = {}
    for relative in sorted(paths):
        full = os.path.join(tree, relative)
        if os.path.islink(full):
            contents[relative] = ("link", os.readlink(full))
        elif os.path.isfile(full):
            with open(full, "rb") as handle:
                contents[relative] = handle.read()
        else:
            contents[relative] = None
    return contents


def verify(record, upgrade, scratch):
    """Zero-fuzz check of the written series and the comparison with Debian's trixie copies."""
    package = record["package"]
    series = written_series(upgrade["ws"], package)
    carried = [(path, name, strip) for path, name, strip in series
               if column_of_upgrade(upgrade["steps"].get(name)) != "conflict"]
    debian_dir = os.path.join(evaluate.WORK, "pkgs", package, "new", "debian", "patches")
    debian_series = [(os.path.join(debian_dir, name), name, strip)
                     for name, strip in build_corpus.read_series(debian_dir)
                     if os.path.isfile(os.path.join(debian_dir, name))]
    debian_names = {name: (path, strip) for path, name, strip in debian_series}
    shared = {}  # name -> (the files our copy touches, the files either copy touches)
    for path, name, strip in carried:
        if name in debian_names:
            theirs, their_strip = debian_names[name]
            mine = patch_paths(path, strip)
            shared[name] = (mine, mine | patch_paths(theirs, their_strip))

    checks = []
    dropped = []
    ours = {}
    written = {name: (path, strip) for path, name, strip in carried}
    pristine = evaluate.new_tree(record)
    old_dir = os.path.join(evaluate.WORK, "pkgs", package, "old", "debian", "patches")
    tree = copy_tree(record, os.path.join(scratch, "ours"))
    for case in record["cases"]:
        name = case["patch"]
        outcome = column_of_upgrade(upgrade["steps"].get(name))
        if outcome in ("expired", "merged-empty"):
            # Dropped against R alone: does a carried earlier patch bring back what it removes?
            sections = reapplying_sections(pristine, tree, os.path.join(old_dir, name),
                                           case["strip"], scratch)
            dropped.append({"file": name, "outcome": outcome, "reapplies": sections})
            continue
        if name not in written:
            continue
        path, strip = written[name]
        check = {"file": name, "outcome": outcome}
        applies, output = gnu_patch(tree, path, strip, dry_run=True)
        check["patch_f0"] = applies and not OFFSET_OR_FUZZ.search(output)
        check["patch_output"] = output[-600:] if not check["patch_f0"] else ""
        git_ok, git_output, check["unidiff_zero"] = git_apply_check(tree, path, strip)
        check["git_apply"] = git_ok
        check["git_output"] = git_output[-600:] if not git_ok else ""
        if applies:
            gnu_patch(tree, path, strip, dry_run=False)
        elif gnu_patch(tree, path, strip, dry_run=True, fuzz=2)[0]:
            gnu_patch(tree, path, strip, dry_run=False, fuzz=2)
            check["applied_with_fuzz"] = True
        else:
            check["not_applied"] = True
        checks.append(check)
        if name in shared:
            ours[name] = snapshot(tree, shared[name][1])
    final = snapshot(tree, set().union(*(either for _, either in shared.values())))
    shutil.rmtree(os.path.join(scratch, "ours"), ignore_errors=True)

    comparisons = {name: {"file": name, "outcome": column_of_upgrade(upgrade["steps"].get(name))}
                   for name in shared}

    def compare(side, name, mine_contents, theirs_contents, applies):
        mine, either = shared[name]
        differing = sorted(p for p in either if mine_contents.get(p) != theirs_contents.get(p))
        comparisons[name].update({
            f"{side}_applies": applies,
            f"{side}_identical": applies and not differing,
            f"{side}_identical_ours": applies and not set(differing) & mine,
            f"{side}_differing": differing[:5]})

    if not shared:
        return checks, dropped, []
    # `prefix`: the tree after each series prefix, Debian's whole trixie series on its side.
    tree = copy_tree(record, os.path.join(scratch, "prefix"))
    last = max(i for i, (_, name, _) in enumerate(debian_series) if name in shared)
    for path, name, strip in debian_series[:last + 1]:
        applies, output = gnu_patch(tree, path, strip, dry_run=False)
        if not applies:
            log(f"{package}: Debian's trixie {name} does not apply with -F0: {output[-200:]}")
        if name in shared:
            compare("prefix", name, ours[name], snapshot(tree, shared[name][1]), applies)
    shutil.rmtree(os.path.join(scratch, "prefix"), ignore_errors=True)
    # `common`: the trees after the whole series, Debian's restricted to the patches our series
    # carries too (in its order): neither trixie-only patches nor a changed order count.
    tree = copy_tree(record, os.path.join(scratch, "common"))
    applied = {}
    for path, name, strip in debian_series:
        if name in shared:
            applied[name] = gnu_patch(tree, path, strip, dry_run=False)[0]
    theirs = snapshot(tree, set(final))
    for name in shared:
        compare("common", name, final, theirs, applied[name])
    shutil.rmtree(os.path.join(scratch, "common"), ignore_errors=True)
    return checks, dropped, list(comparisons.values())


def table(title, rows, columns):
    print(f"\n{title}")
    width = max([len(r[0]) for r in rows] + [8])
    print(f"  {'':<{width}}" + "".join(f"{c:>13}" for c in columns))
    for label, values in rows:
        print(f"  {label:<{width}}" + "".join(f"{v:>13}" for v in values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*")
    parser.add_argument("--mindelta", default=os.path.join(ROOT, "target", "debug", "mindelta"))
    parser.add_argument("--work", default=evaluate.WORK,
                        help="the corpus folder build-corpus.py wrote (default: bench/work/expiry-corpus)")
    parser.add_argument("--json", help="write every package's runs and checks to FILE")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the zero-fuzz check and the comparison with Debian")
    args = parser.parse_args()
    evaluate.use_work(args.work)
    mindelta = os.path.abspath(args.mindelta)
    records, _ = evaluate.load_records(args.packages)
    results = []
    for record in records:
        package = record["package"]
        upgrade = run_upgrade(mindelta, record)
        expire = run_expire(mindelta, record)
        entry = {"package": package, "from": record["old_upstream"], "to": record["new_upstream"],
                 "labels": {c["patch"]: c["label"] for c in record["cases"]},
                 "upgrade": upgrade, "expire": expire, "checks": [], "dropped": [],
                 "comparisons": []}
        for run, name in ((upgrade, "upgrade"), (expire, "expire")):
            if run["error"]:
                log(f"{package}: {name} failed: {run['error']}")
        if not upgrade["error"] and not args.no_verify:
            scratch = tempfile.mkdtemp(dir=evaluate.WORK, prefix=".upgrade-verify-")
            try:
                entry["checks"], entry["dropped"], entry["comparisons"] = verify(
                    record, upgrade, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        bad = sum(1 for c in entry["checks"] if not (c["patch_f0"] and c["git_apply"]))
        log(f"{package}: upgrade {upgrade['status'] or 'error'} {upgrade['seconds']:.1f}s, "
            f"expire {expire['seconds']:.1f}s, {len(entry['checks'])} carried checked"
            + (f", {bad} FAILED" if bad else ""))
        results.append(entry)
    report(results)
    if args.json:
        for entry in results:
            entry["upgrade"].pop("ws", None)
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)


def report(results):
    per_package = []
    totals = {"upgrade": dict.fromkeys(COLUMNS + ["missing"], 0),
              "expire": dict.fromkeys(COLUMNS + ["missing"], 0)}
    cross = {}
    for entry in results:
        counts = {}
        for name in ("upgrade", "expire"):
            counts[name] = dict.fromkeys(COLUMNS + ["missing"], 0)
            if entry[name]["error"]:
                continue
            for patch in entry["labels"]:
                step = entry[name]["steps"].get(patch)
                column = (column_of_upgrade(step) if name == "upgrade"
                          else (step["column"] if step else "missing"))
                counts[name][column] += 1
                totals[name][column] += 1
        if not entry["upgrade"]["error"] and not entry["expire"]["error"]:
            for patch in entry["labels"]:
                step = entry["expire"]["steps"].get(patch)
                before = step["column"] if step else "missing"
                after = column_of_upgrade(entry["upgrade"]["steps"].get(patch))
                cross[(before, after)] = cross.get((before, after), 0) + 1
        per_package.append((entry, counts))

    patches = sum(len(e["labels"]) for e in results)
    print(f"packages: {len(results)}; bookworm patches: {patches}")
    print(f"upgrade: {sum(e['upgrade']['seconds'] for e in results):.1f}s wall, "
          f"expire: {sum(e['expire']['seconds'] for e in results):.1f}s wall")
    table("totals (patches)", [(c, [totals["upgrade"][c], totals["expire"][c]])
                               for c in COLUMNS + ["missing"]], ["upgrade", "expire"])

    print("\nper package (upgrade: exp/m-e/kept/ref/shr/merged/confl | expire: exp/kept/ref/shr/confl"
          "/other; seconds)")
    for entry, counts in per_package:
        u, e = counts["upgrade"], counts["expire"]
        upgrade = ("ERROR" if entry["upgrade"]["error"] else
                   "/".join(str(u[c]) for c in ["expired", "merged-empty", "kept", "refreshed",
                                                 "shrunk", "merged", "conflict"]))
        expire = ("ERROR" if entry["expire"]["error"] else
                  "/".join(str(e[c]) for c in ["expired", "kept", "refreshed", "shrunk",
                                                "conflict", "other"]))
        print(f"  {entry['package']:<16} {entry['from']} -> {entry['to']}: {upgrade:<22} | "
              f"{expire:<18} {entry['upgrade']['seconds']:6.1f} {entry['expire']['seconds']:6.1f}")

    print("\nexpire's outcome -> the upgrade's (patches of packages where both ran):")
    for (before, after), count in sorted(cross.items()):
        print(f"  {before:<10} -> {after:<13}{count:>5}")
    conflicts = sum(n for (b, _), n in cross.items() if b == "conflict")
    cleared = sum(n for (b, a), n in cross.items() if b == "conflict"
                  and a in ("merged", "merged-empty"))
    if conflicts:
        print(f"  expire's conflicts the upgrade merges cleanly or finds merged-empty: {cleared} "
              f"of {conflicts} ({cleared / conflicts:.1%})")

    still = [0, 0]  # expire's conflicts that trixie still carries: all, cleared by the upgrade
    for entry in results:
        if entry["upgrade"]["error"] or entry["expire"]["error"]:
            continue
        for patch, label in entry["labels"].items():
            step = entry["expire"]["steps"].get(patch)
            if label in STILL_CARRIED and step and step["column"] == "conflict":
                still[0] += 1
                still[1] += column_of_upgrade(entry["upgrade"]["steps"].get(patch)) in (
                    "merged", "merged-empty")
    if still[0]:
        print(f"  of those trixie still carries ({'/'.join(sorted(STILL_CARRIED))}): {still[1]} "
              f"of {still[0]} ({still[1] / still[0]:.1%})")
    for entry in results:
        for patch, step in entry["upgrade"]["steps"].items():
            if step.get("outcome") == "merged-empty":
                print(f"  merged-empty: {entry['package']} {patch} "
                      f"({entry['labels'].get(patch)}): {step.get('evidence')}")

    checks = [dict(c, package=e["package"]) for e in results for c in e["checks"]]
    failed_patch = [c for c in checks if not c["patch_f0"]]
    failed_git = [c for c in checks if not c["git_apply"]]
    print(f"\nzero fuzz: {len(checks)} carried patches checked in series order; "
          f"GNU patch -F0 failures {len(failed_patch)}, git apply --check failures {len(failed_git)}"
          f" ({sum(1 for c in checks if c['unidiff_zero'])} patches with hunks without context "
          "checked with --unidiff-zero)")
    by_outcome = {}
    for c in checks:
        ok = c["patch_f0"] and c["git_apply"]
        row = by_outcome.setdefault(c["outcome"], [0, 0])
        row[0 if ok else 1] += 1
    for outcome, (ok, bad) in sorted(by_outcome.items()):
        print(f"  {outcome:<12} {ok:>5} apply, {bad:>3} fail")
    for c in checks:
        if not (c["patch_f0"] and c["git_apply"]):
            print(f"  FAIL {c['package']} {c['file']} ({c['outcome']}): "
                  f"patch -F0 {'ok' if c['patch_f0'] else 'FAILS'}, git apply "
                  f"{'ok' if c['git_apply'] else 'FAILS'}"
                  + (" (applied with fuzz 2)" if c.get("applied_with_fuzz") else "")
                  + (" (not applied)" if c.get("not_applied") else ""))
            for text in (c["patch_output"], c["git_output"]):
                for line in text.splitlines()[-3:]:
                    print(f"      {line}")

    dropped = [dict(d, package=e["package"]) for e in results for d in e.get("dropped", [])]
    flagged = [d for d in dropped if d["reapplies"]]
    print(f"\nseries order: {len(dropped)} dropped patches; {len(flagged)} of them change files "
          "that an earlier carried patch brought back (their part applies on R + the carried "
          "prefix, not on R)")
    for d in flagged:
        print(f"  {d['package']} {d['file']} ({d['outcome']}): " + ", ".join(d["reapplies"][:5]))

    comparisons = [dict(c, package=e["package"]) for e in results for c in e["comparisons"]]
    print(f"\nDebian's trixie copies: {len(comparisons)} carried patches trixie still carries, "
          "identical trees after applying (files either copy touches / files ours touches)")
    for side, title in (("prefix", "Debian's whole series prefix"),
                        ("common", "the whole series, Debian's restricted to the patches we carry")):
        same = sum(1 for c in comparisons if c.get(f"{side}_identical"))
        same_ours = sum(1 for c in comparisons if c.get(f"{side}_identical_ours"))
        failed = sum(1 for c in comparisons if not c.get(f"{side}_applies"))
        print(f"  {title}: {same} / {same_ours} of {len(comparisons)}"
              + (f" (Debian's copy does not apply in {failed})" if failed else ""))
        by_outcome = {}
        for c in comparisons:
            row = by_outcome.setdefault(c["outcome"], [0, 0, 0])
            row[0] += 1
            row[1] += bool(c.get(f"{side}_identical"))
            row[2] += bool(c.get(f"{side}_identical_ours"))
        for outcome, (count, same, same_ours) in sorted(by_outcome.items()):
            print(f"    {outcome:<12} {same:>5} / {same_ours:>5} of {count:>5}")
    for c in comparisons:
        if not c.get("common_identical"):
            print(f"  differs: {c['package']} {c['file']} ({c['outcome']}): "
                  + (", ".join(c.get("common_differing", [])) if c.get("common_applies")
                     else "Debian's copy needs a patch we do not carry"))

    labels = {}
    for entry in results:
        if entry["upgrade"]["error"]:
            continue
        for patch, label in entry["labels"].items():
            after = column_of_upgrade(entry["upgrade"]["steps"].get(patch))
            labels[(label, after)] = labels.get((label, after), 0) + 1
    print("\ncorpus label -> the upgrade's outcome:")
    for (label, after), count in sorted(labels.items()):
        print(f"  {label:<18} -> {after:<13}{count:>5}")
    for entry in results:
        for label, run in (("upgrade", entry["upgrade"]), ("expire", entry["expire"])):
            if run["error"]:
                print(f"{label} failed: {entry['package']}: {run['error']}")
    for entry in results:
        for patch, label in entry["labels"].items():
            step = entry["upgrade"]["steps"].get(patch) or {}
            if step.get("outcome") == "merged-empty" and label in ("kept", "renamed", "kept-shrunk"):
                print(f"merged-empty but trixie still carries it: {entry['package']} {patch} "
                      f"({label})")


if __name__ == "__main__":
    main()
