#!/usr/bin/env bash
# Inbound load beside Asterisk: the rows "100 / 400 / 800 inbound calls, 20 s prompt, RTP
# echoed" of deploy/bench/README.md, run against the real `lianxin serve` (release build)
# on 127.0.0.1 with the reference scenario deploy/bench/inbound_uac.xml and exactly the
# command given there (`-bg` replaced by a foreground run with `-nostdin` under `timeout`).
# Everything it reads comes from this repository (and what it builds and generates).
#
# The server answers the information line "100" ([hotline.announcements] "100" =
# "bench20s"), plays a 20-second prompt once and sends BYE; sipp echoes every RTP packet
# back (-rtp_echo). Per N it prints one row:
#   - sipp's successful / failed calls (its final -trace_stat CSV line),
#   - the server's CPU in % of one core (utime+stime from /proc/PID/stat, sampled every
#     second): average and max of the 1-second intervals while sipp has N calls up
#     (at least 98 % of N at both ends of the interval); in brackets the average of the
#     user-space part (utime) — the rest is the kernel's, mostly the UDP path,
#   - the server's RSS (VmRSS, max of the samples taken during that N's run),
#   - sipp's own CPU (caller + its echo threads) over the same intervals,
#   - the whole machine's busy % over the same intervals (/proc/stat) and the load average,
#   - the audio, from the server's own call log (table `calls`): RTP packets the server
#     received back (sipp's echo) as % of those it sent, calls whose echo came back under
#     95 %, and the 95th percentile of INVITE -> hang-up (20 s prompt; later = late pacing;
#     the call log has no answer time for information lines),
#   - UDP datagrams the kernel dropped because a receive buffer was full, on the server's
#     sockets and on sipp's (/proc/net/udp "drops" of the sockets each process holds):
#     they say on which side echoed audio was lost.
# Optional row "short": sipp's built-in `-sn uac` against the same line, answer, 1 s
# (`-d 1000`), caller hangs up, at SHORT_RATE calls/s for SHORT_SECONDS (the Asterisk row
# "short calls 250/s for 60 s"). `lianxin serve` admits at most 100 new requests/s per source
# address (the UA's RateLimitConfig default), so the short calls come from ceil(rate/80)
# sipp processes on 127.0.0.11, .12, ... as calls from several carrier gateways would.
#
#   deploy/bench/inbound.sh                        # N = 100 400 800, then short calls 250/s
#   LOADS="100 400" SHORT_RATE=0 deploy/bench/inbound.sh
#   RUNS=3 deploy/bench/inbound.sh                 # repeat; prints min / median / max
#   deploy/bench/inbound.sh --table A/results.jsonl B/results.jsonl A/server-*.log
#
# Settings (environment): BUILD_FROM (head | tree), LOADS, RUNS, SHORT_RUNS, SHORT_RATE (0 = skip), SHORT_SECONDS, SIP_PORT,
# HTTP_PORT, RTP_PORTS, WORK (temp folder, kept; default mktemp), LIANXIN_LOG,
# CARGO_TARGET_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LOADS=${LOADS:-100 400 800}
RUNS=${RUNS:-1}
SHORT_RUNS=${SHORT_RUNS:-1}
SHORT_RATE=${SHORT_RATE:-250}
SHORT_SECONDS=${SHORT_SECONDS:-60}
SIP_PORT=${SIP_PORT:-15470}
HTTP_PORT=${HTTP_PORT:-18470}
RTP_PORTS=${RTP_PORTS:-20000-24999}
SCENARIO="$ROOT/deploy/bench/inbound_uac.xml"
WORK=${WORK:-}

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# --- table -----------------------------------------------------------------------------
# table RESULTS.jsonl... [SERVER.log...]: the table over all runs in the files, and the
# server's warnings and errors counted by message.
table() {
    python3 - "$@" <<'PY'
import json, re, statistics, sys
files = [a for a in sys.argv[1:] if a.endswith(".jsonl")]
logs = [a for a in sys.argv[1:] if not a.endswith(".jsonl")]
res = [json.loads(l) for f in files for l in open(f) if l.strip()]
labels = []
for r in res:
    if r["label"] not in labels:
        labels.append(r["label"])

def fmt(vals, unit=""):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "?"
    if len(vals) == 1:
        return f"{vals[0]}{unit}"
    s = sorted(vals)
    return f"{s[0]} / {statistics.median_low(s)} / {s[-1]}{unit}"

runs = max(sum(1 for r in res if r["label"] == l) for l in labels) if labels else 0
print(f"\n== lianxin serve, {runs} run(s){' (min / median / max)' if runs > 1 else ''}")
print("| load | ok / failed calls | server CPU avg (user) | server CPU max | server RSS max | sipp CPU | machine busy | load avg | echo back | calls < 95% echo | INVITE→BYE p95 | UDP drops server / sipp |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for l in labels:
    rs = [r for r in res if r["label"] == l]
    for r in rs:
        if "error" not in r and r["ok"] == 0 and r["failed"] == 0:
            r["error"] = f"sipp placed no call (exit {r['sipp_rc']}; port in use?)"
    if any("error" in r for r in rs):
        print(f"| {l} | {'; '.join(r.get('error', '') for r in rs)} |")
        rs = [r for r in rs if "error" not in r]
        if not rs:
            continue
    okf = ", ".join(f"{r['ok']}/{r['failed']}" for r in rs)
    short = l.startswith("short")
    print(f"| {l} | {okf} | {fmt([r['cpu_avg'] for r in rs], '%')} ({fmt([r.get('cpu_user_avg') for r in rs], '%')}) | {fmt([r['cpu_max'] for r in rs], '%')} "
          f"| {fmt([r['rss_max_mb'] for r in rs], ' MB')} | {fmt([r['sipp_cpu'] for r in rs], '%')} "
          f"| {fmt([r['machine_busy'] for r in rs], '%')} | {fmt([float(r['load']) for r in rs])} "
          f"| {'—' if short else fmt([r['echo_pct'] for r in rs], '%')} "
          f"| {'—' if short else fmt([r['low_echo_calls'] for r in rs])} "
          f"| {'—' if short else fmt([r['p95_call_s'] for r in rs], ' s')} "
          f"| {fmt([r.get('server_rx_drops') for r in rs])} / {'—' if short else fmt([r.get('sipp_rx_drops') for r in rs])} |")
for r in res:
    if r.get("failed") or r.get("causes") or any(r.get("sipp_rc") or []) or not r.get("full_s"):
        print(f"note: {r['label']}: failed {r.get('failed')}, causes {r.get('causes')}, sipp exit {r.get('sipp_rc')}, "
              f"retransmissions {r.get('retrans')}, seconds at full load {r.get('full_s')}")
# warnings and errors of the server, counted by message
counts = {}
for line in (l for path in logs for l in open(path, errors="replace")):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    p = line.split(None, 3)
    if len(p) >= 4 and p[1] in ("WARN", "ERROR"):
        msg = re.sub(r" [a-z_]+=.*", "", p[3]).strip()
        tgt = re.sub(r"\{[^}]*\}", "", p[2])
        counts[(p[1], tgt, msg)] = counts.get((p[1], tgt, msg), 0) + 1
for (lvl, tgt, msg), c in sorted(counts.items(), key=lambda x: -x[1])[:8]:
    print(f"server log: {c} x {lvl} {tgt} {msg}")
PY
}

# `inbound.sh --table A/results.jsonl B/results.jsonl A/server.log ...` prints the table of
# earlier runs together.
if [[ ${1:-} == --table ]]; then
    shift
    table "$@"
    exit 0
fi
[[ -n "$WORK" ]] || WORK=$(mktemp -d /tmp/lianxin-inbound.XXXXXX)
ulimit -n 20000
mkdir -p "$WORK"

for p in "$SIP_PORT" "$HTTP_PORT"; do
    if ss -Hlntu | awk '{print $5}' | grep -q ":$p\$"; then log "port $p is in use; set SIP_PORT/HTTP_PORT"; exit 1; fi
done

# BUILD_FROM=head (default) builds the committed HEAD from a `git archive` copy, so that
# colleagues' uncommitted edits in the shared work tree do not decide what is measured;
# BUILD_FROM=tree builds the work tree as it is.
if [[ ${BUILD_FROM:-head} == head ]]; then
    SRC="$WORK/src"
    rm -rf "$SRC" && mkdir -p "$SRC"
    git -C "$ROOT" archive HEAD | tar -x -C "$SRC"
    REV=$(git -C "$ROOT" rev-parse --short HEAD)
else
    SRC="$ROOT"
    REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
fi
log "building $REV (release) from $SRC into $TARGET"
(cd "$SRC" && CARGO_TARGET_DIR="$TARGET" timeout 3600 cargo build --release -q -p lianxin)
BIN="$TARGET/release/lianxin"
log "source: $REV; work folder $WORK"

# --- database, prompts, config ---------------------------------------------------------
DB="$WORK/inbound.db"
rm -f "$DB" "$DB"-wal "$DB"-shm
timeout 300 "$BIN" --db "$DB" demo-data --households 300 >"$WORK/demo-data.log" 2>&1
PROMPTS="$WORK/prompts"
mkdir -p "$PROMPTS"
cp "$ROOT"/prompts/*.wav "$PROMPTS/"
if command -v sox >/dev/null; then
    # 20 s of a quiet two-tone signal, 8 kHz mono 16-bit
    sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$PROMPTS/bench20s.wav" \
        synth 20 sine 440 sine 660 remix - gain -12
else
    python3 - "$PROMPTS/bench20s.wav" <<'PY'
import math, struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 8000)))
                           for i in range(20 * 8000)))
PY
fi
CONFIG="$WORK/inbound.toml"
# The sipp caller stands for a carrier trunk: one address carrying every call, so the
# per-source call cap (issue 10) is lifted as it would be for a trunk.
cat >"$CONFIG" <<'EOF'
[hotline]
max_calls_per_source = 5000

[hotline.announcements]
"100" = "bench20s"
EOF

# --- server ----------------------------------------------------------------------------
# A fresh server for every run and for the short calls, so that each RSS figure starts
# from an idle process. Logs: $WORK/server-<name>.log.
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
start_server() {
    local slog="$WORK/server-$1.log"
    wait_ports "$SIP_PORT" || return 1
    LIANXIN_LOG=${LIANXIN_LOG:-info} "$BIN" --config "$CONFIG" --db "$DB" serve \
        --sip "127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --rtp-ports "$RTP_PORTS" \
        --prompts "$PROMPTS" >"$slog" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        grep -q 'ready' "$slog" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$slog" >&2; exit 1; }
        sleep 0.1
    done
    grep -q 'ready' "$slog" || { log "server not ready in 60 s"; exit 1; }
    log "lianxin serve pid $SERVER_PID on 127.0.0.1:$SIP_PORT (log $slog)"
}
stop_server() {
    kill -0 "$SERVER_PID" 2>/dev/null || log "the server died: see $WORK/server-$1.log"
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# One load step: starts the sipp processes (argument lists separated by "--"), samples every
# second until they exit, then prints one result line as JSON (the table is made at the end).
# Arguments: label, N (calls expected up; 0 = use the time window), window start/end in
# seconds (short calls), run folder, then the sipp command lines.
measure() {
    python3 - "$SERVER_PID" "$DB" "$@" <<'PY'
import json, os, re, signal, sqlite3, subprocess, sys, time
server, db, label, n, w0, w1, rd = sys.argv[1:8]
server, n, w0, w1 = int(server), int(n), float(w0), float(w1)
cmds, cur = [], []
for a in sys.argv[8:]:
    if a == "--":
        cmds.append(cur); cur = []
    else:
        cur.append(a)
if cur:
    cmds.append(cur)
tck = os.sysconf("SC_CLK_TCK")

def ticks(pid, user_only=False):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        fields = s[s.rindex(")") + 2:].split()
        if user_only:
            return int(fields[11])  # utime
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return None

def rss_kb(pid, key="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]  # total, idle + iowait

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []

def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                l = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if l.startswith("socket:["):
                out.add(l[8:-1])
    except OSError:
        pass
    return out

def udp_drops():
    """inode -> drops counter of every UDP socket (the kernel's per-socket receive drops)."""
    d = {}
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                x = line.split()
                d[x[9]] = int(x[-1])
    except (OSError, StopIteration, IndexError, ValueError):
        pass
    return d

class Drops:
    """Receive drops of one side's sockets over the step (first sight -> last sight)."""
    def __init__(self):
        self.first, self.last = {}, {}
    def add(self, inodes, table):
        for i in inodes:
            if i in table:
                self.first.setdefault(i, table[i])
                self.last[i] = table[i]
    def total(self):
        return sum(self.last[i] - self.first[i] for i in self.last)

def stat_rows(path):
    try:
        with open(path) as f:
            lines = [l.rstrip("\n").split(";") for l in f if l.strip()]
    except OSError:
        return None, []
    if not lines:
        return None, []
    head = lines[0]
    return head, [r for r in lines[1:] if len(r) >= len(head) - 1]

def col(head, row, name):
    try:
        return int(row[head.index(name)])
    except (ValueError, IndexError):
        return 0

def _stop(*_):
    for p in procs:
        if p.poll() is None:
            p.terminate()  # timeout forwards it to sipp
    sys.exit(1)
procs = []
signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)

con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
first_id = con.execute("SELECT COALESCE(MAX(id), 0) FROM calls").fetchone()[0]

csvs = []
for i, c in enumerate(cmds):
    stf = os.path.join(rd, f"sipp{i}.csv")
    csvs.append(stf)
    out = open(os.path.join(rd, f"sipp{i}.out"), "w")
    procs.append(subprocess.Popen(c + ["-stf", stf], cwd=rd, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL))
with open(os.path.join(rd, "command.txt"), "w") as f:
    for c in cmds:
        f.write(" ".join(c + ["-stf", "sippN.csv"]) + "\n")

t0 = time.monotonic()
srv_drops, sipp_drops = Drops(), Drops()
samples = []  # (t, server ticks, sipp ticks, rss kB, machine total, machine idle, calls up)
while True:
    alive = [p for p in procs if p.poll() is None]
    st = ticks(server)
    if st is None:
        print(json.dumps({"label": label, "error": "server process gone"}))
        sys.exit(0)
    sipp_ticks = 0
    for p in procs:
        for pid in [p.pid] + children(p.pid):  # timeout -> sipp
            t = ticks(pid)
            if t is not None:
                sipp_ticks += t
    up = 0
    for path in csvs:
        head, rows = stat_rows(path)
        if head and rows:
            up += col(head, rows[-1], "CurrentCall")
    table = udp_drops()
    srv_drops.add(socket_inodes(server), table)
    for p in procs:
        for pid in [p.pid] + children(p.pid):
            sipp_drops.add(socket_inodes(pid), table)
    tot, idle = machine()
    samples.append((time.monotonic() - t0, st, sipp_ticks, rss_kb(server), tot, idle, up,
                    ticks(server, True) or 0))
    if not alive:
        break
    time.sleep(1.0)
wall = time.monotonic() - t0

# intervals at full load: N calls up at both ends (or inside the time window)
ivals = []
for a, b in zip(samples, samples[1:]):
    dt = b[0] - a[0]
    if dt <= 0:
        continue
    full = (a[6] >= 0.98 * n and b[6] >= 0.98 * n) if n > 0 else (a[0] >= w0 and b[0] <= w1)
    if not full:
        continue
    dm = b[4] - a[4]
    # sipp ticks can drop when a process exits; skip such intervals for sipp
    ivals.append((100 * (b[1] - a[1]) / tck / dt,
                  100 * (b[2] - a[2]) / tck / dt if b[2] >= a[2] else None,
                  100 * (1 - (b[5] - a[5]) / dm) if dm > 0 else 0,
                  100 * (b[7] - a[7]) / tck / dt))

ok = failed = retrans = 0
causes = {}
for path in csvs:
    head, rows = stat_rows(path)
    if head and rows:
        last = rows[-1]
        ok += col(head, last, "SuccessfulCall(C)")
        failed += col(head, last, "FailedCall(C)")
        retrans += col(head, last, "Retransmissions(C)")
        for name in head:
            if name.startswith("Failed") and name.endswith("(C)") and name != "FailedCall(C)":
                v = col(head, last, name)
                if v:
                    causes[name[6:-3]] = causes.get(name[6:-3], 0) + v
rcs = [p.returncode for p in procs]

# the server's call log for the calls of this step (ended ones)
time.sleep(2)
rows = con.execute(
    "SELECT rtp_sent, rtp_received, rtp_lost, COALESCE(answered_ms, arrived_ms), ended_ms FROM calls "
    "WHERE id > ? AND direction = 'in'", (first_id,)).fetchall()
logged = len(rows)
sent = sum(r[0] or 0 for r in rows)
recv = sum(r[1] or 0 for r in rows)
lost = sum(r[2] or 0 for r in rows)
low_echo = sum(1 for r in rows if (r[0] or 0) > 0 and (r[1] or 0) < 0.95 * r[0])
durs = sorted((r[4] - r[3]) / 1000 for r in rows if r[3] is not None and r[4] is not None)
p95 = durs[min(len(durs) - 1, int(0.95 * len(durs)))] if durs else None

srv = [x[0] for x in ivals]
sp = [x[1] for x in ivals if x[1] is not None]
mach = [x[2] for x in ivals]
print(json.dumps({
    "label": label, "n": n, "ok": ok, "failed": failed, "retrans": retrans, "causes": causes,
    "sipp_rc": rcs, "wall_s": round(wall, 1), "full_s": len(ivals),
    "cpu_avg": round(sum(srv) / len(srv), 1) if srv else None,
    "cpu_max": round(max(srv), 1) if srv else None,
    "cpu_user_avg": round(sum(x[3] for x in ivals) / len(ivals), 1) if ivals else None,
    "rss_max_mb": round(max(s[3] for s in samples) / 1024, 1),
    "sipp_cpu": round(sum(sp) / len(sp), 1) if sp else None,
    "machine_busy": round(sum(mach) / len(mach), 1) if mach else None,
    "load": open("/proc/loadavg").read().split()[0],
    "calls_logged": logged, "rtp_sent": sent, "rtp_received": recv, "rtp_lost": lost,
    "echo_pct": round(100 * recv / sent, 2) if sent else None, "low_echo_calls": low_echo,
    "p95_call_s": round(p95, 2) if p95 is not None else None,
    "server_rx_drops": srv_drops.total(), "sipp_rx_drops": sipp_drops.total(),
}))
PY
}

# The shared command's fixed ports (and other engineers' sipp runs) may still be bound:
# wait for them, at most 3 minutes.
wait_ports() {
    local busy
    for _ in $(seq 1 180); do
        busy=$(ss -Hlnu | awk '{print $4}' | grep -E ":($(IFS='|'; echo "$*"))\$" || true)
        [[ -z "$busy" ]] && return 0
        sleep 1
    done
    log "ports still in use after 3 minutes: $busy"
    return 1
}

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
for run in $(seq 1 "$RUNS"); do
    start_server "run$run"
    for N in $LOADS; do
        RD="$WORK/run$run-n$N"
        mkdir -p "$RD"
        R=$((N / 10))
        log "run $run/$RUNS: N=$N (rate $R/s, $((2 * N)) calls), load average $(cut -d' ' -f1-3 /proc/loadavg)"
        wait_ports 15170 16000 18870
        measure "inbound $N" "$N" 0 0 "$RD" \
            timeout $((2 * N / R + 150)) sipp "127.0.0.1:$SIP_PORT" -sf "$SCENARIO" -s 100 \
            -i 127.0.0.1 -p 15170 -mi 127.0.0.1 -mp 16000 -cp 18870 -rtp_echo -r "$R" -l "$N" \
            -m $((2 * N)) -nostdin -trace_stat -fd 1 -trace_err -max_socket 20000 \
            | tee -a "$RESULTS" >&2
        sleep 3
    done
    stop_server "run$run"
done
for run in $(seq 1 "$SHORT_RUNS"); do
    if ((SHORT_RATE > 0)); then
        start_server "short$run"
        RD="$WORK/short$run"
        mkdir -p "$RD"
        SOURCES=$(((SHORT_RATE + 79) / 80))
        PER=$(python3 -c "print(round($SHORT_RATE / $SOURCES, 3))")
        CALLS=$(python3 -c "print(int($SHORT_RATE * $SHORT_SECONDS / $SOURCES))")
        log "short run $run/$SHORT_RUNS: short calls $SHORT_RATE/s for $SHORT_SECONDS s from $SOURCES sources, load average $(cut -d' ' -f1-3 /proc/loadavg)"
        ARGS=()
        for s in $(seq 1 "$SOURCES"); do
            ip="127.0.0.$((10 + s))"
            ARGS+=(timeout $((SHORT_SECONDS + 120)) sipp "127.0.0.1:$SIP_PORT" -sn uac -s 100 -d 1000
                -i "$ip" -p $((15170 + s)) -mi "$ip" -mp $((16000 + 40 * s)) -cp $((18870 + s))
                -r "$PER" -m "$CALLS" -l 5000 -nostdin -trace_stat -fd 1 -trace_err -max_socket 20000 --)
        done
        wait_ports $(seq 15171 $((15170 + SOURCES)))
        measure "short $SHORT_RATE/s" 0 5 "$SHORT_SECONDS" "$RD" "${ARGS[@]}" | tee -a "$RESULTS" >&2
        stop_server "short$run"
    fi
done

table "$RESULTS" "$WORK"/server-*.log
