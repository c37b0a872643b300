#!/usr/bin/env python3
"""Time `mindelta apply` against GNU patch and git apply on real Debian patch series.

Reads the packages laid out by bench/fetch-debian.sh (bench/work/PKG/{orig,patches}), and for
each one applies its whole quilt series to a fresh copy of the pristine tree with:

  mindelta      one `mindelta apply -C TREE -pN PATCH...` call per run of equal -p levels
  patch         GNU `patch -pN -s --no-backup-if-mismatch -i P`, one process per patch
  git-apply     `git apply -pN P`, one process per patch
  git-apply-1   one `git apply -pN P...` call per run of equal -p levels

Runs are interleaved (run 1 of every tool, then run 2, ...); each starts from a fresh copy
of the pristine tree, and the copy is not timed. Wall time, CPU time (user + sys of the child
processes) and peak RSS (the largest ru_maxrss among the child processes) come from wait4.
After each run the tree is fingerprinted (path, kind, permission bits, content) and the
fingerprints of all tools are compared. The "floor" is the time to read every file the series
touches and write it back (to a temporary file renamed over it), as a careful applier must.

Usage: bench/apply-series.py [--runs 5] [--tools mindelta,patch,git-apply,git-apply-1] [--fresh-copies]
                             [--no-build] [--mindelta PATH] [--json FILE] [PKG...]
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
ALL_TOOLS = ["mindelta", "patch", "git-apply", "git-apply-1"]


@dataclass
class SeriesEntry:
    name: str
    path: str
    strip: int


@dataclass
class Measurement:
    wall: float
    cpu: float
    max_rss_kib: int
    failures: list = field(default_factory=list)


def read_series(patch_dir):
    """Parse a quilt `series` file: one patch per line, `#` comments, optional `-pN`."""
    entries = []
    with open(os.path.join(patch_dir, "series"), encoding="utf-8") as series:
        for number, line in enumerate(series, 1):
            line = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            strip = 1
            for option in words[1:]:
                if option.startswith("-p") and option[2:].isdigit():
                    strip = int(option[2:])
                else:
                    print(f"warning: series line {number}: ignoring option `{option}`", file=sys.stderr)
            entries.append(SeriesEntry(words[0], os.path.join(patch_dir, words[0]), strip))
    return entries


def strip_groups(entries):
    """Consecutive runs of patches with the same -p level, for the tools that take one level per call."""
    groups = []
    for entry in entries:
        if groups and groups[-1][0] == entry.strip:
            groups[-1][1].append(entry)
        else:
            groups.append((entry.strip, [entry]))
    return groups


def touched_files(entries):
    """Paths (relative to the tree) that the series names on its ---/+++ lines."""
    paths = set()
    for entry in entries:
        with open(entry.path, "rb") as patch:
            for line in patch:
                if line.startswith((b"--- ", b"+++ ")):
                    name = line[4:].rstrip(b"\r\n").split(b"\t", 1)[0]
                    if name.startswith(b'"'):
                        continue  # quoted C-style names are rare; the floor is an estimate
                    if name == b"/dev/null":
                        continue
                    parts = name.split(b"/")[entry.strip:]
                    if parts:
                        paths.add(os.fsdecode(b"/".join(parts)))
    return sorted(paths)


# A child forked from this (Python, ~20 MiB) process reports Python's resident size as its own
# peak until it execs, so ru_maxrss of a small tool would read ~20 MiB. A tiny C launcher forks
# the tool from a ~1 MiB process instead and reports its wall time, CPU time and peak RSS.
LAUNCHER_SOURCE = r"""
/* launcher REPORT COMMAND...: run COMMAND, write "exit wall cpu maxrss_kib" to REPORT */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    struct timespec start, end;
    struct rusage usage;
    int status;
    if (argc < 3) return 125;
    FILE *report = fopen(argv[1], "w");
    if (!report) return 125;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) { fclose(report); execvp(argv[2], argv + 2); _exit(127); }
    if (wait4(pid, &status, 0, &usage) < 0) return 125;
    clock_gettime(CLOCK_MONOTONIC, &end);
    fprintf(report, "%d %.9f %.6f %ld\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9,
            usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
                + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
            usage.ru_maxrss);
    return fclose(report) == 0 ? 0 : 125;
}
"""
LAUNCHER = None
# Flush the restored tree to disk before each timed run (BENCH_SYNC=0 to skip): otherwise the
# writeback of the copy lands inside the next tool's run, which adds tens of percent of noise
# on a small series and penalises whichever tool happens to run next.
SYNC_AFTER_COPY = os.environ.get("BENCH_SYNC", "1") == "1"


def build_launcher():
    """Compile the launcher into bench/work/ (once); None when no C compiler is around."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print("warning: no C compiler: peak RSS of small tools reads as Python's own size",
              file=sys.stderr)
        return None
    target = os.path.join(WORK, ".launcher")
    source = target + ".c"
    current = open(source).read() if os.path.exists(source) else None
    if current != LAUNCHER_SOURCE or not os.path.exists(target):
        with open(source, "w") as output:
            output.write(LAUNCHER_SOURCE)
        subprocess.run([compiler, "-O2", "-o", target, source], check=True)
    return target


