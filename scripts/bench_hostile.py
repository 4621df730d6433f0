#!/usr/bin/env python3
"""What a hostile backend costs the engine's memory: two engines side by side in one run (the
real binary's `metrics --listen 127.0.0.1:0 --refresh 1`, headless), one watching N backends
that behave, the other the same N where one of each kind answers hostile
(examples/fixture_backends.rs --hostile), and their RSS sampled from /proc every second.
Standard library only.

Called by scripts/bench-hostile.sh, which builds the binary and starts the fixture:
  bench_hostile.py --bin BIN --ports-file FILE [--secs 180] [--warmup 30] [--copies 2]
                   [--hostile-kinds ipfs,ipfs_cluster,s3+garage,huggingface,filecoin,rclone]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ left in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_backend_cost import BenchError, config, must  # noqa: E402

# s3 with Garage's admin API, so that its admin calls are polled (and hostile) too.
KINDS = ["ipfs", "ipfs_cluster", "s3+garage", "huggingface", "filecoin", "rclone"]


def make_home(binary, path, ports, creds, backends):
    """A home holding `backends`, each (kind, copy, fixture variant "ok" or "hostile"); the
    `local` backend a fresh home gets is removed."""
    for kind, copy, variant in backends:
        sets = config(kind, variant, ports, creds, None)[1]
        args = ["backend", "add", f"{kind.replace('+', '-')}-{copy}", "--type", kind.split("+")[0]]
        for name, value in sets:
            args += ["--set", f"{name}={value}"]
        must(binary, path, args)
    must(binary, path, ["backend", "remove", "local", "--yes"])
    return path


def memory(pid):
    """VmRSS and VmHWM of a process, in KiB (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB$", text, re.M))
    return int(values["VmRSS"]), int(values["VmHWM"])


def start_engine(binary, home, log):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("IPFS_KIT_HOME", None)
    return subprocess.Popen([binary, "--home", home, "metrics", "--listen", "127.0.0.1:0", "--refresh", "1"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)


def health(log_path):
    """The backends' health as the engine's /metrics says it (its address is in its log)."""
    with open(log_path) as f:
        found = re.search(r"serving (http://\S+/metrics)", f.read())
    if not found:
        return {}
    with urllib.request.urlopen(found.group(1), timeout=10) as answer:
        text = answer.read().decode()
    states = {}
    for backend, state in re.findall(r'ipfs_kit_backend_health\{[^}]*backend="([^"]+)"[^}]*state="([^"]+)"[^}]*\} 1', text):
        states[backend] = state
    return states


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--ports-file", required=True)
    parser.add_argument("--secs", type=int, default=180, help="how long both engines run")
    parser.add_argument("--warmup", type=int, default=30, help="seconds left out of the medians")
    parser.add_argument("--copies", type=int, default=2, help="backends of each kind (one is hostile)")
    parser.add_argument("--hostile-kinds", default=",".join(KINDS),
                        help="the kinds whose first backend is hostile (default: every kind)")
    opts = parser.parse_args()
    hostile_kinds = [k for k in opts.hostile_kinds.split(",") if k]
    for k in hostile_kinds:
        if k not in KINDS:
            sys.exit(f"unknown kind {k}; known: {', '.join(KINDS)}")
    if opts.secs <= opts.warmup:
        sys.exit("--secs must be more than --warmup")
    if opts.copies < 1:
        sys.exit("--copies must be at least 1")
    binary = os.path.realpath(opts.bin)
    with open(opts.ports_file) as f:
        fixture_info = json.load(f)
    ports, creds = fixture_info["targets"], fixture_info["credentials"]

    workdir = tempfile.mkdtemp(prefix="ikt-bench-hostile-")
    engines = {}
    try:
        layout = {
            "behaving": [(k, c, "ok") for k in KINDS for c in range(opts.copies)],
            "hostile": [(k, c, "hostile" if c == 0 and k in hostile_kinds else "ok")
                        for k in KINDS for c in range(opts.copies)],
        }
        logs = {}
        for name, backends in layout.items():
            home = make_home(binary, os.path.join(workdir, name), ports, creds, backends)
            logs[name] = os.path.join(workdir, f"{name}.log")
            engines[name] = start_engine(binary, home, open(logs[name], "w"))
        samples = {name: [] for name in engines}
        started = time.monotonic()
        while time.monotonic() - started < opts.secs:
            time.sleep(1)
            at = time.monotonic() - started
            for name, proc in engines.items():
                if proc.poll() is not None:
                    raise BenchError(f"the {name} engine exited {proc.returncode}: see {logs[name]}")
                m = memory(proc.pid)
                if m:
                    samples[name].append((at, *m))
        states = {name: health(logs[name]) for name in engines}
        with urllib.request.urlopen(f"http://127.0.0.1:{next(iter(ports.values()))}/__stats", timeout=10) as a:
            served = json.load(a)["targets"]
    finally:
        for proc in engines.values():
            proc.terminate()
        for proc in engines.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = {}
    for name, points in samples.items():
        steady = [rss for at, rss, _ in points if at >= opts.warmup]
        rows[name] = {
            "rss_median": statistics.median(steady),
            "rss_max": max(steady),
            "hwm": points[-1][2],
        }
    n = len(KINDS) * opts.copies
    print(f"{n} backends each (kinds {', '.join(KINDS)}, {opts.copies} of each), refresh 1 s, "
          f"{opts.secs} s side by side, medians over the samples after {opts.warmup} s; binary {binary}")
    print()
    print("| engine | VmRSS median | VmRSS max | VmHWM at the end |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        label = "all behave" if name == "behaving" else f"{len(hostile_kinds)} of them hostile"
        print(f"| {label} | {mib(r['rss_median'])} | {mib(r['rss_max'])} | {mib(r['hwm'])} |")
    b, h = rows["behaving"], rows["hostile"]
    print(f"| **hostile − behaving** | **{mib(h['rss_median'] - b['rss_median'])}** | "
          f"{mib(h['rss_max'] - b['rss_max'])} | {mib(h['hwm'] - b['hwm'])} |")
    print()
    for name in engines:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(states[name].items()))
        print(f"health at the end ({name}): {shown or '(not read)'}")
    hostile_calls = {}
    for target, entry in served.items():
        if target.endswith("/hostile"):
            hostile_calls[target] = sum(e["requests"] for op, e in entry["ops"].items() if op.startswith("hostile"))
    print("hostile answers served: " + ", ".join(f"{t} {c}" for t, c in sorted(hostile_calls.items())))
    print(json.dumps({"rows": rows, "health": states, "hostile_answers": hostile_calls}))


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        sys.exit(f"bench-hostile: {e}")
