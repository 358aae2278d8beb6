#!/usr/bin/env bash
# Log-scanning benchmark: triage's WSUS log scan against ripgrep on the same generated file and
# the same patterns, in the same run, each under /usr/bin/time -v (wall time, CPU, peak RSS).
#
#   collectors/benches/log_scan.sh [SIZE_MIB] [RUNS]     (defaults: 1024 MiB, 3 runs)
#
# The log is generated into /tmp (never committed) and removed at the end. Needs ripgrep
# (`apt-get install -y ripgrep`) and GNU time.
set -euo pipefail

size_mib=${1:-1024}
runs=${2:-3}
cd "$(dirname "$0")/../.."

bin=$(CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2} cargo bench -p triage-collectors --bench log_scan --no-run \
    --message-format=json 2>/dev/null | grep -o '"executable":"[^"]*log_scan[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "could not build the log_scan bench" >&2; exit 2; }
command -v rg >/dev/null || { echo "ripgrep (rg) is not installed" >&2; exit 2; }

log=/tmp/triage-bench-SoftwareDistribution-${size_mib}M.log
patterns=/tmp/triage-bench-patterns.txt
trap 'rm -f "$log" "$patterns"' EXIT

"$bin" generate "$log" "$size_mib"
"$bin" patterns >"$patterns"
bytes=$(stat -c %s "$log")
echo "file: $log, $bytes bytes; patterns:"
sed 's/^/  /' "$patterns"
cat "$log" >/dev/null # warm the page cache for both tools

measure() { # name, command...
    local name=$1
    shift
    local out
    out=$( { /usr/bin/time -v "$@" >/tmp/triage-bench-stdout.txt; } 2>&1)
    local wall user sys rss
    wall=$(grep 'Elapsed (wall clock)' <<<"$out" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    user=$(grep 'User time' <<<"$out" | awk '{print $NF}')
    sys=$(grep 'System time' <<<"$out" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' <<<"$out" | awk '{print $NF}')
    awk -v n="$name" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
        printf "%-8s wall %6.2f s (%5.0f MB/s)  cpu %6.2f s (%5.0f MB/s)  peak RSS %6.1f MB\n",
            n, w, b / w / 1e6, u + s, b / (u + s) / 1e6, r / 1024 }'
    tail -1 /tmp/triage-bench-stdout.txt | sed 's/^/         /'
}

for run in $(seq "$runs"); do
    echo "run $run"
    measure rg rg --count --no-mmap -f "$patterns" "$log"
    measure rg-mmap rg --count --mmap -f "$patterns" "$log"
    measure triage "$bin" scan "$log"
done
rm -f /tmp/triage-bench-stdout.txt
