"""The scenarios, each a ``run(ctx)`` adding rows; and what they share: servers and requests."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Row, all_intact
from bench.plan import Plan
from bench.procs import AUTH, Emulator, Gateway, run_job
from bench.profile import Recorder

CHAT_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


@dataclass
class Context:
    """One run: its plan, its emulator, gateways started on demand, and the rows so far."""

    plan: Plan
    emulator: Emulator | None = None  # the running scenario's own
    profile_dir: Path | None = None  # with py_spy: record the workers during every gateway load
    py_spy: str = ""
    gateway_env: dict = field(default_factory=dict)  # extra gateway settings (BEDROCK_CLIENT=boto3)
    scenario: str = ""
    rows: list[Row] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    _gateways: dict[int, Gateway] = field(default_factory=dict)
    _loads: int = 0

    @property
    def connections(self) -> int:
        """Worker connections and Bedrock pool size: enough for the largest scenario."""
        return max(self.plan.slow_streams, *self.plan.burst_streams) + 64

    def gateway(self, workers: int = 1) -> Gateway:
        if workers not in self._gateways:
            self._gateways[workers] = self.fresh_gateway(workers)
        return self._gateways[workers]

    def fresh_gateway(self, workers: int = 1) -> Gateway:
        """A new gateway of its own, warmed; the caller stops it."""
        gateway = Gateway(self.emulator, workers, self.connections, **self.gateway_env)
        gateway.warm()
        return gateway

    def close(self) -> None:
        for gateway in self._gateways.values():
            gateway.stop()
        self._gateways.clear()

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def load(self, gateway: Gateway, job: dict, timeout: float = 600) -> dict:
        """A loadgen job against ``gateway``, its whole process tree charged for CPU.

        ``job["label"]`` (default ``c<concurrency>``) names the profile files of this load.
        """
        self._loads += 1
        label = f"{self.scenario}.{job.pop('label', 'c' + str(job['concurrency']))}.{self._loads:02d}"
        with self.recording(gateway, label):
            job = {"port": gateway.port, "cpu_roots": [gateway.process.pid], **job}
            return run_job("bench.loadgen", job, timeout)

    def recording(self, gateway: Gateway, label: str):
        if self.profile_dir is None:
            return contextlib.nullcontext()
        return Recorder(self.py_spy, self.profile_dir, label, gateway.worker_pids())

    def floor(self, job: dict, timeout: float = 600) -> dict:
        return run_job("bench.floor", {"endpoint": self.emulator.url, **job}, timeout)


def prompt(words: int, first_ms: int = 0, token_ms: int = 0) -> str:
    """A short prompt scripting an N-word reply at the given pace."""
    lines = ["Write a short answer about benchmarks.", f"@@words {words}"]
    if first_ms or token_ms:
        lines.append(f"@@latency first={first_ms} token={token_ms}")
    return "\n".join(lines)


def chat_request(text: str, stream: bool = False) -> dict:
    """A loadgen request spec for POST /v1/chat/completions."""
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": text}], "stream": stream}
    return post("/v1/chat/completions", body)


def post(path: str, body: dict) -> dict:
    return {"method": "POST", "path": path, "headers": AUTH, "body": json.dumps(body)}


def converse_kwargs(text: str) -> dict:
    """The same request as Converse kwargs, for the floor."""
    return {"modelId": CHAT_MODEL, "messages": [{"role": "user", "content": [{"text": text}]}]}


def intact_row(scenario: str, gateway: list[dict], floor: list[dict]) -> Row:
    """How many requests came back whole, gateway and floor; any failure fails the row."""
    ok, error = all_intact(gateway, floor)
    sent = [sum(summary["n"] for summary in side) for side in (gateway, floor)]
    return Row(
        scenario,
        "requests intact",
        sum(summary["ok"] for summary in gateway),
        sum(summary["ok"] for summary in floor),
        "",
        "all",
        ok,
        error[:200] or f"of {sent[0]} / of {sent[1]}",
    )
