#!/usr/bin/env bash
# Builds triage for Windows (x86_64-pc-windows-gnu), runs `triage.exe collect` under Wine against
# registry fixtures and files placed where Windows keeps them, and checks the bundle with the Linux
# build. See /work/shared/reference/WINDOWS.md for why each step is here (ProcessPrng shim,
# wineserver priming, UTF-16 fixtures, time-outs). Budget: well under 10 minutes on 2 cores.
#
# Usage: .ci/wine-test.sh            (from the repository root; installs what is missing)
# Environment: WINE_TEST_KEEP=1 keeps the work folder; CARGO_BUILD_JOBS as usual;
#              TRIAGE_EXE=path/to/triage.exe tests that exe (the release, from
#              .ci/release-test.sh) instead of building a debug one.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=x86_64-pc-windows-gnu
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'wine-test: FAIL: %s\n' "$*" >&2; exit 1; }

step "toolchain"
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET" \
  || fail "cannot add the Rust target $TARGET"
command -v wine >/dev/null || fail "wine is not installed"

step "build (Windows and Linux)"
if [ -n "${TRIAGE_EXE:-}" ]; then
  EXE=$(realpath "$TRIAGE_EXE")
  [ -f "$EXE" ] || fail "TRIAGE_EXE=$TRIAGE_EXE is not a file"
else
  cargo build --quiet --bin triage --target "$TARGET"
  EXE="$ROOT/target/$TARGET/debug/triage.exe"
fi
cargo build --quiet --bin triage
LINUX="$ROOT/target/debug/triage"

WORK=$(mktemp -d /tmp/triage-wine.XXXXXX)
export WINEPREFIX="$WORK/prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d;bcryptprimitives=n,b"
cleanup() {
  wineserver -k >/dev/null 2>&1 || true
  if [ "${WINE_TEST_KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step "wine prefix"
# Everything on /dev/null: Wine's services inherit the first process's stdio and hang pipes.
wineboot -i </dev/null >/dev/null 2>&1 || true
wineserver -w
wineserver -p </dev/null >/dev/null 2>&1
wine wineboot </dev/null >/dev/null 2>&1 || true
C="$WINEPREFIX/drive_c"
[ -d "$C/windows/system32" ] || fail "no prefix at $WINEPREFIX"

# Rust >= 1.78 imports ProcessPrng from bcryptprimitives.dll, which Wine 8.0 lacks: a shim that
# fills the buffer with RtlGenRandom (SystemFunction036).
cat > "$WORK/processprng.c" <<'EOF'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
EOF
printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' > "$WORK/processprng.def"
x86_64-w64-mingw32-gcc -shared -O2 -o "$C/windows/system32/bcryptprimitives.dll" \
  "$WORK/processprng.c" "$WORK/processprng.def" -ladvapi32
wine "$EXE" --version </dev/null >"$WORK/version.txt" 2>&1 || { cat "$WORK/version.txt"; fail "triage.exe does not start under wine"; }
echo "triage.exe runs: $(tr -d '\r' < "$WORK/version.txt")"

step "triage.exe run on an example (the built-in pack, under wine)"
rc=0
wine "$EXE" run --format json "Z:$ROOT/examples/issue1-import-tls12" </dev/null >"$WORK/example.json" 2>"$WORK/example.err" || rc=$?
[ "$rc" -eq 1 ] || { cat "$WORK/example.err"; fail "triage.exe run on examples/issue1-import-tls12 exited $rc, expected 1"; }
python3 - "$WORK/example.json" <<'EOF' || fail "triage.exe's report on examples/issue1-import-tls12 is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted(f["rule"] for f in r["findings"] if f["outcome"] == "detected")
assert got == ["WSUS001"], got
print("triage.exe run: WSUS001 detected on examples/issue1-import-tls12: ok")
EOF

step "fixtures"
# Registry fixtures must be UTF-16LE with BOM (Wine corrupts hex(7) data in ASCII files).
utf16() { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE; }
sed 's/$/\r/' <<'EOF' | utf16 > "$WORK/fixture.reg"
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]
"SchUseStrongCrypto"=dword:00000000
"SystemDefaultTlsVersions"=dword:00000000

[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319]
"SchUseStrongCrypto"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client]
"Enabled"=dword:00000000
"DisabledByDefault"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002]
"Functions"=hex(7):54,00,4c,00,53,00,5f,00,52,00,53,00,41,00,5f,00,57,00,49,00,\
  54,00,48,00,5f,00,41,00,45,00,53,00,5f,00,31,00,32,00,38,00,5f,00,43,00,42,\
  00,43,00,5f,00,53,00,48,00,41,00,00,00,00,00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SMS\Identification]
