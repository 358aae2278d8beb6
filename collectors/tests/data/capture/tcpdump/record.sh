#!/usr/bin/env bash
# Records the loopback TLS handshakes in this folder with Debian's tcpdump and OpenSSL:
# `openssl s_server` and `openssl s_client` on 127.0.0.1, `tcpdump -i lo` writing each
# conversation as a pcap (Linux loopback link type: Ethernet with zero addresses).
#
#   sudo collectors/tests/data/capture/tcpdump/record.sh   # needs root (capture on lo), tcpdump, openssl
#
# Handshake contents change from run to run (random values, key shares, ports, times), so
# regenerated files differ in bytes; the facts the tests expect (versions, suites, answers, SNI)
# do not. collectors/tests/capture_tcpdump.rs reads the committed files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj "/CN=wsus.example.test" 2>/dev/null

# record NAME PORT "SERVER OPTIONS" "CLIENT OPTIONS"
record() {
  local name=$1 port=$2 sopts=$3 copts=$4
  # shellcheck disable=SC2086
  openssl s_server -accept "127.0.0.1:$port" -cert cert.pem -key key.pem -naccept 1 -quiet $sopts \
    >/dev/null 2>&1 &
  local server=$!
  tcpdump -i lo -U -s 0 -w "$here/$name.pcap" "tcp port $port" >/dev/null 2>&1 &
  local dump=$!
  sleep 1
  # shellcheck disable=SC2086
  echo Q | timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername wsus.example.test $copts \
    >/dev/null 2>&1 || true
  sleep 1
  kill "$dump" "$server" 2>/dev/null || true
  wait "$dump" 2>/dev/null || true
}

# TLS 1.2 with the suite the article's endpoint uses.
record tls12_ecdhe_aes256 18441 "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384" "-tls1_2"
# TLS 1.3, OpenSSL's defaults.
record tls13_default 18442 "-tls1_3" "-tls1_3"
# No common suite: the client offers only RSA key exchange, the server only ECDHE.
record tls12_no_common_suite 18443 "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384" \
  "-tls1_2 -cipher AES128-GCM-SHA256"
# A TLS 1.0 client against a server that speaks TLS 1.2 only.
record tls10_refused 18444 "-tls1_2" "-tls1 -cipher DEFAULT@SECLEVEL=0"
