#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback stand-in for Pyroscope's POST /ingest, for the continuous-mode
tests: records each request (path, query, multipart parts) and answers 200.
Standard library only. As a script it prints one JSON line per request:

    python3 tests/integration/receiver.py PORT
"""

import email.parser
import email.policy
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_multipart(content_type, body):
    """{field name: bytes} of a multipart/form-data body."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        return {}
    return {part.get_param("name", header="content-disposition"):
            part.get_payload(decode=True) for part in msg.iter_parts()}


class Receiver:
    """Listens on 127.0.0.1:port from start() to stop(); .requests is the list
    of {"path", "query" (dict of single values), "content_type", "parts", "t",
    "auth", "status"}. statuses: the answers to the first requests (then 200),
    as an authenticating proxy in an outage would give them."""

    def __init__(self, port, statuses=()):
        self.port = port
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                url = urllib.parse.urlsplit(self.path)
                ctype = self.headers.get("Content-Type", "")
                req = {"path": url.path,
                       "query": dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
                       "content_type": ctype,
                       "parts": parse_multipart(ctype, body) if ctype.startswith("multipart/")
                       else {"": body},
                       "t": time.time(),
                       "auth": self.headers.get("Authorization")}
                with rec.lock:
                    req["status"] = rec.statuses.pop(0) if rec.statuses else 200
                    rec.requests.append(req)
                self.send_response(req["status"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self):
        with self.lock:
            return list(self.requests)


def main():
    rec = Receiver(int(sys.argv[1])).start()
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for r in rec.received()[seen:]:
                print(json.dumps({"path": r["path"], "query": r["query"],
                                  "parts": {k: len(v) for k, v in r["parts"].items()}}),
                      flush=True)
                seen += 1
    except KeyboardInterrupt:
        rec.stop()


if __name__ == "__main__":
    main()
