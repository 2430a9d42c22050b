"""A ticking response under gevent: idle ticks while the origin is silent, the read timeout over the
whole silence, a changed tick taking effect at once, and nothing left behind once it is done.

Each case runs in a process of its own, monkey-patched as a gunicorn gevent worker is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import json, sys, time
import gevent
from gevent.server import StreamServer
from app.http_pool import Pool, ReadTimeout

HEAD = b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n"
case, read_timeout = sys.argv[1], float(sys.argv[2])

def handle(sock, _):
    sock.recv(65536)
    if case == "trickle":
        sock.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 6\\r\\n\\r\\nab")
        for part in (b"cd", b"ef"):
            gevent.sleep(0.15)
            sock.sendall(part)
        gevent.sleep(5)
    sock.sendall(HEAD + b"5\\r\\nhello\\r\\n")
    gevent.sleep(0.45)
    sock.sendall(b"5\\r\\nworld\\r\\n0\\r\\n\\r\\n")
    sock.recv(65536)  # a second request on the kept connection, answered after a pause
    gevent.sleep(0.3)
    sock.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    gevent.sleep(5)

server = StreamServer(("127.0.0.1", 0), handle)
server.start()
pool = Pool(f"http://127.0.0.1:{server.server_port}", 2, 1.0, read_timeout)
response = pool.post("/", {}, b"")
assert response.tick_every(0.1)
start, seen = time.monotonic(), []
if case == "trickle":
    print(json.dumps([[round(time.monotonic() - start, 2), response.read().decode()]]))
    sys.exit(0)
if case == "retick":
    def slower():
        gevent.sleep(0.05)
        response.tick_every(0.3)
    gevent.spawn(slower)
try:
    for part in response.chunks():
        seen.append([round(time.monotonic() - start, 2), part.decode()])
except ReadTimeout:
    seen.append([round(time.monotonic() - start, 2), "ReadTimeout"])
else:
    again = pool.post("/", {}, b"")
    seen.append([round(time.monotonic() - start, 2), again.read().decode()])
print(json.dumps(seen))
"""


def run(case: str, read_timeout: float) -> list[list]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, case, str(read_timeout)],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout)


def test_a_silence_is_filled_with_ticks_and_the_kept_connection_reads_on_without_one():
    seen = run("ticks", 5.0)
    parts = [part for _, part in seen]
    assert parts[0] == "hello"
    assert parts[1:5] == ["", "", "", ""]  # ticks at about 0.1, 0.2, 0.3, 0.4 s
    assert parts[5:] == ["world", "ok"]
    assert 0.07 <= seen[1][0] <= 0.2
    assert seen[-1][0] >= 0.7  # the second answer came after its own 0.3 s pause, untouched


def test_the_read_timeout_holds_for_the_whole_silence_ticks_included():
    seen = run("ticks", 0.25)
    assert [part for _, part in seen] == ["hello", "", "", "ReadTimeout"]
    assert 0.22 <= seen[-1][0] <= 0.35


def test_a_changed_tick_applies_to_the_read_already_waiting():
    seen = run("retick", 5.0)
    parts = [part for _, part in seen]
    assert parts == ["hello", "", "world", "ok"]  # one tick at 0.3 s instead of four at 0.1 s
    assert 0.25 <= seen[1][0] <= 0.4


def test_a_whole_body_trickling_in_longer_than_the_read_timeout_is_read_while_it_keeps_coming():
    seen = run("trickle", 0.25)  # 0.3 s in all, 0.15 s silences, ticks every 0.1 s
    assert [part for _, part in seen] == ["abcdef"]
