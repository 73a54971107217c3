#!/usr/bin/env bash
# Softphone interop check: two headless baresip instances against `lianxin serve --demo`.
#
#   bash deploy/interop/baresip_demo.sh            # builds target/debug/lianxin if needed
#   LIANXIN_BIN=path/to/lianxin bash deploy/interop/baresip_demo.sh
#
# Everything runs on 127.0.0.1 with free ports picked at start (never 5060) and is bounded
# in time (about 60 s). Needs baresip (Debian: apt-get install baresip-core), sox and
# python3. One baresip is the operator's phone 8001 (auto-answer, a 700 Hz tone as its
# microphone), the other a caller 65123456 (范先翔 in the demo data; no registration, a
# 400 Hz tone as microphone). The `lianxin console` for 8001 keeps 8001 available. What
# each phone decodes is recorded with baresip's sndfile module and checked by
# baresip_check.py. Logs stay in the work folder printed at the end (KEEP=1 keeps it on
# success too).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for tool in baresip sox python3; do
  command -v "$tool" >/dev/null || { echo "baresip_demo: $tool is missing (apt-get install baresip-core sox python3)" >&2; exit 2; }
done
if [[ -z "${LIANXIN_BIN:-}" ]]; then
  (cd "$root" && cargo build --bin lianxin)
  LIANXIN_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/lianxin"
fi

work="$(mktemp -d /tmp/lianxin-baresip.XXXXXX)"
pids=()
cleanup() {
  # Phones first. baresip unregisters on the first SIGTERM and waits for the answers;
  # a second SIGTERM makes it quit at once. (Each pid is a `timeout` wrapper, which
  # passes signals on to its child.)
  local p i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Free ports: SIP (lianxin), HTTP, two ctrl_tcp; baresip's SIP ports need port+1 free too
# (it binds TLS there). RTP ranges are fixed blocks chosen next to a free base.
read -r sip http opctl callerctl opsip callersip < <(python3 - <<'PY'
import socket
def free(pair=False):
    while True:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
        if p == 5060 or p > 65000: continue
        if not pair: return p
        try:
            for q in (p, p + 1):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    t = socket.socket(socket.AF_INET, kind); t.bind(("127.0.0.1", q)); t.close()
            return p
        except OSError:
            continue
print(free(), free(), free(), free(), free(True), free(True))
PY
)
# baresip picks RTP ports at random with a few tries: give each phone 400 ports.
rtp_base=$(( 20000 + (RANDOM % 40) * 1000 ))   # 20000..59000; lianxin +0..199, phones +200..999

sox -n -r 8000 -c 1 -b 16 "$work/op.wav" synth 120 sine 700 vol 0.5
sox -n -r 8000 -c 1 -b 16 "$work/caller.wav" synth 120 sine 400 vol 0.5

phone_config() { # dir sip_port ctrl_port rtp_lo rtp_hi source_wav
  mkdir -p "$1/rec"
  cat > "$1/config" <<CFG
poll_method epoll
sip_listen 127.0.0.1:$2
net_interface 127.0.0.1
call_local_timeout 60
call_max_calls 4
audio_player aubridge,$(basename "$1")
audio_source aufile,$6
audio_alert aubridge,$(basename "$1")-alert
ausrc_format s16
auplay_format s16
auenc_format s16
audec_format s16
audio_buffer 20-160
rtp_ports $4-$5
rtcp_mux no
jitter_buffer_delay 5-10
rtp_stats yes
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$3
snd_path $1/rec
CFG
}
phone_config "$work/op" "$opsip" "$opctl" $((rtp_base + 200)) $((rtp_base + 599)) "$work/op.wav"
phone_config "$work/caller" "$callersip" "$callerctl" $((rtp_base + 600)) $((rtp_base + 999)) "$work/caller.wav"
echo "<sip:8001@127.0.0.1:$sip>;auth_pass=demo8001;answermode=auto;regint=600" > "$work/op/accounts"
echo "\"Fan\" <sip:65123456@127.0.0.1:$sip>;regint=0" > "$work/caller/accounts"

echo "baresip_demo: lianxin SIP 127.0.0.1:$sip, console http 127.0.0.1:$http, work folder $work"
(cd "$root" && exec timeout 240 "$LIANXIN_BIN" --db "$work/demo.db" serve --demo \
  --sip "127.0.0.1:$sip" --http "127.0.0.1:$http" \
  --rtp-ports "$rtp_base-$((rtp_base + 199))" >"$work/serve.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 300); do grep -q "lianxin: ready" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
grep -q "lianxin: ready" "$work/serve.log" || { echo "baresip_demo: lianxin did not start, see $work/serve.log" >&2; exit 1; }

timeout 240 "$LIANXIN_BIN" console -u 8001 -p demo8001 --http "127.0.0.1:$http" >"$work/console.log" 2>&1 &
pids+=($!)
timeout 240 baresip -f "$work/op" -s </dev/null >"$work/op.log" 2>&1 &
pids+=($!)
timeout 240 baresip -f "$work/caller" -s </dev/null >"$work/caller.log" 2>&1 &
pids+=($!)

status=0
timeout 200 python3 "$here/baresip_check.py" --sip "127.0.0.1:$sip" \
  --op-ctrl "$opctl" --caller-ctrl "$callerctl" \
  --op-rec "$work/op/rec" --caller-rec "$work/caller/rec" --serve-log "$work/serve.log" || status=$?

echo "--- console (8001) ---"
cat "$work/console.log"
if [[ $status -ne 0 || -n "${KEEP:-}" ]]; then
  echo "baresip_demo: logs in $work (serve.log, op.log, caller.log with SIP traces; */rec/*.wav)"
else
  rm -rf "$work"
fi
exit $status
