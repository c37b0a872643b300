#!/usr/bin/env bash
# Fetch Debian source packages and lay them out for bench/apply-series.py.
#
# For each package PKG (default: linux openssh python3.11 systemd) this leaves:
#   bench/work/PKG/src/       the downloaded .dsc, orig and debian tarballs
#   bench/work/PKG/orig/      the pristine upstream tree (no Debian patches applied, no debian/, no .pc)
#   bench/work/PKG/patches/   debian/patches/ as shipped, including its `series` file
#
# Needs a Debian/Ubuntu machine and root (it may add a deb-src entry and install dpkg-dev).
# Everything lands under bench/work/, which git ignores; rerun with --force to refetch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$here/work"
force=0
packages=()
for argument in "$@"; do
    case "$argument" in
        --force) force=1 ;;
        -h|--help)
            sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
            echo "usage: $0 [--force] [PKG...]"
            exit 0 ;;
        -*) echo "error: unknown option \`$argument\`" >&2; exit 2 ;;
        *) packages+=("$argument") ;;
    esac
done
if [ ${#packages[@]} -eq 0 ]; then
    packages=(linux openssh python3.11 systemd)
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

has_deb_src() {
    # one-line style (sources.list, *.list) or deb822 style (*.sources, `Types: deb deb-src`)
    grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
    grep -qsE '^[[:space:]]*Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources && return 0
    return 1
}

if ! has_deb_src; then
    # Mirror apt's own binary entries as source entries: the same archives, suites and keys.
    echo "adding deb-src entries mirroring apt's configured archives" >&2
    staged="$(mktemp -d)"
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        sed -E 's/^([[:space:]]*Types:[[:space:]]*)deb[[:space:]]*$/\1deb-src/' "$file"
        echo
    done > "$staged/sources"
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$file"
    done > "$staged/list"
    [ -s "$staged/sources" ] && as_root cp "$staged/sources" /etc/apt/sources.list.d/mindelta-bench-deb-src.sources
    [ -s "$staged/list" ] && as_root cp "$staged/list" /etc/apt/sources.list.d/mindelta-bench-deb-src.list
    rm -rf "$staged"
fi

echo "apt-get update" >&2
as_root apt-get update -qq
if ! command -v dpkg-source >/dev/null; then
    as_root apt-get install -y -qq dpkg-dev
fi

# Some mirrors list a source version they no longer serve (a 404 on the security archive is
# common); then try the other listed versions, newest first.
download() {
    local package="$1" destination="$2" version
    (cd "$destination" && apt-get source --download-only -qq "$package") && return 0
    for version in $(apt-cache madison "$package" | awk -F'|' '/Sources/ {gsub(/ /, "", $2); print $2}' \
                     | sort -u | sort_versions_descending | head -n 8); do
        rm -f "$destination"/*
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

mkdir -p "$work"
for package in "${packages[@]}"; do
    dir="$work/$package"
    if [ -d "$dir/orig" ] && [ -f "$dir/patches/series" ] && [ "$force" -eq 0 ]; then
        echo "$package: already fetched (use --force to refetch)" >&2
    else
        rm -rf "$dir"
        mkdir -p "$dir/src"
        echo "$package: downloading source" >&2
        if ! download "$package" "$dir/src"; then
            echo "error: could not download the source of $package" >&2
            rm -rf "$dir"
            continue
        fi
        dsc="$(ls "$dir/src"/*.dsc | head -n1)"
        echo "$package: extracting $(basename "$dsc") without patches" >&2
        dpkg-source -x --skip-patches "$dsc" "$dir/extracted" >/dev/null
        if [ ! -f "$dir/extracted/debian/patches/series" ]; then
            echo "warning: $package has no debian/patches/series; skipping" >&2
            rm -rf "$dir/extracted"
            continue
        fi
        mv "$dir/extracted/debian/patches" "$dir/patches"
        rm -rf "$dir/extracted/debian" "$dir/extracted/.pc"
        mv "$dir/extracted" "$dir/orig"
    fi
    patch_count="$(grep -cvE '^[[:space:]]*(#|$)' "$dir/patches/series" || true)"
    file_count="$(find "$dir/orig" -type f | wc -l)"
    size="$(du -sh "$dir/orig" | cut -f1)"
    version="$(basename "$(ls "$dir/src"/*.dsc | head -n1)" .dsc)"
    printf '%-12s %-40s %6s patches  %7s files  %6s tree\n' \
        "$package" "$version" "$patch_count" "$file_count" "$size"
done