def run_process(argv, cwd, env=None):
    """Run one process; return (exit code, wall seconds, cpu seconds, peak RSS KiB, stderr text)."""
    with tempfile.TemporaryFile() as errors:
        if LAUNCHER:
            with tempfile.NamedTemporaryFile("r") as report:
                subprocess.run([LAUNCHER, report.name] + argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=errors, check=True)
                code, wall, cpu, rss = report.read().split()
                code, wall, cpu, rss = int(code), float(wall), float(cpu), int(rss)
        else:
            start = time.perf_counter()
            child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            child.returncode = code = os.waitstatus_to_exitcode(status)
            cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    return code, wall, cpu, rss, text


def tool_commands(tool, tree, entries, mindelta):
    """The processes one run of `tool` starts, in order: a list of (argv, patches covered)."""
    commands = []
    if tool == "mindelta":
        for strip, group in strip_groups(entries):
            commands.append(([mindelta, "apply", "-C", tree, f"-p{strip}"] + [e.path for e in group], group))
    elif tool == "patch":
        for entry in entries:
            commands.append((["patch", f"-p{entry.strip}", "-s", "--no-backup-if-mismatch",
                              "-i", entry.path], [entry]))
    elif tool == "git-apply":
        for entry in entries:
            commands.append((["git", "apply", f"-p{entry.strip}", entry.path], [entry]))
    elif tool == "git-apply-1":
        for strip, group in strip_groups(entries):
            commands.append((["git", "apply", f"-p{strip}"] + [e.path for e in group], group))
    else:
        raise ValueError(tool)
    return commands


def measure_tool(tool, tree, entries, mindelta):
    # git must not discover the repository this script lives in (the trees sit inside it)
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(tree), LC_ALL="C")
    wall = cpu = 0.0
    max_rss = 0
    failures = []
    for argv, covered in tool_commands(tool, tree, entries, mindelta):
        code, seconds, cpu_seconds, rss, errors = run_process(argv, tree, env)
        wall += seconds
        cpu += cpu_seconds
        max_rss = max(max_rss, rss)
        if code != 0:
            names = covered[0].name if len(covered) == 1 else f"{len(covered)} patches"
            failures.append(f"{names}: exit {code}: {errors.strip()[:600]}")
    return Measurement(wall, cpu, max_rss, failures)


def copy_tree(source, destination):
    subprocess.run(["cp", "-a", source, destination], check=True)
    if SYNC_AFTER_COPY:
        os.sync()  # so the copy's writeback does not land inside the next timed run


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def restore(tree, pristine_tree, pristine):
    """Put `tree` back to the pristine state by copying back only what a run changed.

    Equivalent to a fresh `cp -a` for the tools (same paths, modes, contents and mtimes), and
    far cheaper on a 78,000-file kernel tree. Verified by a rescan.
    """
    current = scan(tree)
    extras = sorted((p for p in current if p not in pristine), key=len)
    removed = []
    for path in extras:
        if not any(path.startswith(prefix + os.sep) for prefix in removed):
            remove(os.path.join(tree, path))
            removed.append(path)
    for path, (kind, mode, size, mtime) in sorted(pristine.items()):
        have = current.get(path)
        if have is not None and any(path.startswith(prefix + os.sep) for prefix in removed):
            have = None
        target = os.path.join(tree, path)
        source = os.path.join(pristine_tree, path)
        if kind == "d":
            if have is None or have[0] != "d":
                if have is not None:
                    remove(target)
                os.makedirs(target, exist_ok=True)
            if have is None or have[1] != mode:
                os.chmod(target, mode)
            continue
        if have == (kind, mode, size, mtime):
            continue
        if have is not None or os.path.lexists(target):
            remove(target)
        if kind == "l":
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    check = scan(tree)
    same = check.keys() == pristine.keys() and all(
        check[p][:2] == pristine[p][:2] if pristine[p][0] == "d" else check[p] == pristine[p] for p in pristine)
    if not same:
        raise RuntimeError(f"could not restore {tree} to the pristine state")


def scan(tree):
    """path -> (kind, permission bits, size, mtime_ns) for every file, symlink and directory."""
    entries = {}
    for directory, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            info = os.lstat(full)
            kind = "l" if os.path.islink(full) else "d" if os.path.isdir(full) else "f"
            entries[os.path.relpath(full, tree)] = (kind, info.st_mode & 0o7777, info.st_size, info.st_mtime_ns)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(directory, d))]
    return entries


