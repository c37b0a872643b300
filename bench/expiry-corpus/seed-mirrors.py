#!/usr/bin/env python3
"""Put the upstream git repositories the corpus needs into mindelta's cache, for offline runs.

`mindelta check` consults the repository a patch's commit URL names (`Origin:` and friends,
see docs/expiry.md) and, with `--with-git`, the `git:` repository a package declares. Online
it clones them into its cache as bare mirrors (`<cache>/git/<sha256 of the URL>`). This
script does the same from local bare clones, so that `evaluate.py` (which runs `--offline`)
measures what an online run would see without downloading anything here:

    bench/expiry-corpus/seed-mirrors.py --snapshots DIR

DIR holds bare clones named `owner+name/repo`, `owner+name.git` or `owner+name` (GitHub's
owner and name; make them with `git clone --bare https://github.com/OWNER/NAME
DIR/OWNER+NAME.git`). Each URL below is filled from the GitHub clone of the same repository
(for projects hosted elsewhere, their official GitHub mirror: the commits and tags are the
same). Repositories without a clone in DIR are listed and skipped: their patches keep the
evidence "cannot read …", as offline. Existing mirrors are left alone.
"""

import argparse
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "..", "work", "expiry-corpus", "cache")

# The repository URL as mindelta derives it from a commit URL (or as `--with-git` declares
# it) -> the GitHub repository holding the same history.
REPOSITORIES = {
    "https://anongit.mindrot.org/openssh.git": "openssh/openssh-portable",
    "https://git.busybox.net/busybox": "mirror/busybox",
    "https://git.kernel.org/pub/scm/bluetooth/bluez.git": "bluez/bluez",
    "https://git.libssh.org/projects/libssh.git": "libssh/libssh-mirror",
    "https://github.com/OpenPrinting/cups.git": "OpenPrinting/cups",
    "https://github.com/tmux/tmux.git": "tmux/tmux",
    "https://gitlab.com/libtiff/libtiff.git": "libsdl-org/libtiff",
    "https://gitlab.com/samba-team/samba.git": "samba-team/samba",
    "https://github.com/curl/curl.git": "curl/curl",
    "https://github.com/eclipse/mosquitto.git": "eclipse-mosquitto/mosquitto",
    "https://github.com/eclipse-mosquitto/mosquitto.git": "eclipse-mosquitto/mosquitto",
    "https://github.com/file/file.git": "file/file",
    "https://github.com/git/git.git": "git/git",
    "https://github.com/gwsw/less.git": "gwsw/less",
    "https://github.com/harfbuzz/harfbuzz.git": "harfbuzz/harfbuzz",
    "https://github.com/krb5/krb5.git": "krb5/krb5",
    "https://github.com/libarchive/libarchive.git": "libarchive/libarchive",
    "https://github.com/libgit2/libgit2.git": "libgit2/libgit2",
    "https://github.com/lua/lua.git": "lua/lua",
    "https://github.com/memcached/memcached.git": "memcached/memcached",
    "https://github.com/net-snmp/net-snmp.git": "net-snmp/net-snmp",
    "https://github.com/openssh/openssh-portable.git": "openssh/openssh-portable",
    "https://github.com/tukaani-project/xz.git": "tukaani-project/xz",
    "https://github.com/util-linux/util-linux.git": "util-linux/util-linux",
    "https://github.com/webmproject/libwebp.git": "webmproject/libwebp",
}


def snapshot(snapshots, github):
    name = github.replace("/", "+")
    for candidate in (os.path.join(name, "repo"), name + ".git", name):
        path = os.path.join(snapshots, candidate)
        if os.path.isdir(path) and (
            os.path.exists(os.path.join(path, "HEAD")) or os.path.isdir(os.path.join(path, ".git"))
        ):
            return path
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", required=True, help="folder of bare GitHub clones")
    parser.add_argument("--cache", help="mindelta's cache (default: <work>/cache)")
    parser.add_argument("--work", default=os.path.dirname(CACHE),
                        help="the corpus folder (default: bench/work/expiry-corpus)")
    args = parser.parse_args()
    args.cache = args.cache or os.path.join(args.work, "cache")
    mirrors = os.path.join(args.cache, "git")
    os.makedirs(mirrors, exist_ok=True)
    missing = []
    for url, github in sorted(REPOSITORIES.items()):
        target = os.path.join(mirrors, hashlib.sha256(url.encode()).hexdigest())
        if os.path.isdir(target):
            print(f"have   {url}")
            continue
        source = snapshot(args.snapshots, github)
        if source is None:
            missing.append(f"{url} (GitHub {github})")
            continue
        subprocess.run(["git", "clone", "--quiet", "--mirror", source, target], check=True)
        print(f"seeded {url} from {github}")
    for line in missing:
        print(f"no clone for {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
