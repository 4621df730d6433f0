#!/usr/bin/env python3
"""Fixture servers that pose as every kind of backend ipfs-kit-tui watches, at two sizes, and
count what watching them costs: requests per endpoint, response bytes sent (status line, headers,
body and chunk framing) and the items each answer made the server enumerate (pins streamed,
blocks walked by repo/stat, keys listed, tree entries, ...). Used by scripts/bench-backend-cost.sh.

Standard library only. One process; one loopback port per (kind, size) target, named like
`ipfs/small`, `s3/large`. Every port also answers:
  GET  /__stats   counters of every target, as JSON
  POST /__reset   zeroes every counter

Usage: fixture_backends.py --ports-file FILE [--sizes small,large] [--kubo-diag-healthy]
The ports file ({"targets": {"ipfs/small": PORT, ...}, "sizes": {...}}) is written once every
answer is built, so its existence means ready.

Sizes ("large" is 100x "small"; lotus and rclone answer the same at both):
  ipfs          pins streamed by pin/ls (all recursive); NumObjects = 10 blocks per pin
  ipfs_cluster  pins in /pins (3 peers)
  s3            objects (ListObjectsV2, 1,000 keys a page, continuation tokens; signatures are
                not checked) plus Garage's admin API v2 on the same port (token checked)
  huggingface   files in the recursive tree of acme/widget (1,000 entries a page, Link rel=next)
"""
import argparse
import base64
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SIZES = {
    "small": {"kubo_pins": 1_000, "cluster_pins": 500, "s3_objects": 2_000, "hf_files": 300},
    "large": {"kubo_pins": 100_000, "cluster_pins": 50_000, "s3_objects": 200_000, "hf_files": 30_000},
}
KINDS = ["ipfs", "ipfs_cluster", "s3", "huggingface", "filecoin", "rclone"]

# Credentials the bench configures; only the ones real servers check cheaply are checked.
GARAGE_ADMIN_TOKEN = "bench-garage-admin-token"
HF_TOKEN = "hf_benchFixtureToken"
BUCKET = "bench"
HF_REPO = "acme/widget"
S3_PAGE = 1000
HF_PAGE = 1000
KUBO_BLOCKS_PER_PIN = 10
CHUNK = 32 * 1024

# ---------------------------------------------------------------------------------------------
# Counters


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.time()
        self.targets = {}

    def add(self, target, op, status, sent, items):
        with self.lock:
            ops = self.targets.setdefault(target, {})
            entry = ops.setdefault(op, {"requests": 0, "bytes": 0, "items": 0, "statuses": {}})
            entry["requests"] += 1
            entry["bytes"] += sent
            entry["items"] += items
            key = str(status)
            entry["statuses"][key] = entry["statuses"].get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            out = {}
            for target, ops in self.targets.items():
                out[target] = {
                    "requests": sum(e["requests"] for e in ops.values()),
                    "bytes": sum(e["bytes"] for e in ops.values()),
                    "items": sum(e["items"] for e in ops.values()),
                    "ops": json.loads(json.dumps(ops)),
                }
            return {"since": self.started, "targets": out}

    def reset(self):
        with self.lock:
            self.targets = {}
            self.started = time.time()


STATS = Stats()

# ---------------------------------------------------------------------------------------------
# Prebuilt answers (built once at start so a large answer costs the server little CPU and the
# probe's time budget is spent on the probe)


def chunked(body_lines):
    """A whole chunked body (lines batched into ~32 KiB chunks) and an empty trailer section."""
    out, buf = [], []
    size = 0
    for line in body_lines:
        buf.append(line)
        size += len(line)
        if size >= CHUNK:
            data = b"".join(buf)
            out.append(b"%x\r\n%s\r\n" % (len(data), data))
            buf, size = [], 0
    if buf:
        data = b"".join(buf)
        out.append(b"%x\r\n%s\r\n" % (len(data), data))
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def cid(prefix, n):
    # A CIDv1-looking string of realistic length (59 characters).
    return ("bafybei" + prefix + format(n, "x").rjust(52 - len(prefix), "a"))[:59]


def build_kubo(n_pins):
    lines = (json.dumps({"Cid": cid("pin", i), "Type": "recursive"}).encode() + b"\n" for i in range(n_pins))
    stream = chunked(lines)
    return {"pins": n_pins, "blocks": n_pins * KUBO_BLOCKS_PER_PIN, "stream": stream}


