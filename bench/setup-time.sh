#!/usr/bin/env bash
# Time the README's two set-up commands on a fresh clone with an empty target folder, and the
# size of `target/` they leave. Usage: bench/setup-time.sh [REV] (default: HEAD).
# Downloads of crates are not timed if the cargo registry already holds them; run
# `cargo fetch` first to take the network out of the figures.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:-HEAD}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
git -C "$work/clone" checkout -q "$rev"
cd "$work/clone"
unset CARGO_TARGET_DIR
cargo fetch -q
# The two commands, as the README gives them.
first=$(sed -n '/^## Set up/,/^## /p' README.md | grep -m1 '^cargo ')
second=$(sed -n '/^## Set up/,/^## /p' README.md | grep '^cargo ' | sed -n 2p)
# Wall time, and the CPU time (user + system, of every process) that does not depend on what
# else the machine is doing: on an idle 2-core machine the wall time is about CPU / 2.
for command in "$first" "$second"; do
    /usr/bin/time -f '%e %U %S' -o "$work/time" bash -c "$command" >"$work/out.log" 2>&1 ||
        { tail -20 "$work/out.log"; exit 1; }
    read -r wall user system <"$work/time"
    printf '%-24s wall %6.0f s   cpu %6.0f s\n' "$command" "$wall" "$(echo "$user + $system" | bc)"
done
printf '%-24s %s\n' "target/" "$(du -sh target | cut -f1)"
printf '%-24s %s\n' "load average" "$(cut -d' ' -f1-3 /proc/loadavg)"
