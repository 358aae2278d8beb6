#!/usr/bin/env bash
# The bounds of the hostile-pack suite, measured: for every case under tests/hostile_packs/, wall
# time and peak RSS of `triage run` with the built-in pack beside it, on each of the case's inputs.
# Usage: scripts/bench-hostile-packs.sh [path/to/triage]   (default: target/release/triage)
# Prints a Markdown table for BENCHMARKS.md. Needs GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/triage}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing (apt-get install time)" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "| case | input | exit | wall s | peak RSS MB |"
echo "| --- | --- | ---: | ---: | ---: |"
for case in tests/hostile_packs/*/; do
    case=${case%/}
    [ -f "$case/expect.toml" ] || continue
    pack="$case"
    pad=$(sed -n 's/^pad_file = "\(.*\)"/\1/p' "$case/expect.toml")
    if [ -n "$pad" ]; then
        bytes=$(sed -n 's/^pad_bytes = \([0-9]*\)/\1/p' "$case/expect.toml")
        pack="$scratch/$(basename "$case")"
        mkdir -p "$pack/$(dirname "$pad")"
        cp "$case/pack.toml" "$pack/"
        head -c "$bytes" /dev/zero | tr '\0' '#' | fold -w 79 > "$pack/$pad"
    fi
    inputs=$(sed -n 's/^inputs = \[\(.*\)\]/\1/p' "$case/expect.toml" | tr -d '",')
    [ -n "$inputs" ] || inputs="examples/issue1-import-tls12 examples/healthy"
    for input in $inputs; do
        set +e
        /usr/bin/time -f '%e %M' -o "$scratch/time" "$bin" run --format json --pack rules/wsus-tls \
            --pack "$pack" "$input" > /dev/null 2>&1
        code=$?
        set -e
        read -r wall rss < <(tail -n 1 "$scratch/time")
        echo "| $(basename "$case") | $input | $code | $wall | $((rss / 1024)) |"
    done
done
