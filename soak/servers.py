"""The processes under test: the Bedrock emulator and the gateway under gunicorn+gevent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Ambient configuration that must not leak into the servers under test.
_AMBIENT = ("AWS_", "API_KEY", "DEFAULT_MODEL", "DEFAULT_EMBEDDING_MODEL", "MODEL_ALIASES", "DISABLE_AUTH")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gateway_environment(emulator_url: str, api_key: str, **extra: str) -> dict[str, str]:
    """A clean environment pointing the gateway's boto3 at the emulator."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(_AMBIENT)}
    env.update(
        {
            "API_KEY": api_key,
            "AWS_ACCESS_KEY_ID": "soak",
            "AWS_SECRET_ACCESS_KEY": "soak",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK": emulator_url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "ACCESS_LOG": "",
            "HOST": "127.0.0.1",
        }
    )
    env.update(extra)
    return env


class Server:
    """A child process whose stderr goes to a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path, stdout: bool = False
    ):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log if stdout else subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_up(self, path: str, deadline: float = 30.0) -> None:
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + path, timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {path} within {deadline:.0f} s")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait (gunicorn drains streams within graceful_timeout); SIGKILL after."""
        self.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def start_emulator(log_dir: Path, port: int | None = None) -> Server:
    """``python -m app.emulator`` (gevent server) on a free port."""
    port = port or free_port()
    argv = [sys.executable, "-m", "app.emulator", "--port", str(port)]
    server = Server("emulator", argv, gateway_environment("", ""), port, log_dir)
    server.wait_until_up("/_emulator/stats")
    return server


def start_gateway(
    env: dict[str, str], log_dir: Path, port: int | None = None, name: str = "gateway", stdout: bool = False
) -> Server:
    """The production command, ``gunicorn -c gunicorn.conf.py wsgi:app``, on a free port.

    Its stderr goes to the log; its stdout too with ``stdout``.
    """
    port = port or free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    server = Server(name, argv, {**env, "PORT": str(port)}, port, log_dir, stdout)
    server.wait_until_up("/health")
    return server
