"""Keys as tenants, for real: gunicorn+gevent gateways sharing one Redis, driven by the OpenAI SDK.

Gateway "fleet" runs 4 workers and gateway "peer" a second process, both fail-open; gateway
"strict" fails closed. RATE_LIMIT_WINDOW_SECONDS shortens the rpm/tpm "minute" so that
recovery takes seconds; Retry-After values are computed by the gateway and read here.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest
import redis

from soak import servers
from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE, NOVA_PRO
from tests.redis_server import running_redis

pytestmark = pytest.mark.e2e

WINDOW = 3
REGISTRY = {
    "keys": [
        {"name": "team-a", "key": "sk-team-a", "models": ["anthropic.claude-*"], "rpm": 3},
        {"name": "team-b", "key": "sk-team-b", "models": ["amazon.nova-*"], "tpm": 100},
        {"name": "team-c", "key": "sk-team-c", "tokens_per_day": 50},
        {"name": "team-d", "key": "sk-team-d", "max_parallel": 2},
    ]
}


@pytest.fixture(scope="module")
def store():
    """A Redis of this module's own: the last test stops and restarts it."""
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tenancy-logs")


@pytest.fixture(scope="module")
def gateways(emulator, store, log_dir):
    def env(**extra: str) -> dict[str, str]:
        return servers.gateway_environment(
            emulator.url,
            API_KEY,
            API_KEYS_JSON=json.dumps(REGISTRY),
            RATE_LIMIT_STORAGE_URI=store.url,
            RATE_LIMIT_WINDOW_SECONDS=str(WINDOW),
            GRACEFUL_TIMEOUT="2",
            **extra,
        )

    started = {
        "fleet": servers.start_gateway(env(WEB_CONCURRENCY="4"), log_dir, name="fleet"),
        "peer": servers.start_gateway(env(WEB_CONCURRENCY="1"), log_dir, name="peer"),
        "strict": servers.start_gateway(
            env(WEB_CONCURRENCY="1", RATE_LIMIT_FAIL_OPEN="false"), log_dir, name="strict"
        ),
    }
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(autouse=True)
def fresh_counts(store):
    if store.process is None:
        store.start()
    redis.Redis.from_url(store.url).flushdb()


class Recorder:
    """An SDK client whose every HTTP exchange is kept: what was sent, when, and the answer."""

    def __init__(self, gateway: servers.Server, key: str, max_retries: int = 0):
        self.responses: list[tuple[float, httpx.Response]] = []
        self.http = httpx.Client(event_hooks={"response": [self._keep]}, timeout=30)
        self.sdk = openai.OpenAI(
            base_url=gateway.url + "/v1", api_key=key, max_retries=max_retries, http_client=self.http
        )

    def _keep(self, response: httpx.Response) -> None:
        self.responses.append((time.monotonic(), response))

    def chat(self, prompt: str = "hi", model: str = CLAUDE, **extra):
        return self.sdk.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], max_tokens=20, **extra
        )

    def statuses(self) -> list[int]:
        return [response.status_code for _, response in self.responses]

    def close(self) -> None:
        self.sdk.close()
        self.http.close()


@pytest.fixture
def client(gateways):
    """``client("fleet", "sk-team-a", max_retries=...)``; every one is closed after the test."""
    made: list[Recorder] = []

    def make(gateway: str, key: str, max_retries: int = 0) -> Recorder:
        made.append(Recorder(gateways[gateway], key, max_retries))
        return made[-1]

    yield make
    for recorder in made:
        recorder.close()


def test_each_key_sees_and_uses_only_its_own_models(client, gateways):
    team_a, team_b = client("fleet", "sk-team-a"), client("fleet", "sk-team-b")
    assert team_a.chat("@@reply hello").choices[0].message.content == "hello"
    with pytest.raises(openai.NotFoundError) as refused:
        team_a.chat(model=NOVA_PRO)
    assert refused.value.code == "model_not_found"
    team_b_models = [model.id for model in team_b.sdk.models.list()]
    assert NOVA_PRO in team_b_models
    assert all("amazon.nova-" in model_id for model_id in team_b_models)
    with pytest.raises(openai.NotFoundError):
        team_b.sdk.models.retrieve(CLAUDE)


def test_rpm_is_one_count_across_four_workers(client, gateways):
    """Twelve concurrent requests to four workers: exactly rpm of them get through."""
    barrier = threading.Barrier(12)

    def one() -> int:
        team_a = client("fleet", "sk-team-a")
        barrier.wait()
        try:
            team_a.chat("@@latency first=300")
        except openai.RateLimitError:
            pass
        return team_a.statuses()[0]

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: one(), range(12)))
    assert sorted(statuses) == [200] * 3 + [429] * 9