def fingerprint(tree, pristine):
    """path -> (kind, mode, content digest) of files and symlinks.

    A file whose size, mode and mtime equal the pristine copy's was not written by the tool
    (cp -a keeps mtimes; every tool here writes a new file or at least a new mtime), so its
    content is not hashed again: the digest is the marker "pristine". Directories are left out
    (the tools differ on removing directories that a deletion empties; that is not content).
    """
    result = {}
    for path, (kind, mode, size, mtime) in scan(tree).items():
        if kind == "d":
            continue
        if kind == "l":
            result[path] = ("l", 0, os.readlink(os.path.join(tree, path)))
            continue
        original = pristine.get(path)
        if original and original[0] == "f" and original[1:] == (mode, size, mtime):
            result[path] = ("f", mode, "pristine")
            continue
        with open(os.path.join(tree, path), "rb") as content:
            result[path] = ("f", mode, hashlib.sha256(content.read()).hexdigest())
    return result


def compare_fingerprints(reference_tool, reference, tool, other, limit=15):
    lines = []
    for path in sorted(set(reference) | set(other)):
        a, b = reference.get(path), other.get(path)
        if a == b:
            continue
        if a is None:
            lines.append(f"  only after {tool}: {path}")
        elif b is None:
            lines.append(f"  only after {reference_tool}: {path}")
        elif a[0] != b[0]:
            lines.append(f"  {path}: kind {a[0]} ({reference_tool}) vs {b[0]} ({tool})")
        elif a[1] != b[1]:
            lines.append(f"  {path}: mode {a[1]:o} ({reference_tool}) vs {b[1]:o} ({tool})")
        else:
            lines.append(f"  {path}: content differs")
    if len(lines) > limit:
        lines = lines[:limit] + [f"  ... and {len(lines) - limit} more"]
    return lines


def measure_floor(tree, paths):
    """Read each touched file and write it back through a temporary file and a rename."""
    start = time.perf_counter()
    for path in paths:
        full = os.path.join(tree, path)
        try:
            with open(full, "rb") as source:
                content = source.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            content = b""  # a file the series creates: only the write counts
            os.makedirs(os.path.dirname(full), exist_ok=True)
        temporary = full + ".mindelta-floor"
        with open(temporary, "wb") as target:
            target.write(content)
        os.replace(temporary, full)
    return time.perf_counter() - start


def tree_size(pristine):
    files = sum(1 for kind, *_ in pristine.values() if kind == "f")
    size = sum(entry[2] for entry in pristine.values() if entry[0] == "f")
    return files, size


