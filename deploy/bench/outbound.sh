#!/usr/bin/env bash
# Outbound group call beside Asterisk: the row "800 outbound notice calls" of
# deploy/bench/README.md. A real `lianxin serve` (release build) on 127.0.0.1 runs one
# campaign to 800 households with a 20 s notice, rate unlimited, 800 calls at once; sipp
# is the trunk and every household, with the reference callee scenario
# deploy/bench/uas_answer_echo.xml (ring, answer, echo RTP, wait for the BYE) and the
# command of the reference set. The campaign is started the way staff start one:
# `lianxin campaign start --group ... --yes --json`, logged in as a committee account.
#
# Per run it prints one row:
#   - INVITEs out: from the first INVITE sipp received to the 800th (s),
#   - all up: from the first INVITE to the 800th ACK (the dialer has the 200 OK) (s),
#   - the server's CPU in % of one core (utime+stime from /proc/PID/stat) and its RSS
#     (VmRSS, max) while all 800 calls play: from 1 s after the last ACK to 1 s before the
#     first BYE,
#   - ACK -> BYE per call (the notice is 20 s: later means late pacing), p50 and p95 (s),
#   - the RTP gap p99 and max at the receivers (ms): the time between consecutive packets
#     of one call as they reached sipp's media port, captured with dumpcap (64-byte
#     snapshots; skipped when dumpcap is missing),
#   - households the server logged reached (是) (from `lianxin campaign status --json`),
#     which must be 800.
# After RUNS runs: min / median / max of each figure.
#
#   ulimit -n 20000; deploy/bench/outbound.sh           # 3 runs
#   RUNS=1 CALLS=100 deploy/bench/outbound.sh            # a quick look
#
# Settings (environment): RUNS (3), CALLS (800), SIP_PORT, HTTP_PORT, TRUNK_PORT,
# MEDIA_PORT, RTP_PORTS, WORK (temp folder, kept), CARGO_TARGET_DIR.
# Needs sipp (sip-tester), sox and python3; dumpcap (wireshark-common) for the RTP gaps.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RUNS=${RUNS:-3}
CALLS=${CALLS:-800}
SIP_PORT=${SIP_PORT:-15480}
HTTP_PORT=${HTTP_PORT:-18480}
TRUNK_PORT=${TRUNK_PORT:-15080}
MEDIA_PORT=${MEDIA_PORT:-16100}
RTP_PORTS=${RTP_PORTS:-20000-24999}
SCENARIO="$ROOT/deploy/bench/uas_answer_echo.xml"
WORK=${WORK:-$(mktemp -d /tmp/lianxin-outbound.XXXXXX)}
USER_NAME=bench
PASSWORD=bench-pass-1

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
for tool in sipp sox python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done

log "building the release binary"
(cd "$ROOT" && cargo build --release --quiet --bin lianxin)
BIN="$TARGET/release/lianxin"

