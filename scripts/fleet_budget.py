#!/usr/bin/env python3
"""The fleet view's budgets (the local console's): bytes/s at 120x40 next to htop, CPU, RSS, and
the first frame. Two hosts (two homes with 10 live rclone backends each, their exporters on free
ports) scraped by a real Prometheus every 5 s; the fleet view reads it every 5 s (the default
refresh). Run through scripts/bench-fleet.sh. Standard library only; reuses tui_budget's Pty."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from tui_budget import BIN, Pty, first_frame, home_with, side_by_side, window  # noqa: E402


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_up(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"nothing answers on {port}")


def main():
    procs = []
    try:
        targets = []
        for _ in range(2):
            home = home_with(10)
            port = free_port()
            procs.append(subprocess.Popen([BIN, "--home", home, "metrics", "--listen", f"127.0.0.1:{port}"],
                                          stderr=subprocess.DEVNULL))
            wait_up(port)
            targets.append(f"'127.0.0.1:{port}'")
        work = tempfile.mkdtemp(prefix="fleet-budget-")
        with open(f"{work}/prometheus.yml", "w") as f:
            f.write("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: ipfs_kit\n"
                    f"    static_configs:\n      - targets: [{', '.join(targets)}]\n")
        prom_port = free_port()
        procs.append(subprocess.Popen(["prometheus", f"--config.file={work}/prometheus.yml",
                                       f"--storage.tsdb.path={work}/data",
                                       f"--web.listen-address=127.0.0.1:{prom_port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_up(prom_port)
        time.sleep(12)  # two scrapes
        url = f"http://127.0.0.1:{prom_port}"
        results = {}
        firsts = []
        for _ in range(5):
            ms, p = first_frame([BIN, "--fleet", url])
            firsts.append(ms)
            p.stop()
        results["first_frame_ms_median"] = round(statistics.median(firsts), 1)
        results["first_frame_ms_all"] = [round(x, 1) for x in firsts]
        fleet = Pty([BIN, "--fleet", url])
        htop = Pty(["htop"])
        time.sleep(6)
        deadline = time.monotonic() + 10
        while b"b0009" not in fleet.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        results["rows_listed"] = fleet.output().count(b"b00")
        results.update(side_by_side({"fleet": fleet, "htop": htop}, 20))
        fleet.write(b"p")
        time.sleep(1)
        results["paused_bytes_per_sec"] = round(window(fleet, 10)[0], 1)
        fleet.stop()
        htop.stop()
        print("fleet view budgets, pty 120x40, 2 hosts x 10 live backends, Prometheus scraping every 5 s")
        for key, value in results.items():
            print(f"  {key:28} {value}")
        print(json.dumps(results))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
