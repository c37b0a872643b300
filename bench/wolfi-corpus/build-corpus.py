#!/usr/bin/env python3
"""Build the Wolfi expiry corpus: patches and dependency pins carried across version bumps.

Reads the git history of a wolfi-dev/os clone (melange package YAMLs at the top level,
patches in `<pkg>/`) and finds every *bump*: a first-parent commit where a package's
`package.version` moved from A to B while the package carried patches (`uses: patch`) or
dependency pins (`uses: go/bump`, `bump`, `rust/cargobump`, `maven/pombump`) at A. Each patch
carried at A becomes a case, labelled by what the maintainers did with it at B:

  dropped           gone from the patch steps in the bump commit itself (positive)
  dropped-followup  still listed in the bump commit, but gone within the window (positive)
  kept              still carried, byte-identical, at the end of the window (negative)
  kept-refreshed    still carried under the same name, content changed (negative)
  refreshed         gone under this name, but a patch new at B makes >= 80 % of the same
                    changed lines (a renamed or refreshed copy: negative)

The window is the bump commit plus the next --window-commits commits (default 3) that touch
the same YAML within --window-days days (default 7), as long as the version stays B: in
Wolfi a bump is one squash-merged PR, and a patch that broke the build at B is removed either
in that PR or in a quick follow-up.

Pins get their own label set (`pins`): for each module pinned at A, `dropped` (no pin for it
at the end of the window: positive), `kept` (same pin), `raised` (pinned to another version).

Every case records the package, the YAML, the commits (A = the bump commit's first parent, the
bump commit, the end of the window), both versions, the patch path with its sha256 at A (and
at B when carried), the upstream (git-checkout repository/tag/expected-commit or fetch URI),
var-transforms, whether the patch touches only dependency manifests and their ecosystem, and
the lines of the commit messages that say why. Only bumps whose upstream is on GitHub are kept
(so the histories can be brought); at most --per-package bumps per package, newest first.

Usage:
  bench/wolfi-corpus/build-corpus.py --repo WOLFI_OS_CLONE [--commits N] [--head REV] [--out FILE]
      [--mirrors DIR]   # record the bare mirror found for each upstream (owner+name/repo)

The manifest (default bench/work/wolfi-corpus/manifest.json) is JSON; nothing of Wolfi's is
committed.
"""

import argparse
import collections
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    Loader = yaml.SafeLoader

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "bench", "work", "wolfi-corpus", "manifest.json")

BUMP_PIPELINES = {"go/bump": "go", "bump": None, "rust/cargobump": "cargo",
                  "maven/pombump": "maven"}
REFRESH_OVERLAP = 0.8

# Dependency manifests: basename pattern -> ecosystem.
MANIFESTS = [
    (re.compile(r"^go\.(mod|sum|work|work\.sum)$"), "go"),
    (re.compile(r"^pom\.xml$"), "maven"),
    (re.compile(r"^(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|"
                r"pnpm-lock\.yaml)$"), "npm"),
    (re.compile(r"^Cargo\.(toml|lock)$"), "cargo"),
    (re.compile(r"^(requirements.*\.(txt|in)|pyproject\.toml|uv\.lock|poetry\.lock|"
                r"Pipfile(\.lock)?|setup\.cfg)$"), "python"),
    (re.compile(r"^(Gemfile(\.lock)?|.*\.gemspec)$"), "ruby"),
    (re.compile(r"^(build\.gradle(\.kts)?|libs\.versions\.toml|gradle\.properties)$"), "gradle"),
    (re.compile(r"^(composer\.(json|lock))$"), "php"),
    (re.compile(r"^(mix\.(exs|lock))$"), "elixir"),
]

WHY_WORDS = re.compile(r"upstream|no longer|not needed|unneeded|obsolete|included|merged|"
                       r"drop|remov|fixed in|already|patch", re.I)


def log(message):
    print(message, file=sys.stderr, flush=True)


def git(repo, *args, text=True):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=text).stdout


