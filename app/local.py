"""``python -m app.local``: the gateway under gunicorn+gevent, backed by the built-in emulator.

For trying the gateway with no AWS account. It starts the Bedrock emulator on a free
port, points the standard AWS endpoint variables at it, then runs the production
server command. Set ``BEDROCK=aws`` to use the real Bedrock that your AWS
configuration names instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

LOCAL_KEY = "sk-local-bedrock-gateway"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, deadline: float = 30.0) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start within {deadline:.0f} s")


def emulator_environment(env: dict[str, str], port: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"
    return {
        **env,
        "AWS_ENDPOINT_URL_BEDROCK": url,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        "AWS_ACCESS_KEY_ID": env.get("AWS_ACCESS_KEY_ID", "emulator"),
        "AWS_SECRET_ACCESS_KEY": env.get("AWS_SECRET_ACCESS_KEY", "emulator"),
        "AWS_REGION": env.get("AWS_REGION", "us-east-1"),
    }


def banner(port: str, key: str, emulated: bool) -> str:
    backend = "the built-in Bedrock emulator" if emulated else "Amazon Bedrock"
    return (
        f"\nBedrock Gateway on http://localhost:{port}, backed by {backend}.\n"
        "Point the OpenAI SDK at it:\n"
        f"  export OPENAI_BASE_URL=http://localhost:{port}/api/v1\n"
        f"  export OPENAI_API_KEY={key}\n"
        f'  curl -s $OPENAI_BASE_URL/models -H "Authorization: Bearer $OPENAI_API_KEY"\n'
    )


def main() -> int:
    env = dict(os.environ)
    env.setdefault("PORT", "8000")
    env.setdefault("WEB_CONCURRENCY", "2")
    env.setdefault("LOG_FORMAT", "text")  # a terminal, not a log pipeline
    if not (env.get("API_KEY") or env.get("API_KEY_SECRET_ARN") or env.get("API_KEY_PARAM_NAME")):
        env["API_KEY"] = LOCAL_KEY
    children: list[subprocess.Popen] = []
    emulated = env.get("BEDROCK", "emulator") != "aws"
    if emulated:
        port = free_port()
        emulator = subprocess.Popen([sys.executable, "-m", "app.emulator", "--port", str(port)])
        children.append(emulator)
        wait_until_up(f"http://127.0.0.1:{port}/_emulator/stats", emulator)
        env = emulator_environment(env, port)
    gateway = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env=env
    )
    children.append(gateway)
    try:
        wait_until_up(f"http://127.0.0.1:{env['PORT']}/health", gateway)
        print(
            banner(
                env["PORT"], env["API_KEY"].split(",")[0] if env.get("API_KEY") else "<your key>", emulated
            ),
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        return gateway.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            child.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
