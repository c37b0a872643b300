#!/usr/bin/env python3
"""Build the expiry regression corpus from Debian bookworm -> trixie source packages.

For each candidate source package this downloads (at run time, with `apt-get source
--download-only`) the newest bookworm version (bookworm, bookworm-updates or
bookworm-security) and the newest trixie version, and labels every patch of the bookworm
quilt series:

  upstream          gone from the trixie series, and a trixie changelog entry newer than the
                    bookworm version names the patch together with an "applied upstream"
                    style phrase (in the same bullet or a parent bullet)
  upstream-generic  gone, not named, but a newer trixie entry says "patches applied upstream"
                    without naming them (weaker: some of them may be dropped for other reasons)
  upstream-weak     as `upstream`, but the phrase is only "no longer needed", "unnecessary",
                    "obsolete", ... in an entry that imports a new upstream version (often a
                    Debian-only change made moot, not upstream inclusion)
  stable-backport   gone, not named in trixie's changelog, added by a bookworm stable/security
                    update (`+deb12uN`) -- typically a CVE fix backported from a later upstream
                    release (weaker: nobody states that trixie's upstream contains it)
  origin-upstream   gone, not named, but its own header says it comes from upstream (DEP-3
                    `Origin: upstream|backport`, `Applied-Upstream:`, `Upstream-Status: Backport`,
                    "cherry picked from commit") and trixie has a newer upstream (weaker, as above)
  dropped-other     gone, with no such statement (named with another reason, or not at all)
  renamed           gone under this name, but trixie carries the same change under another
                    name (same changed lines): a negative
  kept              still in the trixie series (possibly refreshed): a negative, it is needed
  kept-shrunk       still in the trixie series, but trixie's copy makes a strict subset of the
                    changed lines: the right verdict is `partial` (not scored as a negative)

Only `3.0 (quilt)` packages with a single orig tarball and a new upstream version are used.
Everything lands in bench/work/expiry-corpus/ (git-ignored); the manifest is
bench/work/expiry-corpus/manifest.json. Nothing of Debian's is committed.

The trixie deb-src entry is added (deb-src only: binary installs are unaffected) as
/etc/apt/sources.list.d/mindelta-expiry-corpus-trixie.sources, with the same URI as the
configured bookworm deb-src entry; this needs root.

Usage: bench/expiry-corpus/build-corpus.py [--no-update] [--force] [--jobs N] [--work DIR] [PKG...]

--work DIR puts the corpus elsewhere (evaluate.py and seed-mirrors.py take the same option).
"""

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(ROOT, "bench", "work", "expiry-corpus")
SOURCES_FILE = "/etc/apt/sources.list.d/mindelta-expiry-corpus-trixie.sources"
OLD_SUITES = ("bookworm", "bookworm-updates", "bookworm-security")
NEW_SUITES = ("trixie",)

# Source packages likely to carry patches and to have had an upstream bump between releases.
CANDIDATES = """
acl apr apr-util aspell at attr autoconf automake bash bc bind9 binutils bison bzip2
coreutils cpio cron cups curl cyrus-sasl2 dash dbus diffutils dnsmasq dovecot e2fsprogs
elfutils emacs exim4 expat file findutils flac flex fontconfig freetype fribidi gawk gdbm
gettext ghostscript git glib2.0 gmp gnupg2 gnutls28 grep groff gzip harfbuzz haproxy
hunspell icu iproute2 iptables jansson jq json-c kmod krb5 less libarchive libcap2
libevent libexif libffi libgcrypt20 libgpg-error libidn2 libjpeg-turbo libksba libmicrohttpd
libnl3 libpng1.6 libpsl libseccomp libsndfile libsodium libssh libssh2 libtasn1-6 libtirpc
libtool libunistring libusb-1.0 libvorbis libwebp libxml2 libxslt libyaml lighttpd lldpd
logrotate lsof lua5.4 lz4 lzo2 m4 make-dfsg man-db mariadb mawk memcached mutt nano ncurses
net-snmp nettle nghttp2 nginx nmap nspr nss ntp openldap openssh openssl openvpn opus p11-kit
pam pango1.0 patch pciutils pcre2 perl php8.2 pixman popt postfix postgresql-common procps
psmisc pv qemu quagga rsync rsyslog ruby3.1 samba screen sed shadow sqlite3 squid strace
sudo sysstat systemd tar tcpdump tiff tmux tzdata unbound unzip util-linux vim wget
whois xz-utils zlib zsh zstd
apache2 avahi bluez busybox cairo cmake dpkg ethtool fetchmail gdb gpm graphviz htop
imagemagick inetutils iputils jbig2dec kbd keyutils libcaca libdrm libedit libgd2 libpcap
libraw librsvg libsdl2 libvpx libxcrypt lynx mdadm minicom mosquitto mpfr4 netcat-openbsd
nftables nfs-utils ninja-build openjpeg2 opensc poppler readline redis rrdtool
sane-backends smartmontools socat sox tcl8.6 texinfo tidy usbutils w3m wireshark
wpa xterm yajl zip zziplib libxmlb libzip libgit2 libheif libde265 libtommath libmaxminddb
mpg123 nasm nettle protobuf re2 snappy c-ares libuv1 brotli bzip3 jasper leptonlib
""".split()


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Debian versions (Debian Policy 5.6.12), so thousands of comparisons need no subprocess.

