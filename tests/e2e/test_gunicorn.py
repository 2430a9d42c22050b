"""The production server for real: ``gunicorn -c gunicorn.conf.py wsgi:app`` with gevent workers.

The servers here send stderr to a file (``soak.servers``) so the tests can read gunicorn's
log, and use a gevent emulator subprocess (``python -m app.emulator``) that holds
hundreds of slow streams at once without the test process's threads.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
import uuid

import httpx
import openai
import pytest

from soak import procfs, servers
from tests.conftest import API_KEY, AUTH, EmulatorControl
from tests.e2e.conftest import ROOT
from tests.http.helpers_chat import accumulate, sse_payloads

pytestmark = pytest.mark.e2e

CHAT_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
EMBEDDING_MODEL = "cohere.embed-english-v3"
COMMAND = ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]


def words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(1, n + 1))


def chat(prompt: str, **extra) -> dict:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": prompt}], **extra}


@pytest.fixture
def bedrock(upstream) -> EmulatorControl:
    control = EmulatorControl(upstream.url)
    control.reset()
    return control


def gateway_env(upstream, **extra: str) -> dict[str, str]:
    return servers.gateway_environment(
        upstream.url, API_KEY, WEB_CONCURRENCY="1", BEDROCK_MAX_ATTEMPTS="3", **extra
    )


@pytest.fixture(scope="module")
def gateway(upstream, log_dir):
    """One gevent worker, so every concurrency figure below is that one process's."""
    server = servers.start_gateway(gateway_env(upstream), log_dir)
    yield server
    server.stop()


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway.url, headers=AUTH, timeout=30) as client:
        yield client


def settled(bedrock: EmulatorControl, wait: float = 5.0) -> int:
    """Upstream streams still open once hang-ups have had ``wait`` seconds to propagate."""
    deadline = time.monotonic() + wait
    while (count := bedrock.open_streams()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


def stream_events(http: httpx.Client, body: dict) -> list:
    with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_payloads(response.read())


class TestTraffic:
    def test_a_completion_is_served(self, http):
        response = http.post("/v1/chat/completions", json=chat("@@words 12"))
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"] == words(12)

    def test_a_stream_arrives_whole_and_ends_with_done(self, http):
        events = stream_events(http, chat("@@words 40\n@@latency token=5"))
        assert events[-1] == "[DONE]"
        assert accumulate(events[:-1])["message"]["content"] == words(40)

    def test_the_openai_sdk_streams_through_it(self, gateway):
        with openai.OpenAI(base_url=gateway.url + "/v1", api_key=API_KEY, max_retries=0) as client:
            stream = client.chat.completions.create(**chat("@@words 25"), stream=True)
            text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert text == words(25)

    def test_embeddings_are_served(self, http):
        response = http.post("/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": ["a", "b", "c"]})
        assert response.status_code == 200
        assert [item["index"] for item in response.json()["data"]] == [0, 1, 2]

    def test_a_body_over_the_limit_is_an_openai_413_and_the_connection_stays_usable(self, http):
        body = b'{"pad": "' + b"a" * (20 * 1024 * 1024) + b'"}'
        response = http.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert http.get("/health").status_code == 200


async def _one_stream(client: httpx.AsyncClient, text: str) -> str:
    prompt = f"@@reply {text}\n@@latency token=20"
    async with client.stream("POST", "/v1/chat/completions", json=chat(prompt, stream=True)) as response:
        assert response.status_code == 200
        events = sse_payloads(await response.aread())
    assert events[-1] == "[DONE]"
    return accumulate(events[:-1])["message"]["content"]


async def _peak_open_streams(bedrock: EmulatorControl, running: asyncio.Event) -> int:
    peak = 0
    while not running.is_set():
        peak = max(peak, await asyncio.to_thread(bedrock.open_streams))
        await asyncio.sleep(0.05)
    return peak


async def _many_streams(base_url: str, bedrock: EmulatorControl, texts: list[str]) -> dict:
    limits = httpx.Limits(max_connections=len(texts) + 10)
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, limits=limits, timeout=60) as client:
        started, finished = time.monotonic(), asyncio.Event()
        peak = asyncio.create_task(_peak_open_streams(bedrock, finished))
        streams = asyncio.gather(*(_one_stream(client, text) for text in texts))
        await asyncio.sleep(1.0)
        asked = time.monotonic()
        health = await client.get("/health")
        health_seconds = time.monotonic() - asked
        received = await streams
        finished.set()
        return {
            "received": received,
            "health": (health.status_code, health_seconds),
            "peak_open_streams": await peak,
            "seconds": time.monotonic() - started,
        }


class TestConcurrency:
    def test_one_worker_carries_200_slow_streams_at_once_and_each_arrives_intact(self, gateway, bedrock):
        assert len(procfs.children(gateway.pid)) == 1
        texts = [f"stream {n} says {words(80)}" for n in range(200)]  # about 1.7 s of tokens each
        result = asyncio.run(_many_streams(gateway.url, bedrock, texts))
        assert result["received"] == texts
        assert result["peak_open_streams"] >= 150
        # One after another they would take about 6 minutes.
        assert result["seconds"] < 30
        status, seconds = result["health"]
        assert status == 200 and seconds < 1.0
        assert settled(bedrock) == 0


class TestMonkeyPatching:
    def test_gevent_patches_before_ssl_urllib3_and_boto3_are_imported(self, gateway, http):
        assert http.post("/v1/chat/completions", json=chat("@@words 3")).status_code == 200
        log = gateway.log()
        assert "Booting worker" in log
        assert "MonkeyPatchWarning" not in log

    def test_preloading_the_app_which_would_import_them_first_is_refused(self, upstream, log_dir):
        env = gateway_env(upstream, GUNICORN_CMD_ARGS="--preload")
        with pytest.raises(RuntimeError, match="exited with 1"):
            servers.start_gateway(env, log_dir, name="preload")
        assert "preload_app breaks gevent's monkey-patching" in (log_dir / "preload.log").read_text()


