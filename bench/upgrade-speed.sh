#!/usr/bin/env bash
# Speed of `mindelta upgrade` against `check` on one real package: each runs offline on a fresh
# copy of the workspace, one core (`--jobs 1`), after a warm-up `check` that fills the cache
# (downloads and unpacked trees), so neither pays for the download. `upgrade` runs `check`
# itself, then carries the series (refresh, three-way merges); `--no-stop` so that a conflict
# does not end the run early. Prints the user CPU and wall seconds of each, the median of RUNS.
#
# Usage: bench/upgrade-speed.sh WORKSPACE PACKAGE RELEASE
#   e.g. the Debian corpus (bench/expiry-corpus/): curl 7.88.1 -> 8.14.1:
#   bench/upgrade-speed.sh "$WORK/ws/curl" curl 8.14.1
# Env: MINDELTA, the binary (default target/release/mindelta; `cargo build --release`);
#      MINDELTA_CACHE_DIR, the cache the workspace was checked with (kept warm); RUNS (5).
set -euo pipefail

workspace=$1 package=$2 release=$3
here=$(cd "$(dirname "$0")/.." && pwd)
mindelta=${MINDELTA:-$here/target/release/mindelta}
runs=${RUNS:-5}
work=$(mktemp -d)
# Copies sit beside the workspace, so a manifest's relative paths (a local tarball) still hold.
copy=${workspace%/}.bench-run
trap 'rm -rf "$work" "$copy"' EXIT
export SOURCE_DATE_EPOCH=1795780800

"$mindelta" --workspace "$workspace" check "$package" --release "$release" > /dev/null 2>&1 || true

measure() { # name args... -> "user wall" medians over $runs fresh copies
    local name=$1
    shift
    for _ in $(seq "$runs"); do
        rm -rf "$copy"
        cp -a "$workspace" "$copy"
        /usr/bin/time -f '%U %e' -o "$work/time" \
            "$mindelta" --offline --jobs 1 --workspace "$copy" "$@" > "$work/$name.out" 2> "$work/$name.err" || [ $? -le 5 ]
        tail -n 1 "$work/time"
    done | sort -n | awk -v n="$runs" -v name="$name" \
        '{ u[NR] = $1; w[NR] = $2 } END { m = int((n + 1) / 2); printf "%-8s user %6.2f s  wall %6.2f s\n", name, u[m], w[m] }'
}

measure check check "$package" --release "$release"
measure upgrade upgrade "$package" --release "$release" --no-stop --format json
python3 - "$work/upgrade.out" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
counts = collections.Counter(p["outcome"] for p in report["packages"][0]["patches"])
print("upgrade outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
