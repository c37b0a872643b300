#!/usr/bin/env bash
# Benchmark of the HTML report on the generated workspace of tests/it/report_html.rs: 3,400
# packages, 1,200 commits over 40 months of git history. Times `audit --format html` with and
# without `--history` (release build, offline, best of RUNS), gives the page's size, and opens the
# page RUNS times in headless Chromium: the page's own self-check records when its script ended
# and when the load event fired, from navigation start (the time to a usable page); the wall
# time of a whole `chromium --dump-dom` run (browser start included) is given beside it.
#
# Usage: bench/report-html.sh
# Needs GNU time (/usr/bin/time).
# Env:   RUNS (default 5), MINDELTA (default target/release/mindelta, built if absent),
#        CHROMIUM (default `chromium`; .ci/install-chromium.sh installs it)
# The workspace is the test's artefact, target/test-artifacts/workspace-3400; it is generated
# by running that test when absent.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
chromium=${CHROMIUM:-chromium}
workspace="$here/target/test-artifacts/workspace-3400"
if [ -z "${MINDELTA:-}" ]; then
    cargo build --release --quiet --manifest-path "$here/Cargo.toml"
    mindelta="$here/target/release/mindelta"
else
    mindelta=$MINDELTA
fi
if [ ! -d "$workspace/.git" ]; then
    (cd "$here" && cargo test --quiet --test it report_html::a_3400 >/dev/null)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MINDELTA_NOW=2026-11-28 MINDELTA_CACHE_DIR="$work/cache"

# Best wall time of RUNS runs of the command, and the CPU time (user + sys) of that run, in
# seconds; findings exit 4, which is expected here. The machine may be shared: CPU time is the
# steadier figure.
best() {
    local best="" cpu=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>&1 || [ $? -eq 4 ]
        # GNU time writes "Command exited with non-zero status 4" first; the figures are last.
        set -- "$@" $(tail -n 1 "$work/time")
        local wall=${*: -3:1} user=${*: -2:1} sys=${*: -1:1}
        set -- "${@:1:$#-3}"
        if [ -z "$best" ] || awk -v w="$wall" -v b="$best" 'BEGIN { exit !(w < b) }'; then
            best=$wall
            cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        fi
    done
    echo "$best s wall, $cpu s CPU"
}

page="$work/report.html"
plain=$(best "$mindelta" --workspace "$workspace" --offline -q audit --format html --out "$work/plain.html")
history=$(best "$mindelta" --workspace "$workspace" --offline -q audit --format html --history --out "$page")
size=$(wc -c <"$page")
echo "audit --format html:            $plain (best of $runs)"
echo "audit --format html --history:  $history (best of $runs)"
echo "page:                           $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }') MiB)"

printf '%6s %10s %10s %10s\n' run script_ms load_ms wall_s
for run in $(seq "$runs"); do
    start=$(date +%s.%N)
    dom=$("$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile-$run" --dump-dom "file://$page" 2>/dev/null)
    end=$(date +%s.%N)
    check=$(printf '%s' "$dom" | sed -n 's/.*id="mindelta-check"[^>]*>\([^<]*\)<\/output>.*/\1/p' | sed 's/&quot;/"/g')
    script_ms=$(printf '%s' "$check" | sed -n 's/.*"since_navigation_ms":\([0-9]*\).*/\1/p')
    load_ms=$(printf '%s' "$check" | sed -n 's/.*"load_ms":\([0-9]*\).*/\1/p')
    printf '%6s %10s %10s %10s\n' "$run" "${script_ms:-?}" "${load_ms:-?}" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
done
