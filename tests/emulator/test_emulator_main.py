"""`python -m app.emulator` as a subprocess: gevent and thread servers answer boto3."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from emulator_helpers import ask, get_json, make_client, reply_text

BANNER = "Bedrock emulator listening on http://127.0.0.1:"


@pytest.fixture(params=["gevent", "thread"])
def served(request):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--server",
            request.param,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(BANNER), line
        yield f"http://127.0.0.1:{int(line[len(BANNER) :])}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_subprocess_emulator_answers_boto3(served):
    client, control = make_client(served, "bedrock-runtime"), make_client(served, "bedrock")
    assert reply_text(ask(client, "from a subprocess")) == "Echo: from a subprocess"
    assert len(control.list_foundation_models()["modelSummaries"]) == 27
    client.close()
    control.close()


def test_one_process_serves_many_slow_streams_concurrently(served):
    streams = 60
    client = make_client(served, "bedrock-runtime", max_pool_connections=streams)

    def consume(_):
        events = client.converse_stream(
            modelId="amazon.nova-micro-v1:0",
            messages=[{"role": "user", "content": [{"text": "@@words 3\n@@latency first=1500 token=100"}]}],
        )["stream"]
        return sum(1 for _ in events)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=streams) as pool:
        futures = [pool.submit(consume, i) for i in range(streams)]
        time.sleep(1.0)  # well inside the 1.5 s every stream waits before its first event
        peak = get_json(f"{served}/_emulator/stats")["open_streams"]
        counts = [f.result() for f in futures]
    client.close()
    assert counts == [7] * streams  # start, 3 deltas, block stop, stop, metadata
    assert peak >= streams // 2
    assert time.monotonic() - started < 10  # 60 x 1.8 s had they run one after another
