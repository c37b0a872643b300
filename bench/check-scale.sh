#!/usr/bin/env bash
# Scale benchmark of `mindelta check`: PACKAGES packages x PATCHES patches against local git
# upstreams (bench/gen-check-workspace.py: 30% expired, 10% conflict, the rest needed),
# `check --release 1.1` with --jobs 1 and --jobs 2, cold (empty cache: mirrors cloned, history
# walked) and warm (second run), wall time per patch.
#
# Usage: bench/check-scale.sh [PACKAGES] [PATCHES]     (default 100 10)
# Set MINDELTA to the binary (default target/release/mindelta; `cargo build --release`).
set -euo pipefail

packages=${1:-100}
patches=${2:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
mindelta=${MINDELTA:-$here/target/release/mindelta}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

python3 "$here/bench/gen-check-workspace.py" "$work/ws" --packages "$packages" --patches "$patches"
total=$((packages * patches))
echo "workspace: $packages packages x $patches patches = $total patches, $(nproc) cores"

run() { # jobs cache-dir -> wall seconds
    local start end
    start=$(date +%s.%N)
    MINDELTA_CACHE_DIR="$2" "$mindelta" --workspace "$work/ws" --jobs "$1" --format json \
        check --release 1.1 > "$work/out.json" || [ $? -le 5 ]
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $end - $start }"
}

for jobs in 1 2; do
    cache="$work/cache-$jobs"
    cold=$(run "$jobs" "$cache")
    warm=$(run "$jobs" "$cache")
    awk -v j="$jobs" -v c="$cold" -v w="$warm" -v n="$total" 'BEGIN {
        printf "--jobs %d: cold %.2fs (%.1f ms/patch), warm %.2fs (%.1f ms/patch)\n",
            j, c, 1000 * c / n, w, 1000 * w / n }'
done
verdicts=$(grep -o '"verdict": *"[a-z]*"' "$work/out.json" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
echo "verdicts (last run): $verdicts"
