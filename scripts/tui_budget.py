#!/usr/bin/env python3
"""Measures the console's budgets in real pseudo-terminals (120x40, TERM=xterm-256color), side
by side with htop. Run through scripts/bench-tui.sh, which builds the release binary and starts
the fixture server. Prints a table and a JSON line. Standard library only."""
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

BIN = os.environ["IPFS_KIT_TUI"]
OK = int(os.environ["FIXTURE_OK_PORT"])
HANG = int(os.environ["FIXTURE_HANG_PORT"])
CLK = os.sysconf("SC_CLK_TCK")


class Pty:
    """A program in its own pseudo-terminal; a thread counts what it writes, with times."""

    def __init__(self, argv, cols=120, rows=40):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        env.pop("NO_COLOR", None)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.lock = threading.Lock()
        self.total = 0
        self.chunks = []  # (time, bytes)
        self.done = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.done:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.total += len(data)
                self.chunks.append((time.monotonic(), data))

    def write(self, data):
        os.write(self.master, data)

    def bytes_since(self, t):
        with self.lock:
            return sum(len(d) for (at, d) in self.chunks if at >= t)

    def first_after(self, t):
        with self.lock:
            for at, _ in self.chunks:
                if at >= t:
                    return at
        return None

    def output(self):
        with self.lock:
            return b"".join(d for _, d in self.chunks)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK

    def rss(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        self.done = True
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
        os.close(self.master)


def cli(home, *args):
    subprocess.run([BIN, "--home", home, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def home_with(n_ok, n_hang=0, n_local=0, disabled=False):
    home = tempfile.mkdtemp(prefix="tui-budget-")
    cli(home, "backend", "list")
    # One batch of files written directly would be faster, but the CLI is the real path.
    for i in range(n_ok + n_hang):
        port = HANG if i >= n_ok else OK
        args = ["backend", "add", f"b{i:04d}", "--type", "rclone", "--set", f"rc_url=http://127.0.0.1:{port}",
                "--set", "remote=bench:"]
        if disabled:
            args.append("--disabled")
        cli(home, *args)
    for i in range(n_local):
        d = tempfile.mkdtemp(prefix="tui-budget-dir-")
        cli(home, "backend", "add", f"dir{i}", "--type", "local", "--set", f"path={d}")
    if disabled:
        cli(home, "backend", "set", "local", "enabled=false")
    return home


def window(p, seconds):
    t0, c0 = time.monotonic(), p.cpu_seconds()
    time.sleep(seconds)
    t1, c1 = time.monotonic(), p.cpu_seconds()
    return p.bytes_since(t0) / (t1 - t0), (c1 - c0) / (t1 - t0) * 100, p.rss()


def first_frame(argv):
    """Starts `argv` and waits (5 s at most) for its list: the time to the first byte of the frame
    that drew it, in ms, and the running program (the caller stops it)."""
    p = Pty(argv)
    deadline = time.monotonic() + 5
    while b"Backends" not in p.output() and time.monotonic() < deadline:
        time.sleep(0.001)
    at = p.first_after(0)
    return ((at - p.started) * 1000 if at else float("nan")), p


def side_by_side(named, seconds, suffix=""):
    """Bytes/s, CPU % and RSS of each program over the same `seconds`, keyed NAME{suffix}_..."""
    t0 = time.monotonic()
    c0 = {name: p.cpu_seconds() for name, p in named.items()}
    time.sleep(seconds)
    t1 = time.monotonic()
    out = {}
    for name, p in named.items():
        out[f"{name}{suffix}_bytes_per_sec"] = round(p.bytes_since(t0) / (t1 - t0), 1)
        out[f"{name}{suffix}_cpu_percent"] = round((p.cpu_seconds() - c0[name]) / (t1 - t0) * 100, 2)
        out[f"{name}{suffix}_rss_mib"] = round(p.rss() / 1048576, 1)
    return out


def main():
    results = {}
    if not shutil.which("htop"):
        sys.exit("htop is not installed (scripts/bench-tui.sh installs it)")

    # (a) 20 live backends at the default refresh (5 s), side by side with htop, 20 s after 4 s
    # of warm-up.
    home = home_with(18, n_local=1)
    ours = Pty([BIN, "--home", home])
    htop = Pty(["htop"])
    htop10 = Pty(["htop", "-d", "10"])
    time.sleep(4)
    results.update(side_by_side({"ours": ours, "htop": htop, "htop_d10": htop10}, 20))
    # (a') the same at 200x50, next to htop at 200x50: every list column and taller charts.
    wide = Pty([BIN, "--home", home], cols=200, rows=50)
    htop_wide = Pty(["htop"], cols=200, rows=50)
    time.sleep(4)
    results.update(side_by_side({"wide": wide, "htop_wide": htop_wide}, 20, "_200x50"))
    # (a'') the full-screen detail (Enter) at 200x50: its charts fill the screen.
    wide.write(b"\r")
    time.sleep(2)
    results["full_detail_200x50_bytes_per_sec"] = round(window(wide, 20)[0], 1)
    for p in (wide, htop_wide):
        p.stop()
    # (b) paused: the same console, after `p`.
    ours.write(b"p")
    time.sleep(1)
    results["paused_bytes_per_sec"] = round(window(ours, 10)[0], 1)
    for p in (ours, htop, htop10):
        p.stop()
    # (b') nothing changes: every backend disabled.
    home = home_with(3, disabled=True)
    idle = Pty([BIN, "--home", home])
    time.sleep(3)
    results["idle_bytes_per_sec"] = round(window(idle, 10)[0], 1)
    idle.stop()

    # (c) first frame with 100 backends that never answer, showing last-known figures.
    home = home_with(100)
    cli(home, "status")  # keeps metadata/stats.*.json from the answering fixture
    for i in range(100):
        cli(home, "backend", "set", f"b{i:04d}", f"rc_url=http://127.0.0.1:{HANG}")
    firsts, shows_known = [], True
    for _ in range(5):
        ms, p = first_frame([BIN, "--home", home])
        firsts.append(ms)
        time.sleep(0.2)
        shows_known = shows_known and b"25.0%" in p.output()
        p.stop()
    results["first_frame_ms_median"] = round(statistics.median(firsts), 1)
    results["first_frame_ms_all"] = [round(x, 1) for x in firsts]
    results["first_frame_shows_last_known"] = shows_known
    # (c') the same home with 30 days of history per backend, as the engine keeps it at a 5 s
    # poll: 24 h at poll resolution, then 10-minute buckets with their poll counts (about 21,500
    # lines, 0.6 MB a backend). The engine reads every file for the forecast and availability:
    # that must not delay the first frame.
    now = int(time.time())
    for i in range(100):
        path = os.path.join(home, "cache", f"b{i:04d}", "history.ndjson")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lines = []
        for at in range(now - 30 * 86400 - (now % 600), now - 86400, 600):
            lines.append(f"[{at},12.500,{1000000 + at % 100000},null,null,null,119,1]\n")
        for at in range(now - 86400, now, 5):
            lines.append(f"[{at},12.500,{1000000 + at % 100000}]\n")
        with open(path, "w") as f:
            f.write("".join(lines))
    results["history_mib_per_backend"] = round(os.path.getsize(path) / 1048576, 2)
    firsts = []
    for _ in range(5):
        ms, p = first_frame([BIN, "--home", home])
        firsts.append(ms)
        time.sleep(0.2)
        p.stop()
    results["first_frame_30d_history_ms_median"] = round(statistics.median(firsts), 1)
    results["first_frame_30d_history_ms_all"] = [round(x, 1) for x in firsts]

    # (d) key press to screen while 1,000 backends are polled (10% hang). Paused, so that every
    # frame measured is the key's own (polling goes on while paused).
    home = home_with(900, n_hang=100)
    p = Pty([BIN, "--home", home, "--refresh", "10"])
    time.sleep(5)
    p.write(b"p")
    time.sleep(1)
    latencies = []
    for i in range(200):
        t = time.monotonic()
        p.write(b"j" if i % 2 == 0 else b"k")
        deadline = t + 1
        at = None
        while at is None and time.monotonic() < deadline:
            time.sleep(0.0005)
            at = p.first_after(t)
        if at is not None:
            latencies.append((at - t) * 1000)
        time.sleep(0.05)
    p.stop()
    latencies.sort()
    results["key_latency_ms_p50"] = round(latencies[len(latencies) // 2], 2)
    results["key_latency_ms_p99"] = round(latencies[int(len(latencies) * 0.99) - 1], 2)
    results["key_presses_answered"] = len(latencies)

    print("console budgets, pty 120x40 (and 200x50 where named), xterm-256color")
    for key, value in results.items():
        print(f"  {key:32} {value}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
