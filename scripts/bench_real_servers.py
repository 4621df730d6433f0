#!/usr/bin/env python3
"""What watching costs the real servers: Kubo, IPFS Cluster and the Versity S3 gateway (as
scripts/test.sh builds them into target/tools/), each at two sizes (100 and 10,000 pins or
objects), behind a counting proxy. Runs `ipfs-kit-tui status --json` several times on a fresh
home per server and size: round 1 is a pulse and an inventory, the later rounds pulses only (the
inventory is not due again for an hour). Prints a Markdown table: requests per pulse (every
pulse round must ask the same), per inventory, per hour at the default settings, and bytes.

    scripts/bench-backend-cost.sh --real [--rounds N] [--sizes 100,10000]

Standard library only; every server on 127.0.0.1, stopped on exit.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "target", "tools")
KUBO = os.path.join(TOOLS, "kubo", "ipfs")
CLUSTER = os.path.join(TOOLS, "ipfs-cluster", "ipfs-cluster-service")
VERSITY = os.path.join(TOOLS, "versitygw", "versitygw")
BACKEND_ID = "bench"
PROCESSES = []


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, limit=90):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{what}: not within {limit} s")


def post(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data or b"", method="POST", headers=headers or {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


def spawn(args, env, log):
    process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                               stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    PROCESSES.append(process)
    return process


# ---------------------------------------------------------------------------------------------
# The counting proxy: request lines from the client, bytes from the server.

class Proxy:
    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.requests = 0
        self.bytes = 0
        self.paths = {}
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return

        async def upward():
            pending = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    text = line.decode("latin-1").rstrip("\r")
                    if text.endswith(" HTTP/1.1") and text.split(" ", 1)[0] in (
                            "GET", "POST", "HEAD", "PUT", "DELETE"):
                        path = text.split(" ")[1].split("?")[0]
                        with self.lock:
                            self.requests += 1
                            self.paths[path] = self.paths.get(path, 0) + 1
                pending = pending[-8192:]
                up_writer.write(chunk)
                await up_writer.drain()
            up_writer.close()

        async def downward():
            while True:
                chunk = await up_reader.read(65536)
                if not chunk:
                    break
                with self.lock:
                    self.bytes += len(chunk)
                writer.write(chunk)
                await writer.drain()
            writer.close()

        await asyncio.gather(upward(), downward(), return_exceptions=True)

    def take(self):
        with self.lock:
            taken = (self.requests, self.bytes, dict(self.paths))
            self.requests, self.bytes, self.paths = 0, 0, {}
        return taken


# ---------------------------------------------------------------------------------------------
# The servers

def kubo(work, name):
    repo = os.path.join(work, name)
    env = dict(os.environ, IPFS_PATH=repo, IPFS_TELEMETRY="off", GOLOG_LOG_LEVEL="error")
    subprocess.run([KUBO, "init", "--profile=test", "--empty-repo"], env=env, check=True,
                   capture_output=True)
    with open(os.path.join(repo, "config")) as f:
        config = json.load(f)
    api = free_port()
    config["Addresses"]["API"] = f"/ip4/127.0.0.1/tcp/{api}"
    config["Addresses"]["Gateway"] = "/ip4/127.0.0.1/tcp/0"
    config["Addresses"]["Swarm"] = [f"/ip4/127.0.0.1/tcp/{free_port()}"]
    config["Bootstrap"] = []
    config["Discovery"]["MDNS"]["Enabled"] = False
    config["Routing"]["DelegatedRouters"] = []
    config["AutoConf"]["Enabled"] = False
    with open(os.path.join(repo, "config"), "w") as f:
        json.dump(config, f)
    spawn([KUBO, "daemon"], env, os.path.join(work, f"{name}.log"))
    url = f"http://127.0.0.1:{api}"
    wait_for("Kubo", lambda: post(f"{url}/api/v0/version")[0] == 200)
    return url, api, env


def kubo_pins(env, work, count, tag):
    """`count` distinct small files added without pinning, then pinned, each its own pin."""
    folder = os.path.join(work, f"files-{tag}")
    os.makedirs(folder)
    for i in range(count):
        with open(os.path.join(folder, f"f{i:06}"), "w") as f:
            f.write(f"{tag} file {i}\n")
    out = subprocess.run([KUBO, "add", "-r", "--pin=false", folder], env=env, check=True,
                         capture_output=True, text=True).stdout
    cids = [line.split()[1] for line in out.splitlines()
            if line.startswith("added ") and "/" in line.split(" ", 2)[2]]
    if len(cids) != count:
        raise BenchError(f"added {len(cids)} files, wanted {count}")
    for start in range(0, count, 500):
        subprocess.run([KUBO, "pin", "add", "--progress=false", *cids[start:start + 500]],
                       env=env, check=True, capture_output=True)
    return cids


def cluster(folder, kubo_port):
    env = dict(os.environ, IPFS_CLUSTER_PATH=folder, CLUSTER_SECRET="ab" * 32)
    subprocess.run([CLUSTER, "init", "--consensus", "crdt"], env=env, check=True,
                   capture_output=True)
    with open(os.path.join(folder, "service.json")) as f:
        config = json.load(f)
    tcp = lambda port: f"/ip4/127.0.0.1/tcp/{port}"
    rest = free_port()
    config["cluster"]["listen_multiaddress"] = [tcp(free_port())]
    config["cluster"]["mdns_interval"] = "0s"
    config["api"]["restapi"]["http_listen_multiaddress"] = tcp(rest)
    config["api"]["ipfsproxy"]["listen_multiaddress"] = tcp(free_port())
    config["api"]["ipfsproxy"]["node_multiaddress"] = tcp(kubo_port)
    config["api"]["pinsvcapi"]["http_listen_multiaddress"] = tcp(free_port())
    config["ipfs_connector"]["ipfshttp"]["node_multiaddress"] = tcp(kubo_port)
    config["observations"]["metrics"]["prometheus_endpoint"] = tcp(free_port())
    config["observations"]["tracing"]["jaeger_agent_endpoint"] = f"/ip4/127.0.0.1/udp/{free_port()}"
    with open(os.path.join(folder, "service.json"), "w") as f:
        json.dump(config, f)
    spawn([CLUSTER, "daemon"], env, os.path.join(folder, "daemon.log"))
    url = f"http://127.0.0.1:{rest}"
    wait_for("Cluster", lambda: urllib.request.urlopen(f"{url}/id", timeout=5).status == 200)
    return url, rest


def cluster_pins(url, cids):
    def pin(cid):
        post(f"{url}/pins/ipfs/{cid}")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pin, cids))

    def all_pinned():
        with urllib.request.urlopen(f"{url}/pins", timeout=120) as response:
            lines = [l for l in response.read().splitlines() if l.strip()]
        return len(lines) >= len(cids)
    wait_for(f"{len(cids)} cluster pins", all_pinned, limit=600)


def versity(work, sizes):
    root = os.path.join(work, "versity")
    for size in sizes:
        bucket = os.path.join(root, f"bench-{size}")
        os.makedirs(bucket)
        # The posix backend serves the directory's files as the bucket's objects.
        for i in range(size):
            with open(os.path.join(bucket, f"object-{i:06}"), "w") as f:
                f.write(f"object {i}\n")
    port = free_port()
    spawn([VERSITY, "--access", "bench-access", "--secret", "bench-secret", "--port",
           f"127.0.0.1:{port}", "--quiet", "posix", root], dict(os.environ),
          os.path.join(work, "versity.log"))
    wait_for("Versity", lambda: socket.create_connection(("127.0.0.1", port), 1).close() is None)
    return port


# ---------------------------------------------------------------------------------------------
# Measuring

def run_cli(binary, home, args):
    return subprocess.run([binary, "--home", home, *args], capture_output=True, text=True,
                          timeout=600)


def make_home(binary, work, name, kind, sets):
    home = os.path.join(work, f"home-{name}")
    os.makedirs(home)
    # A home holding only the bench backend: no `local` backend is created by `backend add`
    # once a backend exists, so add, then remove whatever else is there.
    result = run_cli(binary, home, ["backend", "add", BACKEND_ID, "--type", kind,
                                    *sum((["--set", s] for s in sets), [])])
    if result.returncode != 0:
        raise BenchError(f"backend add: {result.stderr.strip()}")
    listed = run_cli(binary, home, ["backend", "list", "--json"])
    for entry in json.loads(listed.stdout or "{}").get("backends", []):
        other = entry.get("id") if isinstance(entry, dict) else None
        if other and other != BACKEND_ID:
            run_cli(binary, home, ["backend", "remove", other, "--yes"])
    return home


def measure(binary, work, name, kind, sets, proxy, rounds):
    home = make_home(binary, work, name, kind, sets)
    proxy.take()
    results = []
    for number in range(1, rounds + 1):
        result = run_cli(binary, home, ["status", "--json"])
        report = json.loads(result.stdout)
        entry = next(b for b in report["backends"] if b["id"] == BACKEND_ID)
        requests, size, paths = proxy.take()
        results.append({"round": number, "requests": requests, "bytes": size, "paths": paths,
                        "health": entry["health"]["status"],
                        "files": (entry.get("files") or {}).get("count"),
                        "message": entry["health"].get("message")})
    shutil.rmtree(home, ignore_errors=True)
    return results


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--sizes", default="100,10000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for tool in (KUBO, CLUSTER, VERSITY):
        if not os.path.isfile(tool):
            raise BenchError(f"{tool} is missing: scripts/test.sh builds it")
    settings = json.loads(run_cli(args.bin, tempfile.mkdtemp(), ["settings", "get", "--json"]).stdout)
    refresh = int(settings.get("refresh_secs", 5))
    inventory_secs = int(settings.get("inventory_secs", 3600))
    work = tempfile.mkdtemp(prefix="ikt-bench-real.")
    rows = []
    try:
        versity_port = versity(work, sizes)
        versity_proxy = Proxy(versity_port)
        for size in sizes:
            # A node of its own per size, so that the small one holds only its pins.
            kubo_url, kubo_port, kubo_env = kubo(work, f"kubo-{size}")
            cids = kubo_pins(kubo_env, work, size, f"s{size}")
            kubo_proxy = Proxy(kubo_port)
            # One cluster peer per size, on that size's node.
            cluster_url, cluster_port = cluster(os.path.join(work, f"cluster-{size}"), kubo_port)
            plans = [("Kubo 0.43.1", "ipfs", [f"api_url=http://127.0.0.1:{kubo_proxy.port}"],
                      kubo_proxy, "pins")]
            cluster_pins(cluster_url, cids)
            cluster_proxy = Proxy(cluster_port)
            plans.append(("IPFS Cluster 1.1.6 (1 peer)", "ipfs_cluster",
                          [f"api_url=http://127.0.0.1:{cluster_proxy.port}"], cluster_proxy, "pins"))
            plans.append(("Versity 1.6.0", "s3",
                          [f"endpoint=http://127.0.0.1:{versity_proxy.port}", f"bucket=bench-{size}",
                           "access_key=bench-access", "secret_key=bench-secret",
                           "region=us-east-1", "path_style=true"], versity_proxy, "objects"))
            for label, kind, sets, proxy, unit in plans:
                results = measure(args.bin, work, f"{kind}-{size}", kind, sets, proxy, args.rounds)
                pulses = [r["requests"] for r in results[1:]]
                if len(set(pulses)) != 1:
                    raise BenchError(f"{label} at {size}: pulses asked {pulses}")
                pulse = pulses[0]
                inventory = results[0]["requests"] - pulse
                pulse_bytes = sum(r["bytes"] for r in results[1:]) / len(results[1:])
                inventory_bytes = max(0, results[0]["bytes"] - pulse_bytes)
                per_hour = pulse * 3600 / refresh + inventory * 3600 / inventory_secs
                bytes_hour = pulse_bytes * 3600 / refresh + inventory_bytes * 3600 / inventory_secs
                last = results[-1]
                rows.append([label, f"{size:,} {unit}", str(pulse), str(inventory),
                             f"{per_hour:,.0f}", human(pulse_bytes), human(bytes_hour),
                             f"{last['health']}, files {last['files']:,}" if last["files"] is not None
                             else last["health"]])
                print(f"  {label} at {size}: pulse {pulse} {sorted(results[-1]['paths'])}, "
                      f"inventory {inventory}", file=sys.stderr)
    finally:
        for process in PROCESSES:
            process.send_signal(signal.SIGKILL)
            process.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nrefresh {refresh} s, inventory every {inventory_secs} s; {args.rounds} rounds each\n")
    headers = ["server", "size", "requests / pulse", "requests / inventory", "requests / hour",
               "bytes / pulse", "bytes / hour", "last round"]
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
