#!/usr/bin/env bash
# Fetch ten Debian trixie source packages for in-place tests (see README.md beside this file).
#
# For each package PKG this leaves, under the output folder (default bench/work/debian-inplace,
# git-ignored; `--out DIR` to choose):
#   DIR/PKG/*.dsc, *.orig.tar.*, *.orig-COMP.tar.*, *.debian.tar.*   as downloaded
#   DIR/PKG/applied/   `dpkg-source -x`: the tree with every patch applied (the reference
#                      `prepare` must equal; dpkg-source's own .pc/ bookkeeping is in it)
#   DIR/PKG/source/    `dpkg-source -x --skip-patches`: the unpacked source package a user works
#                      in (debian/ present, the orig tarballs beside it in the parent folder)
#   DIR/PKG/features.txt  what the package exercises (components, series options, watch, metadata)
#
# Needs a Debian/Ubuntu machine and root (it adds a trixie deb-src entry if none is configured,
# runs apt-get update, and installs dpkg-dev if missing). Rerun with --force to refetch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../work/debian-inplace"
force=0
update=1
packages=()
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1 ;;
        --no-update) update=0 ;;
        --out) out="$2"; shift ;;
        --out=*) out="${1#--out=}" ;;
        -h|--help)
            sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
            echo "usage: $0 [--out DIR] [--force] [--no-update] [PKG...]"
            exit 0 ;;
        -*) echo "error: unknown option \`$1\`" >&2; exit 2 ;;
        *) packages+=("$1") ;;
    esac
    shift
done
if [ ${#packages[@]} -eq 0 ]; then
    # Why each: README.md.
    packages=(cgit glib2.0 sqlite3 krb5 dbus bash libwebp cups curl libarchive)
fi
suite=trixie
sources_file=/etc/apt/sources.list.d/mindelta-debian-inplace-trixie.sources

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

has_trixie_src() {
    grep -qsE '^[[:space:]]*deb-src[[:space:]].*[[:space:]]trixie[[:space:]]' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
    # deb822: a stanza whose Types has deb-src and whose Suites has trixie
    awk 'BEGIN{RS=""} /Types:[^\n]*deb-src/ && /Suites:[^\n]*(^|[ \t])trixie([ \t]|$|\n)/ {found=1}
         END{exit !found}' /etc/apt/sources.list.d/*.sources 2>/dev/null && return 0
    return 1
}

if ! has_trixie_src; then
    uri="$(grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
           | grep -v security | head -n1)"
    [ -n "$uri" ] || uri="$(sed -nE 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^ ]+).*/\2/p' \
           /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1)"
    [ -n "$uri" ] || { echo "error: no Debian archive URI configured in apt" >&2; exit 1; }
    echo "adding a trixie deb-src entry ($sources_file)" >&2
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" "$suite" | as_root tee "$sources_file" >/dev/null
    update=1
fi
if [ "$update" -eq 1 ]; then
    echo "apt-get update" >&2
    as_root apt-get update -qq
fi
command -v dpkg-source >/dev/null || as_root apt-get install -y -qq dpkg-dev

# The archive may list a version it no longer serves (a 404 is common for point-release
# updates); then try the other versions the suite lists, newest first.
download() {
    local package="$1" destination="$2" version
    (cd "$destination" && apt-get source --download-only -qq "$package/$suite") && return 0
    for version in $(apt-cache madison "$package" | awk -F'|' -v s="$suite" \
                         '$3 ~ "Sources" && $3 ~ s {gsub(/ /, "", $2); print $2}' \
                     | sort -u | sort_versions_descending | head -n 6); do
        find "$destination" -mindepth 1 -delete
        echo "$package: retrying with version $version" >&2
        (cd "$destination" && apt-get source --download-only -qq "$package=$version") && return 0
    done
    return 1
}

sort_versions_descending() {
    python3 -c '
import sys, functools, subprocess
def compare(a, b):
    if a == b:
        return 0
    return -1 if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0 else 1
versions = [line.strip() for line in sys.stdin if line.strip()]
print("\n".join(sorted(versions, key=functools.cmp_to_key(compare), reverse=True)))
'
}

features() {
    local dir="$1" tree="$1/source"
    {
        echo "dsc: $(basename "$(ls "$dir"/*.dsc)")"
        echo "format: $(cat "$tree/debian/source/format" 2>/dev/null)"
        echo "component tarballs: $(ls "$dir" | grep -E '\.orig-[^.]+\.tar\.' | grep -v '\.asc$' | tr '\n' ' ')"
        local series="$tree/debian/patches/series"
        if [ -f "$series" ]; then
            echo "series: $(grep -cvE '^[[:space:]]*(#|$)' "$series") patches," \
                 "$(grep -cE '^[[:space:]]*#' "$series") comment lines," \
                 "$(grep -cE '^[^#]*[[:space:]]-p[0-9]' "$series") with -pN," \
                 "$(grep -cE '^[^#]*/' "$series") in subfolders"
        else
            echo "series: none"
        fi
        if [ -f "$tree/debian/watch" ]; then
            echo "watch: $(grep -m1 -oE 'version=[0-9]+' "$tree/debian/watch")" \
                 "$(grep -oE '(uversionmangle|filenamemangle|dversionmangle|downloadurlmangle)' "$tree/debian/watch" | sort -u | tr '\n' ' ')"
        else
            echo "watch: none"
        fi
        echo "upstream/metadata: $(grep -hE '^Repository:' "$tree/debian/upstream/metadata" 2>/dev/null || echo none)"
    } > "$dir/features.txt"
}

mkdir -p "$out"
failed=0
for package in "${packages[@]}"; do
    dir="$out/$package"
    if [ -d "$dir/applied" ] && [ -d "$dir/source" ] && [ "$force" -eq 0 ]; then
        echo "$package: already fetched (use --force to refetch)" >&2
    else
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "$package: downloading the $suite source" >&2
        if ! download "$package" "$dir"; then
            echo "error: could not download the $suite source of $package" >&2
            rm -rf "$dir"
            failed=$((failed + 1))
            continue
        fi
        dsc="$(ls "$dir"/*.dsc | head -n1)"
        if ! grep -qE '^Format: 3\.0 \(quilt\)' "$dsc"; then
            echo "warning: $package is not 3.0 (quilt)" >&2
        fi
        (cd "$dir" && dpkg-source -q -x "$(basename "$dsc")" applied >/dev/null)
        (cd "$dir" && dpkg-source -q -x --skip-patches "$(basename "$dsc")" source >/dev/null)
    fi
    features "$dir"
    echo "== $package"; cat "$dir/features.txt"
done
[ "$failed" -eq 0 ] || { echo "error: $failed packages could not be fetched" >&2; exit 1; }
