"""Operability through the production server: ``gunicorn -c gunicorn.conf.py wsgi:app``, 3 workers.

Metrics are read with prometheus_client's own text parser and must add up across workers,
scrapes, a killed worker and a HUP reload; the JSON log is searched for key material and
prompt text; SIGTERM drains (readiness 503, streams ended cleanly at the deadline); a
long Bedrock pause is filled with keep-alives.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import threading
import time
import uuid

import httpx
import pytest

from soak import procfs, servers
from tests.http.helpers_chat import accumulate
from tests.http.test_metrics import parse, total

pytestmark = pytest.mark.e2e

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
EMBEDDING_MODEL = "cohere.embed-english-v3"
KEYS = ["Kq7RzX2mWpL9vTn4aB8c", "Hs3JdY6uPo1eFg5iQw0z", "Zt8NbM4kLr2xCv7yUa9s"]
SECRET_PROMPT = "PROMPT-TEXT-b7f3e1c9-never-logged"
WORKERS = 3
CHAT = "/v1/chat/completions"


def chat(prompt: str, **extra) -> dict:
    return {"model": CLAUDE, "messages": [{"role": "user", "content": prompt}], **extra}


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def environment(upstream, **extra: str) -> dict[str, str]:
    settings = {
        "WEB_CONCURRENCY": str(WORKERS),
        "METRICS_ENABLED": "true",
        "SSE_HEARTBEAT_SECONDS": "1",
        "BEDROCK_MAX_ATTEMPTS": "3",
    }
    return servers.gateway_environment(upstream.url, ",".join(KEYS), **{**settings, **extra})


@pytest.fixture(scope="module")
def gateway(upstream, log_dir):
    server = servers.start_gateway(environment(upstream), log_dir, name="operability")
    wait_for_workers(server, WORKERS)
    yield server
    server.stop()


def wait_for_workers(server, count: int, exclude: tuple[int, ...] = (), deadline: float = 30.0) -> list[int]:
    """The master's worker pids once ``count`` of them (none in ``exclude``) answer."""
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        workers = [pid for pid in procfs.children(server.pid) if pid not in exclude]
        if len(workers) == count and "Booting worker" in server.log():
            time.sleep(1.0)  # let each import the app and start serving
            return workers
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not start: {procfs.children(server.pid)}")


def scrape(server) -> dict[tuple, float]:
    response = httpx.get(server.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


def api_requests(samples: dict) -> float:
    """Requests counted, leaving out the scrapes themselves."""
    counted = total(samples, "bedrock_gateway_requests_total")
    return counted - total(samples, "bedrock_gateway_requests_total", route="/metrics")


def send(server, request: dict) -> httpx.Response:
    """One request on its own connection, so requests spread over the workers."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.request(**request)


def traffic(prompt_tag: str) -> list[dict]:
    """Chat, streams, embeddings, a bad key, a missing model: each key in turn."""
    requests = []
    for index in range(4):
        key = KEYS[index % len(KEYS)]
        body = chat(f"@@usage input={10 + index} output={3 + index}\n{SECRET_PROMPT} {prompt_tag}")
        requests.append({"method": "POST", "url": "/v1/chat/completions", "json": body, "headers": auth(key)})
        stream = chat(f"@@usage input=7 output=5\n@@words 5\n{SECRET_PROMPT}", stream=True)
        requests.append(
            {"method": "POST", "url": "/v1/chat/completions", "json": stream, "headers": auth(key)}
        )
    embedding = {"model": EMBEDDING_MODEL, "input": [SECRET_PROMPT, "two"]}
    requests.append({"method": "POST", "url": "/v1/embeddings", "json": embedding, "headers": auth(KEYS[0])})
    requests.append({"method": "GET", "url": "/v1/models", "headers": auth(KEYS[1][:12])})
    requests.append({"method": "POST", "url": "/v1/chat/completions", "json": chat("x"), "headers": {}})
    missing = {"model": "acme.nothing-v9:0", "messages": [{"role": "user", "content": SECRET_PROMPT}]}
    requests.append(
        {"method": "POST", "url": "/v1/chat/completions", "json": missing, "headers": auth(KEYS[2])}
    )
    return requests


def usage_of(response: httpx.Response) -> tuple[int, int]:
    """(input, output) tokens the client was told about: usage object or the stream's usage chunk."""
    if response.headers["content-type"].startswith("text/event-stream"):
        return (0, 0)  # streams are checked against the scripted counts
    usage = response.json().get("usage") or {}
    return usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)


