"""A real Redis (Debian's ``redis-server``) on an ephemeral port in a temporary directory.

CI installs it (``.ci/run``); a test that needs it fails there when it is missing, and is
skipped only on a developer machine without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from app.local import free_port


class RedisServer:
    """One ``redis-server`` process: no persistence, loopback only; stop() and start() again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        argv += ["--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A fresh server for the length of a fixture."""
    require_redis_server()
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


def require_redis_server() -> None:
    if shutil.which("redis-server"):
        return
    message = "redis-server is not installed (apt-get install redis-server; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