def test_rpm_is_one_count_across_two_gateways_and_recovers(client, gateways):
    fleet, peer = client("fleet", "sk-team-a"), client("peer", "sk-team-a")
    fleet.chat(), peer.chat(), fleet.chat()
    with pytest.raises(openai.RateLimitError) as limited:
        peer.chat()
    error = limited.value
    assert (error.code, error.body["type"]) == ("rate_limit_exceeded", "requests")
    headers = error.response.headers
    assert (headers["x-ratelimit-limit-requests"], headers["x-ratelimit-remaining-requests"]) == ("3", "0")
    assert 0 < int(headers["retry-after-ms"]) <= WINDOW * 1000
    # The SDK's own retry waits what the gateway asked for, and then gets through.
    patient = client("peer", "sk-team-a", max_retries=3)
    patient.chat("@@reply recovered")
    (first_at, first), *retries = patient.responses
    assert first.status_code == 429 and retries[-1][1].status_code == 200
    asked = int(first.headers["retry-after-ms"]) / 1000
    assert retries[0][0] - first_at >= asked - 0.05  # the next answer came after the wait


def test_tpm_is_charged_after_the_answer_and_the_sdk_retries_into_the_next_window(client, gateways):
    team_b = client("peer", "sk-team-b", max_retries=2)
    team_b.chat("@@usage input=70 output=50", model=NOVA_PRO)  # crosses 100: completes, is charged
    team_b.chat("@@reply next window", model=NOVA_PRO)
    (limited_at, limited), (next_at, answered) = team_b.responses[1], team_b.responses[-1]
    assert (limited.status_code, answered.status_code) == (429, 200)
    assert limited.json()["error"]["type"] == "tokens"
    assert limited.headers["x-ratelimit-remaining-tokens"] == "0"
    assert next_at - limited_at >= int(limited.headers["retry-after-ms"]) / 1000 - 0.05
    assert answered.headers["x-ratelimit-remaining-tokens"] == "100"


def test_a_spent_daily_budget_makes_the_sdk_stop_after_one_attempt(client, gateways):
    team_c = client("fleet", "sk-team-c", max_retries=3)
    team_c.chat("@@usage input=40 output=20")
    team_c.responses.clear()
    with pytest.raises(openai.RateLimitError) as refused:
        team_c.chat()
    assert (refused.value.code, refused.value.body["type"]) == ("insufficient_quota", "insufficient_quota")
    assert team_c.statuses() == [429]  # x-should-retry: false; no retry
    assert refused.value.response.headers["x-should-retry"] == "false"
    usage = team_c.http.get(
        gateways["peer"].url + "/v1/usage", headers={"Authorization": "Bearer sk-team-c"}
    ).json()
    assert (usage["tokens"]["input"], usage["tokens"]["output"], usage["remaining"]) == (
        40,
        20,
        {"tokens_today": 0},
    )


def test_parallel_leases_hold_across_workers_and_free_on_disconnect(client, gateways):
    slow = "@@words 200\n@@latency token=100"
    holders = [client("fleet", "sk-team-d") for _ in range(2)]
    streams = [holder.chat(slow, stream=True) for holder in holders]
    for stream in streams:
        next(iter(stream))  # both streams are running
    third = client("peer", "sk-team-d")
    with pytest.raises(openai.RateLimitError) as refused:
        third.chat()
    headers = refused.value.response.headers
    assert (headers["Retry-After"], headers["retry-after-ms"]) == ("1", "1000")
    streams[0].close()  # the client hangs up: the gateway notices at its next write
    deadline = time.monotonic() + 5
    while True:
        try:
            assert third.chat("@@reply in").choices[0].message.content == "in"
            break
        except openai.RateLimitError:
            assert time.monotonic() < deadline, "the lease was not released after the disconnect"
            time.sleep(0.2)
    streams[1].close()


def test_several_workers_counting_in_memory_are_warned_about_at_start(emulator, gateways, log_dir):
    env = servers.gateway_environment(emulator.url, API_KEY, WEB_CONCURRENCY="2")
    alone = servers.start_gateway(env, log_dir, name="in-memory")
    alone.stop()
    assert "RATE_LIMIT_STORAGE_URI is memory://: each of the 2 workers counts" in alone.log()
    assert "RATE_LIMIT_STORAGE_URI is memory://" not in gateways["fleet"].log()


def test_with_redis_down_fail_open_serves_and_warns_and_fail_closed_answers_503(client, gateways, store):
    store.stop()
    served = client("fleet", "sk-team-a")
    assert served.chat("@@reply still here").choices[0].message.content == "still here"
    assert "x-ratelimit-limit-requests" not in served.responses[0][1].headers
    strict = client("strict", "sk-team-a")
    with pytest.raises(openai.InternalServerError) as refused:
        strict.chat()
    assert (refused.value.status_code, refused.value.code) == (503, "rate_limit_store_unavailable")
    log = gateways["fleet"].log()
    assert "rate-limit store unavailable while checking the limits of key 'team-a'" in log
    assert "serving anyway" in log
    store.start()
    assert strict.chat("@@reply back").choices[0].message.content == "back"