class TestMetricsAcrossWorkers:
    def test_totals_equal_the_traffic_sent_in_every_scrape_and_tokens_equal_usage(self, gateway):
        before = scrape(gateway)
        responses = [send(gateway, request) for request in traffic("a")]
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * 9 + [401, 401, 404]
        scrapes = [scrape(gateway) for _ in range(3)]
        assert len({api_requests(samples) for samples in scrapes}) == 1
        after = scrapes[-1]
        assert api_requests(after) - api_requests(before) == len(responses)
        chat_input = sum(10 + i for i in range(4)) + 4 * 7
        chat_output = sum(3 + i for i in range(4)) + 4 * 5
        embedding_input = sum(usage_of(r)[0] for r in responses if r.request.url.path.endswith("/embeddings"))
        tokens = {
            kind: total(after, "bedrock_gateway_tokens_total", gen_ai_token_type=kind)
            - total(before, "bedrock_gateway_tokens_total", gen_ai_token_type=kind)
            for kind in ("input", "output")
        }
        assert tokens == {"input": chat_input + embedding_input, "output": chat_output}
        genai = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "aws.bedrock"}
        output_sum = total(after, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **genai)
        assert output_sum - total(
            before, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **genai
        ) == (chat_output)
        ttft = "gen_ai_server_time_to_first_token_seconds_count"
        assert total(after, ttft) - total(before, ttft) == 4
        served_by = glob.glob(
            os.path.join(f"/dev/shm/bedrock-gateway-metrics-127.0.0.1_{gateway.port}", "counter_*")
        )
        assert len(served_by) >= 2  # several workers wrote, and the scrape summed them

    def test_counters_never_go_backwards_across_a_killed_worker_and_a_hup_reload(self, gateway):
        one = {"method": "POST", "url": "/v1/chat/completions", "json": chat("@@usage input=2 output=1\nhi")}
        one["headers"] = auth(KEYS[0])
        for _ in range(6):
            assert send(gateway, one).status_code == 200
        before = api_requests(scrape(gateway))
        workers = procfs.children(gateway.pid)
        os.kill(workers[0], signal.SIGKILL)
        wait_for_workers(gateway, WORKERS, exclude=(workers[0],))
        assert api_requests(scrape(gateway)) == before
        failures = []
        stop = threading.Event()

        def keep_sending() -> None:
            while not stop.is_set():
                status = send(gateway, one).status_code
                if status != 200:
                    failures.append(status)

        sender = threading.Thread(target=keep_sending)
        sender.start()
        sent_before_hup = api_requests(scrape(gateway))
        old = procfs.children(gateway.pid)
        os.kill(gateway.pid, signal.SIGHUP)
        wait_for_workers(gateway, WORKERS, exclude=tuple(old))
        stop.set()
        sender.join()
        assert failures == []
        after = api_requests(scrape(gateway))
        assert after >= sent_before_hup >= before


class TestLogs:
    def test_one_json_access_line_per_request_and_no_key_or_prompt_in_any_line(self, gateway):
        marker = uuid.uuid4().hex
        requests = traffic(marker)
        for request in requests:
            send(gateway, request)
        with httpx.Client(base_url=gateway.url, timeout=30) as client:  # a client that hangs up
            body = chat(f"@@words 200\n@@latency token=20\n{SECRET_PROMPT}", stream=True)
            with client.stream("POST", "/v1/chat/completions", json=body, headers=auth(KEYS[2])) as response:
                next(response.iter_bytes())
        time.sleep(1.5)
        lines = [json.loads(line) for line in gateway.log().splitlines() if line.startswith("{")]
        text = gateway.log()
        for key in KEYS:
            assert key[:8] not in text
        assert SECRET_PROMPT not in text and marker not in text and "word5" not in text
        assert all(line.startswith("{") for line in text.splitlines() if line.strip())
        access = [line for line in lines if line.get("event") == "request"]
        assert [line for line in lines if line["logger"] == "gunicorn.access"] == []  # the app's line only
        assert {line["event"] for line in lines if "event" in line} >= {"start", "request"}
        assert any(line["disconnected"] for line in access)
        statuses = [line["status"] for line in access if line["level"] == "warning"]
        assert sorted(statuses).count(401) >= 2 and 404 in statuses
        assert all(line["request_id"] for line in access)