"Installation Directory"="C:\\Program Files\\Microsoft Configuration Manager"
EOF
wine reg import "$WORK/fixture.reg" /reg:64 </dev/null >/dev/null 2>&1 || fail "reg import"
DATA="$ROOT/collectors/tests/data"
mkdir -p "$C/Program Files/Update Services/LogFiles" "$C/windows/system32/inetsrv" \
  "$C/Program Files/Microsoft Configuration Manager/Logs"
cp "$DATA/logs/softwaredistribution_mslearn_issue1_send_forcibly_closed.txt" \
  "$C/Program Files/Update Services/LogFiles/SoftwareDistribution.log"
cp "$DATA/config/w3wp.exe.config_mslearn_new_file.xml" "$C/windows/system32/inetsrv/w3wp.exe.config"
cp "$DATA/logs/wsyncmgr_mslearn_issue4_surface_drivers.txt" \
  "$C/Program Files/Microsoft Configuration Manager/Logs/wsyncmgr.log"

step "triage.exe collect (live, under wine)"
cd "$WORK"
SOURCE_DATE_EPOCH=1795000000 timeout 300 wine "$EXE" collect -o bundle.zip --command-timeout 30 \
  </dev/null >collect.out 2>collect.err || { cat collect.out collect.err; fail "collect failed"; }
tr -d '\r' < collect.out
[ -f bundle.zip ] || fail "no bundle.zip"
ls "$WORK" | grep -q partial && fail "a partial bundle was left behind"

step "check the bundle with the Linux build"
"$LINUX" facts bundle.zip --format json > facts.json || fail "the Linux triage cannot read the bundle"
check() { grep -qF -- "$1" facts.json || { echo "missing in facts: $1"; fail "$2"; }; }
check 'HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319' "64-bit .NET key exported"
check 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319' "32-bit view exported as WOW6432Node"
check 'registry/hklm-64bit.reg' "registry artifact in the bundle"
check 'wsus/LogFiles/SoftwareDistribution.log' "WSUS log gathered from %ProgramFiles%"
check 'iis/w3wp.exe.config' "w3wp.exe.config gathered from %SystemRoot%"
check 'configmgr/wsyncmgr.log' "ConfigMgr log gathered through the registry's Installation Directory"
check 'gpresult.exe' "gpresult's absence recorded as a collection error"
check 'powershell.exe` produced no output' "Wine's PowerShell stub recorded as a collection error"
check 'systeminfo.exe` produced no output' "Wine's systeminfo stub recorded as a collection error"
if grep -q 'stderr.tmp' facts.json; then fail "a command's temporary file was collected"; fi
if command -v python3 >/dev/null; then
python3 - facts.json <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
def val(x):
    return x["$value"] if isinstance(x, dict) and "$value" in x else x
reg = f["registry"]
k64 = val(reg["HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319"])
k32 = val(reg["HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319"])
assert val(k64["SchUseStrongCrypto"]) == 0, k64
assert val(k32["SchUseStrongCrypto"]) == 1, k32
tls = val(reg["HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client"])
assert val(tls["Enabled"]) == 0, tls
funcs = [val(x) for x in val(val(reg["HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002"])["Functions"])]
assert funcs == ["TLS_RSA_WITH_AES_128_CBC_SHA"], funcs
assert "2026-11-18T11:06:40" in json.dumps(f["collection"]["collected_at"]), f["collection"]["collected_at"]
print("facts: registry values in both views, cipher suite list, collection time: ok")
EOF
fi
rc=0; "$LINUX" run bundle.zip --format json > run.json || rc=$?
# Exit 3, incomplete: nothing detected, and the rules that need what Wine cannot run (gpresult,
# systeminfo) are missing_facts. 0 would mean those rules passed on missing facts.
[ "$rc" -eq 3 ] || fail "triage run on the bundle exited $rc, expected 3 (incomplete)"
echo "wine-test: ok"
