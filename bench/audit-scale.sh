#!/bin/sh
# Time `mindelta audit` offline on generated workspaces of growing size (bench/gen-workspace.py),
# with the shipped policy packs, to show it runs in seconds, uses every core, and grows linearly
# with the number of patches.
#
# Usage: bench/audit-scale.sh [SIZES...]   (default sizes: 500 1000 2000 packages)
# Env:   RUNS (default 3), MEAN_PATCHES (default 5), JOBS (default: all cores),
#        WORK (default: a temporary folder, removed at the end)
# Prints one line per size: packages, patches, best wall time, CPU time (user+sys) of that run,
# CPU/wall (how many cores were busy), and microseconds of wall time per patch.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
sizes=${*:-"500 1000 2000"}
runs=${RUNS:-3}
mean=${MEAN_PATCHES:-5}
work=${WORK:-$(mktemp -d)}
jobs_flag=""
[ -n "${JOBS:-}" ] && jobs_flag="--jobs $JOBS"

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/mindelta"
export MINDELTA_NOW=2026-12-01

printf '%9s %8s %9s %9s %8s %12s\n' packages patches wall_s cpu_s cores us/patch
for size in $sizes; do
    ws="$work/ws-$size"
    [ -d "$ws" ] || python3 "$here/gen-workspace.py" "$ws" --packages "$size" --mean-patches "$mean" >/dev/null
    patches=$(find "$ws/patches" -name '*.patch' | wc -l)
    best=""
    for _ in $(seq "$runs"); do
        # --offline: no network; -q: the report only. Findings exit 4, which is expected here.
        /usr/bin/time -f '%e %U %S' -o "$work/time" \
            "$bin" --workspace "$ws" --offline -q $jobs_flag audit --format json >/dev/null 2>&1 || [ $? -eq 4 ]
        # GNU time writes "Command exited with non-zero status 4" first; the figures are last.
        set -- $(tail -n 1 "$work/time")
        if [ -z "$best" ] || awk "BEGIN{exit !($1 < $best)}"; then
            best=$1; cpu=$(awk "BEGIN{print $2 + $3}")
        fi
    done
    awk -v p="$size" -v n="$patches" -v w="$best" -v c="$cpu" 'BEGIN{
        printf "%9d %8d %9.2f %9.2f %8.1f %12.1f\n", p, n, w, c, (w > 0 ? c / w : 0), (n > 0 ? w * 1e6 / n : 0)}'
done
[ -z "${WORK:-}" ] && rm -rf "$work"
exit 0
