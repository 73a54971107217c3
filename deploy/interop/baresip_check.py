#!/usr/bin/env python3
"""Drive two headless baresip instances against a running `lianxin serve --demo`.

Started by baresip_demo.sh, which launches the server, the 8001 console and both baresips
and passes their ports and folders here. Prints one PASS/FAIL line per check and exits 1
when any check failed. Talks to baresip through its ctrl_tcp module (netstring-framed
JSON commands and events). Loopback only.
"""
import argparse
import glob
import json
import math
import os
import re
import socket
import struct
import sys
import time
import wave


class Ctl:
    """A baresip ctrl_tcp connection: commands with tokens, events kept in a queue."""

    def __init__(self, port, timeout=15):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.events = []
        self.n = 0

    def _read_one(self, timeout):
        self.s.settimeout(timeout)
        while True:
            if b":" in self.buf:
                head, rest = self.buf.split(b":", 1)
                n = int(head)
                if len(rest) >= n + 1:
                    self.buf = rest[n + 1:]
                    return json.loads(rest[:n])
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("baresip closed the control socket")
            self.buf += chunk

    def cmd(self, command, params="", timeout=5):
        self.n += 1
        tok = str(self.n)
        body = json.dumps({"command": command, "params": params, "token": tok}).encode()
        self.s.sendall(str(len(body)).encode() + b":" + body + b",")
        end = time.time() + timeout
        while time.time() < end:
            try:
                m = self._read_one(max(0.05, end - time.time()))
            except socket.timeout:
                break
            if m.get("response") and m.get("token") == tok:
                return m
            if m.get("event"):
                self.events.append(m)
        raise TimeoutError(f"no response to {command}")

    def wait(self, etype, timeout, aor=None):
        """The first event of a type (optionally for one account), or None."""
        def ok(e):
            return e.get("type") == etype and (aor is None or aor in e.get("accountaor", ""))
        for i, e in enumerate(self.events):
            if ok(e):
                return self.events.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            try:
                m = self._read_one(max(0.05, end - time.time()))
            except socket.timeout:
                return None
            if m.get("event"):
                if ok(m):
                    return m
                self.events.append(m)
        return None

    def drain(self):
        self.events.clear()
        try:
            while True:
                m = self._read_one(0.05)
                if m.get("event"):
                    pass
        except socket.timeout:
            pass


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples")
        rate = w.getframerate()
        ch = w.getnchannels()
        raw = w.readframes(w.getnframes())
    samples = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
    return rate, samples


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) / 32768.0 if x else 0.0


def tone_level(x, rate, freq):
    """Goertzel: the share of the signal's energy at one frequency (0..1)."""
    if not x:
        return 0.0
    w = 2 * math.pi * freq / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + c * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - c * s1 * s2
    energy = sum(v * v for v in x) or 1
    return 2 * power / (len(x) * energy)


RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""), flush=True)
    return ok


