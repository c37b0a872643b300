#!/usr/bin/env bash
# Benchmark of the `patch-id` expiry detector's history walk (src/git/history/).
#
# Usage: bench/patch-id-walk.sh REPO [RANGE] [CHERRY_RANGE]
#   REPO          a local clone (bare or not) of any large repository, e.g. a
#                 `git clone --bare` of curl or git made beforehand; nothing is downloaded here
#   RANGE         the commits to walk (default HEAD: its whole history; `HEAD~5000..HEAD`
#                 for a quick run)
#   CHERRY_RANGE  A..B for the small-range comparison (default: the last two tags)
#
# It times, on the same commits:
#   1. git:      git log -p --no-merges RANGE | git patch-id --stable
#   2. cold:     mindelta patch-id --rev-range RANGE --no-cache (every id computed)
#      (1 and 2 alternate RUNS times, so both see the same machine load)
#   3. fill:     the same with the on-disk cache (computes and appends every id)
#   4. warm:     again, every id read from the cache
#   5. range:    on A..B: git's pipeline, `git cherry A B` (which computes no id when A has
#                no commit of its own) and mindelta cold
# and checks that mindelta's ids are identical to git's. Set MINDELTA to the binary
# (default target/release/mindelta; build it with `cargo build --release`), JOBS to the
# number of workers (default: all cores) and RUNS to the number of git/cold pairs (default 1).
set -euo pipefail

repo=${1:?usage: bench/patch-id-walk.sh REPO [RANGE] [CHERRY_RANGE]}
range=${2:-HEAD}
here=$(cd "$(dirname "$0")/.." && pwd)
mindelta=${MINDELTA:-$here/target/release/mindelta}
jobs=${JOBS:-$(nproc)}
runs=${RUNS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 MINDELTA_CACHE_DIR="$work/cache"

seconds() { # run a command, print its wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $end - $start }"
}
load() { cut -d' ' -f1 /proc/loadavg; }

commits=$(git -C "$repo" rev-list --no-merges --count "$range")
echo "repository: $repo ($commits non-merge commits in $range), $jobs jobs, load average $(load)"

for run in $(seq "$runs"); do
    t_git=$(seconds sh -c "git -C '$repo' log -p --no-merges '$range' | git patch-id --stable > '$work/git.txt'")
    t_cold=$(seconds sh -c "'$mindelta' patch-id --jobs $jobs --rev-range '$range' --git-dir '$repo' --no-cache > '$work/cold.txt'")
    ratio=$(awk "BEGIN { printf \"%.2f\", $t_git / $t_cold }")
    echo "run $run: git log -p | git patch-id --stable ${t_git}s ($(wc -l < "$work/git.txt") ids);" \
        "mindelta cold ${t_cold}s ($(wc -l < "$work/cold.txt") ids): ${ratio}x git's speed; load $(load)"
done

t_fill=$(seconds sh -c "'$mindelta' patch-id --jobs $jobs --rev-range '$range' --git-dir '$repo' > '$work/fill.txt'")
echo "mindelta cold, filling the cache:    ${t_fill}s"
t_warm=$(seconds sh -c "'$mindelta' patch-id --jobs $jobs --rev-range '$range' --git-dir '$repo' > '$work/warm.txt'")
echo "mindelta warm (cached):              ${t_warm}s"

sort "$work/git.txt" > "$work/git.sorted"
sort "$work/cold.txt" > "$work/cold.sorted"
sort "$work/warm.txt" > "$work/warm.sorted"
if cmp -s "$work/git.sorted" "$work/cold.sorted" && cmp -s "$work/cold.sorted" "$work/warm.sorted"; then
    echo "ids: identical to git's"
else
    differing=$(comm -3 "$work/git.sorted" "$work/cold.sorted" | awk '{print $NF}' | sort -u | wc -l)
    echo "ids: $differing commits differ from git's, e.g.:"
    comm -3 "$work/git.sorted" "$work/cold.sorted" | head -6 || true
fi

cherry_range=${3:-}
if [ -z "$cherry_range" ]; then
    tags=$(git -C "$repo" tag --sort=-creatordate | head -2 || true)
    newer=$(echo "$tags" | sed -n 1p)
    older=$(echo "$tags" | sed -n 2p)
    cherry_range="$older..$newer"
fi
older=${cherry_range%%..*}
newer=${cherry_range##*..}
in_range=$(git -C "$repo" rev-list --no-merges --count "$cherry_range")
t_pipe=$(seconds sh -c "git -C '$repo' log -p --no-merges '$cherry_range' | git patch-id --stable > /dev/null")
t_cherry=$(seconds sh -c "git -C '$repo' cherry '$older' '$newer' > /dev/null")
t_range=$(seconds sh -c "'$mindelta' patch-id --jobs $jobs --rev-range '$cherry_range' --git-dir '$repo' --no-cache > /dev/null")
echo "$cherry_range ($in_range commits): git log -p | git patch-id ${t_pipe}s;" \
    "git cherry $older $newer ${t_cherry}s; mindelta cold ${t_range}s"
