#!/bin/sh
# Runs every fuzz target of fuzz/ for SECONDS each (default 60) with cargo-fuzz (libFuzzer):
#   deploy/fuzz.sh 60
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). Targets: the SIP wire parser and framer, the whole SIP
# endpoint, SDP parse + answer, RTP/RFC 4733/RTCP parsing, the desk's JSON commands and
# campaign request. The corpus grows in fuzz/corpus/<target> (start seeds: fuzz/seeds/ and,
# for SIP, the torture messages of crates/lianxin-sip/tests/torture/);
# a crash is written to fuzz/artifacts/<target>/ and this script exits non-zero: turn the
# input into a regression test beside the parser it broke.
set -eu
SECONDS_EACH="${1:-60}"
cd "$(dirname "$0")/../fuzz"
TARGETS="sip_wire sip_endpoint sdp rtp desk_json"
failed=""
for t in $TARGETS; do
    mkdir -p "corpus/$t"
    if [ -d "seeds/$t" ]; then cp -n seeds/$t/* "corpus/$t/" 2>/dev/null || true; fi
    case "$t" in sip_*) cp -n ../crates/lianxin-sip/tests/torture/*/*.sip "corpus/$t/" 2>/dev/null || true ;; esac
    echo "== fuzz $t for ${SECONDS_EACH}s"
    if ! cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1; then
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: crashes in:$failed (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash in $TARGETS (${SECONDS_EACH}s each)"
