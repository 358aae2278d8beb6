#!/usr/bin/env bash
# The release as an admin gets it (docs/releasing.md): runs scripts/release.sh with a throwaway
# minisign key, checks the signature with the reference minisign, the checksums, the zip's
# contents, triage.exe's size and its PE import table against what Windows Server 2012 exports
# (scripts/release/windows-server-2012-imports.txt), then runs the released triage.exe under Wine
# (.ci/wine-test.sh with TRIAGE_EXE) and the Linux binary on an example.
#
# Usage: .ci/release-test.sh   (from the repository root; installs what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'release-test: FAIL: %s\n' "$*" >&2; exit 1; }

# Under 20 MB (decimal): the size an admin downloads and copies to a server.
MAX_EXE_BYTES=20000000
ALLOW="$ROOT/scripts/release/windows-server-2012-imports.txt"

step "toolchain"
if ! command -v x86_64-w64-mingw32-objdump >/dev/null || ! command -v minisign >/dev/null \
   || ! command -v wine >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    wine wine64 gcc-mingw-w64-x86-64-win32 minisign python3 >/dev/null
fi
rustup target list --installed | grep -qx x86_64-pc-windows-gnu \
  || rustup target add x86_64-pc-windows-gnu || fail "cannot add the Windows target"

WORK=$(mktemp -d /tmp/triage-release.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step "scripts/release.sh (throwaway key)"
minisign -G -W -p "$WORK/release.pub" -s "$WORK/release.key" >/dev/null
DIST="$WORK/dist" MINISIGN_KEY="$WORK/release.key" scripts/release.sh
D="$WORK/dist"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
EXE="$D/triage-$VERSION-x86_64-windows.exe"
LINUX="$D/triage-$VERSION-x86_64-linux"
ZIP="$D/triage-$VERSION-windows-admin.zip"

step "signature and checksums"
minisign -Vm "$D/SHA256SUMS" -p "$WORK/release.pub" || fail "SHA256SUMS.minisig does not verify"
(cd "$D" && sha256sum -c --strict SHA256SUMS) || fail "a checksum does not match"
[ "$(wc -l < "$D/SHA256SUMS")" -eq 3 ] || fail "SHA256SUMS should list exactly three files"

step "the admin zip"
python3 - "$ZIP" "$EXE" <<'EOF' || fail "the zip is not what an admin needs"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = sorted(z.namelist())
assert names == ["Collect-Triage.ps1", "README.txt", "triage.exe"], names
assert z.read("triage.exe") == open(sys.argv[2], "rb").read(), "triage.exe differs from the released exe"
readme = z.read("README.txt")
assert b"\r\n" in readme and b"\n" not in readme.replace(b"\r\n", b""), "README.txt is not CRLF"
assert b"@VERSION@" not in readme, "README.txt has an unfilled version"
print("zip: triage.exe, Collect-Triage.ps1, README.txt (CRLF): ok")
EOF
# Reproducible: a second zip of the same files is the same bytes.
first=$(sha256sum < "$ZIP")
DIST="$WORK/dist2" scripts/release.sh --unsigned >/dev/null
[ "$(sha256sum < "$WORK/dist2/triage-$VERSION-windows-admin.zip")" = "$first" ] \
  || fail "the admin zip is not reproducible"
rm -rf "$WORK/dist2"

step "triage.exe size"
size=$(stat -c %s "$EXE")
echo "triage.exe: $size bytes (limit $MAX_EXE_BYTES)"
[ "$size" -lt "$MAX_EXE_BYTES" ] || fail "triage.exe is $size bytes, over $MAX_EXE_BYTES"

step "PE imports against Windows Server 2012"
scripts/release/pe-imports.sh "$EXE" > "$WORK/imports.txt"
echo "$(wc -l < "$WORK/imports.txt") imported functions from $(cut -d'!' -f1 "$WORK/imports.txt" | sort -u | wc -l) DLLs"
# Every entry says which Server version has it and where that is written; none newer than 2012.
awk '!/^#/ && NF && (NF < 3 || $2 !~ /^(2000|2003|2008|2012)\*?$/) { print FILENAME ":" FNR ": " $0; bad = 1 }
     END { exit bad }' "$ALLOW" >&2 || fail "$ALLOW has an entry without a Server version up to 2012 and a source"
grep -v '^#' "$ALLOW" | awk 'NF { print $1 }' | LC_ALL=C sort -u > "$WORK/allowed.txt"
LC_ALL=C comm -23 "$WORK/imports.txt" "$WORK/allowed.txt" > "$WORK/unlisted.txt"
if [ -s "$WORK/unlisted.txt" ]; then
  cat "$WORK/unlisted.txt" >&2
  fail "triage.exe imports the functions above, which $ALLOW does not list as exported by Windows Server 2012"
fi
echo "every import is on the Windows Server 2012 list: ok"

step "the Linux binary"
"$LINUX" --version
rc=0; "$LINUX" run examples/issue1-import-tls12 >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "the released Linux binary exited $rc on examples/issue1-import-tls12, expected 1"

step "the released triage.exe under Wine"
TRIAGE_EXE="$EXE" .ci/wine-test.sh
echo "release-test: ok"
