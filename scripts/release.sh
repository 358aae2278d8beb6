#!/usr/bin/env bash
# Builds what an admin downloads, into dist/ (docs/releasing.md):
#
#   triage-VERSION-x86_64-linux             stripped Linux binary
#   triage-VERSION-x86_64-windows.exe       stripped Windows binary (x86_64-pc-windows-gnu)
#   triage-VERSION-windows-admin.zip        triage.exe, Collect-Triage.ps1, README.txt (server side)
#   SHA256SUMS, SHA256SUMS.minisig          checksums of the three, signed with minisign
#
# It builds with the `dist` profile (Cargo.toml: the release profile with thin LTO, stripped) in
# target/, so from a warm build it only links. The zip is reproducible: sorted entries, fixed times
# and modes.
#
# Usage: scripts/release.sh [--unsigned]
# Environment: MINISIGN_KEY   the minisign secret key to sign with (required unless --unsigned);
#                             a password-protected key asks for its password on the terminal.
#              DIST           output folder (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'release: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 is not installed ($2)"; }

SIGN=1
case "${1:-}" in
  "") ;;
  --unsigned) SIGN=0 ;;
  *) fail "unknown argument $1 (usage: scripts/release.sh [--unsigned])" ;;
esac

WIN=x86_64-pc-windows-gnu
DIST=${DIST:-dist}
case "$DIST" in ""|/|.|..) fail "DIST=$DIST would remove more than a release folder" ;; esac
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[ -n "$VERSION" ] || fail "no version in Cargo.toml"

need cargo "rustup"
need x86_64-w64-mingw32-gcc "apt-get install gcc-mingw-w64-x86-64-win32"
need python3 "the zip is written with python3's zipfile"
rustup target list --installed 2>/dev/null | grep -qx "$WIN" \
  || fail "the Rust target $WIN is not installed (rustup target add $WIN)"
if [ "$SIGN" = 1 ]; then
  need minisign "apt-get install minisign"
  [ -n "${MINISIGN_KEY:-}" ] || fail "MINISIGN_KEY names no secret key (or pass --unsigned)"
  [ -f "$MINISIGN_KEY" ] || fail "MINISIGN_KEY=$MINISIGN_KEY is not a file"
fi

echo "release: triage $VERSION"
cargo build --profile dist --locked --bin triage
cargo build --profile dist --locked --bin triage --target "$WIN"

rm -rf "$DIST"
mkdir -p "$DIST"
LINUX="$DIST/triage-$VERSION-x86_64-linux"
EXE="$DIST/triage-$VERSION-x86_64-windows.exe"
ZIP="$DIST/triage-$VERSION-windows-admin.zip"
cp target/dist/triage "$LINUX"
cp "target/$WIN/dist/triage.exe" "$EXE"
chmod 0755 "$LINUX" "$EXE"

# The zip an admin copies to the server. README.txt with CRLF line ends: Notepad on Server 2012
# shows LF-only text as one line.
python3 - "$ZIP" "$EXE" scripts/Collect-Triage.ps1 scripts/release/README-server.txt "$VERSION" <<'EOF'
import sys, zipfile
zip_path, exe, script, readme, version = sys.argv[1:]
def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
entries = [
    ("Collect-Triage.ps1", open(script, "rb").read()),
    ("README.txt", crlf(open(readme, "rb").read().replace(b"@VERSION@", version.encode()))),
    ("triage.exe", open(exe, "rb").read()),
]
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name, data in sorted(entries):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 0
        z.writestr(info, data)
EOF

(cd "$DIST" && sha256sum -- "$(basename "$LINUX")" "$(basename "$EXE")" "$(basename "$ZIP")" > SHA256SUMS)
if [ "$SIGN" = 1 ]; then
  minisign -S -s "$MINISIGN_KEY" -m "$DIST/SHA256SUMS" -t "triage $VERSION" \
    || fail "signing SHA256SUMS failed"
fi

echo "release: wrote $DIST/"
(cd "$DIST" && ls -l)