CLUSTER_PEERS = [
    ("12D3KooWBenchClusterPeerA" + "A" * 27, "cluster-a"),
    ("12D3KooWBenchClusterPeerB" + "B" * 27, "cluster-b"),
    ("12D3KooWBenchClusterPeerC" + "C" * 27, "cluster-c"),
]



# Kubo's provide/stat as a real Kubo 0.43.1 answers it (scripts/record-golden.sh keeps it).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "kubo",
                       "provide_stat.json")) as _golden:
    GOLDEN_PROVIDE_STAT = json.load(_golden)["answer"]


def cluster_peer(pid, name):
    ids = [p for p, _ in CLUSTER_PEERS]
    return {
        "id": pid, "addresses": [f"/ip4/127.0.0.1/tcp/9096/p2p/{pid}"], "cluster_peers": ids,
        "cluster_peers_addresses": None, "version": "1.1.6", "commit": "3c5c4f1",
        "rpc_protocol_version": "/ipfscluster/1.0/rpc", "error": "",
        "ipfs": {"id": "12D3KooWBenchKuboNode", "addresses": ["/ip4/127.0.0.1/tcp/4001"], "error": ""},
        "peername": name,
    }


def cluster_pin(i):
    (a, _), (b, _), (c, _) = CLUSTER_PEERS
    def status(peer, st):
        return {"peername": "", "ipfs_peer_id": "12D3KooWBenchKuboNode", "ipfs_peer_addresses": [],
                "status": st, "timestamp": "2025-07-28T10:11:12Z", "error": "",
                "attempt_count": 0, "priority_pin": False}
    return {"cid": cid("cl", i), "name": "", "allocations": [a, b], "origins": [],
            "created": "2025-07-28T10:00:00Z", "metadata": None,
            "peer_map": {a: status(a, "pinned"), b: status(b, "pinned"), c: status(c, "remote")}}


def build_cluster(n_pins):
    lines = (json.dumps(cluster_pin(i)).encode() + b"\n" for i in range(n_pins))
    return {
        "pins": n_pins,
        "pins_stream": chunked(lines),
        "peers_stream": chunked(json.dumps(cluster_peer(p, n)).encode() + b"\n" for p, n in CLUSTER_PEERS),
        "id": json.dumps(cluster_peer(*CLUSTER_PEERS[0])).encode(),
    }


def s3_key(i):
    return f"data/{i // 1000:04d}/object-{i:07d}.bin"


def s3_size(i):
    return 1_000 + (i * 7919) % 1_000_000


def s3_contents(i):
    return (f"<Contents><Key>{s3_key(i)}</Key><LastModified>2025-07-28T10:11:12.000Z</LastModified>"
            f"<ETag>&quot;{i:032x}&quot;</ETag><Size>{s3_size(i)}</Size>"
            f"<StorageClass>STANDARD</StorageClass></Contents>")


def s3_page_xml(n_objects, start, max_keys):
    end = min(n_objects, start + max_keys)
    truncated = end < n_objects
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        f"<Name>{BUCKET}</Name><Prefix></Prefix><KeyCount>{end - start}</KeyCount>",
        f"<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{'true' if truncated else 'false'}</IsTruncated>",
    ]
    parts.extend(s3_contents(i) for i in range(start, end))
    if truncated:
        parts.append(f"<NextContinuationToken>{s3_token(end)}</NextContinuationToken>")
    parts.append("</ListBucketResult>")
    return "".join(parts).encode(), end - start


def s3_token(offset):
    return base64.urlsafe_b64encode(f"bench-offset:{offset}".encode()).decode()


def s3_offset(token):
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("bench-offset:"):
            return int(text.split(":", 1)[1])
    except Exception:
        pass
    return None


def build_s3(n_objects):
    pages = {}
    for start in range(0, max(n_objects, 1), S3_PAGE):
        pages[start] = s3_page_xml(n_objects, start, S3_PAGE)
    return {"objects": n_objects, "bytes": sum(s3_size(i) for i in range(n_objects)), "pages": pages}