def _order(char):
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if not char:
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a, b):
    while a or b:
        a_text = re.match(r"[^0-9]*", a).group(0)
        b_text = re.match(r"[^0-9]*", b).group(0)
        for i in range(max(len(a_text), len(b_text)) + 1):
            ca = a_text[i] if i < len(a_text) else ""
            cb = b_text[i] if i < len(b_text) else ""
            if ca == cb == "":
                break
            oa, ob = _order(ca), _order(cb)
            if oa != ob:
                return -1 if oa < ob else 1
        a, b = a[len(a_text):], b[len(b_text):]
        a_num = re.match(r"[0-9]*", a).group(0)
        b_num = re.match(r"[0-9]*", b).group(0)
        if int(a_num or 0) != int(b_num or 0):
            return -1 if int(a_num or 0) < int(b_num or 0) else 1
        a, b = a[len(a_num):], b[len(b_num):]
    return 0


def split_version(version):
    epoch, _, rest = version.partition(":") if ":" in version else ("0", "", version)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch), upstream, revision


def compare_versions(a, b):
    ea, ua, ra = split_version(a)
    eb, ub, rb = split_version(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def newest_first(versions):
    import functools
    return sorted(set(versions), key=functools.cmp_to_key(compare_versions), reverse=True)


# ---------------------------------------------------------------------------------------------
# apt configuration and downloads

def deb_src_entries():
    """(types, uris, suites) of every configured apt source, deb822 and one-line style."""
    entries = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path, encoding="utf-8", errors="replace") as handle:
            for stanza in re.split(r"\n\s*\n", handle.read()):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
                if fields.get("enabled", ["yes"])[0].lower() == "no":
                    continue
                entries.append((fields.get("types", []), fields.get("uris", []),
                                fields.get("suites", [])))
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
                if len(words) >= 3:
                    entries.append(([words[0]], [words[1]], [words[2]]))
    return entries


def ensure_trixie_sources(update):
    entries = deb_src_entries()
    has_trixie = any("deb-src" in t and "trixie" in s for t, _, s in entries)
    if not has_trixie:
        uris = [u for t, us, s in entries if "deb-src" in t and "bookworm" in s for u in us]
        if not uris:
            sys.exit("error: no bookworm deb-src entry is configured; add one first "
                     "(see bench/fetch-debian.sh)")
        if os.geteuid() != 0:
            sys.exit(f"error: root is needed to write {SOURCES_FILE}")
        log(f"adding a trixie deb-src entry ({SOURCES_FILE})")
        with open(SOURCES_FILE, "w", encoding="utf-8") as handle:
            handle.write("Types: deb-src\n"
                         f"URIs: {uris[0]}\n"
                         "Suites: trixie\n"
                         "Components: main\n"
                         "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
        update = True
    if update:
        log("apt-get update")
        command = ["apt-get", "update", "-qq"]
        if os.geteuid() != 0:
            sys.exit("error: root is needed for apt-get update (or pass --no-update)")
        subprocess.run(command, check=True)


def source_versions(package):
    """{suite: [versions]} of the source package, from apt-cache madison."""
    result = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True)
    suites = {}
    for line in result.stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[2].endswith("Sources") or parts[0] != package:
            continue
        suite = parts[2].split()[-2].split("/")[0]
        suites.setdefault(suite, []).append(parts[1])
    return suites


