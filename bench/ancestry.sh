#!/usr/bin/env bash
# Benchmark of the `upstream-commit` detector's ancestry checks ("is commit X in tag R?") on a
# large real history: one package whose CHECKS patches each declare an upstream commit, checked
# with `mindelta check --release RELEASE` against a local clone.
#
# Usage: bench/ancestry.sh REPO OLDER RELEASE [CHECKS]
#   REPO     a local clone (bare or not) of a large repository, e.g. a `git clone --bare` of curl
#            made beforehand; nothing is downloaded here
#   OLDER    the tag the patches target (the package's version; the tag template is `{version}`)
#   RELEASE  the tag checked against
#   CHECKS   patches, hence ancestry checks (default 200): three quarters declare commits spread
#            evenly over RELEASE's whole history (proved, the oldest after a walk of nearly all
#            of it), a quarter commits newer than RELEASE (refuted)
# e.g. bench/ancestry.sh /tmp/curl.git curl-8_20_0 curl-8_21_0
#
# The first run is cold (the mirror cloned into an empty cache, the patch ids of OLDER..RELEASE
# computed) and not what this measures; then RUNS (default 5) warm runs are timed, where the
# ancestry checks are most of the work (each patch also costs a patch-id lookup and reading
# its file's absence in RELEASE's tree). Set MINDELTA to the binary (default
# target/release/mindelta; `cargo build --release`).
set -euo pipefail

repo=${1:?usage: bench/ancestry.sh REPO OLDER RELEASE [CHECKS]}
older=${2:?usage: bench/ancestry.sh REPO OLDER RELEASE [CHECKS]}
release=${3:?usage: bench/ancestry.sh REPO OLDER RELEASE [CHECKS]}
checks=${4:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
mindelta=${MINDELTA:-$here/target/release/mindelta}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 MINDELTA_CACHE_DIR="$work/cache"
repo=$(cd "$repo" && pwd)

proved=$((checks * 3 / 4))
refuted=$((checks - proved))
total=$(git -C "$repo" rev-list --no-merges --count "$release")
{
    git -C "$repo" rev-list --no-merges "$release" | awk -v n="$proved" -v t="$total" \
        'BEGIN { step = t / n } NR - 1 >= next_at && taken < n { print; taken++; next_at += step }'
    git -C "$repo" rev-list --no-merges --max-count="$refuted" --all --not "$release"
} > "$work/commits"
declared=$(wc -l < "$work/commits")

folder="$work/ws/patches/up"
mkdir -p "$folder"
{
    printf 'name: up\nupstream:\n  version: "%s"\n  git: %s\n  tag: "{version}"\npatches:\n' \
        "$older" "$repo"
    index=0
    while read -r commit; do
        index=$((index + 1))
        name=$(printf '%04d-backport.patch' "$index")
        printf 'diff --git a/bench-ancestry/%d.txt b/bench-ancestry/%d.txt\nnew file mode 100644\n--- /dev/null\n+++ b/bench-ancestry/%d.txt\n@@ -0,0 +1 @@\n+backport %d\n' \
            "$index" "$index" "$index" "$index" > "$folder/$name"
        printf '  - file: %s\n    reason: backport %d\n    status: backport\n    upstream-commit: %s\n' \
            "$name" "$index" "$commit"
    done < "$work/commits"
} > "$folder/package.yaml"

check() {
    "$mindelta" --workspace "$work/ws" --jobs 1 --format json check --release "$release" \
        > "$work/out.json" || [ $? -le 5 ]
}
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.3f\", $end - $start }"
}

echo "repository: $repo ($total non-merge commits in $release), $declared declared commits," \
    "load average $(cut -d' ' -f1 /proc/loadavg)"
echo "cold (clone, patch ids of $older..$release): $(seconds check)s"
times=()
for run in $(seq "$runs"); do
    times+=("$(seconds check)")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$declared" '{ t[NR] = $1 } END {
    m = t[int((NR + 1) / 2)]
    printf "warm: median %.3fs of %d runs (%.2f ms per patch)\n", m, NR, 1000 * m / n }'
python3 - "$work/out.json" <<'PY'
import collections, json, sys
results = collections.Counter(
    evidence["result"]
    for package in json.load(open(sys.argv[1]))["packages"]
    for patch in package["patches"]
    for evidence in patch["evidence"]
    if evidence["detector"] == "upstream-commit"
)
print("upstream-commit evidence:", ", ".join(f"{n} {r}" for r, n in sorted(results.items())))
PY