def hf_entries(n_files):
    """The recursive tree: a directory every 100 files, files inside; every 10th file is LFS."""
    entries = []
    for i in range(n_files):
        if i % 100 == 0:
            d = f"shard-{i // 100:04d}"
            entries.append({"type": "directory", "oid": f"{i:040x}", "size": 0, "path": d})
        path = f"shard-{i // 100:04d}/part-{i:06d}.bin"
        entry = {"type": "file", "oid": f"{i + 1:040x}", "size": 1_000 + i, "path": path}
        if i % 10 == 0:
            entry["size"] = 134
            entry["lfs"] = {"oid": f"{i:064x}", "size": 50_000_000 + i, "pointerSize": 134}
        entries.append(entry)
    return entries


def build_hf(n_files):
    entries = hf_entries(n_files)
    used = sum((e.get("lfs") or {}).get("size", e["size"]) for e in entries)
    pages = {}
    for start in range(0, max(len(entries), 1), HF_PAGE):
        pages[start] = json.dumps(entries[start:start + HF_PAGE]).encode()
    top = [e for e in entries if "/" not in e["path"]]
    return {"files": n_files, "entries": len(entries), "used": used, "pages": pages,
            "top": json.dumps(top).encode(), "top_count": len(top)}


def build(kind, size):
    s = SIZES[size]
    if kind == "ipfs":
        return build_kubo(s["kubo_pins"])
    if kind == "ipfs_cluster":
        return build_cluster(s["cluster_pins"])
    if kind == "s3":
        return build_s3(s["s3_objects"])
    if kind == "huggingface":
        return build_hf(s["hf_files"])
    return {}


# ---------------------------------------------------------------------------------------------
# HTTP


