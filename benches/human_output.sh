#!/usr/bin/env bash
# Human output against JSON output on a large log: `triage run DIR` and `triage run --format json
# DIR` on the same folder (the issue 1 example with its log replaced by a generated one of SIZE
# MiB, so WSUS001 is detected with log evidence), each under /usr/bin/time -v (wall time, CPU,
# peak RSS). Human output reads snippet windows in one streaming pass per artifact.
#
#   benches/human_output.sh [SIZE_MIB] [RUNS]     (defaults: 1024 MiB, 3 runs)
#
# The folder is generated into /tmp (never committed) and removed at the end. Needs GNU time.
set -euo pipefail

size_mib=${1:-1024}
runs=${2:-3}
cd "$(dirname "$0")/.."

CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2} cargo build --release --bin triage 2>/dev/null
triage=$PWD/target/release/triage
gen=$(CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2} cargo bench -p triage-collectors --bench log_scan --no-run \
    --message-format=json 2>/dev/null | grep -o '"executable":"[^"]*log_scan[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$gen" ] || { echo "could not build the log_scan bench (the log generator)" >&2; exit 2; }

dir=/tmp/triage-bench-human-${size_mib}M
trap 'rm -rf "$dir" /tmp/triage-bench-human-out.txt' EXIT
rm -rf "$dir"
cp -r examples/issue1-import-tls12 "$dir"
log=$(cd "$dir" && ls | grep -i 'SoftwareDistribution' | head -1)
"$gen" generate "$dir/$log.big" "$size_mib"
cat "$dir/$log" >>"$dir/$log.big"
mv "$dir/$log.big" "$dir/$log"
echo "input: $dir ($(du -sb "$dir" | cut -f1) bytes)"
cat "$dir/$log" >/dev/null # warm the page cache

measure() { # name, command...
    local name=$1
    shift
    local out
    out=$( { /usr/bin/time -v "$@" >/tmp/triage-bench-human-out.txt; } 2>&1 || true)
    local wall user sys rss
    wall=$(grep 'Elapsed (wall clock)' <<<"$out" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    user=$(grep 'User time' <<<"$out" | awk '{print $NF}')
    sys=$(grep 'System time' <<<"$out" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' <<<"$out" | awk '{print $NF}')
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v o="$(wc -c </tmp/triage-bench-human-out.txt)" 'BEGIN {
        printf "%-6s wall %6.2f s  cpu %6.2f s  peak RSS %7.1f MB  output %d bytes\n", n, w, u + s, r / 1024, o }'
}

for run in $(seq "$runs"); do
    echo "run $run"
    measure json "$triage" run --format json "$dir"
    measure human "$triage" run "$dir"
done