def download(package, versions, destination_root):
    """Download the newest of `versions` that the archive serves; its folder, or None."""
    for version in versions[:6]:
        destination = os.path.join(destination_root, version.replace(":", "_"))
        marker = os.path.join(destination, ".complete")
        if os.path.exists(marker):
            return version, destination
        shutil.rmtree(destination, ignore_errors=True)
        os.makedirs(destination)
        result = subprocess.run(
            ["apt-get", "source", "--download-only", "-qq", f"{package}={version}"],
            cwd=destination, capture_output=True, text=True)
        if result.returncode == 0 and glob.glob(os.path.join(destination, "*.dsc")):
            open(marker, "w").close()
            return version, destination
        log(f"{package}: {version} not served ({result.stderr.strip().splitlines()[-1:]}), "
            "trying an older one")
        shutil.rmtree(destination, ignore_errors=True)
    return None, None


def read_dsc(folder):
    dsc = glob.glob(os.path.join(folder, "*.dsc"))[0]
    fields = {}
    key = None
    with open(dsc, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("-----BEGIN PGP SIGNATURE"):
                break
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip()
                fields[key] = value.strip()
    files = [line.split()[-1] for line in fields.get("Files", "").splitlines() if line.strip()]
    return fields, files


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_debian(folder, files, destination):
    """Unpack only debian/ from the .debian.tar.* into `destination`."""
    debian = [f for f in files if re.search(r"\.debian\.tar\.[a-z0-9]+$", f)]
    if not debian:
        return False
    shutil.rmtree(destination, ignore_errors=True)
    os.makedirs(destination)
    with tarfile.open(os.path.join(folder, debian[0])) as archive:
        members = [m for m in archive.getmembers()
                   if (m.isfile() or m.isdir()) and m.name.startswith("debian/")
                   and ".." not in m.name.split("/")]
        archive.extractall(destination, members=members, filter="data") \
            if hasattr(tarfile, "data_filter") else archive.extractall(destination, members=members)
    return True


# ---------------------------------------------------------------------------------------------
# series, patch similarity, changelog

def read_series(patch_dir):
    path = os.path.join(patch_dir, "series")
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            words = line.split("#")[0].split()
            if not words:
                continue
            strip = 1
            for option in words[1:]:
                match = re.fullmatch(r"-p(\d+)", option)
                if match:
                    strip = int(match.group(1))
            entries.append((words[0], strip))
    return entries


def changed_lines(path):
    """The set of added/removed lines of a patch (its change, whatever its context/headers)."""
    lines = set()
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line.startswith(("+++", "---")):
                    continue
                if line[:1] in "+-" and line[1:].strip():
                    lines.add(line[0] + line[1:].strip())
    except OSError:
        pass
    return lines


def similarity(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def parse_changelog(path):
    """[(version, distribution, [body lines])], newest first."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8", errors="replace") as handle:
        current = None
        for line in handle:
            header = re.match(r"^(\S+) \(([^)]+)\) ([^;]*);", line)
            if header:
                current = (header.group(2), header.group(3).strip(), [])
                entries.append(current)
            elif current is not None and line.startswith(" -- "):
                current = None
            elif current is not None:
                current[2].append(line.rstrip("\n"))
    return entries


def bullets(body):
    """Group changelog body lines into bullets: [(text, [ancestor texts])]."""
    items = []        # [indent, text, parent index]
    stack = []        # indices of open bullets, by indent
    for line in body:
        if not line.strip():
            continue
        if re.match(r"^\s*\[ .* \]\s*$", line):
            stack = []
            continue
        match = re.match(r"^(\s*)([*+\-o~>]|\d+[.)])\s+(.*)$", line)
        if match:
            indent = len(match.group(1))
            while stack and items[stack[-1]][0] >= indent:
                stack.pop()
            parent = stack[-1] if stack else None
            items.append([indent, match.group(3), parent])
            stack.append(len(items) - 1)
        elif stack:
            items[stack[-1]][1] += " " + line.strip()
        else:
            items.append([len(line) - len(line.lstrip()), line.strip(), None])
    result = []
    for index, (_, text, parent) in enumerate(items):
        ancestors = []
        while parent is not None:
            ancestors.append(items[parent][1])
            parent = items[parent][2]
        result.append((text, ancestors))
    return result


STRONG = re.compile(r"""(
      (applied|merged|fixed|included|incorporated|accepted|integrated|committed|landed|present
       |contained|available|shipped|implemented|resolved|addressed|solved)
        \s+(by\s+|in\s+|into\s+)?(the\s+)?(new\s+)?upstream
    | upstream(ed|\s+applied|\s+merged|\s+fixed|\s+included|\s+has|\s+now)
    | (from|in|with|by)\s+(the\s+)?new\s+upstream
    | part\s+of\s+(the\s+)?(new\s+)?upstream
    | obsolete\s+(with|by|since|in)\s+(the\s+)?new\s+upstream
    | \(upstream\)
    | (drop|remov)\w*[^.;]*\b(as|since|because|now)\b[^.;]*\bupstream
    | (applied|merged|fixed|included|in)\s+(in\s+)?(upstream\s+)?(version|release|v)?\s*[0-9]+\.[0-9]+
)""", re.I | re.X)
WEAK = re.compile(r"no\s+longer\s+(needed|required|necessary|relevant|applicable)|not\s+needed"
                  r"|obsolete|superseded|unnecessary|unneeded|redundant|useless", re.I)
NEW_UPSTREAM = re.compile(r"new\s+upstream|upstream\s+(release|version)|import(ed)?\s+(upstream"
                          r"\s+)?(version\s+)?[0-9]", re.I)
GENERIC = re.compile(r"(drop|remov|delet)\w*\s+(all\s+|the\s+|some\s+|several\s+|obsolete\s+)?"
                     r"(patches|upstream(ed)?\s+patches)[^.;]*upstream"
                     r"|patches\s+(applied|merged|included|fixed)\s+upstream"
                     r"|(drop|remov)\w*\s+(all\s+)?upstream(ed)?\s+patches", re.I)


DROP = re.compile(r"\b(drop|remov|delet|obsolet|no\s+longer|not\s+needed|unnecessary|unneeded"
                  r"|superseded|get\s+rid|disabl\w*\s+patch)", re.I)


def header_cves(path):
    """CVE ids named in a patch's header (above its first diff line)."""
    cves = set()
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace")
                if line.startswith(("--- ", "diff ", "Index: ")):
                    break
                cves.update(m.upper() for m in re.findall(r"CVE-\d{4}-\d{4,}", line, re.I))
    except OSError:
        pass
    return cves


UPSTREAM_CLAIM = re.compile(r"^(Origin:\s*(upstream|backport)\b.*|Applied-Upstream:.*"
                            r"|Upstream-Status:\s*Backport.*|\(cherry[- ]picked from commit .*)",
                            re.I | re.M)


def upstream_claim(path):
    """The header line of a patch that says it comes from upstream (DEP-3, Yocto, git)."""
    try:
        with open(path, "rb") as handle:
            header = []
            for raw in handle:
                line = raw.decode("utf-8", "replace")
                if line.startswith(("--- ", "diff ", "Index: ")):
                    break
                header.append(line)
    except OSError:
        return None
    match = UPSTREAM_CLAIM.search("".join(header))
    return match.group(0).strip()[:160] if match else None


def mention_pattern(patch, cves=()):
    base = os.path.basename(patch)
    stem = re.sub(r"\.(patch|diff|dpatch)$", "", base)
    # An optional leading number (0001-) may be left out, as may the extension.
    core = re.sub(r"^\d{2,4}[-_]", "", stem)
    names = {re.escape(stem)}
    if len(core) >= 10 and re.search(r"[-_.]", core):  # never a bare word such as "gnutls"
        names.add(re.escape(core))
    names.update(re.escape(cve) for cve in cves)
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    return re.compile(r"(?<![\w.+-])(?:[\w.+-]*/)?(?:\d{2,4}[-_])?(?:%s)(?:\.(?:patch|diff|dpatch))?"
                      r"(?![\w+-])" % alternatives, re.I)


def label_dropped(patch, path, new_entries, old_entries):
    """(label, evidence) for a patch gone from the trixie series."""
    pattern = mention_pattern(patch, header_cves(path))
    named_other = None
    for version, _, body in new_entries:
        entry_text = " ".join(body)
        new_upstream = bool(NEW_UPSTREAM.search(entry_text))
        for text, ancestors in bullets(body):
            if not pattern.search(text):
                continue
            context = [text] + ancestors
            if not any(DROP.search(piece) or STRONG.search(piece) for piece in context):
                continue  # a mention that is not about dropping it (added, refreshed, quoted)
            for piece in context:
                match = STRONG.search(piece)
                if match:
                    return "upstream", f"{version}: {text.strip()}" + (
                        f"  [under: {ancestors[0].strip()}]" if piece is not text else "")
            if new_upstream and any(WEAK.search(piece) for piece in context):
                return "upstream-weak", f"{version} (new upstream, weak phrase): {text.strip()}"
            cve = re.search(r"CVE-\d{4}-\d{4,}", pattern.search(text).group(0), re.I)
            if new_upstream and cve:
                # the new upstream release's own notes, quoted in the entry, name the CVE
                return "upstream", f"{version} (new upstream names {cve.group(0)}): {text.strip()}"
            named_other = named_other or f"{version}: {text.strip()}"
    if named_other:
        return "dropped-other", named_other
    for version, _, body in old_entries:
        if "deb12u" not in version:
            continue
        for text, _ in bullets(body):
            if pattern.search(text):
                return "stable-backport", f"{version}: {text.strip()}"
    claim = upstream_claim(path)
    if claim:
        return "origin-upstream", f"patch header: {claim}"
    for version, _, body in new_entries:
        for line in body:
            if GENERIC.search(line):
                return "upstream-generic", f"{version}: {line.strip()}"
    return "dropped-other", ""


# ---------------------------------------------------------------------------------------------

def upstream_of(version):
    return split_version(version)[1]


def build_package(package, force):
    base = os.path.join(WORK, "pkgs", package)
    cached = os.path.join(base, "cases.json")
    if os.path.exists(cached) and not force:
        with open(cached, encoding="utf-8") as handle:
            return json.load(handle)
    record = {"package": package}

    def skip(reason):
        record["skipped"] = reason
        log(f"{package}: skipped: {reason}")
        return record

    suites = source_versions(package)
    old_versions = newest_first(v for s in OLD_SUITES for v in suites.get(s, []))
    new_versions = newest_first(v for s in NEW_SUITES for v in suites.get(s, []))
    if not old_versions or not new_versions:
        return skip("not in both bookworm and trixie")
    if upstream_of(old_versions[0]) == upstream_of(new_versions[0]):
        return skip(f"same upstream version {upstream_of(old_versions[0])}")
    downloads = os.path.join(WORK, "src", package)
    old_version, old_dir = download(package, old_versions, downloads)
    new_version, new_dir = download(package, new_versions, downloads)
    if not old_dir or not new_dir:
        return skip("download failed")
    record.update(old_version=old_version, new_version=new_version,
                  old_upstream=upstream_of(old_version), new_upstream=upstream_of(new_version))
    if record["old_upstream"] == record["new_upstream"]:
        return skip("same upstream version")
    really = re.search(r"really(.*)$", record["new_upstream"])
    if really and really.group(1) in record["old_upstream"]:
        return skip(f"trixie's upstream is really the old one ({record['new_upstream']})")
    tarballs = {}
    for side, folder in (("old", old_dir), ("new", new_dir)):
        fields, files = read_dsc(folder)
        if fields.get("Format") != "3.0 (quilt)":
            return skip(f"{side} format is {fields.get('Format')!r}")
        origs = [f for f in files if re.search(r"\.orig\.tar\.[a-z0-9]+$", f)]
        components = [f for f in files if re.search(r"\.orig-[^.]+\.tar\.[a-z0-9]+$", f)]
        if len(origs) != 1:
            return skip(f"{side}: no single orig tarball")
        if components:
            return skip(f"{side}: multiple orig tarballs ({len(components)} components)")
        if not extract_debian(folder, files, os.path.join(base, side)):
            return skip(f"{side}: no debian tarball")
        # tarballs/<pkg>-<upstream>.orig: `check` reads the format from the magic bytes.
        layout = os.path.join(WORK, "tarballs", f"{package}-{record[side + '_upstream']}.orig")
        os.makedirs(os.path.dirname(layout), exist_ok=True)
        if not os.path.exists(layout):
            os.link(os.path.join(folder, origs[0]), layout)
        tarballs[side] = os.path.relpath(layout, WORK)
    record["old_tarball"] = tarballs["old"]
    record["new_tarball"] = tarballs["new"]
    record["old_sha256"] = sha256(os.path.join(WORK, tarballs["old"]))

    old_patches = os.path.join(base, "old", "debian", "patches")
    new_patches = os.path.join(base, "new", "debian", "patches")
    old_series = read_series(old_patches)
    new_series = read_series(new_patches)
    if not old_series:
        return skip("no bookworm patch series")
    new_names = {name for name, _ in new_series}
    new_only = [name for name in new_names if name not in {n for n, _ in old_series}]
    new_only_lines = {name: changed_lines(os.path.join(new_patches, name)) for name in new_only}
    new_by_base = {}
    for name in new_names:
        new_by_base.setdefault(os.path.basename(name), name)
    new_changelog = [e for e in parse_changelog(os.path.join(base, "new", "debian", "changelog"))
                     if compare_versions(e[0], old_version) > 0]
    old_changelog = parse_changelog(os.path.join(base, "old", "debian", "changelog"))
    cases = []
    for name, strip in old_series:
        path = os.path.join(old_patches, name)
        if not os.path.isfile(path):
            continue
        case = {"patch": name, "strip": strip}
        if name in new_names:
            case["label"] = "kept"
            old_lines = changed_lines(path)
            new_lines = changed_lines(os.path.join(new_patches, name))
            same = old_lines == new_lines
            case["evidence"] = "in the trixie series" + ("" if same else " (refreshed or changed)")
            case["kept_changed"] = not same
            if new_lines < old_lines:
                # trixie's copy makes a strict subset of the change: upstream took the rest
                case["label"] = "kept-shrunk"
                case["evidence"] = (f"in the trixie series with {len(old_lines - new_lines)} of "
                                    f"{len(old_lines)} changed lines gone")
        else:
            lines = changed_lines(path)
            twin = new_by_base.get(os.path.basename(name))
            if not twin:
                scored = sorted(((similarity(lines, other), n) for n, other in new_only_lines.items()),
                                reverse=True)
                if scored and scored[0][0] >= 0.8:
                    twin = scored[0][1]
            if twin:
                case["label"] = "renamed"
                case["evidence"] = f"same change in the trixie series as {twin}"
            else:
                case["label"], case["evidence"] = label_dropped(name, path, new_changelog,
                                                                old_changelog)
        cases.append(case)
    record["cases"] = cases
    counts = {}
    for case in cases:
        counts[case["label"]] = counts.get(case["label"], 0) + 1
    log(f"{package}: {old_version} -> {new_version}: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return record


def main():
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*", help="source packages (default: the built-in list)")
    parser.add_argument("--no-update", action="store_true", help="skip apt-get update")
    parser.add_argument("--force", action="store_true", help="relabel packages already built")
    parser.add_argument("--jobs", type=int, default=3, help="parallel downloads")
    parser.add_argument("--work", default=WORK,
                        help="the corpus folder (default: bench/work/expiry-corpus)")
    args = parser.parse_args()
    WORK = os.path.abspath(args.work)
    ensure_trixie_sources(not args.no_update)
    packages = list(dict.fromkeys(args.packages or CANDIDATES))
    os.makedirs(WORK, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(lambda p: _safe(p, args.force), packages))
    for record in records:
        if "cases" in record:
            with open(os.path.join(WORK, "pkgs", record["package"], "cases.json"), "w",
                      encoding="utf-8") as handle:
                json.dump(record, handle, indent=1)
    manifest = os.path.join(WORK, "manifest.json")
    with open(manifest, "w", encoding="utf-8") as handle:
        json.dump({"old_release": "bookworm", "new_release": "trixie", "packages": records},
                  handle, indent=1)
    totals = {}
    used = 0
    for record in records:
        if record.get("cases"):
            used += 1
        for case in record.get("cases", []):
            totals[case["label"]] = totals.get(case["label"], 0) + 1
    skipped = {}
    for record in records:
        if "skipped" in record:
            reason = re.sub(r"[0-9][^ ]*", "N", record["skipped"])
            skipped[reason] = skipped.get(reason, 0) + 1
    log(f"\n{used} packages with cases out of {len(records)}; cases by label: "
        + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    log("skipped: " + ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    print(manifest)


def _safe(package, force):
    try:
        return build_package(package, force)
    except Exception as error:  # one broken package never stops the corpus
        log(f"{package}: error: {error!r}")
        return {"package": package, "skipped": f"error: {error!r}"}


if __name__ == "__main__":
    main()
