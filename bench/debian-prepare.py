#!/usr/bin/env python3
"""Proof on real data: Debian's quilt series through `mindelta import quilt` + `prepare`.

For each Debian source package (format `3.0 (quilt)`) this script
  1. downloads it with `apt-get source --download-only` (needs a `deb-src` entry) into
     bench/work/debian-prepare/src/ (git-ignored; kept between runs);
  2. unpacks the reference tree with `dpkg-source -x` (patches applied by dpkg);
  3. imports `debian/patches/series` with `mindelta import quilt`, the orig tarball as a local
     tarball upstream pinned by its sha256;
  4. runs `mindelta prepare`, and
  5. compares the two trees file by file (content, symlink target, executable bit), ignoring
     `debian/` and `.pc/`.
It prints one line per package and a summary, and writes report.json beside the downloads.
Multi-tarball packages (`orig-COMPONENT` tarballs) are reported: a manifest has one upstream,
so the component folders are left out of the comparison and the package is counted apart.

Usage: bench/debian-prepare.py [--mindelta PATH] [--no-download] [PKG ...]
Not run in CI: it needs the network (once), dpkg-dev and a few GB of disk.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "debian-prepare"

# Varied kinds: tiny (hello), libraries, daemons, big trees with long series (openssh, vim,
# systemd, python3.11), -p0 series (bash), subfolders, CVE backports (curl, tar, libxml2), a
# multi-tarball package (sqlite3).
DEFAULT_PACKAGES = [
    "hello", "zlib", "curl", "openssh", "bash", "coreutils", "tar", "grep", "sed", "gzip",
    "xz-utils", "libxml2", "openssl", "nginx", "vim", "git", "less", "diffutils", "findutils",
    "patch", "wget", "rsync", "sudo", "screen", "tmux", "jq", "lz4", "libzstd", "expat",
    "sqlite3", "file", "gawk", "procps", "nano", "cpio", "bzip2", "libpng1.6", "python3.11",
    "systemd",
]


def run(command, cwd=None, check=True):
    """Run a command, return (returncode, stdout, stderr, seconds)."""
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace")
    seconds = time.monotonic() - start
    if check and done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(map(str, command))}` failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    return done.returncode, done.stdout, done.stderr, seconds


def source_versions(package):
    """Versions `apt-cache showsrc` knows for a source package, newest first."""
    _, out, _, _ = run(["apt-cache", "showsrc", package], check=False)
    versions = re.findall(r"^Version: (\S+)$", out, re.M)

    def key(version):
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version)]

    return sorted(dict.fromkeys(versions), key=key, reverse=True)


def find_dsc(src, package):
    """The newest downloaded .dsc of a package, if any."""
    found = sorted(src.glob(f"{package}_*.dsc"))
    return found[-1] if found else None


def download(src, package):
    """The .dsc of `package`, downloading it when missing (newest version the mirror still has)."""
    dsc = find_dsc(src, package)
    if dsc:
        return dsc
    errors = []
    for spec in [package] + [f"{package}={v}" for v in source_versions(package)]:
        code, _, err, _ = run(["apt-get", "source", "--download-only", spec], cwd=src, check=False)
        if code == 0:
            return find_dsc(src, package)
        errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {code}")
    raise RuntimeError(f"cannot download {package}: {errors[-1] if errors else 'no version'}")


def read_dsc(dsc):
    """Format, upstream version and the files (name -> sha256) of a .dsc."""
    text = dsc.read_text(errors="replace")
    fields = {}
    key = None
    for line in text.splitlines():
        if line.startswith("-----BEGIN PGP SIGNATURE"):
            break
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    files = {}
    for line in fields.get("Checksums-Sha256", "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            files[parts[2]] = parts[0]
    version = fields.get("Version", "")
    upstream = version.split(":", 1)[-1].rsplit("-", 1)[0] if "-" in version else version
    return fields.get("Format", ""), fields.get("Source", ""), version, upstream.split(":")[-1], files


def tree_entries(root, skip_components):
    """path -> (kind, digest or target, executable) for every file under root, minus debian/,
    .pc/ and the component folders."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        relative_folder = os.path.relpath(folder, root)
        if relative_folder == ".":
            dirs[:] = [d for d in dirs if d not in ("debian", ".pc") and d not in skip_components]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            relative = os.path.normpath(os.path.join(relative_folder, name))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                entries[relative] = ("link", os.readlink(path), False)
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                entries[relative] = ("file", digest, bool(info.st_mode & 0o111))
    return entries