# --- the community, the prompts, the config ------------------------------------------------
mkdir -p "$WORK/prompts"
cp "$ROOT"/prompts/*.wav "$WORK/prompts/"
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/prompts/notice_bench20s.wav" \
  synth 20 sine 440 sine 660 remix - gain -12
python3 - "$WORK" "$CALLS" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
head = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n"
with open(f"{work}/households.csv", "w") as f:
    f.write(head)
    for i in range(1, n + 1):
        f.write(f"B{i:05},压测街,{i},,,,平房,第一片区,,,住户{i},女,1970-01-01,,,,1393{i:07}\n")
with open(f"{work}/groups.csv", "w") as f:
    f.write("group,household\n")
    for i in range(1, n + 1):
        f.write(f"压测组,B{i:05}\n")
PY
cat > "$WORK/lianxin.toml" <<EOF
sip_listen = "127.0.0.1:$SIP_PORT"
http_listen = "127.0.0.1:$HTTP_PORT"
rtp_ports = [${RTP_PORTS%-*}, ${RTP_PORTS#*-}]
prompts_dir = "$WORK/prompts"

[dialer]
max_calls = 800
calls_per_second = 0
retries = 0
ring_timeout_secs = 30
window_open = ""
window_close = ""
EOF

# --- one run ---------------------------------------------------------------------------
run() {
  local r=$1 dir="$WORK/run-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  local db="$dir/bench.db"
  "$BIN" --config "$WORK/lianxin.toml" --db "$db" db init >/dev/null 2>&1
  "$BIN" --config "$WORK/lianxin.toml" --db "$db" import residents "$WORK/households.csv" >/dev/null 2>&1
  "$BIN" --config "$WORK/lianxin.toml" --db "$db" import groups "$WORK/groups.csv" >/dev/null 2>&1
  LIANXIN_PASSWORD=$PASSWORD "$BIN" --config "$WORK/lianxin.toml" --db "$db" \
    staff add --name 压测 --role committee "$USER_NAME" >/dev/null

  # The households (the reference command, in the foreground under timeout).
  (cd "$dir" && timeout 150 sipp -sf "$SCENARIO" -i 127.0.0.1 -p "$TRUNK_PORT" \
     -mi 127.0.0.1 -mp "$MEDIA_PORT" -cp 18872 -rtp_echo -m "$CALLS" -nostdin \
     -trace_stat -stf uas_stat.csv -fd 1 -trace_err -max_socket 20000 \
     -trace_logs -log_file "$dir/uas.log" >/dev/null 2>&1) &
  local sipp_pid=$!
  local cap_pid=""
  if command -v dumpcap >/dev/null; then
    dumpcap -q -i lo -f "udp and dst port $MEDIA_PORT" -s 64 -F pcap -w "$dir/rtp.pcap" 2>/dev/null &
    cap_pid=$!
  fi
  sleep 1

  "$BIN" --config "$WORK/lianxin.toml" --db "$db" serve --trunk "127.0.0.1:$TRUNK_PORT" \
    2>"$dir/server.log" &
  local server=$!
  for _ in $(seq 1 100); do
    grep -q "lianxin: ready" "$dir/server.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "lianxin: ready" "$dir/server.log" || { cat "$dir/server.log" >&2; exit 1; }

  # Samples of the server: time, utime+stime (ticks), RSS (kB).
  python3 - "$server" "$dir/samples.tsv" <<'PY' &
import sys, time
pid, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    while True:
        try:
            with open(f"/proc/{pid}/stat") as s:
                fields = s.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            rss = 0
            with open(f"/proc/{pid}/status") as s:
                for line in s:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            break
        f.write(f"{time.time():.3f}\t{ticks}\t{rss}\n")
        f.flush()
        time.sleep(0.25)
PY
  local sampler=$!

  log "run $r: starting the campaign to $CALLS households"
  local started
  started=$(LIANXIN_PASSWORD=$PASSWORD "$BIN" campaign start --http "127.0.0.1:$HTTP_PORT" \
    -u "$USER_NAME" --group 压测组 --notice notice-bench20s --max-calls 800 --retries 0 \
    --yes --json)
  local id
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$started")
  wait "$sipp_pid" || true
  local status
  status=$(LIANXIN_PASSWORD=$PASSWORD "$BIN" campaign status "$id" --http "127.0.0.1:$HTTP_PORT" \
    -u "$USER_NAME" --json)
  echo "$status" >"$dir/status.json"
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  kill "$sampler" 2>/dev/null || true
  [ -n "$cap_pid" ] && { kill -INT "$cap_pid" 2>/dev/null || true; wait "$cap_pid" 2>/dev/null || true; }

  python3 - "$dir" "$CALLS" "$r" <<'PY' | tee -a "$WORK/results.tsv"
import json, os, struct, sys
from datetime import datetime
d, n, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tick = os.sysconf("SC_CLK_TCK")

def stamp(parts):
    # sipp's [timestamp]: "YYYY-MM-DD<TAB>HH:MM:SS.uuuuuu" (local time of the machine)
    return datetime.strptime(parts[0] + " " + parts[1], "%Y-%m-%d %H:%M:%S.%f").timestamp()

inv, ack, bye = {}, {}, {}
for line in open(f"{d}/uas.log", errors="replace"):
    p = line.split()
    if len(p) >= 4 and p[0] in ("INVITE", "ACK", "BYE"):
        t = stamp(p[1:3])
        {"INVITE": inv, "ACK": ack, "BYE": bye}[p[0]].setdefault(p[3], t)
t0 = min(inv.values())
invites_out = max(inv.values()) - t0
all_up = max(ack.values()) - t0 if len(ack) >= n else float("nan")
held = sorted(bye[c] - ack[c] for c in bye if c in ack)
pct = lambda v, q: v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")

# CPU and RSS while every call plays.
lo, hi = max(ack.values()) + 1, min(bye.values()) - 1 if bye else max(ack.values()) + 1
rows = [tuple(map(float, l.split())) for l in open(f"{d}/samples.tsv") if l.strip()]
win = [r for r in rows if lo <= r[0] <= hi]
if len(win) >= 2:
    cpu = (win[-1][1] - win[0][1]) / tick / (win[-1][0] - win[0][0]) * 100
    rss = max(r[2] for r in win) / 1024
else:
    cpu = rss = float("nan")

# RTP gaps per call (per source port) at sipp's media port.
gap99 = gapmax = float("nan")
pcap = f"{d}/rtp.pcap"
if os.path.exists(pcap) and os.path.getsize(pcap) > 24:
    data = open(pcap, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    off, last, gaps = 24, {}, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        ip = {1: 14, 0: 4, 113: 16, 276: 20}.get(linktype, 14)
        if len(pkt) < ip + 28:
            continue
        ihl = (pkt[ip] & 15) * 4
        sport = struct.unpack(">H", pkt[ip + ihl:ip + ihl + 2])[0]
        if sport in last:
            gaps.append((t - last[sport]) * 1000)
        last[sport] = t
    # Gaps over 200 ms are the ends of calls re-using a port, not pacing.
    gaps = sorted(g for g in gaps if g < 200)
    if gaps:
        gap99, gapmax = pct(gaps, 0.99), gaps[-1]

status = json.load(open(f"{d}/status.json"))
counters = status.get("counters", status)
reached = counters.get("reached")
print(f"{run}\t{invites_out:.2f}\t{all_up:.2f}\t{cpu:.1f}\t{rss:.0f}\t{pct(held, .5):.2f}\t{pct(held, .95):.2f}\t{gap99:.1f}\t{gapmax:.1f}\t{reached}")
PY
}

printf 'run\tINVITEs out s\tall up s\tCPU %%\tRSS MB\tACK->BYE p50 s\tp95 s\tRTP gap p99 ms\tmax ms\treached\n' | tee "$WORK/results.tsv" >/dev/null
for r in $(seq 1 "$RUNS"); do
  run "$r"
done

python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
head, body = rows[0], rows[1:]
print("\t".join(head))
for r in body:
    print("\t".join(r))
if len(body) > 1:
    for name, f in (("min", min), ("median", statistics.median), ("max", max)):
        cols = []
        for i in range(1, len(head)):
            try:
                cols.append(f"{f(float(r[i]) for r in body):.2f}".rstrip("0").rstrip("."))
            except ValueError:
                cols.append("-")
        print(name + "\t" + "\t".join(cols))
PY
echo "work folder: $WORK" >&2
