#!/usr/bin/env bash
# Scale benchmark of `mindelta expire`: one package of N patches against a local git upstream
# (bench/gen-check-workspace.py: 30% expired, 10% conflicting, the rest needed and moved),
# `expire --release 1.1 --allow-conflicts --jobs 1` on a fresh copy, with `check` of the same
# workspace for comparison. Prints the user CPU time of each (the mirror is cloned by a
# warm-up `check` first, so neither pays for it; CPU time, not wall time, because the machine
# is shared), the patches left and a digest of the resulting `patches/` folder.
#
# Usage: bench/expire-scale.sh [SIZES...]      (default 250 500 1000 1500)
# Env: MINDELTA, the binary (default target/release/mindelta; `cargo build --release`);
#      WORK, a folder that keeps the generated workspaces and mirrors between runs (to compare
#      two binaries on the same input; default: a temporary folder, removed at the end).
set -euo pipefail

sizes=${*:-"250 500 1000 1500"}
here=$(cd "$(dirname "$0")/.." && pwd)
mindelta=${MINDELTA:-$here/target/release/mindelta}
if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 SOURCE_DATE_EPOCH=1795780800

user_time() { # command... -> user CPU seconds (exit codes up to 5 are findings, not failures)
    /usr/bin/time -f '%U' -o "$work/time" "$@" > /dev/null 2>&1 || [ $? -le 5 ]
    tail -n 1 "$work/time"
}

printf '%8s %10s %10s %s\n' patches check_s expire_s result
for size in $sizes; do
    files=$(( (size + 11) / 12 ))
    [ "$files" -lt 5 ] && files=5
    [ -d "$work/gen-$size" ] || python3 "$here/bench/gen-check-workspace.py" "$work/gen-$size" \
        --packages 1 --patches "$size" --files "$files"
    export MINDELTA_CACHE_DIR="$work/cache-$size"
    "$mindelta" --workspace "$work/gen-$size" check --release 1.1 > /dev/null 2>&1 || true
    check=$(user_time "$mindelta" --workspace "$work/gen-$size" --jobs 1 check --release 1.1)
    rm -rf "$work/ws-$size"
    cp -a "$work/gen-$size" "$work/ws-$size"
    expire=$(user_time "$mindelta" --workspace "$work/ws-$size" --jobs 1 \
        expire --release 1.1 --allow-conflicts)
    left=$(find "$work/ws-$size/patches" -name '*.patch' | wc -l)
    # A digest of the resulting patches/ folder, to check that two binaries agree byte for byte.
    digest=$(cd "$work/ws-$size" && find patches -type f | sort | xargs sha256sum | sha256sum)
    printf '%8d %10s %10s %s\n' "$size" "$check" "$expire" "$left patches left, ${digest:0:12}"
done