def compare(reference, prepared, components):
    """Differences between the dpkg-source tree and mindelta's, as short sentences."""
    expected = tree_entries(reference, components)
    found = tree_entries(prepared, components)
    differences = []
    for path in sorted(expected.keys() - found.keys()):
        differences.append(f"missing {path}")
    for path in sorted(found.keys() - expected.keys()):
        differences.append(f"extra {path}")
    for path in sorted(expected.keys() & found.keys()):
        (kind_a, value_a, exec_a), (kind_b, value_b, exec_b) = expected[path], found[path]
        if kind_a != kind_b:
            differences.append(f"{path}: {kind_a} vs {kind_b}")
        elif value_a != value_b:
            differences.append(f"{path}: content differs")
        elif exec_a != exec_b:
            differences.append(f"{path}: executable bit differs")
    return len(expected), differences


def round_trip(workspace, package, mindelta, version, orig, sha256):
    """import -> export -> import: `same` when both manifests list the same patch facts."""
    exported = WORK / "exported" / package
    shutil.rmtree(exported, ignore_errors=True)
    code, _, err, _ = run(
        [mindelta, "--workspace", workspace, "export", "quilt", package, "--out", exported],
        check=False,
    )
    if code != 0:
        return f"export failed: {err.strip()[-300:]}"
    code, _, err, _ = run(
        [mindelta, "--workspace", workspace, "import", "quilt", exported, "--name",
         f"{package}.round-trip", "--version", version, "--upstream-tarball", orig,
         "--sha256", sha256, "--force"],
        check=False,
    )
    if code != 0:
        return f"re-import failed: {err.strip()[-300:]}"

    def patches_section(name):
        text = (workspace / "patches" / name / "package.yaml").read_text()
        return text[text.index("patches:"):]

    return "same" if patches_section(package) == patches_section(f"{package}.round-trip") else "differs"