class Blobs:
    """A persistent `git cat-file --batch` reader."""

    def __init__(self, repo):
        self.repo = repo
        self.process = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read_many(self, specs):
        """{spec: bytes or None} for many specs, streamed in one pass."""
        process = subprocess.Popen(["git", "-C", self.repo, "cat-file", "--batch"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        import threading

        def feed():
            for spec in specs:
                process.stdin.write(spec.encode() + b"\n")
            process.stdin.close()
        thread = threading.Thread(target=feed)
        thread.start()
        found = {}
        for spec in specs:
            header = process.stdout.readline().decode().split()
            if len(header) < 3 or header[1] == "missing":
                found[spec] = None
                continue
            size = int(header[2])
            found[spec] = process.stdout.read(size)
            process.stdout.read(1)
        thread.join()
        process.wait()
        return found

    def read(self, spec):
        self.process.stdin.write(spec.encode() + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().decode().split()
        if len(header) < 3 or header[1] == "missing":
            return None
        size = int(header[2])
        data = self.process.stdout.read(size)
        self.process.stdout.read(1)
        return data


# ---------------------------------------------------------------------------------------------
# versions (only to skip rollbacks)

def version_key(version):
    parts = []
    for run in re.findall(r"[0-9]+|[A-Za-z]+", str(version)):
        parts.append((1, int(run), "") if run.isdigit() else (0, 0, run.lower()))
    return parts


# ---------------------------------------------------------------------------------------------
# melange YAML

def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def words(value):
    if value is None:
        return []
    return [w for w in str(value).split() if w]


def substitute(text, package):
    return text.replace("${{package.name}}", str(package.get("name", ""))).replace(
        "${{package.version}}", str(package.get("version", "")))


def pin_ecosystem(pipeline, with_, spec):
    known = BUMP_PIPELINES.get(pipeline)
    if known:
        return known
    language = str(with_.get("language", "auto")).lower()
    if language in ("go", "rust", "java", "python", "maven", "gradle"):
        return {"rust": "cargo", "java": "maven"}.get(language, language)
    if "cargobump" in spec:
        return "cargo"
    if "pombump" in spec:
        return "maven"
    if spec.count("@") >= 2:
        return "maven"
    module = spec.split("@")[0]
    if "/" in module and "." in module.split("/")[0]:
        return "go"
    return "cargo"


def parse_package(data):
    """The facts of one melange YAML revision, or None when it does not parse."""
    try:
        doc = yaml.load(data, Loader=Loader)
    except Exception:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("package"), dict):
        return None
    package = doc["package"]
    facts = {
        "name": str(package.get("name", "")),
        "version": str(package.get("version", "")),
        "epoch": package.get("epoch"),
        "patches": [],   # (raw name, step index)
        "pins": [],      # (pipeline, ecosystem, kind, spec or file)
        "source": None,
        "var_transforms": doc.get("var-transforms") or [],
        "vars": doc.get("vars") or {},
        "update": doc.get("update") or {},
    }
    for step in walk(doc):
        uses = step.get("uses")
        with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
        if uses == "patch":
            for name in words(with_.get("patches")):
                facts["patches"].append(substitute(name, package))
            for name in words(with_.get("series")):
                facts["patches"].append("series:" + substitute(name, package))
        elif uses in BUMP_PIPELINES:
            for key in ("deps", "packages", "dependencies", "patch-file", "patches"):
                for spec in words(with_.get(key)):
                    kind = "file" if re.search(r"\.ya?ml$", spec) else "inline"
                    facts["pins"].append((uses, pin_ecosystem(uses, with_, spec), kind, spec))
            for spec in words(with_.get("replaces")):
                facts["pins"].append((uses, "go", "replace", spec))
        elif uses == "git-checkout" and facts["source"] is None:
            facts["source"] = {"kind": "git-checkout",
                               "repository": with_.get("repository"),
                               "tag": with_.get("tag"), "branch": with_.get("branch"),
                               "expected_commit": with_.get("expected-commit")}
        elif uses == "fetch" and facts["source"] is None:
            facts["source"] = {"kind": "fetch", "uri": with_.get("uri"),
                               "expected_sha256": with_.get("expected-sha256"),
                               "expected_sha512": with_.get("expected-sha512")}
    return facts


GITHUB = re.compile(r"^(?:https?://|git@)(?:www\.)?github\.com[/:]([A-Za-z0-9_.-]+)/"
                    r"([A-Za-z0-9_.-]+?)(?:\.git)?(?:/|$)")


def github_repository(source):
    if not source:
        return None
    url = source.get("repository") if source["kind"] == "git-checkout" else source.get("uri")
    match = GITHUB.match(str(url or ""))
    if not match:
        return None
    return f"{match.group(1)}/{match.group(2)}"


# ---------------------------------------------------------------------------------------------
# patches

def patch_files(data):
    """Paths a unified diff touches (post-image, else pre-image)."""
    paths = []
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        match = re.match(r"^diff --git a/(\S+) b/(\S+)", line)
        if match:
            paths.append(match.group(2))
            continue
        match = re.match(r"^\+\+\+ (\S+)", line)
        if match and match.group(1) != "/dev/null":
            path = match.group(1)
            paths.append(path.split("/", 1)[1] if "/" in path else path)
    return sorted(set(paths))


def dependency_kind(paths):
    """(only dependency manifests?, sorted ecosystems touched)."""
    if not paths:
        return False, []
    ecosystems = set()
    only = True
    for path in paths:
        base = path.rsplit("/", 1)[-1]
        for pattern, ecosystem in MANIFESTS:
            if pattern.match(base):
                ecosystems.add(ecosystem)
                break
        else:
            only = False
    return only, sorted(ecosystems)


def changed_lines(data):
    lines = collections.Counter()
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line[:1] in "+-" and line[1:].strip():
            lines[line[0] + line[1:].strip()] += 1
    return lines


def overlap(old, new):
    if not old:
        return 0.0
    common = sum((old & new).values())
    return common / sum(old.values())


class Tree:
    """The package's files at one commit, read through the persistent blob reader."""

    def __init__(self, blobs, commit, folders):
        self.blobs, self.commit, self.folders = blobs, commit, folders
        self.cache = {}

    def read(self, path):
        if path not in self.cache:
            self.cache[path] = self.blobs.read(f"{self.commit}:{path}")
        return self.cache[path]

    def resolve(self, name):
        """(repository path, bytes) of patch `name`, or (None, None)."""
        name = name.split(":", 1)[1] if name.startswith("series:") else name
        clean = os.path.normpath(name).lstrip("/")
        while clean.startswith("../"):
            clean = clean[3:]
        for folder in self.folders:
            for candidate in (f"{folder}/{clean}", f"{folder}/{os.path.basename(clean)}"):
                data = self.read(candidate)
                if data is not None:
                    return candidate, data
        return None, None


# ---------------------------------------------------------------------------------------------
# history

def history(repo, count, head):
    """The last `count` first-parent commits up to `head` (oldest first), with the top-level
    YAMLs they change. (Not `--since`: commit dates along the first-parent chain are not
    monotonic in wolfi-dev/os, and git stops walking at the first run of older ones.)"""
    args = ["log", "--first-parent", "--reverse", "--diff-merges=first-parent", "--raw",
            "--no-abbrev", "--no-renames", "--format=%x00%H %P%x00%ct%x00%s",
            f"--max-count={count}", head]
    output = git(repo, *args)
    commits = []
    current = None
    for line in output.splitlines():
        if line.startswith("\x00"):
            head, timestamp, subject = line[1:].split("\x00", 2)
            ids = head.split()
            current = {"commit": ids[0], "parent": ids[1] if len(ids) > 1 else None,
                       "time": int(timestamp), "subject": subject, "yamls": {}, "dirs": set()}
            commits.append(current)
        elif line.startswith(":") and current is not None:
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if "/" not in path and path.endswith(".yaml"):
                current["yamls"][path] = parts[3] if parts[4] != "D" else None
            elif "/" in path:
                current["dirs"].add(path.split("/", 1)[0])
    return commits


def message(blobs, commit):
    data = blobs.read(commit) or b""
    return data.decode("utf-8", "replace").partition("\n\n")[2]


def why_lines(text, names):
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.lower().startswith(("signed-off-by", "co-authored-by")):
            continue
        if any(n and n in stripped for n in names) or WHY_WORDS.search(stripped):
            lines.append(stripped[:300])
    return lines[:12]


def pin_specs(repo, blobs, commit, facts, folders):
    """{(ecosystem, module): version} of a revision's pins, files read from the tree."""
    pins = {}
    for pipeline, ecosystem, kind, spec in facts["pins"]:
        if kind == "file":
            data = None
            clean = os.path.normpath(spec)
            while clean.startswith("../"):
                clean = clean[3:]
            for folder in folders:
                data = blobs.read(f"{commit}:{folder}/{clean}")
                if data is not None:
                    break
            try:
                doc = yaml.load(data or b"", Loader=Loader) or {}
            except Exception:
                doc = {}
            entries = []
            if isinstance(doc, dict):
                for item in doc.get("packages") or []:
                    if isinstance(item, dict) and item.get("name"):
                        entries.append((str(item["name"]), str(item.get("version", ""))))
                for item in doc.get("patches") or []:
                    if isinstance(item, dict) and item.get("artifactId"):
                        ecosystem = "maven"
                        entries.append((f"{item.get('groupId')}:{item['artifactId']}",
                                        str(item.get("version", ""))))
                for item in doc.get("replaces") or []:
                    if isinstance(item, dict) and item.get("oldName"):
                        entries.append((str(item["oldName"]), str(item.get("version", ""))))
            if "cargobump" in spec:
                ecosystem = "cargo"
            for module, version in entries:
                pins[(ecosystem, module)] = {"version": version, "pipeline": pipeline,
                                             "from_file": spec}
        elif kind == "replace":
            module, _, target = spec.partition("=")
            pins[("go", "replace:" + module)] = {"version": target, "pipeline": pipeline}
        else:
            if spec.count("@") >= 2:
                group, artifact, version = spec.split("@")[:3]
                module = f"{group}:{artifact}"
            else:
                module, _, version = spec.rpartition("@") if "@" in spec else (spec, "", "")
            pins[(ecosystem, module)] = {"version": version, "pipeline": pipeline}
    return pins


VERSION_LINE = re.compile(rb"^  version: *[\"']?([^\"'\s#]+)", re.M)
CARRIES = re.compile(rb"uses: *(patch|go/bump|bump|rust/cargobump|maven/pombump)\s*$", re.M)


def build(args):
    repo = os.path.abspath(args.repo)
    commits = history(repo, args.commits, args.head)
    log(f"{len(commits)} first-parent commits, {commits[0]['commit'][:10]} .. "
        f"{commits[-1]['commit'][:10]}")
    blobs = Blobs(repo)
    # per YAML: the revisions (commit index, blob id)
    revisions = collections.defaultdict(list)
    for index, commit in enumerate(commits):
        for path, blob in commit["yamls"].items():
            revisions[path].append((index, blob))
    # The state before the first commit in the range: the YAML at the range's parent.
    start = commits[0]["parent"] if commits else None
    specs = sorted({blob for revs in revisions.values() for _, blob in revs if blob})
    if start:
        specs += [f"{start}:{path}" for path in revisions]
    log(f"reading {len(specs)} YAML revisions")
    texts = blobs.read_many(specs)
    parsed = {}

    def facts_of(spec):
        if spec not in parsed:
            data = texts.get(spec)
            parsed[spec] = parse_package(data) if data else None
        return parsed[spec]

    def quick_version(spec):
        data = texts.get(spec)
        if not data:
            return None
        match = VERSION_LINE.search(data)
        return match.group(1).decode() if match else None

    bumps = []
    for path, revs in sorted(revisions.items()):
        stem = path[:-len(".yaml")]
        chain = ([(None, f"{start}:{path}")] if start else []) + list(revs)
        for position in range(1, len(chain)):
            before_spec, (index, spec) = chain[position - 1][1], chain[position]
            if not spec or not before_spec:
                continue
            old_version, new_version = quick_version(before_spec), quick_version(spec)
            if old_version is None or new_version is None or old_version == new_version:
                continue
            if not CARRIES.search(texts.get(before_spec) or b""):
                continue
            previous, facts = facts_of(before_spec), facts_of(spec)
            if previous is None or facts is None or previous["version"] == facts["version"]:
                continue
            if not (previous["patches"] or previous["pins"]):
                continue
            if version_key(facts["version"]) <= version_key(previous["version"]):
                continue  # a rollback or revert
            # the window: later revisions of this YAML at the same version
            window = [(index, facts)]
            for later_index, later_spec in chain[position + 1:]:
                later = facts_of(later_spec) if later_spec else None
                if later is None or later["version"] != facts["version"]:
                    break
                if len(window) > args.window_commits:
                    break
                if (commits[later_index]["time"] - commits[index]["time"]
                        > args.window_days * 86400):
                    break
                window.append((later_index, later))
            bumps.append({"yaml": path, "stem": stem, "before": previous,
                          "bump": (index, facts), "window": window})
    log(f"{len(bumps)} bumps with patches or pins at A")

    # Newest first; keep --per-package bumps per package, plus up to --per-package-dependency
    # older ones that carry a patch touching only dependency manifests (rare, and the point of
    # one of the features judged); GitHub upstreams only.
    bumps.sort(key=lambda b: -b["bump"][0])
    taken = collections.Counter()
    taken_dependency = collections.Counter()
    cases, pin_cases, used, skipped = [], [], [], collections.Counter()
    for bump in bumps:
        before = bump["before"]
        name = before["name"] or bump["stem"]
        extra = taken[name] >= args.per_package
        if extra and (not before["patches"]
                      or taken_dependency[name] >= args.per_package_dependency):
            continue
        repository = github_repository(before["source"])
        if not repository:
            skipped["upstream not on GitHub"] += 1
            continue
        index, at_bump = bump["bump"]
        end_index, at_end = bump["window"][-1]
        commit_bump = commits[index]
        commit_a = commit_bump["parent"]
        commit_end = commits[end_index]["commit"]
        folders = [bump["stem"]] + ([name] if name != bump["stem"] else [])
        tree_a = Tree(blobs, commit_a, folders)
        tree_end = Tree(blobs, commit_end, folders)
        messages = "\n".join(message(blobs, commits[i]["commit"]) for i, _ in bump["window"])
        bump_record = {
            "package": name, "yaml": bump["yaml"], "version_a": before["version"],
            "version_b": at_bump["version"], "epoch_a": before["epoch"],
            "commit_a": commit_a, "commit_bump": commit_bump["commit"],
            "commit_b": commit_end,
            "date_bump": datetime.datetime.fromtimestamp(
                commit_bump["time"], datetime.timezone.utc).strftime("%Y-%m-%d"),
            "subject": commit_bump["subject"],
            "window_commits": [commits[i]["commit"] for i, _ in bump["window"]],
            "upstream": {**{k: v for k, v in before["source"].items() if v is not None},
                         "github": repository},
            "upstream_b": {k: v for k, v in (at_end["source"] or {}).items() if v is not None},
            "var_transforms": before["var_transforms"],
            "vars": before["vars"],
            "update": before["update"],
        }
        new_cases = []
        # patches
        a_paths = {}
        for raw in before["patches"]:
            a_paths[raw] = tree_a.resolve(raw)
        bump_names = set(at_bump["patches"])
        end_names = set(at_end["patches"])
        new_at_end = [n for n in at_end["patches"] if n not in a_paths]
        new_lines = {}
        for raw in new_at_end:
            path, data = tree_end.resolve(raw)
            if data is not None:
                new_lines[raw] = (path, changed_lines(data))
        for raw, (path, data) in a_paths.items():
            if data is None:
                skipped["patch file not found at A"] += 1
                continue
            files = patch_files(data)
            only, ecosystems = dependency_kind(files)
            case = {**{k: bump_record[k] for k in (
                        "package", "yaml", "version_a", "version_b", "commit_a", "commit_bump",
                        "commit_b")},
                    "patch": raw, "path": path,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "files": files, "dependency_only": only,
                    "ecosystem": ecosystems[0] if only and len(ecosystems) == 1 else
                    ("+".join(ecosystems) if only else None),
                    "upstream_kind": before["source"]["kind"], "github": repository}
            if raw in end_names:
                _, end_data = tree_end.resolve(raw)
                case["sha256_b"] = hashlib.sha256(end_data).hexdigest() if end_data else None
                case["label"] = "kept" if case["sha256_b"] == case["sha256"] else "kept-refreshed"
            else:
                old = changed_lines(data)
                best = max(((overlap(old, lines), n, p) for n, (p, lines) in new_lines.items()),
                           default=(0.0, None, None))
                if best[0] >= REFRESH_OVERLAP:
                    case["label"] = "refreshed"
                    case["replaced_by"] = best[2]
                    case["overlap"] = round(best[0], 3)
                elif raw in bump_names:
                    case["label"] = "dropped-followup"
                else:
                    case["label"] = "dropped"
                if case["label"].startswith("dropped"):
                    base = os.path.basename(raw)
                    case["why"] = why_lines(messages, [base, base.rsplit(".", 1)[0]])
            new_cases.append(case)
        # pins
        pins_a = pin_specs(repo, blobs, commit_a, before, folders)
        pins_end = pin_specs(repo, blobs, commit_end, at_end, folders)
        new_pins = []
        for (ecosystem, module), pin in sorted(pins_a.items()):
            record = {**{k: bump_record[k] for k in (
                          "package", "yaml", "version_a", "version_b", "commit_a",
                          "commit_bump", "commit_b")},
                      "ecosystem": ecosystem, "module": module, "pin": pin["version"],
                      "pipeline": pin["pipeline"], "github": repository}
            if "from_file" in pin:
                record["from_file"] = pin["from_file"]
            later = pins_end.get((ecosystem, module))
            if later is None:
                record["label"] = "dropped"
            elif later["version"] == pin["version"]:
                record["label"] = "kept"
            else:
                record["label"] = "raised"
                record["pin_b"] = later["version"]
            new_pins.append(record)
        if not new_cases and not new_pins:
            continue
        if extra:
            if not any(c["dependency_only"] for c in new_cases):
                continue
            taken_dependency[name] += 1
            bump_record["selected"] = "dependency-patch"
        else:
            taken[name] += 1
            bump_record["selected"] = "newest"
        bump_record["patches"] = len(new_cases)
        bump_record["pins"] = len(new_pins)
        used.append(bump_record)
        cases.extend(new_cases)
        pin_cases.extend(new_pins)
    return used, cases, pin_cases, skipped


def summary(bumps, cases, pins):
    lines = []
    packages = {b["package"] for b in bumps}
    repositories = {b["upstream"]["github"] for b in bumps}
    lines.append(f"{len(bumps)} bumps, {len(packages)} packages, {len(repositories)} upstream "
                 f"repositories, {len(cases)} patch cases, {len(pins)} pin cases")
    labels = collections.Counter(c["label"] for c in cases)
    lines.append("patches: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    by_eco = collections.defaultdict(collections.Counter)
    for case in cases:
        key = case["ecosystem"] if case["dependency_only"] else "(code)"
        by_eco[key][case["label"]] += 1
    for key, counter in sorted(by_eco.items()):
        lines.append(f"  {key:12} " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    pin_labels = collections.defaultdict(collections.Counter)
    for pin in pins:
        pin_labels[pin["ecosystem"]][pin["label"]] += 1
    lines.append("pins:")
    for key, counter in sorted(pin_labels.items()):
        lines.append(f"  {key:12} " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    return "\n".join(lines)


def select(manifest, pin_only_packages):
    """Keep every bump that carries a patch, and the newest pin-only bump of at most
    `pin_only_packages` packages (those with cargo or maven pins first, then the newest Go
    ones), so that the upstream histories to bring stay within a few hundred repositories."""
    bumps = manifest["bumps"]
    keep = {(b["package"], b["commit_bump"]) for b in bumps if b["patches"]}
    with_patches = {b["package"] for b in bumps if b["patches"]}
    ecosystems = collections.defaultdict(set)
    for pin in manifest["pins"]:
        ecosystems[(pin["package"], pin["commit_bump"])].add(pin["ecosystem"])
    newest = {}
    for bump in sorted(bumps, key=lambda b: b["date_bump"], reverse=True):
        if not bump["patches"] and bump["package"] not in with_patches:
            newest.setdefault(bump["package"], bump)
    ranked = sorted(newest.values(), key=lambda b: (
        not (ecosystems[(b["package"], b["commit_bump"])] - {"go"}), b["date_bump"]),
        reverse=False)
    rare = [b for b in ranked if ecosystems[(b["package"], b["commit_bump"])] - {"go"}]
    common = sorted((b for b in ranked if b not in rare), key=lambda b: b["date_bump"],
                    reverse=True)
    for bump in (rare + common)[:pin_only_packages]:
        keep.add((bump["package"], bump["commit_bump"]))
    chosen = dict(manifest)
    chosen["bumps"] = [b for b in bumps if (b["package"], b["commit_bump"]) in keep]
    chosen["cases"] = [c for c in manifest["cases"] if (c["package"], c["commit_bump"]) in keep]
    chosen["pins"] = [p for p in manifest["pins"] if (p["package"], p["commit_bump"]) in keep]
    chosen["repositories"] = sorted({b["upstream"]["github"] for b in chosen["bumps"]})
    chosen["pin_only_packages"] = pin_only_packages
    return chosen


def find_mirror(mirrors, github):
    name = github.replace("/", "+")
    for candidate in (os.path.join(name, "repo"), name + ".git", name):
        path = os.path.join(mirrors, candidate)
        if os.path.exists(os.path.join(path, "HEAD")):
            return path
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="a clone of wolfi-dev/os (full history)")
    parser.add_argument("--commits", type=int, default=88000,
                        help="first-parent commits read back from --head (default 88000, "
                        "about two years of wolfi-dev/os)")
    parser.add_argument("--head", default="HEAD", help="the newest commit read (default HEAD)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the manifest (JSON)")
    parser.add_argument("--window-commits", type=int, default=3,
                        help="follow-up commits of the same YAML that still count (default 3)")
    parser.add_argument("--window-days", type=float, default=7,
                        help="days after the bump that still count (default 7)")
    parser.add_argument("--per-package", type=int, default=2,
                        help="bumps kept per package, newest first (default 2)")
    parser.add_argument("--per-package-dependency", type=int, default=2,
                        help="older bumps kept per package when they carry a dependency-only "
                        "patch (default 2)")
    parser.add_argument("--mirrors", help="folder of bare GitHub mirrors (owner+name/repo): "
                        "record the one found per upstream")
    parser.add_argument("--pin-only-packages", type=int, default=80,
                        help="packages whose newest pin-only bump is kept (default 80)")
    parser.add_argument("--full", help="also write the unselected manifest to FILE")
    parser.add_argument("--reselect", metavar="FULL_MANIFEST",
                        help="only apply the selection to a manifest --full wrote (no git)")
    args = parser.parse_args()
    if args.reselect:
        with open(args.reselect, encoding="utf-8") as handle:
            manifest = json.load(handle)
    else:
        bumps, cases, pins, skipped = build(args)
        head = git(os.path.abspath(args.repo), "rev-parse", args.head).strip()
        manifest = {"source": "wolfi-dev/os", "head": head, "commits": args.commits,
                    "window": {"commits": args.window_commits, "days": args.window_days},
                    "per_package": args.per_package,
                    "per_package_dependency": args.per_package_dependency,
                    "skipped": dict(skipped),
                    "repositories": sorted({b["upstream"]["github"] for b in bumps}),
                    "bumps": bumps, "cases": cases, "pins": pins}
        if args.full:
            with open(args.full, "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, indent=1)
        log("before selection: " + summary(bumps, cases, pins))
    manifest = select(manifest, args.pin_only_packages)
    if args.mirrors:
        manifest["mirrors"] = {github: find_mirror(args.mirrors, github)
                               for github in manifest["repositories"]}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
    log(summary(manifest["bumps"], manifest["cases"], manifest["pins"]))
    if manifest.get("skipped"):
        log("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(manifest["skipped"].items())))
    if args.mirrors:
        have = sum(1 for v in manifest["mirrors"].values() if v)
        log(f"mirrors: {have} of {len(manifest['repositories'])} upstream repositories found")
    print(args.out)


if __name__ == "__main__":
    main()
