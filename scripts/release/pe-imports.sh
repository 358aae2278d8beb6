#!/usr/bin/env bash
# Prints a PE file's import table as sorted `dll!function` lines (DLL names lower-cased; an import
# by ordinal as `dll!#N`), read by binutils' objdump for mingw-w64. Used by .ci/release-test.sh
# and to derive scripts/release/windows-server-2012-imports.txt.
#
# Usage: scripts/release/pe-imports.sh FILE.exe
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 FILE.exe" >&2; exit 2; }
command -v x86_64-w64-mingw32-objdump >/dev/null \
  || { echo "pe-imports: x86_64-w64-mingw32-objdump is not installed (binutils-mingw-w64-x86-64)" >&2; exit 2; }
x86_64-w64-mingw32-objdump -p "$1" | awk '
  /^[[:space:]]*DLL Name:/ { dll = tolower($3); next }
  /^[[:space:]]*$/ { if (dll != "" && seen) { dll = ""; seen = 0 } ; next }
  dll != "" && /vma:[[:space:]]+Hint/ { seen = 1; next }
  dll != "" && seen && NF >= 3 && $1 ~ /^[0-9a-f]+$/ { print dll "!" $3; next }
  dll != "" && seen && NF == 2 && $1 ~ /^[0-9a-f]+$/ { print dll "!#" $2; next }
' | LC_ALL=C sort -u
