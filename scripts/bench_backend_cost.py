#!/usr/bin/env python3
"""What watching a backend costs the backend (and us): for every kind at two sizes, runs
`ipfs-kit-tui status --json` a few times against the fixture backends (examples/fixture_backends.rs;
a directory of files for `local`) and reports requests, response bytes, the items the server had to enumerate,
and our CPU per round, then per hour at the default settings. Standard library only.

Called by scripts/bench-backend-cost.sh, which builds the binary and starts the fixture:
  bench_backend_cost.py --bin BIN --ports-file FILE [--out FILE] [--rounds 6]
                        [--kinds local,ipfs,...] [--sizes small,large] [--local-root DIR]
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

KINDS = ["local", "ipfs", "ipfs_cluster", "s3", "s3+garage", "huggingface", "filecoin", "rclone"]
LOCAL_FILES = {"small": 1_000, "large": 100_000}
FILES_PER_DIR = 1_000
BACKEND_ID = "bench"
RUN_TIMEOUT = 180  # seconds for any one command of the binary
WALLET = "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za"


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Running the binary


def run(binary, home, args, timeout=RUN_TIMEOUT):
    """Runs the binary; returns (code, stdout, stderr, cpu seconds user+sys, wall seconds)."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("IPFS_KIT_HOME", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        done = subprocess.run([binary, "--home", home, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{' '.join(args)}` took more than {timeout} s")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, done.stdout, done.stderr, cpu, wall


def must(binary, home, args):
    code, out, err, _, _ = run(binary, home, args)
    if code != 0:
        raise BenchError(f"`ipfs-kit-tui {' '.join(args)}` exited {code}: {err.strip() or out.strip()}")
    return out


def make_home(binary, path, kind=None, sets=()):
    """A home holding only backend `bench` of `kind` (or nothing): the `local` backend a fresh
    home gets is removed."""
    if kind is None:
        must(binary, path, ["backend", "list"])
    else:
        args = ["backend", "add", BACKEND_ID, "--type", kind]
        for name, value in sets:
            args += ["--set", f"{name}={value}"]
        must(binary, path, args)
    listed = json.loads(must(binary, path, ["backend", "list", "--json"]) or "[]")
    ids = [b.get("id") for b in (listed if isinstance(listed, list) else listed.get("backends", []))]
    if "local" in ids:
        must(binary, path, ["backend", "remove", "local", "--yes"])
    return path


def fixture(ports, path, method="GET"):
    url = f"http://127.0.0.1:{next(iter(ports.values()))}{path}"
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


# ---------------------------------------------------------------------------------------------
# What each kind is given


