"""The processes of a run: the emulator, gunicorn gateways, and the one-job client processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import cpu

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
API_KEY = "sk-bench"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
LOGS = Path(tempfile.mkdtemp(prefix="bench-logs-"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without ambient AWS or gateway settings, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BEDROCK_"))}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def get_json(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    if method == "POST":
        request.data = b""
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"{}")


class Server:
    """A server process on a port; ``stop()`` ends it and waits."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int = 0):
        self.name, self.port = name, port
        self.log = LOGS / f"{name}-{time.monotonic_ns()}.log"
        self.started = time.perf_counter()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until(self, ready, deadline: float = 30.0) -> None:
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {deadline:.0f} s:\n{self.tail()}")

    def tail(self, size: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-size:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Emulator(Server):
    """The emulator (``python -m app.emulator``, gevent server) in its own process."""

    def __init__(self):
        port = free_port()
        super().__init__("emulator", [PYTHON, "-m", "app.emulator", "--port", str(port)], clean_env(), port)
        self.wait_until(lambda: self.stats() is not None)

    def stats(self) -> dict:
        return get_json(self.url + "/_emulator/stats")[1]

    def calls(self) -> dict[str, int]:
        return self.stats()["calls"]

    def reset(self) -> None:
        get_json(self.url + "/_emulator/reset", "POST")


def gateway_env(emulator: Emulator, workers: int, connections: int, **extra: str) -> dict[str, str]:
    return clean_env(
        API_KEY=API_KEY,
        WEB_CONCURRENCY=str(workers),
        WORKER_CONNECTIONS=str(connections),
        BEDROCK_MAX_POOL_CONNECTIONS=str(connections),
        AWS_ENDPOINT_URL_BEDROCK=emulator.url,
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        ACCESS_LOG="",
        LOG_LEVEL="WARNING",
        HOST="127.0.0.1",
        **extra,
    )


class Gateway(Server):
    """``gunicorn -c gunicorn.conf.py wsgi:app`` (gevent workers) against the emulator."""

    def __init__(self, emulator: Emulator, workers: int, connections: int, **env: str):
        port = free_port()
        command = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
        environ = gateway_env(emulator, workers, connections, PORT=str(port), **env)
        super().__init__(f"gateway-{workers}w", command, environ, port)
        self.workers = workers
        self.wait_until(self.ready)

    def ready(self) -> bool:
        if get_json(self.url + "/health")[0] != 200:
            return False
        return len(self.worker_pids()) == self.workers

    def worker_pids(self) -> list[int]:
        return cpu.children(self.process.pid)

    def warm(self) -> None:
        """Every worker loads the model catalogue before anything is timed."""
        for _ in range(self.workers * 4):
            get_json(self.url + "/v1/models", headers=AUTH)


def run_job(module: str, job: dict, timeout: float = 300) -> dict:
    """Run ``python -m module`` with the job on stdin; its JSON answer."""
    done = subprocess.run(
        [PYTHON, "-m", module],
        cwd=ROOT,
        env=clean_env(),
        input=json.dumps(job).encode(),
        capture_output=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stderr.decode()[-3000:]}")
    return json.loads(done.stdout)
