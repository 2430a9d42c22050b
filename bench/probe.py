"""``python -m bench.probe PORT REQUEST INTERVAL``: time one request again and again, meanwhile.

It runs in a process of its own, so what it measures is the gateway's answer and not
the load client's event loop, which is busy reading every stream of the burst. Like a
load balancer's health checker it keeps one connection open: it connects, prints
``ready`` once a first answer came, then sends REQUEST (a loadgen request spec, JSON)
every INTERVAL seconds until its stdin closes, and prints
``[[seconds since ready, latency], ...]`` (latency ``null``: not a 200).
"""

from __future__ import annotations

import json
import select
import socket
import sys
import time

from bench.loadgen import encode


def ask(sock: socket.socket, request: bytes) -> bool:
    """Send ``request`` and read its whole (Content-Length) response; whether it was a 200."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or _closed()
    head, _, body = data.partition(b"\r\n\r\n")
    marker = head.lower().find(b"content-length:")
    length = int(head[marker + 15 :].split(b"\r\n", 1)[0]) if marker >= 0 else 0
    while len(body) < length:
        body += sock.recv(65536) or _closed()
    return head.startswith(b"HTTP/1.1 200")


def _closed() -> bytes:
    raise ConnectionError("the gateway closed the connection")


def main(port: int, spec: dict, interval: float) -> list[list[float | None]]:
    request = encode(port, spec)
    sock = socket.create_connection(("127.0.0.1", port))
    ask(sock, request)
    print("ready", flush=True)
    timings, start = [], time.perf_counter()
    while True:
        began = time.perf_counter()
        try:
            sock = sock or socket.create_connection(("127.0.0.1", port))
            ok = ask(sock, request)
        except OSError:
            ok, sock = False, None
        ended = time.perf_counter()
        timings.append([ended - start, ended - began if ok else None])
        if select.select([sys.stdin], [], [], interval)[0]:  # stdin readable: closed, time to stop
            return timings


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3]))))
