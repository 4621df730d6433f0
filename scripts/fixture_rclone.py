#!/usr/bin/env python3
"""A tiny stand-in for `rclone rcd` used by the benchmarks: answers core/version and
operations/about on one port, and on a second port accepts connections and never answers
(a hanging backend). Standard library only. Usage: fixture_rclone.py OK_PORT HANG_PORT"""
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if self.path == "/core/version":
            body = {"version": "v1.60.1-fixture", "os": "linux", "arch": "amd64"}
        elif self.path == "/operations/about":
            body = {"total": 1_000_000_000, "used": 250_000_000, "free": 750_000_000, "objects": 1234}
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def hang(port):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1024)
    held = []
    while True:
        conn, _ = server.accept()
        held.append((time.time(), conn))
        # Let go of connections after 60 s so the file descriptors stay bounded.
        now = time.time()
        while held and now - held[0][0] > 60:
            held.pop(0)[1].close()


if __name__ == "__main__":
    ok_port, hang_port = int(sys.argv[1]), int(sys.argv[2])
    threading.Thread(target=hang, args=(hang_port,), daemon=True).start()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", ok_port), Handler).serve_forever()