def human_bytes(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024


def bench_package(package, tools, runs, mindelta, scratch_root, fresh_copies):
    base = os.path.join(WORK, package)
    pristine_tree = os.path.join(base, "orig")
    entries = read_series(os.path.join(base, "patches"))
    missing = [e.name for e in entries if not os.path.isfile(e.path)]
    if missing:
        print(f"warning: {package}: series names missing patches: {', '.join(missing[:5])}", file=sys.stderr)
        entries = [e for e in entries if os.path.isfile(e.path)]
    levels = sorted({e.strip for e in entries})
    pristine = scan(pristine_tree)
    files, size = tree_size(pristine)
    touched = touched_files(entries)
    print(f"\n== {package}: {len(entries)} patches (-p {','.join(map(str, levels))}), "
          f"{len(touched)} touched files; tree {files} files, {human_bytes(size)}", file=sys.stderr)

    samples = {tool: [] for tool in tools + ["floor"]}
    failures = {tool: None for tool in tools}
    prints = {}
    mismatches = {}
    tree = os.path.join(scratch_root, package)
    if os.path.lexists(tree):
        subprocess.run(["rm", "-rf", tree], check=True)
    if not fresh_copies:
        copy_tree(pristine_tree, tree)
    for run in range(runs):
        for tool in tools + ["floor"]:
            if fresh_copies:
                copy_tree(pristine_tree, tree)
            else:
                restore(tree, pristine_tree, pristine)
                if SYNC_AFTER_COPY:
                    os.sync()
            if tool == "floor":
                samples["floor"].append(Measurement(measure_floor(tree, touched), 0.0, 0))
            else:
                measurement = measure_tool(tool, tree, entries, mindelta)
                samples[tool].append(measurement)
                if run == 0:
                    failures[tool] = measurement.failures
                    prints[tool] = fingerprint(tree, pristine)
            if fresh_copies:
                subprocess.run(["rm", "-rf", tree], check=True)
            if tool == "floor":
                continue
            print(f"  run {run + 1}/{runs} {tool:<12} {measurement.wall:8.3f} s"
                  + (f"  ({len(measurement.failures)} failed)" if measurement.failures else ""),
                  file=sys.stderr)

    # Group the tools by resulting tree; the largest group (ties: the one with git apply, the
    # oracle of DESIGN.md) is the reference every other tree is compared with.
    groups = []
    for tool in tools:
        for group in groups:
            if prints[group[0]] == prints[tool]:
                group.append(tool)
                break
        else:
            groups.append([tool])
    groups.sort(key=lambda group: (-len(group), "git-apply-1" not in group))
    reference_tool = groups[0][0] if groups else None
    for group in groups[1:]:
        for tool in group:
            mismatches[tool] = compare_fingerprints(reference_tool, prints[reference_tool], tool, prints[tool])

    result = {"package": package, "patches": len(entries), "strip_levels": levels,
              "touched_files": len(touched), "tree_files": files, "tree_bytes": size,
              "reference": reference_tool, "agree": groups[0] if groups else [], "tools": {}}
    for tool in tools + ["floor"]:
        wall = statistics.median(m.wall for m in samples[tool])
        cpu = statistics.median(m.cpu for m in samples[tool])
        rss = max(m.max_rss_kib for m in samples[tool])
        result["tools"][tool] = {"wall_s": wall, "cpu_s": cpu, "max_rss_kib": rss,
                                 "walls_s": [m.wall for m in samples[tool]],
                                 "failures": failures.get(tool) or [],
                                 "differences": mismatches.get(tool, [])}
    return result


def print_report(result):
    tools = result["tools"]
    print(f"\n{result['package']}: {result['patches']} patches, {result['touched_files']} touched files, "
          f"tree {result['tree_files']} files / {human_bytes(result['tree_bytes'])}")
    header = f"  {'tool':<12} {'wall (med)':>11} {'cpu (med)':>10} {'peak RSS':>10} {'÷patch':>8} {'÷git-1':>8}  result"
    print(header)
    print("  " + "-" * (len(header) - 2))
    base_patch = tools.get("patch", {}).get("wall_s")
    base_git = tools.get("git-apply-1", {}).get("wall_s")
    for tool, data in tools.items():
        ratio_patch = f"{data['wall_s'] / base_patch:8.3f}" if base_patch else f"{'-':>8}"
        ratio_git = f"{data['wall_s'] / base_git:8.3f}" if base_git else f"{'-':>8}"
        if tool == "floor":
            status, cpu, rss = "read+write touched files (in-process)", f"{'-':>10}", f"{'-':>10}"
        else:
            cpu = f"{data['cpu_s'] * 1000:8.1f}ms"
            rss = f"{data['max_rss_kib'] / 1024:7.1f}MiB"
            problems = []
            if data["failures"]:
                problems.append(f"{len(data['failures'])} call(s) failed")
            if data["differences"]:
                problems.append(f"tree differs from {', '.join(result['agree'])}")
            status = "; ".join(problems) or f"ok, same tree as {', '.join(t for t in result['agree'] if t != tool) or 'itself'}"
        print(f"  {tool:<12} {data['wall_s'] * 1000:9.1f}ms {cpu} {rss} {ratio_patch} {ratio_git}  {status}")
    for tool, data in tools.items():
        for failure in data.get("failures", []):
            print(f"  {tool} failed: {failure}")
        if data.get("differences"):
            print(f"  {tool} vs {result['reference']}:")
            for line in data["differences"]:
                print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="packages under bench/work (default: all fetched)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tools", default=",".join(ALL_TOOLS))
    parser.add_argument("--no-build", action="store_true", help="do not run `cargo build --release` first")
    parser.add_argument("--mindelta", default=os.path.join(ROOT, "target", "release", "mindelta"))
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--fresh-copies", action="store_true",
                        help="cp -a the whole pristine tree before every run, instead of copying back "
                             "only what the previous run changed (slow on the kernel tree)")
    parser.add_argument("--scratch", default=os.path.join(WORK, "scratch"),
                        help="where the per-run tree copies go (default: bench/work/scratch)")
    args = parser.parse_args()

    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in ALL_TOOLS]
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(unknown)}")
    if "mindelta" in tools:
        if not args.no_build:
            subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        if not os.access(args.mindelta, os.X_OK):
            parser.error(f"no mindelta binary at {args.mindelta}")

    packages = args.packages or sorted(
        p for p in os.listdir(WORK) if os.path.isfile(os.path.join(WORK, p, "patches", "series")))
    if not packages:
        parser.error("nothing fetched: run bench/fetch-debian.sh first")
    os.makedirs(args.scratch, exist_ok=True)
    global LAUNCHER
    LAUNCHER = build_launcher()
    results = []
    for package in packages:
        results.append(bench_package(package, tools, args.runs, args.mindelta, args.scratch,
                                     args.fresh_copies))
    for result in results:
        print_report(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as output:
            json.dump(results, output, indent=2)
    bad = any(d["failures"] or d["differences"] for r in results for d in r["tools"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