def newest_dec(folder, after):
    files = [f for f in glob.glob(os.path.join(folder, "*-dec.wav")) if os.path.getmtime(f) >= after]
    return max(files, key=os.path.getmtime) if files else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sip", required=True, help="lianxin SIP address, 127.0.0.1:PORT")
    ap.add_argument("--op-ctrl", type=int, required=True)
    ap.add_argument("--caller-ctrl", type=int, required=True)
    ap.add_argument("--op-rec", required=True)
    ap.add_argument("--caller-rec", required=True)
    ap.add_argument("--serve-log", required=True, help="lianxin's log (voice message lines)")
    ap.add_argument("--op-tone", type=int, default=700)
    ap.add_argument("--caller-tone", type=int, default=400)
    a = ap.parse_args()
    hotline = f"sip:51663371@{a.sip}"

    op = Ctl(a.op_ctrl)
    caller = Ctl(a.caller_ctrl)

    # 1. The operator phone 8001 registers (UDP, digest).
    ok = False
    for _ in range(50):  # the REGISTER may be done before we connect: ask, do not wait
        info = op.cmd("reginfo").get("data", "")
        if any("8001@" in l and "OK" in l for l in info.splitlines()):
            ok = True
            break
        time.sleep(0.2)
    check("8001 registers over UDP with digest auth", ok)

    # 2. Caller dials the hotline, hears greeting and menu.
    t0 = time.time()
    caller.cmd("dial", hotline)
    ev = caller.wait("CALL_ESTABLISHED", 10)
    check("call to 51663371 is answered (SDP negotiated)", ev is not None)
    if ev is None:
        return
    time.sleep(4)

    # 3. Key 1 (RFC 4733) -> queue -> offered to 8001 (console available) -> auto-answer.
    caller.cmd("sndcode", "1")
    # (auto-answer skips CALL_INCOMING; the offer's arrival is the ring)
    inc = op.wait("CALL_REMOTE_SDP", 15, aor="8001")
    check("key 1 queues the call and 8001's phone is called", inc is not None,
          inc and f"from {inc.get('peerdisplayname')} <{inc.get('peeruri')}>")
    est = op.wait("CALL_ESTABLISHED", 10)
    check("8001 auto-answers and the call is bridged", est is not None)
    t_bridge = time.time()
    time.sleep(5)

    # 4. Hold and resume from the operator's phone (re-INVITE sendonly / sendrecv).
    op.cmd("hold")
    time.sleep(1.5)
    op.cmd("resume")
    time.sleep(1.5)
    st = op.cmd("listcalls").get("data", "")
    check("operator hold/resume (re-INVITE) keeps the call up", "ESTABLISHED" in st)
    time.sleep(2)

    # 5. Operator hangs up: the caller is released.
    op.cmd("hangup")
    ev = caller.wait("CALL_CLOSED", 15)
    check("operator hangs up -> caller's call ends", ev is not None, ev and ev.get("param", ""))
    time.sleep(1)

    # 6. Audio both ways (sndfile recorded what each phone decoded).
    cdec = newest_dec(a.caller_rec, t0 - 1)
    odec = newest_dec(a.op_rec, t0 - 1)
    if cdec and odec:
        rate, x = read_wav(cdec)
        pre = x[: int(rate * max(1.0, t_bridge - t0 - 1))]
        post = x[int(rate * (t_bridge - t0 + 1)):]
        check("caller hears the prompts before the bridge (not silence)", rms(pre) > 0.01,
              f"rms {rms(pre):.3f} over {len(pre) / rate:.1f} s")
        lvl = tone_level(post, rate, a.op_tone)
        check(f"caller hears the operator ({a.op_tone} Hz tone) after the bridge", lvl > 0.5,
              f"share {lvl:.2f}, rms {rms(post):.3f}")
        rate, y = read_wav(odec)
        lvl = tone_level(y[rate:], rate, a.caller_tone)
        check(f"operator hears the caller ({a.caller_tone} Hz tone)", lvl > 0.5,
              f"share {lvl:.2f}, rms {rms(y[rate:]):.3f}")
    else:
        check("sndfile recordings exist", False, f"caller {cdec}, operator {odec}")

    # 7. Second call: the caller hangs up while bridged; the operator's phone is released.
    time.sleep(3)
    caller.drain()
    op.drain()
    caller.cmd("dial", hotline)
    ev = caller.wait("CALL_ESTABLISHED", 10)
    time.sleep(3)
    caller.cmd("sndcode", "1")
    ev2 = op.wait("CALL_ESTABLISHED", 20)
    check("second call bridged to an operator", ev is not None and ev2 is not None,
          ev2 and ev2.get("accountaor", ""))
    time.sleep(3)
    caller.cmd("hangup")
    ev = op.wait("CALL_CLOSED", 10)
    check("caller hangs up -> operator's call ends", ev is not None, ev and ev.get("param", ""))

    # 8. Key 2 (voice message): the caller talks for a while and hangs up; lianxin
    # records what it received from the phone.
    time.sleep(2)
    caller.drain()
    caller.cmd("dial", hotline)
    ev = caller.wait("CALL_ESTABLISHED", 10)
    time.sleep(3)
    caller.cmd("sndcode", "2")
    time.sleep(25)
    caller.cmd("hangup")
    saved = None
    for _ in range(50):
        text = open(a.serve_log, encoding="utf-8", errors="replace").read()
        lines = re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()
        saved = next((l for l in lines if "voice message saved" in l), None)
        if saved:
            break
        time.sleep(0.2)
    path = None
    for l in lines:
        if "recording stopped" in l and "path=" in l:
            path = l.split("path=", 1)[1].split()[0]
    secs = 0
    if saved and "secs=" in saved:
        secs = int("".join(ch for ch in saved.split("secs=", 1)[1].split()[0] if ch.isdigit()) or 0)
    check("key 2 records a voice message of the caller's audio", saved is not None and secs >= 3,
          f"{secs} s in {path}")
    if path and os.path.exists(path):
        rate, x = read_wav(path)
        lvl = tone_level(x, rate, a.caller_tone)
        check(f"the voice message holds the caller's {a.caller_tone} Hz tone", lvl > 0.5,
              f"share {lvl:.2f}, rms {rms(x):.3f}, {len(x) / rate:.1f} s")

    # 9. TCP: a second account registers over TCP; wrong passwords are refused.
    op.cmd("uanew", f"<sip:8002@{a.sip};transport=tcp>;auth_pass=demo8002;answermode=auto;regint=600")
    ev = op.wait("REGISTER_OK", 15, aor="8002")
    check("8002 registers over TCP with digest auth", ev is not None)
    op.cmd("uanew", f"<sip:8003@{a.sip}>;auth_pass=wrong-password;regint=600")
    ev = op.wait("REGISTER_FAIL", 15, aor="8003")
    check("8003 with a wrong password is refused", ev is not None, ev and ev.get("param", ""))
    op.cmd("uadel", f"sip:8003@{a.sip}")

if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a broken control link is a failed check, not a traceback
        check("baresip control", False, repr(e))
    print(f"{sum(RESULTS)}/{len(RESULTS)} checks passed")
    sys.exit(0 if RESULTS and all(RESULTS) else 1)
