#!/usr/bin/env python3
"""Generate a synthetic mindelta workspace for the audit benchmark.

Writes OUT/patches/pkg-NNNN/{package.yaml, *.patch} for N packages. Each package has a local
`dir:` upstream (OUT/patches/pkg-NNNN/upstream/{1.0,1.1}, so release discovery works offline)
and between 1 and 2*MEAN-1 patches (mean MEAN) with DEP-3 or Yocto headers, 1 to 4 hunks over
1 to 3 files, and a mix of statuses, dates, CVEs and expiry conditions. The output is fully
determined by --seed, so runs are comparable. OUT/policies holds a copy of the shipped packs
unless --no-policies.

Usage: bench/gen-workspace.py OUT [--packages 2000] [--mean-patches 5] [--seed 1] [--no-policies]
"""

import argparse
import os
import random
import shutil
import sys

STATUSES = ["pending", "submitted", "backport", "inappropriate", "denied", "inactive-upstream"]


def hunk(rng, start):
    context = [f" context line {start + i}" for i in range(3)]
    removed = [f"-old code {start}_{i}" for i in range(rng.randint(0, 3))]
    added = [f"+new code {start}_{i}" for i in range(rng.randint(1, 6))]
    lines = context + removed + added + [f" trailing {start}"]
    old = 4 + len(removed)
    new = 4 + len(added)
    return [f"@@ -{start},{old} +{start},{new} @@"] + lines


def patch_text(rng, index, status, cve):
    if rng.random() < 0.5:
        header = [
            f"Description: Change number {index}",
            " A longer explanation of why the change is carried.",
            "Author: A Maintainer <maintainer@example.org>",
            f"Forwarded: {'no' if status == 'pending' else 'https://bugs.example.org/%d' % index}",
            f"Last-Update: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
        ]
    else:
        reason = {"inappropriate": " [oe specific]", "submitted": " [https://lists.example.org/1]"}
        header = [
            f"Subject: Change number {index}",
            "",
            f"Upstream-Status: {status.title()}{reason.get(status, '')}",
            "Signed-off-by: A Maintainer <maintainer@example.org>",
        ]
    if cve:
        header.append(f"CVE: {cve}")
    body = []
    for file_index in range(rng.randint(1, 3)):
        path = f"src/file{rng.randint(0, 40)}_{file_index}.c"
        body += [f"--- a/{path}", f"+++ b/{path}"]
        start = 10
        for _ in range(rng.randint(1, 4)):
            body += hunk(rng, start)
            start += 40
    return "\n".join(header + ["---"] + body) + "\n"


def package(out, rng, number, mean):
    name = f"pkg-{number:04d}"
    folder = os.path.join(out, "patches", name)
    for version in ("1.0", "1.1"):
        os.makedirs(os.path.join(folder, "upstream", version), exist_ok=True)
    count = rng.randint(1, 2 * mean - 1)
    entries = []
    for index in range(1, count + 1):
        status = rng.choice(STATUSES)
        cve = f"CVE-2026-{rng.randint(1000, 99999)}" if rng.random() < 0.1 else None
        file = f"{index:04d}-change-{index}.patch"
        with open(os.path.join(folder, file), "w") as handle:
            handle.write(patch_text(rng, index, status, cve))
        entry = [f"  - file: {file}", f"    reason: Change number {index}", f"    status: {status}"]
        if status == "backport" and rng.random() < 0.8:
            entry.append('    fixed-in: ">=1.1"')
        if cve:
            entry.append(f"    cves: [{cve}]")
        if rng.random() < 0.7:
            entry.append(f"    added: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}")
        entries.append("\n".join(entry))
    manifest = [
        f"name: {name}",
        "upstream:",
        '  version: "1.0"',
        "  dir: upstream/{version}",
        "patches:",
    ] + entries
    with open(os.path.join(folder, "package.yaml"), "w") as handle:
        handle.write("\n".join(manifest) + "\n")
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--mean-patches", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-policies", action="store_true")
    args = parser.parse_args()
    if os.path.exists(args.out):
        sys.exit(f"{args.out} exists; remove it first")
    rng = random.Random(args.seed)
    total = sum(package(args.out, rng, n, args.mean_patches) for n in range(args.packages))
    if not args.no_policies:
        here = os.path.dirname(os.path.abspath(__file__))
        shutil.copytree(os.path.join(here, "..", "policies"), os.path.join(args.out, "policies"))
    print(f"{args.packages} packages, {total} patches in {args.out}")


if __name__ == "__main__":
    main()