def prove(package, args, mindelta):
    src = WORK / "src"
    dsc = download(src, package) if not args.no_download else find_dsc(src, package)
    if dsc is None:
        return {"package": package, "result": "skipped", "why": "not downloaded"}
    form, source, version, upstream_version, files = read_dsc(dsc)
    result = {"package": source or package, "version": version}
    if form != "3.0 (quilt)":
        return {**result, "result": "skipped", "why": f"format `{form}`, not `3.0 (quilt)`"}
    origs = [f for f in files if re.search(r"\.orig\.tar\.[a-z0-9]+$", f)]
    components = sorted(
        m.group(1) for f in files for m in [re.search(r"\.orig-([A-Za-z0-9-]+)\.tar\.[a-z0-9]+$", f)] if m
    )
    if len(origs) != 1:
        return {**result, "result": "skipped", "why": f"{len(origs)} orig tarballs"}
    orig = src / origs[0]

    reference = WORK / "reference" / package
    if reference.exists():
        shutil.rmtree(reference)
    reference.parent.mkdir(parents=True, exist_ok=True)
    _, _, _, dpkg_seconds = run(["dpkg-source", "-x", str(dsc), str(reference)])
    result["dpkg_source_seconds"] = round(dpkg_seconds, 3)

    patches = reference / "debian" / "patches"
    series = patches / "debian.series"
    if not series.exists():
        series = patches / "series"
    if not series.exists():
        # No patches: still a proof of the upstream tree itself (an empty series).
        series = WORK / "empty-series" / "series"
        series.parent.mkdir(parents=True, exist_ok=True)
        series.write_text("")
    result["patches"] = sum(
        1 for line in series.read_text(errors="replace").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    workspace = WORK / "workspace"
    (workspace / "patches").mkdir(parents=True, exist_ok=True)
    code, out, err, _ = run(
        [mindelta, "--workspace", workspace, "--format", "json", "import", "quilt", series,
         "--name", package, "--version", upstream_version, "--upstream-tarball", orig,
         "--sha256", files[origs[0]], "--force"],
        check=False,
    )
    if code != 0:
        result.update(result="import-failed", why=err.strip()[-600:])
        return result
    imported = json.loads(out)
    result["statuses"] = {}
    for patch in imported["patches"]:
        status = patch.get("status", "none")
        result["statuses"][status] = result["statuses"].get(status, 0) + 1

    result["with_upstream_commit"] = sum(1 for p in imported["patches"] if p.get("upstream_commit"))
    result["with_cves"] = sum(1 for p in imported["patches"] if p.get("cves"))
    result["round_trip"] = round_trip(workspace, package, mindelta, upstream_version, orig, files[origs[0]])

    out_dir = WORK / "prepared" / package
    code, out, err, seconds = run(
        [mindelta, "--workspace", workspace, "--cache-dir", WORK / "cache", "--format", "json",
         "prepare", package, "--out", out_dir],
        check=False,
    )
    result["prepare_seconds"] = round(seconds, 3)
    if code != 0:
        result.update(result="prepare-failed", exit_code=code, why=err.strip()[-800:])
        return result
    prepared = json.loads(out)["packages"][0]
    skipped = [p["file"] for p in prepared["patches"] if p["status"] == "skipped"]
    if skipped:
        result["skipped_patches"] = skipped
    files_compared, differences = compare(reference, out_dir, components)
    result["files"] = files_compared
    if components:
        result["components"] = components
    if differences:
        result.update(result="different", differences=differences[:20], difference_count=len(differences))
    else:
        result["result"] = "identical-except-components" if components else "identical"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", default=DEFAULT_PACKAGES)
    parser.add_argument("--mindelta", help="the binary (default: build target/release/mindelta)")
    parser.add_argument("--no-download", action="store_true", help="use only what src/ holds")
    args = parser.parse_args()
    for tool in ("dpkg-source", "apt-get"):
        if shutil.which(tool) is None:
            sys.exit(f"error: `{tool}` is missing (apt-get install -y dpkg-dev)")
    mindelta = args.mindelta
    if mindelta is None:
        run(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
        mindelta = str(ROOT / "target" / "release" / "mindelta")
    (WORK / "src").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "prepared", ignore_errors=True)

    results = []
    for package in args.packages:
        try:
            result = prove(package, args, mindelta)
        except Exception as error:  # one broken package never stops the run
            result = {"package": package, "result": "error", "why": str(error)[-800:]}
        results.append(result)
        line = f"{result['package']:<12} {result.get('version', ''):<28} {result['result']:<28}"
        if "patches" in result:
            line += f" {result['patches']:>3} patches"
        if "files" in result:
            line += f" {result['files']:>6} files"
        if "round_trip" in result:
            line += f"  round trip {result['round_trip']}"
        if "prepare_seconds" in result:
            line += f"  prepare {result['prepare_seconds']:.2f}s, dpkg-source {result['dpkg_source_seconds']:.2f}s"
        print(line, flush=True)
        for text in result.get("differences", [])[:5]:
            print(f"    {text}")
        if result["result"] not in ("identical", "different", "identical-except-components"):
            print(f"    {result.get('why', '')[:400]}")

    counts = {}
    for result in results:
        counts[result["result"]] = counts.get(result["result"], 0) + 1
    print("\nsummary: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    patches = sum(r.get("patches", 0) for r in results)
    statuses = {}
    for result in results:
        for status, n in result.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + n
    print(
        f"patches: {patches} imported; status "
        + ", ".join(f"{k} {n}" for k, n in sorted(statuses.items()))
        + f"; {sum(r.get('with_upstream_commit', 0) for r in results)} with an upstream commit,"
        + f" {sum(r.get('with_cves', 0) for r in results)} with CVEs; round trip same for"
        + f" {sum(1 for r in results if r.get('round_trip') == 'same')} packages"
    )
    prepare = sum(r.get("prepare_seconds", 0) for r in results)
    dpkg = sum(r.get("dpkg_source_seconds", 0) for r in results if "prepare_seconds" in r)
    print(f"time: mindelta prepare {prepare:.1f}s in all, dpkg-source -x {dpkg:.1f}s")
    (WORK / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"report: {WORK / 'report.json'}")
    return 0 if set(counts) <= {"identical", "identical-except-components", "skipped"} else 1


if __name__ == "__main__":
    sys.exit(main())
