#!/usr/bin/env bash
# Fleet benchmark: `triage run` over N generated bundles — the WSUS examples, varied (host name,
# collection time, half .zip and half folder, every fourth one pseudonymised) — reporting bundles
# per second and peak memory, with all cores and with one. Figures go to BENCHMARKS.md (## Bundles).
#
# Usage: scripts/bench-bundles.sh [N]   (default 1000; needs /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
cargo build --release --quiet --bin triage
BIN=$PWD/target/release/triage
WORK=$(mktemp -d /tmp/triage-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mapfile -t EX < <(ls -d examples/*/)
printf '%s\n' "generating $N bundles from ${#EX[@]} examples in $WORK"
start=$(date +%s.%N)
for i in $(seq 1 "$N"); do
  ex=${EX[$((i % ${#EX[@]}))]}
  out="$WORK/b$(printf '%04d' "$i")"
  [ $((i % 2)) -eq 1 ] && out="$out.zip"
  extra=()
  [ $((i % 4)) -eq 0 ] && extra=(--redact --redact-key "$WORK/key")
  SOURCE_DATE_EPOCH=$((1795000000 + i)) "$BIN" collect --from "$ex" -o "$out" \
    --host "$(printf 'wsus%04d' "$i")" "${extra[@]}" >/dev/null
done
printf 'generated in %.1f s (%.1f bundles/s collected)\n' \
  "$(echo "$(date +%s.%N) - $start" | bc)" "$(echo "$N / ($(date +%s.%N) - $start)" | bc -l)"

measure() { # label, threads, inputs...
  local label=$1 threads=$2; shift 2
  local rc=0
  # `run` uses one worker per available core; an affinity mask is how to give it fewer.
  taskset -c "0-$((threads - 1))" /usr/bin/time -f '%e %M' -o "$WORK/time" \
    "$BIN" run --format jsonl "$@" >"$WORK/out.jsonl" 2>"$WORK/err" || rc=$?
  [ "$rc" -le 1 ] || { cat "$WORK/err"; echo "run failed ($rc)"; exit 1; }
  # GNU time writes "Command exited with non-zero status 1" first when something is detected.
  read -r secs kib < <(tail -n 1 "$WORK/time")
  printf '| %s | %d | %d | %.2f | %.0f | %.1f | %d |\n' "$label" "$#" "$threads" "$secs" \
    "$(echo "$# / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)" "$(wc -l <"$WORK/out.jsonl")"
}
cores=$(nproc)
echo
echo '| run | bundles | threads | seconds | bundles/s | peak RSS (MiB) | findings |'
echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
mapfile -t ALL < <(ls -d "$WORK"/b*)
measure "all, jsonl" "$cores" "${ALL[@]}"
measure "all, jsonl" 1 "${ALL[@]}"
measure "first 100, jsonl" "$cores" "${ALL[@]:0:100}"
