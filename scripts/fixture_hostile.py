#!/usr/bin/env python3
"""Backends that answer hostile, beside the same kinds answering as they should. Used by
scripts/bench-hostile.sh to measure what a hostile backend costs the engine's memory.

Standard library only; the well-behaved answers are scripts/fixture_backends.py's (its small
size). One loopback port per target: `KIND/ok` answers as the real API does, `KIND/hostile`
answers the kind's liveness call as it should where the kind has one worth keeping (so that the
backend stays up and is polled at the full rate, not backed off) and every other call in the
kind's hostile MODE:

  length   200 with Content-Length: 1 GiB, then bytes until the client hangs up
  chunked  200 chunked and endless: bytes for a whole-body call, for a streamed call (pin/ls)
           valid NDJSON lines, 64 KiB every 100 ms, for ever; for Kubo's swarm/peers (counted
           as it arrives) a valid peer list that never closes
  line     200 chunked and endless, one line that never ends (no newline)
  drip     200 chunked, one byte every 100 ms, for ever
  error    500 chunked and endless (the error body never ends)

  kind          liveness kept    mode
  ipfs          version          chunked
  ipfs_cluster  /health          line
  s3            HeadBucket       length   (Garage's admin API); chunked for the listing
  filecoin      Filecoin.Version drip
  huggingface   -                error    (down: the engine backs it off)
  rclone        -                length   (down: the engine backs it off)

Usage: fixture_hostile.py --ports-file FILE
The ports file ({"targets": {"ipfs/ok": PORT, "ipfs/hostile": PORT, ...}, "credentials": ...})
is written once every server listens. GET /__stats on any port counts requests per target and
call (fixture_backends' counters), hostile answers included.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ left in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_backends as fb  # noqa: E402

MODES = {
    "ipfs": "chunked",
    "ipfs_cluster": "line",
    "s3": "length",
    "filecoin": "drip",
    "huggingface": "error",
    "rclone": "length",
}
HUGE = 1 << 30
BLOCK = 64 * 1024
# What an endless answer is made of, built once so that sending costs the fixture little CPU.
FILLER = b"x" * BLOCK
FILLER_CHUNK = b"%x\r\n%s\r\n" % (len(FILLER), FILLER)
PIN_LINES = b"".join(
    json.dumps({"Cid": fb.cid("host", i), "Type": "recursive"}).encode() + b"\n"
    for i in range(BLOCK // 90)
)
PIN_CHUNK = b"%x\r\n%s\r\n" % (len(PIN_LINES), PIN_LINES)
# Kubo's peer list, valid and never closed: it can only be refused at its cap.
PEERS_START = b'{"Peers":['
PEER_ITEMS = b"".join(
    json.dumps({"Addr": f"/ip4/10.1.{i // 256 % 256}.{i % 256}/udp/4001/quic-v1", "Peer": f"12D3KooW{i:044d}",
                "Latency": "", "Muxer": "", "Direction": 0, "Streams": None}).encode() + b","
    for i in range(BLOCK // 160)
)
PEERS_CHUNK = b"%x\r\n%s\r\n" % (len(PEER_ITEMS), PEER_ITEMS)
LINE_START = b'{"id":"'
DRIP_EVERY = 0.1
# Streamed calls, which get NDJSON lines in `chunked` mode.
STREAMED = ("/api/v0/pin/ls", "/peers", "/pins")


class Hostile(fb.Handler):
    mode = "?"

    def liveness(self):
        """Whether this request is the kind's liveness call, which is answered as it should."""
        p = self.url_path
        if self.kind == "ipfs":
            return p == "/api/v0/version"
        if self.kind == "ipfs_cluster":
            return p == "/health"
        if self.kind == "s3":
            return self.method == "HEAD" and p.strip("/") == fb.BUCKET
        if self.kind == "filecoin":
            try:
                return json.loads(self.body or b"{}").get("method") == "Filecoin.Version"
            except ValueError:
                return False
        return False

    def dispatch(self, method):
        split = fb.urlsplit(self.path)
        self.method = method
        self.url_path = split.path
        self.query = fb.parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        if self.url_path == "/__stats" and method == "GET":
            return self.reply(200, json.dumps(fb.STATS.snapshot()).encode(), "application/json")
        if self.liveness():
            # The well-behaved answer, counted by the parent's own route.
            before = self.wfile.count
            self.items = 0
            self.status = 0
            op = getattr(self, "route_" + self.kind)()
            fb.STATS.add(self.target, op, self.status, self.wfile.count - before, 0)
            return
        before = self.wfile.count
        self.status = 0
        mode = self.mode
        if self.kind == "s3" and "list-type" in self.query:
            mode = "chunked"
        try:
            getattr(self, "hostile_" + mode)()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        # The client hung up (it always should): this connection is done.
        self.close_connection = True
        op = f"hostile {mode} {self.method} {self.url_path}"
        fb.STATS.add(self.target, op, self.status, self.wfile.count - before, 0)

    def head(self, status, headers):
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def hostile_length(self):
        self.head(200, [("Content-Length", str(HUGE))])
        sent = 0
        while sent < HUGE:
            self.wfile.write(FILLER)
            sent += len(FILLER)

    def hostile_chunked(self):
        self.head(200, [("Transfer-Encoding", "chunked")])
        if self.url_path in STREAMED:
            while True:
                self.wfile.write(PIN_CHUNK)
                self.wfile.flush()
                time.sleep(DRIP_EVERY)
        if self.url_path == "/api/v0/swarm/peers":
            self.wfile.write(b"%x\r\n%s\r\n" % (len(PEERS_START), PEERS_START))
            while True:
                self.wfile.write(PEERS_CHUNK)
        while True:
            self.wfile.write(FILLER_CHUNK)

    def hostile_line(self):
        self.head(200, [("Transfer-Encoding", "chunked")])
        self.wfile.write(b"%x\r\n%s\r\n" % (len(LINE_START), LINE_START))
        while True:
            self.wfile.write(FILLER_CHUNK)

    def hostile_drip(self):
        self.head(200, [("Transfer-Encoding", "chunked")])
        while True:
            self.wfile.write(b"1\r\n \r\n")
            time.sleep(DRIP_EVERY)

    def hostile_error(self):
        self.head(500, [("Transfer-Encoding", "chunked")])
        while True:
            self.wfile.write(FILLER_CHUNK)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports-file", required=True, help="where to write the ports (JSON) once ready")
    options = parser.parse_args()
    options.kubo_diag_healthy = False
    servers, ports = [], {}
    for kind in fb.KINDS:
        for variant in ("ok", "hostile"):
            target = f"{kind}/{variant}"
            base = fb.Handler if variant == "ok" else Hostile
            handler = type(f"Handler_{kind}_{variant}", (base,), {
                "target": target, "kind": kind, "data": fb.build(kind, "small"), "options": options,
                "mode": MODES[kind]})
            server = fb.Server(("127.0.0.1", 0), handler)
            servers.append(server)
            ports[target] = server.server_address[1]
            threading.Thread(target=server.serve_forever, name=target, daemon=True).start()

    def stop(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = options.ports_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"targets": ports, "modes": MODES,
                   "credentials": {"garage_admin_token": fb.GARAGE_ADMIN_TOKEN, "hf_token": fb.HF_TOKEN,
                                   "bucket": fb.BUCKET, "hf_repo": fb.HF_REPO},
                   "pid": os.getpid()}, f)
    os.replace(tmp, options.ports_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
