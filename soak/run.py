"""Run the soak: start the emulator and gunicorn+gevent, drive the mix, measure, report.

Phases: a warm-up (imports, pools and caches fill), then the measured run. Memory and
descriptor growth are measured from the end of the warm-up, with the client's own
connections closed, so only what the gateway keeps per request shows as growth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from soak import procfs, servers
from soak.workload import Call, one_of_each, plan

API_KEY = "sk-soak"


@dataclass(frozen=True)
class Options:
    requests: int = 3000
    duration: float = 300.0
    concurrency: int = 50
    workers: int = 2
    warmup: int = 300
    seed: int = 7
    max_rss_growth_mib: float = 32.0
    max_fd_growth: int = 2
    log_dir: Path | None = None


@dataclass
class Phase:
    """Outcomes of one phase: kind -> Counter of "ok" or an error kind."""

    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    sent: int = 0
    seconds: float = 0.0

    def errors(self) -> dict[str, int]:
        found: Counter = Counter()
        for kind, counts in self.outcomes.items():
            for outcome, n in counts.items():
                if outcome != "ok":
                    found[f"{kind}: {outcome}"] += n
        return dict(found)


async def execute(client: httpx.AsyncClient, call: Call) -> str:
    headers = {"Authorization": f"Bearer {API_KEY}"} if call.authorized else {}
    try:
        if not call.stream:
            response = await client.request(call.method, call.path, json=call.body, headers=headers)
            return call.check(response.status_code, response.headers, response.content) or "ok"
        async with client.stream(call.method, call.path, json=call.body, headers=headers) as response:
            if call.disconnect_after is None:
                body = await response.aread()
            else:
                body = await _first_events(response, call.disconnect_after)
        return call.check(response.status_code, response.headers, body) or "ok"
    except httpx.TimeoutException:
        return "client timeout"
    except httpx.HTTPError as exc:
        return f"transport {type(exc).__name__}"
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return f"malformed body ({type(exc).__name__})"


async def _first_events(response: httpx.Response, count: int) -> bytes:
    """Read ``count`` SSE events, then let the caller close the connection mid-stream."""
    seen = b""
    async for piece in response.aiter_bytes():
        seen += piece
        if seen.count(b"\n\n") >= count:
            break
    return seen


async def drive(base_url: str, calls: list[Call], concurrency: int, deadline: float) -> Phase:
    """Send ``calls`` with at most ``concurrency`` in flight, starting none after ``deadline``."""
    phase, queue = Phase(), iter(calls)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as client:

        async def lane() -> None:
            for call in queue:
                if time.monotonic() > deadline:
                    return
                phase.sent += 1
                phase.outcomes[call.kind][await execute(client, call)] += 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    phase.seconds = time.monotonic() - started
    return phase


def emulator_stats(url: str) -> dict:
    with urllib.request.urlopen(url + "/_emulator/stats", timeout=10) as response:
        return json.loads(response.read())


def settled_open_streams(url: str, wait: float = 10.0) -> int:
    """Upstream streams still open once disconnects have had time to propagate."""
    stop = time.monotonic() + wait
    while True:
        count = emulator_stats(url)["open_streams"]
        if count == 0 or time.monotonic() > stop:
            return count
        time.sleep(0.2)


def footprint(gateway: servers.Server, emulator: servers.Server) -> list[dict]:
    time.sleep(1.0)  # let the workers notice the client's closed connections
    return [asdict(item) for item in procfs.workers_footprint(gateway.pid, emulator.port)]


def run(options: Options) -> dict:
    """Run the whole soak; the report as a dict (``report["passed"]`` says whether it held)."""
    log_dir = options.log_dir or Path(tempfile.mkdtemp(prefix="soak-"))
    emulator = servers.start_emulator(log_dir)
    try:
        env = servers.gateway_environment(
            emulator.url, API_KEY, WEB_CONCURRENCY=str(options.workers), BEDROCK_MAX_ATTEMPTS="3",
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        gateway = servers.start_gateway(env, log_dir)
        try:
            return _measured(options, gateway, emulator)
        finally:
            gateway.stop()
    finally:
        emulator.stop()


def prime(gateway: servers.Server, workers: int) -> None:
    """Load each worker's model catalogue before the concurrent load.

    A cold catalogue under concurrent first requests is its own test
    (tests/e2e/test_gunicorn.py); the soak measures steady state.
    """
    request = urllib.request.Request(
        gateway.url + "/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    for _ in range(workers * 4):
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def _measured(options: Options, gateway: servers.Server, emulator: servers.Server) -> dict:
    prime(gateway, options.workers)
    started = footprint(gateway, emulator)
    calls = plan(options.warmup + options.requests, options.seed)
    deadline = time.monotonic() + options.duration
    # Every kind once first: what loads lazily (the offline tokenizer that counts an abandoned
    # stream) then belongs to the baseline, and growth afterwards means a leak.
    warmup = one_of_each() + calls[: options.warmup]
    warm = asyncio.run(drive(gateway.url, warmup, options.concurrency, deadline))
    after_warmup = footprint(gateway, emulator)
    main = asyncio.run(drive(gateway.url, calls[options.warmup :], options.concurrency, deadline))
    open_streams = settled_open_streams(emulator.url)
    ended = footprint(gateway, emulator)
    log = gateway.log()
    return _report(options, warm, main, started, after_warmup, ended, open_streams, log, gateway.log_path)


def _report(options, warm, main, started, after_warmup, ended, open_streams, log, log_path) -> dict:
    rss_growth = max(e["rss_kib"] - w["rss_kib"] for e, w in zip(ended, after_warmup, strict=True)) / 1024
    # Pooled keep-alive connections to Bedrock come and go with load (bounded by the pool and
    # the concurrency); every other descriptor a worker holds must stay put.
    fd_growth = max(_own_fds(e) - _own_fds(w) for e, w in zip(ended, after_warmup, strict=True))
    pooled = max(worker["upstream_connections"] for worker in ended)
    errors = dict(Counter(warm.errors()) + Counter(main.errors()))
    tracebacks = log.count("Traceback")
    problems = [
        *(f"{n} × {kind}" for kind, n in sorted(errors.items())),
        *([f"{open_streams} upstream streams left open"] if open_streams else []),
        *([f"worker RSS grew {rss_growth:.1f} MiB"] if rss_growth > options.max_rss_growth_mib else []),
        *([f"worker descriptors grew by {fd_growth}"] if fd_growth > options.max_fd_growth else []),
        *([f"a worker keeps {pooled} connections to Bedrock"] if pooled > options.concurrency else []),
        *([f"{tracebacks} tracebacks in the gateway log"] if tracebacks else []),
    ]
    return {
        "passed": not problems,
        "problems": problems,
        "requests": {"warmup": warm.sent, "measured": main.sent, "seconds": round(main.seconds, 1),
                     "per_second": round(main.sent / main.seconds, 1) if main.seconds else 0.0},
        "outcomes": {kind: dict(counts) for kind, counts in sorted(main.outcomes.items())},
        "errors_by_kind": errors,
        "workers": {"started": started, "after_warmup": after_warmup, "ended": ended},
        "rss_growth_mib": round(rss_growth, 2),
        "fd_growth": fd_growth,
        "pooled_bedrock_connections": pooled,
        "open_streams": open_streams,
        "gateway_log": str(log_path),
    }  # fmt: skip


def _own_fds(worker: dict) -> int:
    return worker["fds"] - worker["upstream_connections"]


def _parse(argv: list[str] | None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--requests", type=int, default=defaults.requests, help="measured requests")
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="stop sending after S seconds"
    )
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--workers", type=int, default=defaults.workers, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=defaults.warmup, help="requests before the baseline")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--max-rss-growth-mib", type=float, default=defaults.max_rss_growth_mib)
    parser.add_argument("--max-fd-growth", type=int, default=defaults.max_fd_growth)
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="where server logs go (default: a temp dir)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = vars(parser.parse_args(argv))
    as_json = args.pop("json")
    return Options(**args), as_json


def render(report: dict) -> str:
    lines = [
        f"soak {'PASSED' if report['passed'] else 'FAILED'}",
        "requests: {warmup} warm-up + {measured} measured in {seconds} s ({per_second}/s)".format(
            **report["requests"]
        ),
        "outcomes (measured phase):",
        *(f"  {kind:<20} {dict(counts)}" for kind, counts in report["outcomes"].items()),
        f"errors by kind: {report['errors_by_kind'] or 'none'}",
        f"upstream streams open at the end: {report['open_streams']}",
    ]
    for label in ("started", "after_warmup", "ended"):
        for worker in report["workers"][label]:
            lines.append(
                f"  worker {worker['pid']} {label:<12} RSS {worker['rss_kib'] / 1024:7.1f} MiB  "
                f"fds {worker['fds']:4}  sockets {worker['sockets']:4}  "
                f"to Bedrock {worker['upstream_connections']}"
            )
    lines += [
        f"RSS growth after warm-up: {report['rss_growth_mib']} MiB; growth of descriptors other than "
        f"pooled Bedrock connections: {report['fd_growth']}; most pooled Bedrock connections in one "
        f"worker at the end: {report['pooled_bedrock_connections']} (at most the concurrency)",
        *(f"PROBLEM: {problem}" for problem in report["problems"]),
        f"gateway log: {report['gateway_log']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options, as_json = _parse(argv)
    report = run(options)
    print(json.dumps(report, indent=2) if as_json else render(report), flush=True)
    return 0 if report["passed"] else 1
