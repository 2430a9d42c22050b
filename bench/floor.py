"""The floor: ``python -m bench.floor`` does a job's work with bare boto3, straight at Bedrock.

It runs under gevent, as the gateway's boto3 does, so the difference between the two is
what the gateway itself adds. A job (JSON on stdin) names an ``op`` and ``units``: each
unit is a list of call kwargs done together (at most ``fanout`` at once), as one gateway
request would; ``concurrency`` units run at once (the first ones started evenly over ``ramp_s``),
``total`` of them after ``warmup``.
The CPU charged is this process's own utime + stime over the timed window.
"""

from __future__ import annotations

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import boto3  # noqa: E402
import gevent  # noqa: E402
import gevent.pool  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench import cpu  # noqa: E402

RSS_INTERVAL = 0.2


def make_clients(endpoint: str, pool: int) -> dict:
    config = Config(
        connect_timeout=5,
        read_timeout=300,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=pool,
        tcp_keepalive=True,
    )
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    return {
        name: session.client(name, region_name="us-east-1", endpoint_url=endpoint, config=config)
        for name in ("bedrock-runtime", "bedrock")
    }


def converse(clients: dict, kwargs: dict) -> tuple[float | None, int, int]:
    """(time of the first event carrying text, chunks, words) of one call; the same for every op."""
    output = clients["bedrock-runtime"].converse(**kwargs)["output"]["message"]["content"]
    return None, 1, _words(block.get("text", "") for block in output)


def converse_stream(clients: dict, kwargs: dict) -> tuple[float | None, int, int]:
    stream = clients["bedrock-runtime"].converse_stream(**kwargs)["stream"]
    first, events, text = None, 0, []
    for event in stream:
        events += 1
        if "contentBlockDelta" in event:
            text.append(event["contentBlockDelta"]["delta"].get("text", ""))
            if first is None:
                first = time.perf_counter()
    return first, events, _words(text)


def invoke_model_with_response_stream(clients: dict, kwargs: dict) -> tuple[float | None, int, int]:
    """An Anthropic Messages body streamed: each chunk's bytes decoded as the model's JSON event."""
    response = clients["bedrock-runtime"].invoke_model_with_response_stream(
        modelId=kwargs["modelId"], body=json.dumps(kwargs["body"])
    )
    first, events, text = None, 0, []
    for event in response["body"]:
        payload = json.loads(event["chunk"]["bytes"])
        events += 1
        if payload["type"] == "content_block_delta":
            text.append(payload["delta"].get("text", ""))
            if first is None:
                first = time.perf_counter()
    return first, events, _words(text)


def invoke_model(clients: dict, kwargs: dict) -> tuple[float | None, int, int]:
    response = clients["bedrock-runtime"].invoke_model(
        modelId=kwargs["modelId"],
        body=json.dumps(kwargs["body"]),
        contentType="application/json",
        accept="application/json",
    )
    answer = json.loads(response["body"].read())
    vectors = answer["embeddings"] if "embeddings" in answer else [answer["embedding"]]
    return None, 1, len(vectors)


def list_models(clients: dict, kwargs: dict) -> tuple[float | None, int, int]:
    return None, 1, len(clients["bedrock"].list_foundation_models(**kwargs)["modelSummaries"])


OPS = {
    "converse": converse,
    "converse_stream": converse_stream,
    "invoke_model": invoke_model,
    "invoke_model_with_response_stream": invoke_model_with_response_stream,
    "list_models": list_models,
}


def _words(texts) -> int:
    return len("".join(texts).split())


class Runner:
    """The job's units over one set of clients, ``concurrency`` at a time."""

    def __init__(self, job: dict):
        self.job, self.op = job, OPS[job["op"]]
        pool = max(job["concurrency"] * job.get("fanout", 1), 10)
        self.clients = make_clients(job["endpoint"], pool)
        self.open, self.ramp = 0, 0.0

    def call(self, kwargs: dict) -> dict:
        start = time.perf_counter()
        first, chunks, count = self.op(self.clients, kwargs)
        end = time.perf_counter()
        return {"latency": end - start, "first": first or end, "chunks": chunks, "count": count}

    def unit(self, index: int) -> dict:
        """One gateway request's worth of calls, with its verdict against ``expect``."""
        if index < self.job["concurrency"] and self.ramp:
            gevent.sleep(index * self.ramp / self.job["concurrency"])
        units = self.job["units"]
        calls = units[index % len(units)]
        self.open += 1
        start = time.perf_counter()
        try:
            done = list(gevent.pool.Pool(self.job.get("fanout", 1)).imap(self.call, calls))
        except Exception as exc:  # a failed call fails the unit, like a failed request
            return {"ok": False, "chunks": 0, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            self.open -= 1
        end = time.perf_counter()
        count = sum(item["count"] for item in done)
        return {
            "status": 200,
            "latency": end - start,
            "ttfb": min(item["first"] for item in done) - start,
            "first_content": min(item["first"] for item in done) - start,
            "chunks": sum(item["chunks"] for item in done),
            "ok": count == self.job.get("expect", {}).get("count", count),
        }

    def phase(self, total: int, ramp: float = 0.0) -> list[dict]:
        self.ramp = ramp
        return list(gevent.pool.Pool(self.job["concurrency"]).imap(self.unit, range(total)))

    def sample_rss(self, samples: list[dict]) -> None:
        while True:
            samples.append({"open": self.open, "rss_kib": cpu.rss_kib(os.getpid())})
            gevent.sleep(RSS_INTERVAL)


def main(job: dict) -> dict:
    runner = Runner(job)
    if job.get("warmup"):
        runner.phase(job["warmup"])
    samples: list[dict] = []
    rss_before = cpu.rss_kib(os.getpid())
    sampler = gevent.spawn(runner.sample_rss, samples)
    cpu_before, start = cpu.self_cpu_seconds(), time.perf_counter()
    results = runner.phase(job["total"], job.get("ramp_s", 0.0))
    wall, cpu_used = time.perf_counter() - start, cpu.self_cpu_seconds() - cpu_before
    sampler.kill()
    return {
        "wall": wall,
        "cpu": cpu_used,
        "rss_before_kib": rss_before,
        "rss_samples": samples,
        "results": results,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(json.load(sys.stdin))))