class TestGracefulShutdown:
    def test_sigterm_lets_a_running_stream_finish_then_exits(self, upstream, log_dir):
        server = servers.start_gateway(gateway_env(upstream, GRACEFUL_TIMEOUT="10"), log_dir, name="graceful")
        try:
            prompt = "@@words 20\n@@latency token=100"  # about 2 s of streaming
            with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
                with client.stream(
                    "POST", "/v1/chat/completions", json=chat(prompt, stream=True)
                ) as response:
                    pieces = response.iter_bytes()
                    first = next(pieces)
                    server.terminate()
                    signalled = time.monotonic()
                    body = first + b"".join(pieces)
            assert time.monotonic() - signalled > 1.0  # the stream really ran on after SIGTERM
            events = sse_payloads(body)
            assert events[-1] == "[DONE]"
            assert accumulate(events[:-1])["message"]["content"] == words(20)
            assert server.process.wait(timeout=10) == 0
            with pytest.raises(OSError):
                urllib.request.urlopen(server.url + "/health", timeout=2)
        finally:
            server.stop()


class TestUpstreamFaults:
    def test_throttling_is_retried_before_the_first_byte(self, http, bedrock):
        fault = f"@@fault ThrottlingException times=2 id={uuid.uuid4()}"
        events = stream_events(http, chat(f"@@words 8\n{fault}"))
        assert accumulate(events[:-1])["message"]["content"] == words(8)
        assert bedrock.calls()["ConverseStream"] == 3

    def test_throttling_that_outlasts_the_retries_is_a_429_with_retry_after(self, http, bedrock):
        response = http.post("/v1/chat/completions", json=chat("@@fault ThrottlingException"))
        assert response.status_code == 429
        assert response.headers["retry-after"].isdigit()
        assert response.json()["error"]["type"] == "rate_limit_error"

    def test_bedrock_max_attempts_counts_every_attempt_including_the_first(self, http, bedrock):
        http.post("/v1/chat/completions", json=chat("@@fault ThrottlingException"))
        assert bedrock.calls()["Converse"] == 3

    def test_a_fault_after_the_first_byte_ends_the_stream_with_an_openai_error_event(self, http):
        prompt = "@@words 20\n@@fault ModelStreamErrorException when=midstream after=3"
        events = stream_events(http, chat(prompt))
        assert "[DONE]" not in events
        assert accumulate(events[:-1])["message"]["content"] == "word1 word2 word3"
        assert events[-1]["error"]["code"] == "model_stream_error"
        assert set(events[-1]["error"]) == {"message", "type", "param", "code"}

    def test_the_openai_sdk_raises_on_that_error_event(self, gateway):
        prompt = "@@words 20\n@@fault ModelStreamErrorException when=midstream after=3"
        with openai.OpenAI(base_url=gateway.url + "/v1", api_key=API_KEY, max_retries=0) as client:
            stream = client.chat.completions.create(**chat(prompt), stream=True)
            with pytest.raises(openai.APIError):
                for _ in stream:
                    pass

    def test_a_client_that_hangs_up_releases_its_upstream_stream(self, gateway, bedrock):
        prompt = "@@words 500\n@@latency token=20"  # 10 s if nobody hung up
        with httpx.Client(base_url=gateway.url, headers=AUTH, timeout=30) as client:
            with client.stream("POST", "/v1/chat/completions", json=chat(prompt, stream=True)) as response:
                next(response.iter_bytes())
                assert bedrock.open_streams() == 1
        assert settled(bedrock) == 0


def test_concurrent_first_requests_for_a_non_default_model_all_succeed(upstream, log_dir):
    server = servers.start_gateway(gateway_env(upstream), log_dir, name="cold")
    try:
        barrier, results = threading.Barrier(20), []

        def embed() -> None:
            body = {"model": EMBEDDING_MODEL, "input": "cold start"}
            with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
                client.get("/health")  # connected, so the posts below leave together
                barrier.wait()
                results.append(client.post("/v1/embeddings", json=body).status_code)

        threads = [threading.Thread(target=embed) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200] * 20
    finally:
        server.stop()


def test_the_dockerfile_runs_the_command_these_tests_run():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    # Instructions start a line; indented lines continue the one above (HEALTHCHECK's own CMD).
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line[:1].isalpha()]
    commands = [json.loads(rest) for word, rest in instructions if word == "CMD"]
    assert commands == [COMMAND]
    assert ["EXPOSE", "8000"] in instructions and "PORT=8000" in dockerfile
    assert "--preload" not in dockerfile
    for source in (part for word, rest in instructions if word == "COPY" for part in rest.split()[:-1]):
        assert (ROOT / source).exists(), source


@pytest.mark.parametrize("access_log", ["", "-"])
def test_gunicorns_own_access_line_is_written_only_when_access_log_is_set(upstream, log_dir, access_log):
    """The JSON logging config must not switch gunicorn's access line on: the app's line has it all."""
    env = {**gateway_env(upstream), "ACCESS_LOG": access_log}
    server = servers.start_gateway(env, log_dir, name=f"access-log{access_log}", stdout=True)
    try:
        for _ in range(3):
            urllib.request.urlopen(server.url + "/health", timeout=5).close()
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    own = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert [line for line in lines if line.get("event") == "start"]  # the app's JSON lines are there
    if access_log:
        assert len(own) >= 3 and all('"GET /health HTTP/1.1" 200' in line["message"] for line in own)
    else:
        assert own == []