def local_dir(root, size):
    """A directory of LOCAL_FILES[size] small files, created once and reused."""
    path = os.path.join(root, size)
    marker = os.path.join(root, f"{size}.complete")
    if os.path.exists(marker):
        return path
    shutil.rmtree(path, ignore_errors=True)
    n = LOCAL_FILES[size]
    started = time.monotonic()
    payload = b"ipfs-kit-tui bench file\n"
    for d in range((n + FILES_PER_DIR - 1) // FILES_PER_DIR):
        sub = os.path.join(path, f"d{d:04d}")
        os.makedirs(sub, exist_ok=True)
        for i in range(d * FILES_PER_DIR, min(n, (d + 1) * FILES_PER_DIR)):
            fd = os.open(os.path.join(sub, f"f{i:06d}"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, payload[: 8 + i % 16])
            os.close(fd)
    with open(marker, "w") as f:
        f.write(f"{n}\n")
    print(f"created {n:,} files in {path} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return path


def config(kind, size, ports, creds, local_root):
    def url(target):
        return f"http://127.0.0.1:{ports[f'{target}/{size}']}"
    if kind == "local":
        return "local", [("path", local_dir(local_root, size))]
    if kind == "ipfs":
        return "ipfs", [("api_url", url("ipfs"))]
    if kind == "ipfs_cluster":
        return "ipfs_cluster", [("api_url", url("ipfs_cluster"))]
    if kind in ("s3", "s3+garage"):
        sets = [("endpoint", url("s3")), ("region", "garage"), ("bucket", creds["bucket"]),
                ("access_key", "GKbench0123456789abcdef"), ("secret_key", "bench-secret-not-checked"),
                ("path_style", "true")]
        if kind == "s3+garage":
            sets += [("admin_url", url("s3")), ("admin_token", creds["garage_admin_token"])]
        return "s3", sets
    if kind == "huggingface":
        return "huggingface", [("repo_id", creds["hf_repo"]), ("repo_type", "model"),
                               ("endpoint", url("huggingface")), ("token", creds["hf_token"])]
    if kind == "filecoin":
        return "filecoin", [("api_url", url("filecoin") + "/rpc/v1"), ("wallet", WALLET)]
    if kind == "rclone":
        return "rclone", [("rc_url", url("rclone")), ("remote", "bench:")]
    raise BenchError(f"unknown kind {kind}")


def fixture_target(kind, size):
    if kind == "local":
        return None
    return f"{'s3' if kind == 's3+garage' else kind}/{size}"


# ---------------------------------------------------------------------------------------------
# Measuring


def status_round(binary, home):
    code, out, err, cpu, wall = run(binary, home, ["status", "--json"])
    if code not in (0, 1):
        raise BenchError(f"status --json exited {code}: {err.strip()}")
    try:
        report = json.loads(out)
    except ValueError as e:
        raise BenchError(f"status --json printed no JSON ({e}): {out[:200]!r} {err[:200]!r}")
    entry = next((b for b in report.get("backends", []) if b.get("id") == BACKEND_ID), None)
    return entry, cpu, wall


def describe(entry):
    if entry is None:
        return "no entry"
    health = (entry.get("health") or {})
    text = health.get("status", "?")
    files = entry.get("files") or {}
    if files.get("count") is not None:
        text += f", files {files['count']:,}"
        if files.get("partial"):
            text += " (partial)"
    walk = (entry.get("vital") or {}).get("walk_ms")
    if walk is not None:
        text += f", walk {walk} ms"
    if health.get("status") not in ("healthy",) and health.get("message"):
        text += f": {str(health['message'])[:120]}"
    return text


def has_inventory_command(binary):
    """Whether this binary has `backend inventory ID` (the new code); the old one has not."""
    out = subprocess.run([binary, "backend", "--help"], capture_output=True, text=True).stdout
    return any(line.strip().startswith("inventory") for line in out.splitlines())


def explicit_inventory(binary, workdir, kind, size, ports, creds, local_root):
    """One `backend inventory bench` on a fresh home of its own: requests, bytes, CPU."""
    kind_name, sets = config(kind, size, ports, creds, local_root)
    home = make_home(binary, os.path.join(workdir, f"inv-{kind.replace('+', '-')}-{size}"), kind_name, sets)
    target = fixture_target(kind, size)
    try:
        if target:
            fixture(ports, "/__reset", "POST")
        code, out, err, cpu, wall = run(binary, home, ["backend", "inventory", BACKEND_ID])
        stats = (fixture(ports, "/__stats")["targets"].get(target) if target else None) or \
            {"requests": 0, "bytes": 0, "items": 0, "ops": {}}
        first = (err.strip() or out.strip()).splitlines()
        return {"code": code, "cpu": cpu, "wall": wall, "stats": stats,
                "note": first[0][:100] if (code != 0 and first) else ""}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(binary, workdir, kind, size, ports, creds, local_root, rounds):
    kind_name, sets = config(kind, size, ports, creds, local_root)
    home = make_home(binary, os.path.join(workdir, f"{kind.replace('+', '-')}-{size}"), kind_name, sets)
    target = fixture_target(kind, size)
    results = []
    for number in range(1, rounds + 1):
        if target:
            fixture(ports, "/__reset", "POST")
        entry, cpu, wall = status_round(binary, home)
        # Every target is counted: a request to another one would be a bench bug.
        everything = fixture(ports, "/__stats")["targets"] if target else {}
        stats = everything.get(target)
        stray = {t: s["requests"] for t, s in everything.items() if t != target}
        results.append({"round": number, "entry": entry, "cpu": cpu, "wall": wall,
                        "stats": stats or {"requests": 0, "bytes": 0, "items": 0, "ops": {}},
                        "stray": stray})
    shutil.rmtree(home, ignore_errors=True)
    return results


# ---------------------------------------------------------------------------------------------
# Reporting


def human_bytes(n):
    if n is None:
        return "–"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def num(n, digits=0):
    if n is None:
        return "–"
    return f"{n:,.{digits}f}"


def mean(values):
    return statistics.fmean(values) if values else 0.0


def summarise(results, baseline_cpu, refresh, inventory_secs, inventory=None):
    first, rest = results[0], results[1:] or results[:1]
    pulse_req = mean([r["stats"]["requests"] for r in rest])
    pulse_bytes = mean([r["stats"]["bytes"] for r in rest])
    pulse_items = mean([r["stats"]["items"] for r in rest])
    pulse_cpu = mean([r["cpu"] for r in rest]) - baseline_cpu
    first_cpu = first["cpu"] - baseline_cpu
    per_hour_polls = 3600 / refresh
    # Only a binary with an inventory does extra work in round 1 that it will not repeat for
    # inventory_secs; the old one repeats everything every round.
    # The inventory's cost: an explicit `backend inventory` run when the binary has one and it
    # succeeded, else what round 1 (a fresh home: inventory due) cost beyond a pulse.
    if inventory_secs and inventory and inventory["code"] == 0:
        inv_req = inventory["stats"]["requests"]
        inv_bytes = inventory["stats"]["bytes"]
        inv_items = inventory["stats"]["items"]
        inv_cpu = max(0.0, inventory["cpu"] - baseline_cpu)
        inv_per_hour = 3600 / inventory_secs
    elif inventory_secs:
        inv_req = max(0.0, first["stats"]["requests"] - pulse_req)
        inv_bytes = max(0.0, first["stats"]["bytes"] - pulse_bytes)
        inv_items = max(0.0, first["stats"]["items"] - pulse_items)
        inv_cpu = max(0.0, first_cpu - pulse_cpu)
        inv_per_hour = 3600 / inventory_secs
    else:
        inv_req = inv_bytes = inv_items = inv_cpu = 0.0
        inv_per_hour = 0.0
    return {
        "r1_req": first["stats"]["requests"], "r1_bytes": first["stats"]["bytes"], "r1_cpu": first_cpu,
        "r1_items": first["stats"]["items"],
        "req": pulse_req, "bytes": pulse_bytes, "items": pulse_items, "cpu": pulse_cpu,
        "wall": mean([r["wall"] for r in rest]),
        "req_hour": pulse_req * per_hour_polls + inv_req * inv_per_hour,
        "bytes_hour": pulse_bytes * per_hour_polls + inv_bytes * inv_per_hour,
        "items_hour": pulse_items * per_hour_polls + inv_items * inv_per_hour,
        "cpu_hour": max(0.0, pulse_cpu) * per_hour_polls + inv_cpu * inv_per_hour,
        "result": describe(results[-1]["entry"]),
        "unhealthy": any((r["entry"] or {}).get("health", {}).get("status") != "healthy" for r in results),
        "stray": sum(sum(r["stray"].values()) for r in results),
        "inventory": inventory,
    }


def endpoint_rows(kind, size, results):
    ops = {}
    rest = results[1:] or results[:1]
    for r in results:
        for op in r["stats"]["ops"]:
            ops.setdefault(op, None)
    rows = []
    for op in sorted(ops):
        get = lambda r, key: r["stats"]["ops"].get(op, {}).get(key, 0)
        statuses = {}
        for r in results:
            for code, n in r["stats"]["ops"].get(op, {}).get("statuses", {}).items():
                statuses[code] = statuses.get(code, 0) + n
        rows.append([kind, size, f"`{op}`", num(get(results[0], "requests")),
                     num(mean([get(r, "requests") for r in rest]), 1),
                     human_bytes(mean([get(r, "bytes") for r in rest])),
                     num(mean([get(r, "items") for r in rest])),
                     " ".join(f"{c}×{n}" for c, n in sorted(statuses.items()))])
    return rows


def inventory_cells(inventory, baseline, local):
    if inventory is None:
        return ["–", "–", "–"]
    if inventory["code"] != 0:
        return [f"exit {inventory['code']}: {inventory['note']}", "–", "–"]
    return ["–" if local else num(inventory["stats"]["requests"]),
            "–" if local else human_bytes(inventory["stats"]["bytes"]),
            num((inventory["cpu"] - baseline) * 1000, 1)]


def table(headers, rows, align=None):
    align = align or ["---"] * len(headers)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def environment(binary, settings, baseline, fixture_info, rounds, inventory_key):
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    bindir = os.path.dirname(os.path.realpath(binary))
    git = lambda *a: subprocess.run(["git", "-C", bindir, *a], capture_output=True, text=True)
    commit = git("rev-parse", "--short=12", "HEAD").stdout.strip()
    if commit:
        subject = git("log", "-1", "--format=%s (%cd)", "--date=short").stdout.strip()
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
        commit = f"{commit}{'+dirty' if dirty else ''} {subject} — of the tree around the binary"
    else:
        commit = "(binary not inside a git checkout)"
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(binary)))
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    cpu_model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"- binary: `{binary}` — {version}; built {built}",
        f"- commit: {commit}",
        f"- machine: {os.cpu_count()} cores ({affinity} usable), {cpu_model}; {platform.system()} "
        f"{platform.release()}; load average at the end {load}; Python {platform.python_version()}",
        f"- settings (defaults of this binary): refresh_secs {settings.get('refresh_secs')}, "
        f"timeout_secs {settings.get('timeout_secs')}, "
        + (f"{inventory_key} {settings.get(inventory_key)}" if inventory_key
           else "no inventory setting (every round is a full one)"),
        f"- {rounds} `status --json` rounds per kind and size, each a fresh process; round 1 on a fresh home. "
        f"CPU is user+sys of that process minus an empty home's `status` round "
        f"({baseline * 1000:.1f} ms, mean of rounds 2-{rounds}).",
        f"- fixture: examples/fixture_backends.rs (ready in {fixture_info.get('build_secs', '?')} s); "
        f"sizes small/large: " + "; ".join(
            f"{k} {fixture_info['sizes']['small'][k]:,}/{fixture_info['sizes']['large'][k]:,}"
            for k in fixture_info["sizes"].get("small", {}) if "large" in fixture_info["sizes"])
        + f"; local files {LOCAL_FILES['small']:,}/{LOCAL_FILES['large']:,}",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--ports-file", required=True)
    parser.add_argument("--out")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--local-root", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-tui-bench-local"),
                        help="where the local kind's directories are created once and reused")
    opts = parser.parse_args()
    if not 2 <= opts.rounds <= 100:
        sys.exit("--rounds must be 2..100")
    kinds = [k for k in opts.kinds.split(",") if k]
    sizes = [s for s in opts.sizes.split(",") if s]
    for k in kinds:
        if k not in KINDS:
            sys.exit(f"unknown kind {k}; known: {', '.join(KINDS)}")
    binary = os.path.realpath(opts.bin)
    with open(opts.ports_file) as f:
        fixture_info = json.load(f)
    ports = fixture_info["targets"]
    creds = fixture_info["credentials"]
    started = time.monotonic()

    workdir = tempfile.mkdtemp(prefix="ikt-bench-")
    try:
        empty = make_home(binary, os.path.join(workdir, "empty"))
        settings = json.loads(must(binary, empty, ["settings", "get", "--json"]))
        refresh = int(settings.get("refresh_secs", 5))
        inventory_key = next((k for k in settings if "inventory" in k and isinstance(settings[k], int)), None)
        inventory_secs = int(settings[inventory_key]) if inventory_key else None
        empty_rounds = []
        for _ in range(opts.rounds):
            entry, cpu, wall = status_round(binary, empty)
            empty_rounds.append(cpu)
        baseline = mean(empty_rounds[1:])
        print(f"empty home: status CPU {', '.join(f'{c * 1000:.1f}' for c in empty_rounds)} ms",
              file=sys.stderr)

        with_inventory = has_inventory_command(binary)
        summaries, endpoints = [], []
        for kind in kinds:
            for size in sizes:
                t0 = time.monotonic()
                results = measure(binary, workdir, kind, size, ports, creds, opts.local_root, opts.rounds)
                inventory = (explicit_inventory(binary, workdir, kind, size, ports, creds, opts.local_root)
                             if with_inventory else None)
                s = summarise(results, baseline, refresh, inventory_secs, inventory)
                endpoints += endpoint_rows(kind, size, results)
                if inventory:
                    for op, e in inventory["stats"]["ops"].items():
                        endpoints.append([kind, size, f"`{op}` (`backend inventory`)", num(e["requests"]),
                                          "–", human_bytes(e["bytes"]), num(e["items"]),
                                          " ".join(f"{c}×{n}" for c, n in sorted(e["statuses"].items()))])
                summaries.append((kind, size, s))
                print(f"{kind}/{size}: {s['r1_req']} then {s['req']:.1f} requests/round, "
                      f"{human_bytes(s['bytes'])}/round, CPU {s['cpu'] * 1000:.1f} ms/round, "
                      f"{s['result']} ({time.monotonic() - t0:.1f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    inv_text = (f"+ the inventory's cost (an explicit `backend inventory` run on a fresh home when the binary "
                f"has that command, else round 1 − a later round) × 3600/{inventory_secs}" if inventory_secs
                else "(no inventory in this binary: every round is full)")
    later = f"2-{opts.rounds}"
    headers = ["kind", "size", "requests round 1", f"requests/round {later}", "bytes round 1",
               f"bytes/round {later}", f"server items/round {later}", "CPU ms round 1",
               f"CPU ms/round {later}", f"wall ms/round {later}"] + (
                  ["`backend inventory`: requests", "bytes", "CPU ms"] if with_inventory else []) + [
               "requests/hour", "bytes/hour", "server items/hour", "CPU s/hour",
               "last round"]
    align = ["---", "---"] + ["--:"] * (len(headers) - 3) + ["---"]
    rows = []
    for kind, size, s in summaries:
        local = kind == "local"
        rows.append([
            f"`{kind}`", size,
            "–" if local else num(s["r1_req"]), "–" if local else num(s["req"], 1),
            "–" if local else human_bytes(s["r1_bytes"]), "–" if local else human_bytes(s["bytes"]),
            "–" if local else num(s["items"]),
            num(s["r1_cpu"] * 1000, 1), num(s["cpu"] * 1000, 1), num(s["wall"] * 1000, 0),
        ] + (inventory_cells(s["inventory"], baseline, local) if with_inventory else []) + [
            "–" if local else num(s["req_hour"]), "–" if local else human_bytes(s["bytes_hour"]),
            "–" if local else num(s["items_hour"]), num(s["cpu_hour"], 1),
            ("⚠ " if s["unhealthy"] else "") + s["result"] + (f" ⚠ {s['stray']} stray requests" if s["stray"] else ""),
        ])
    elapsed = time.monotonic() - started
    text = "\n\n".join([
        "## Backend cost of watching (`scripts/bench-backend-cost.sh`)",
        environment(binary, settings, baseline, fixture_info, opts.rounds, inventory_key),
        f"Per hour at default settings = per-round figure of rounds 2-{opts.rounds} × 3600/{refresh} "
        f"{inv_text}. \"Server items\" = what the fixture had to enumerate to answer (pins streamed, blocks "
        "walked by `repo/stat` NumObjects, keys listed, tree entries, pins scanned by Cluster); for `local` the "
        "work is our own walk (CPU). Bytes = everything the fixture sent (headers, bodies, chunk framing).",
        table(headers, rows, align),
        "### Requests by endpoint",
        table(["kind", "size", "endpoint", "round 1", f"per round 2-{opts.rounds}", "bytes/round",
               "items/round", "statuses (all rounds)"], endpoints,
              ["---", "---", "---", "--:", "--:", "--:", "--:", "---"]),
        f"Bench took {elapsed:.0f} s.",
    ]) + "\n"
    print(text)
    if opts.out:
        os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
        with open(opts.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    # SIGTERM (the shell's trap) unwinds like Ctrl-C: the running binary is killed by
    # subprocess.run and the temporary homes are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except BenchError as e:
        sys.exit(f"bench failed: {e}")
