#!/usr/bin/env bash
# mindelta in place in a checkout of wolfi-dev/os: `list` and `audit` of every package, offline,
# timed, with every package that could not be read (docs/native.md, "Proof on real data").
#
# usage: bench/wolfi-inplace/run.sh WOLFI_OS_CHECKOUT [MINDELTA]
#   MINDELTA defaults to target/release/mindelta (build it with `cargo build --release`).
# Prints the wall and CPU time of each command, the number of packages and patches listed, and
# the errors (one line each). Nothing is written to the checkout: the cache goes to a temporary
# folder, and `audit` runs offline (the newest release of each package is then unknown: one
# warning each, counted apart).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
checkout="${1:?usage: $0 WOLFI_OS_CHECKOUT [MINDELTA]}"
mindelta="${2:-$here/../../target/release/mindelta}"
mindelta="$(cd "$(dirname "$mindelta")" && pwd)/$(basename "$mindelta")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "checkout: $(git -C "$checkout" log -1 --format='%h %cs' 2>/dev/null || echo '?'), $(ls "$checkout"/*.yaml | wc -l) top-level YAML files"
for command in "list --format json" "audit --format json"; do
    name="${command%% *}"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S" -o "$work/$name.cpu" \
        "$mindelta" --cache-dir "$work/cache" --workspace "$checkout" --offline $command \
        >"$work/$name.json" 2>"$work/$name.err" || true
    end=$(date +%s.%N)
    read -r user system <"$work/$name.cpu"
    packages=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["packages"]))' "$work/$name.json")
    patches=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(p["patches"]) for p in d["packages"]))' "$work/$name.json")
    errors=$(grep -c '^error:' "$work/$name.err" || true)
    unknown=$(grep -c 'newest release unknown' "$work/$name.err" || true)
    printf '%-6s %6.2fs wall, %6.2fs CPU: %s packages, %s patches, %s errors, %s "newest release unknown" warnings\n' \
        "$name" "$(echo "$end - $start" | bc)" "$(echo "$user + $system" | bc)" "$packages" "$patches" "$errors" "$unknown"
    grep -A2 '^error:' "$work/$name.err" | grep -v '^--$' | grep -v 'packages failed (reported above)' || true
done