class CountingWriter:
    def __init__(self, inner):
        self.inner = inner
        self.count = 0

    def write(self, data):
        self.count += len(data)
        return self.inner.write(data)

    def flush(self):
        return self.inner.flush()

    def close(self):
        return self.inner.close()

    @property
    def closed(self):
        return self.inner.closed


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-fixture"
    # Headers and body go out in separate writes: without this, Nagle and delayed ACKs add
    # 40 ms stalls that real servers do not have.
    disable_nagle_algorithm = True
    target = "?"
    kind = "?"
    data = {}
    options = None

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.wfile = CountingWriter(self.wfile)

    def log_message(self, *args):
        pass

    # -- plumbing --------------------------------------------------------------------------

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        split = urlsplit(self.path)
        self.method = method
        self.url_path = split.path
        self.query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        if self.url_path == "/__stats" and method == "GET":
            return self.reply(200, json.dumps(STATS.snapshot()).encode(), "application/json")
        if self.url_path == "/__reset" and method == "POST":
            STATS.reset()
            return self.reply(204, b"")
        before = self.wfile.count
        self.items = 0
        self.status = 0
        op = "?"
        try:
            op = getattr(self, "route_" + self.kind)()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        STATS.add(self.target, op, self.status, self.wfile.count - before, self.items)

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def reply(self, status, body, content_type=None, headers=()):
        self.status = status
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.method != "HEAD" and body:
            self.wfile.write(body)

    def json(self, status, value, headers=()):
        self.reply(status, json.dumps(value).encode(), "application/json", headers)

    def text(self, status, text):
        self.reply(status, text.encode(), "text/plain; charset=utf-8")

    def stream(self, body, headers=()):
        """A prebuilt chunked body (NDJSON as Kubo and Cluster stream it)."""
        self.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Trailer", "X-Stream-Error")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(body)

    def not_found(self):
        self.text(404, "404 page not found")
        return f"404 {self.method} {self.url_path}"

    # -- Kubo RPC ---------------------------------------------------------------------------

    def route_ipfs(self):
        if not self.url_path.startswith("/api/v0/"):
            if self.url_path == "/debug/metrics/prometheus" and self.method == "GET":
                self.reply(200, b"# HELP ipfs_info\nipfs_info{version=\"0.32.1\"} 1\n", "text/plain; version=0.0.4")
                return "GET /debug/metrics/prometheus"
            return self.not_found()
        cmd = self.url_path[len("/api/v0/"):]
        if self.headers.get("Origin"):
            self.text(403, "403 - Forbidden")
            return f"403 {cmd} (Origin)"
        if self.method != "POST":
            self.text(405, "405 - Method Not Allowed")
            return f"405 {self.method} {cmd}"
        d = self.data
        if cmd == "version":
            self.json(200, {"Version": "0.32.1", "Commit": "904a5a5", "Repo": "16",
                            "System": "amd64/linux", "Golang": "go1.23.3"})
        elif cmd == "id":
            pid = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"
            self.json(200, {"ID": pid, "PublicKey": "CAESIHb1Qm0tZXN0LWtleQ==",
                            "Addresses": [f"/ip4/127.0.0.1/tcp/4001/p2p/{pid}"],
                            "AgentVersion": "kubo/0.32.1/904a5a5",
                            "Protocols": ["/ipfs/bitswap/1.2.0", "/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"]})
        elif cmd == "repo/stat":
            size_only = self.arg("size-only") in ("true", "1")
            if not size_only:
                self.items = d["blocks"]  # NumObjects walks every block of the repo
            self.json(200, {"RepoSize": d["blocks"] * 262_144, "StorageMax": 10_000_000_000_000,
                            "NumObjects": 0 if size_only else d["blocks"],
                            "RepoPath": "/data/ipfs", "Version": "fs-repo@16"})
            return "repo/stat?size-only" if size_only else "repo/stat (walks every block)"
        elif cmd == "stats/bw":
            self.reply(200, b'{"TotalIn":13869129,"TotalOut":8120401,"RateIn":191.88,"RateOut":13.78}',
                       "application/json")
        elif cmd == "swarm/peers":
            # As Kubo 0.43 lists them without flags (tests/golden/kubo/swarm_peers.json).
            identify = {"ID": "", "PublicKey": "", "Addresses": None, "AgentVersion": "", "Protocols": None}
            peers = [{"Addr": f"/ip4/10.0.0.{i}/tcp/4001", "Peer": f"12D3KooWPeer{i:040d}",
                      "Identify": identify} for i in range(2, 10)]
            self.json(200, {"Peers": peers})
        elif cmd == "provide/stat":
            # The recorded answer of a real Kubo 0.43.1 (constant size, whatever the node holds).
            self.json(200, GOLDEN_PROVIDE_STAT)
        elif cmd == "pin/ls":
            self.items = d["pins"]
            kind = self.arg("type", "all")
            if self.arg("stream") == "true":
                self.stream(d["stream"], [("X-Chunked-Output", "1")])
                return f"pin/ls?stream=true&type={kind}"
            keys = {cid("pin", i): {"Type": "recursive"} for i in range(d["pins"])}
            self.json(200, {"Keys": keys})
            return f"pin/ls?type={kind} (one object)"
        elif cmd == "diag/healthy" and self.options.kubo_diag_healthy:
            self.json(200, "ok")
        else:
            # Kubo answers an unknown command with its router's plain 404.
            self.text(404, "404 page not found")
            return f"404 {cmd}"
        return cmd

    # -- IPFS Cluster REST ------------------------------------------------------------------

    def route_ipfs_cluster(self):
        d = self.data
        if self.method != "GET":
            self.json(405, {"code": 405, "message": "method not allowed"})
            return f"405 {self.method} {self.url_path}"
        p = self.url_path
        if p == "/health":
            self.reply(204, b"")
        elif p == "/version":
            self.json(200, {"version": "1.1.6"})
        elif p == "/id":
            self.reply(200, d["id"], "application/json")
        elif p == "/peers":
            self.stream(d["peers_stream"])
        elif p == "/pins":
            self.items = d["pins"]  # Cluster walks its whole pinset to answer, filtered or not
            wanted = self.arg("filter")
            if wanted is None or {"pinned", "remote"} & set(wanted.split(",")):
                self.stream(d["pins_stream"])
            else:
                self.status = 204
                self.send_response(204)
                self.end_headers()
            return f"/pins?filter={wanted}" if wanted is not None else "/pins"
        elif p == "/monitor/metrics/freespace":
            now = time.time_ns()
            self.json(200, [{"name": "freespace", "peer": pid, "value": str(50_000_000_000 - i),
                             "expire": now + 30_000_000_000, "valid": True, "weight": 0,
                             "partitionable": False, "received_at": now}
                            for i, (pid, _) in enumerate(CLUSTER_PEERS)])
        elif p == "/health/alerts":
            # No peer has gone quiet.
            self.json(200, [])
        elif p == "/monitor/metrics":
            self.json(200, ["freespace", "ping", "tag:group"])
        else:
            return self.not_found()
        return p

    # -- S3 and Garage's admin API ----------------------------------------------------------

    def route_s3(self):
        d = self.data
        p = self.url_path
        if p.startswith("/v2/") or p in ("/health", "/metrics"):
            return self.garage_admin(p)
        bucket = p.strip("/").split("/", 1)[0]
        if bucket != BUCKET:
            self.reply(404, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
                            b"<Message>The specified bucket does not exist</Message></Error>", "application/xml")
            return f"404 {self.method} {p}"
        if "/" in p.strip("/"):
            # An object: HEAD/GET of one key.
            self.reply(200, b"" if self.method == "HEAD" else b"x" * 16, "application/octet-stream")
            return f"{self.method} object"
        if self.method == "HEAD":
            self.reply(200, b"", headers=[("x-amz-bucket-region", "garage")])
            return "HeadBucket"
        if self.method != "GET":
            self.reply(405, b"<Error><Code>MethodNotAllowed</Code></Error>", "application/xml")
            return f"405 {self.method}"
        if "location" in self.query:
            self.reply(200, b'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">garage</LocationConstraint>',
                       "application/xml")
            return "GetBucketLocation"
        try:
            max_keys = max(0, min(1000, int(self.arg("max-keys", "1000"))))
        except ValueError:
            max_keys = 1000
        token = self.arg("continuation-token")
        start = 0
        if token is not None:
            start = s3_offset(token)
            if start is None:
                self.reply(400, b"<Error><Code>InvalidArgument</Code><Message>The continuation token "
                                b"provided is incorrect</Message></Error>", "application/xml")
                return "400 ListObjectsV2 (bad token)"
        cached = d["pages"].get(start) if max_keys == S3_PAGE else None
        body, count = cached if cached else s3_page_xml(d["objects"], start, max_keys)
        self.items = count
        self.reply(200, body, "application/xml")
        if self.arg("list-type") == "2":
            return f"ListObjectsV2 max-keys={max_keys}"
        return f"ListObjects(v1) max-keys={max_keys}"

    def garage_admin(self, p):
        d = self.data
        if p == "/health":
            self.text(200, "Garage is fully operational")
            return "admin /health"
        if self.headers.get("Authorization") != f"Bearer {GARAGE_ADMIN_TOKEN}":
            self.json(403, {"code": "Forbidden", "message": "Forbidden: Invalid authorization token",
                            "region": "garage", "path": p})
            return f"admin 403 {p}"
        if p == "/v2/GetBucketInfo":
            if self.arg("globalAlias") != BUCKET and self.arg("id") is None:
                self.json(404, {"code": "NoSuchBucket", "message": "Bucket not found", "region": "garage", "path": p})
                return "admin 404 GetBucketInfo"
            self.json(200, {
                "id": "b1c2d3e4" * 8, "created": "2025-07-28T10:00:00.000Z", "globalAliases": [BUCKET],
                "websiteAccess": False, "websiteConfig": None,
                "keys": [{"accessKeyId": "GKbench", "name": "bench",
                          "permissions": {"read": True, "write": True, "owner": True}, "bucketLocalAliases": []}],
                "objects": d["objects"], "bytes": d["bytes"], "unfinishedUploads": 0,
                "unfinishedMultipartUploads": 0, "unfinishedMultipartUploadParts": 0,
                "unfinishedMultipartUploadBytes": 0,
                "quotas": {"maxSize": None, "maxObjects": None}})
            return "admin GetBucketInfo"
        if p == "/v2/GetClusterHealth":
            self.json(200, {"status": "healthy", "knownNodes": 1, "connectedNodes": 1, "storageNodes": 1,
                            "storageNodesUp": 1, "partitions": 256, "partitionsQuorum": 256,
                            "partitionsAllOk": 256})
            return "admin GetClusterHealth"
        if p == "/v2/GetClusterStatus":
            self.json(200, {"layoutVersion": 1, "nodes": [{
                "id": "a1b2c3d4e5f60718" * 4, "isUp": True, "hostname": "bench", "addr": "127.0.0.1:3901",
                "garageVersion": "v2.5.0", "lastSeenSecsAgo": None, "draining": False,
                "role": {"zone": "dc1", "capacity": 1_000_000_000_000, "tags": []},
                "dataPartition": {"available": 600_000_000_000, "total": 1_000_000_000_000},
                "metadataPartition": {"available": 600_000_000_000, "total": 1_000_000_000_000},
                "resyncQueueLen": 0}]})
            return "admin GetClusterStatus"
        if p == "/v2/GetNodeStatistics":
            self.json(200, {"success": {"a1b2c3d4e5f60718" * 4: {
                "freeform": "", "tableStats": [],
                "blockManagerStats": {"rcEntries": 0, "resyncQueueLen": 0, "resyncErrors": 0}}},
                "error": {}})
            return "admin GetNodeStatistics"
        if p == "/metrics":
            self.reply(200, b"api_s3_request_counter{api_endpoint=\"ListObjectsV2\"} 1\n", "text/plain")
            return "admin /metrics"
        self.json(404, {"code": "NotFound", "message": "unknown admin endpoint", "region": "garage", "path": p})
        return f"admin 404 {p}"

    # -- Hugging Face Hub -------------------------------------------------------------------

    def route_huggingface(self):
        d = self.data
        auth = self.headers.get("Authorization")
        if auth is not None and auth != f"Bearer {HF_TOKEN}":
            self.json(401, {"error": "Invalid credentials in Authorization header"})
            return "401 bad token"
        if self.method != "GET":
            self.json(405, {"error": "method not allowed"})
            return f"405 {self.method} {self.url_path}"
        p = self.url_path
        if p == "/api/whoami-v2":
            if auth is None:
                self.json(401, {"error": "Invalid username or password."})
            else:
                self.json(200, {"type": "user", "name": "alice", "fullname": "Alice A.", "orgs": [{"name": "acme"}],
                                "auth": {"type": "access_token",
                                         "accessToken": {"displayName": "bench", "role": "read"}}})
            return "whoami-v2 (rate limited)"
        base = f"/api/models/{HF_REPO}"
        if not p.startswith(base):
            self.json(404, {"error": "Repository Not Found"}, [("X-Error-Code", "RepoNotFound")])
            return f"404 {p}"
        rest = p[len(base):]
        if rest in ("", "/revision/main"):
            info = {"_id": "66a1b2c3d4e5f60718293a4b", "id": HF_REPO, "sha": "3f2a9c1be4d5a6f7081920a1b2c3d4e5f6a7b8c9",
                    "private": True, "gated": False, "lastModified": "2025-07-28T10:11:12.000Z",
                    "usedStorage": d["used"]}
            expand = self.query.get("expand")
            if expand:
                out = {"_id": info["_id"], "id": info["id"]}
                out.update({k: info[k] for k in expand if k in info})
                self.json(200, out)
                return "repo info ?expand"
            # Without expand the Hub lists every file as siblings: it grows with the repository.
            info["siblings"] = [{"rfilename": f"shard-{i // 100:04d}/part-{i:06d}.bin"} for i in range(d["files"])]
            self.items = d["files"]
            self.json(200, info)
            return "repo info (with siblings)"
        if rest == "/tree/main":
            if self.arg("recursive") not in ("true", "1", "True"):
                self.items = d["top_count"]
                self.reply(200, d["top"], "application/json")
                return "tree (top level)"
            start = 0
            cursor = self.arg("cursor")
            if cursor is not None:
                try:
                    start = int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
                except Exception:
                    self.json(400, {"error": "Invalid cursor"})
                    return "400 tree (bad cursor)"
            body = d["pages"].get(start)
            if body is None:
                body = b"[]"
            end = min(start + HF_PAGE, d["entries"])
            self.items = max(0, end - start)
            headers = []
            if end < d["entries"]:
                host = self.headers.get("Host", "127.0.0.1")
                token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
                headers.append(("Link", f'<http://{host}{p}?recursive=true&cursor={token}>; rel="next"'))
            self.reply(200, body, "application/json", headers)
            return "tree?recursive=true (page)"
        if rest.startswith("/tree/") or rest.startswith("/revision/"):
            self.json(404, {"error": "Invalid rev id"}, [("X-Error-Code", "RevisionNotFound")])
            return f"404 {rest}"
        self.json(404, {"error": "Sorry, we can't find the page you are looking for."})
        return f"404 {p}"

    # -- Lotus JSON-RPC ---------------------------------------------------------------------

    def route_filecoin(self):
        p = self.url_path
        if self.method == "GET" and p in ("/health/livez", "/health/readyz"):
            self.text(200, "")
            return p
        if not (self.method == "POST" and p == "/rpc/v1"):
            self.text(404, "404 page not found\n")
            return f"404 {self.method} {p}"
        try:
            req = json.loads(self.body or b"{}")
        except ValueError:
            self.json(500, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
            return "rpc parse error"
        rid = req.get("id")
        method = req.get("method", "")
        now = int(time.time())
        if method == "Filecoin.Version":
            result = {"Version": "1.28.1+mainnet+git.2d5a7c9", "APIVersion": 131840, "BlockDelay": 30, "Agent": "lotus"}
        elif method == "Filecoin.ChainHead":
            height = 4_200_000 + now // 30
            block = {"Miner": "f01234", "Ticket": {"VRFProof": "kQ=="}, "Parents": [{"/": "bafy2bzaceparent"}],
                     "ParentWeight": "98765432109", "Height": height, "Timestamp": now - 45,
                     "ParentBaseFee": "100", "ForkSignaling": 0}
            result = {"Cids": [{"/": "bafy2bzacea"}], "Blocks": [block], "Height": height}
        elif method == "Filecoin.WalletBalance":
            result = "1500000000000000000"
        elif method == "Filecoin.SyncState":
            result = {"ActiveSyncs": [], "VMApplied": 0}
        elif method == "Filecoin.ChainHeadHeight" or method == "Filecoin.NetPeers":
            result = []
        else:
            self.json(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"method '{method}' not found"}})
            return f"rpc {method} (not found)"
        self.json(200, {"jsonrpc": "2.0", "result": result, "id": rid})
        return f"rpc {method}"

    # -- rclone rcd -------------------------------------------------------------------------

    def route_rclone(self):
        p = self.url_path
        if self.method != "POST":
            self.json(405, {"error": "method not allowed", "status": 405})
            return f"405 {self.method} {p}"
        if p == "/core/version":
            self.json(200, {"version": "v1.60.1-bench", "decomposed": [1, 60, 1], "isGit": False, "isBeta": False,
                            "os": "linux", "arch": "amd64", "goVersion": "go1.19.4", "linking": "static",
                            "goTags": "none"})
        elif p == "/operations/about":
            self.json(200, {"total": 1_000_000_000_000, "used": 250_000_000_000, "free": 750_000_000_000,
                            "trashed": 0, "other": 0, "objects": 123_456})
        elif p == "/core/stats":
            self.json(200, {"bytes": 0, "checks": 0, "deletes": 0, "elapsedTime": 12.5, "errors": 0,
                            "fatalError": False, "renames": 0, "retryError": False, "speed": 0,
                            "totalBytes": 0, "totalChecks": 0, "totalTransfers": 0, "transferTime": 0,
                            "transfers": 0})
        elif p == "/rc/noop":
            self.json(200, json.loads(self.body or b"{}"))
        else:
            self.json(404, {"error": "couldn't find method", "input": {}, "path": p.lstrip("/"), "status": 404})
            return f"404 {p}"
        return p


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports-file", required=True, help="where to write the ports (JSON) once ready")
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--kubo-diag-healthy", action="store_true",
                        help="answer Kubo's diag/healthy (v0.42+); by default it is a 404 as on older nodes")
    options = parser.parse_args()
    sizes = [s for s in options.sizes.split(",") if s]
    kinds = [k for k in options.kinds.split(",") if k]
    for s in sizes:
        if s not in SIZES:
            sys.exit(f"unknown size {s!r}; known: {', '.join(SIZES)}")
    for k in kinds:
        if k not in KINDS:
            sys.exit(f"unknown kind {k!r}; known: {', '.join(KINDS)}")

    started = time.time()
    servers, ports = [], {}
    for kind in kinds:
        for size in sizes:
            target = f"{kind}/{size}"
            handler = type(f"Handler_{kind}_{size}", (Handler,), {
                "target": target, "kind": kind, "data": build(kind, size), "options": options})
            server = Server(("127.0.0.1", 0), handler)
            servers.append(server)
            ports[target] = server.server_address[1]
            threading.Thread(target=server.serve_forever, name=target, daemon=True).start()

    def stop(*_):
        # Nothing to flush or release: leave at once (shutting 12 servers down one by one
        # takes seconds).
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = options.ports_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"targets": ports, "sizes": {s: SIZES[s] for s in sizes},
                   "credentials": {"garage_admin_token": GARAGE_ADMIN_TOKEN, "hf_token": HF_TOKEN,
                                   "bucket": BUCKET, "hf_repo": HF_REPO},
                   "pid": os.getpid(), "build_secs": round(time.time() - started, 2)}, f)
    os.replace(tmp, options.ports_file)
    # Serve until signalled; bounded by nothing else on purpose (the bench's trap ends us).
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
