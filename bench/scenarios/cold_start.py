"""6. Cold start: process start to the first answered request; no Bedrock call on import."""

from __future__ import annotations

import statistics
import subprocess
import time
import urllib.request

from bench.measure import Row
from bench.procs import AUTH, PYTHON, ROOT, Emulator, clean_env, free_port, gateway_env
from bench.scenarios import Context

TARGET_MS = 1000
POLL_S = 0.005
TIMED_IMPORT = "import time; t = time.perf_counter(); {}; print((time.perf_counter() - t) * 1000)"
BOTO3_IMPORT = "import boto3; [boto3.client(name) for name in ('bedrock-runtime', 'bedrock')]"
FLOOR_SCRIPT = (
    "import boto3; boto3.client('bedrock', region_name='us-east-1', endpoint_url={url!r})"
    ".list_foundation_models(); print('answered', flush=True)"
)


def run(ctx: Context) -> None:
    # A deployed app has its bytecode (pip compiled the libraries' at install): compile ours
    # too, or a shell with PYTHONDONTWRITEBYTECODE set would time the compiler on every start.
    subprocess.run([PYTHON, "-m", "compileall", "-q", "app", "wsgi.py"], cwd=ROOT, check=True)
    gateway, floor, imports, boto3_imports, calls = [], [], [], [], 0
    for _ in range(ctx.plan.cold_rounds):
        gateway.append(first_answer_ms(ctx))
        floor.append(floor_ms(ctx.emulator))
        elapsed, called = import_wsgi(ctx)
        imports.append(elapsed)
        boto3_imports.append(import_ms(BOTO3_IMPORT, clean_env()))
        calls += called
    name = "6 cold start (gunicorn, 1 worker; floor: python + boto3 first call)"
    ctx.raw[name] = {"gateway_ms": gateway, "floor_ms": floor, "import_wsgi_ms": imports}
    first = statistics.median(gateway)
    ctx.add(
        Row(name, "process start -> first 200 on /v1/models", first, statistics.median(floor), "ms",
            f"< {TARGET_MS} ms", first < TARGET_MS),
        Row(name, "`import wsgi` (floor: import boto3, make its 2 clients)", statistics.median(imports),
            statistics.median(boto3_imports), "ms"),
        Row(name, "Bedrock calls made by `import wsgi`", calls, 0, "calls", "0", calls == 0),
    )  # fmt: skip


def first_answer_ms(ctx: Context) -> float:
    port = free_port()
    env = gateway_env(ctx.emulator, 1, ctx.connections, PORT=str(port))
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers=AUTH)
    start = time.perf_counter()
    command = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - start < 30:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    if response.status == 200:
                        return (time.perf_counter() - start) * 1000
            except OSError:
                time.sleep(POLL_S)
        raise RuntimeError("the gateway answered no /v1/models within 30 s")
    finally:
        process.terminate()
        process.wait(timeout=20)


def floor_ms(emulator: Emulator) -> float:
    script = FLOOR_SCRIPT.format(url=emulator.url)
    start = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", script], env=clean_env(), stdout=subprocess.PIPE)
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - start) * 1000
    process.wait(timeout=20)
    if b"answered" not in line:
        raise RuntimeError("the boto3 cold-start floor failed")
    return elapsed


def import_wsgi(ctx: Context) -> tuple[float, int]:
    """(ms, Bedrock calls) of ``import wsgi`` in a fresh process with the gateway's environment."""
    before = sum(ctx.emulator.calls().values())
    elapsed = import_ms("import wsgi", gateway_env(ctx.emulator, 1, ctx.connections))
    return elapsed, sum(ctx.emulator.calls().values()) - before


def import_ms(statement: str, env: dict[str, str]) -> float:
    """How long ``statement`` takes in a fresh interpreter, timed inside it."""
    command = [PYTHON, "-c", TIMED_IMPORT.format(statement)]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return float(done.stdout.split()[-1])
