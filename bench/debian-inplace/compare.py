#!/usr/bin/env python3
"""mindelta in place in the ten Debian source packages that fetch.sh unpacked.

For each DIR/PKG (see README.md beside this file) it runs, in the unpacked source package
DIR/PKG/source (no conversion, no manifest):
  1. `mindelta list` and `mindelta audit --offline` (the series, the DEP-3 headers);
  2. `mindelta prepare PKG --offline --out WORK/PKG` (the orig tarball and the component
     tarballs beside the tree, pinned by the .dsc), and compares the tree with DIR/PKG/applied,
     the tree `dpkg-source -x` gave: every path but dpkg-source's .pc/, its kind (file, folder,
     link), a file's bytes and executable bits, a link's target;
  3. `mindelta check PKG --release U --offline` at the package's own upstream version U (the
     patches judged against the orig tarball they apply to, in series order: every one must be
     `needed`; the
     history detectors have no network and say so in the evidence).
One line per package, a summary, and WORK/report.json.

Usage: bench/debian-inplace/compare.py [--mindelta PATH] [--dir DIR] [--work WORK] [PKG ...]
"""

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def run(command, cwd=None):
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace")
    return done, time.monotonic() - start


def listing(root: Path) -> dict:
    """Every entry under root but .pc/: kind, bytes (sha256) and executable bits, link target."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        relative_folder = Path(folder).relative_to(root)
        if relative_folder == Path("."):
            dirs[:] = [d for d in dirs if d != ".pc"]
        for name in dirs + files:
            path = Path(folder) / name
            relative = str(relative_folder / name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                entries[relative] = "link " + os.readlink(path)
            elif stat.S_ISDIR(info.st_mode):
                entries[relative] = "folder"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                executable = "x" if info.st_mode & 0o111 else "-"
                entries[relative] = f"file {executable} {digest}"
    return entries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mindelta", default=str(ROOT / "target/release/mindelta"))
    parser.add_argument("--dir", default=str(ROOT / "bench/work/debian-inplace"))
    parser.add_argument("--work", default=str(ROOT / "bench/work/debian-inplace-out"))
    parser.add_argument("packages", nargs="*")
    args = parser.parse_args()
    corpus = Path(args.dir)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache"
    packages = args.packages or sorted(p.name for p in corpus.iterdir() if (p / "source").is_dir())
    tool = [args.mindelta, "--cache-dir", str(cache)]
    report = []
    for name in packages:
        source = corpus / name / "source"
        out = work / name
        shutil.rmtree(out, ignore_errors=True)
        row = {"package": name}
        listed, row["list_seconds"] = run(tool + ["--workspace", str(source), "list", "--format", "json"])
        if listed.returncode == 0:
            package = json.loads(listed.stdout)["packages"][0]
            row["version"] = package["version"]
            row["patches"] = len(package["patches"])
        else:
            row["list_error"] = listed.stderr.strip()
        audited, row["audit_seconds"] = run(
            tool + ["--workspace", str(source), "audit", "--offline", "--format", "json"]
        )
        row["audit_exit"] = audited.returncode
        prepared, row["prepare_seconds"] = run(
            tool + ["--workspace", str(source), "prepare", name, "--offline", "--out", str(out)]
        )
        row["prepare_exit"] = prepared.returncode
        if prepared.returncode == 0:
            ours, theirs = listing(out), listing(corpus / name / "applied")
            differences = sorted(
                path for path in set(ours) | set(theirs) if ours.get(path) != theirs.get(path)
            )
            row["differences"] = differences[:20]
            row["difference_count"] = len(differences)
            row["entries"] = len(theirs)
        else:
            row["prepare_error"] = prepared.stderr.strip()[-2000:]
        if "version" in row:
            checked, row["check_seconds"] = run(
                tool
                + ["--workspace", str(source), "check", name, "--release", row["version"]]
                + ["--offline", "--format", "json"]
            )
            row["check_exit"] = checked.returncode
            try:
                verdicts = {}
                for patch in json.loads(checked.stdout)["packages"][0]["patches"]:
                    # In series order: a patch written on top of an earlier one applies there.
                    verdict = patch.get("cumulative", {}).get("verdict", patch["verdict"])
                    verdicts[verdict] = verdicts.get(verdict, 0) + 1
                row["verdicts"] = verdicts
            except (ValueError, KeyError, IndexError):
                row["check_error"] = checked.stderr.strip()[-2000:]
        report.append(row)
        same = row.get("difference_count") == 0
        print(
            f"{name:12} {row.get('version', '?'):40} {row.get('patches', '?'):>3} patches  "
            f"prepare {'identical' if same else 'DIFFERS'} ({row.get('entries', '?')} entries, "
            f"{row['prepare_seconds']:.1f}s)  check {row.get('verdicts', row.get('check_error', '?'))}",
            flush=True,
        )
        if not same:
            print("   ", row.get("differences") or row.get("prepare_error"), flush=True)
    identical = sum(1 for row in report if row.get("difference_count") == 0)
    print(f"{identical} of {len(report)} packages: prepare gives the tree dpkg-source -x gives")
    (work / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    sys.exit(0 if identical == len(report) else 1)


if __name__ == "__main__":
    main()