class TestDrainAndKeepAlive:
    def test_a_long_bedrock_pause_is_filled_with_keep_alives(self, gateway):
        body = chat("@@words 2\n@@latency token=3500", stream=True)
        with httpx.Client(base_url=gateway.url, timeout=30, headers=auth(KEYS[0])) as client:
            raw = client.post("/v1/chat/completions", json=body).content
        events = raw.decode().split("\n\n")
        assert 2 <= events.count(": keep-alive") <= 4
        payloads = [json.loads(e[6:]) for e in events if e.startswith("data: {")]
        assert accumulate(payloads)["message"]["content"] == "word1 word2"
        assert events[-2] == "data: [DONE]"

    def test_messages_pauses_are_filled_with_pings_on_both_bedrock_apis(self, gateway):
        for model in ("amazon.nova-pro-v1:0", "claude-haiku-4-5"):  # ConverseStream, InvokeModel stream
            body = {
                "model": model,
                "max_tokens": 64,
                "stream": True,
                "messages": [{"role": "user", "content": "@@words 2\n@@latency token=3500"}],
            }
            with httpx.Client(base_url=gateway.url, timeout=30, headers={"x-api-key": KEYS[0]}) as client:
                raw = client.post("/v1/messages", json=body).content
            frames = [frame.split("\n", 1) for frame in raw.decode().split("\n\n") if frame]
            names = [name.removeprefix("event: ") for name, _ in frames]
            pings = [index for index, name in enumerate(names) if name == "ping"]
            assert 2 <= len(pings) <= 4 and min(pings) > 0, (model, names)
            assert all(frames[index][1] == 'data: {"type": "ping"}' for index in pings)
            deltas = [json.loads(data[6:]) for name, data in frames if name == "event: content_block_delta"]
            assert "".join(delta["delta"]["text"] for delta in deltas) == "word1 word2"
            assert names[-1] == "message_stop"

    def test_a_responses_pause_is_filled_with_numbered_in_progress_events(self, gateway):
        body = {"model": CLAUDE, "input": "@@words 2\n@@latency token=3500", "stream": True}
        with httpx.Client(base_url=gateway.url, timeout=30, headers=auth(KEYS[0])) as client:
            raw = client.post("/v1/responses", json=body).content
        stream = [json.loads(frame.split("\ndata: ", 1)[1]) for frame in raw.decode().split("\n\n") if frame]
        kinds = [event["type"] for event in stream]
        beats = [index for index, kind in enumerate(kinds) if kind == "response.in_progress"][1:]
        assert 2 <= len(beats) <= 4
        assert min(beats) > kinds.index("response.output_text.delta")
        assert [event["sequence_number"] for event in stream] == list(range(len(stream)))
        assert stream[-1]["response"]["output"][0]["content"][0]["text"] == "word1 word2"

    def test_the_read_timeout_still_ends_a_stream_whose_silence_is_filled_with_keep_alives(
        self, upstream, log_dir
    ):
        env = environment(upstream, WEB_CONCURRENCY="1", BEDROCK_READ_TIMEOUT="2.5")
        server = servers.start_gateway(env, log_dir, name="read-timeout")
        try:
            body = chat("@@words 3\n@@latency token=8000", stream=True)
            started = time.monotonic()
            with httpx.Client(base_url=server.url, timeout=30, headers=auth(KEYS[0])) as client:
                raw = client.post("/v1/chat/completions", json=body).content
            elapsed = time.monotonic() - started
        finally:
            server.stop()
        events = raw.decode().split("\n\n")
        assert 2.5 < elapsed < 6.0  # the read timeout, not the 8 s pause
        assert events.count(": keep-alive") == 2
        last = json.loads(events[-2].removeprefix("data: "))
        assert last["error"]["code"] == "upstream_timeout"

    def test_sigterm_fails_readiness_and_ends_an_open_stream_cleanly_at_the_deadline(self, upstream, log_dir):
        env = environment(upstream, WEB_CONCURRENCY="1", GRACEFUL_TIMEOUT="5")
        server = servers.start_gateway(env, log_dir, name="drain")
        try:
            body = chat("@@words 3\n@@latency token=20000", stream=True)
            with httpx.Client(base_url=server.url, timeout=30, headers=auth(KEYS[0])) as client:
                assert client.get("/health/ready").status_code == 200
                with httpx.Client(base_url=server.url, timeout=30, headers=auth(KEYS[0])) as streamer:
                    with streamer.stream("POST", "/v1/chat/completions", json=body) as response:
                        pieces = response.iter_bytes()
                        first = next(pieces)
                        server.terminate()
                        signalled = time.monotonic()
                        time.sleep(0.5)
                        ready = client.get("/health/ready")  # the connection opened before SIGTERM
                        alive = client.get("/health")
                        raw = first + b"".join(pieces)
                elapsed = time.monotonic() - signalled
            assert (ready.status_code, alive.status_code) == (503, 200)
            assert 2.0 < elapsed < 5.0  # at the deadline, before gunicorn's graceful timeout
            assert raw.endswith(b"\n\n")
            last = json.loads(raw.decode().split("\n\n")[-2].removeprefix("data: "))
            assert last["error"]["code"] == "server_shutting_down"
            assert server.process.wait(timeout=10) == 0
            events = [
                json.loads(line).get("event") for line in server.log().splitlines() if line.startswith("{")
            ]
            assert {"start", "drain", "stop"} <= set(events)
        finally:
            server.stop()
