"""5. ``GET /models`` from the cached catalogue: throughput, and no Bedrock call per request."""

from __future__ import annotations

from bench.measure import Row, interleave, median
from bench.procs import AUTH
from bench.scenarios import Context, intact_row

LISTING = "ListFoundationModels"


def run(ctx: Context) -> None:
    plan = ctx.plan
    gateway = ctx.gateway(1)
    common = {
        "concurrency": plan.models_concurrency,
        "total": plan.models_total,
        "warmup": plan.models_concurrency,
    }
    calls: list[int] = []

    def through_gateway() -> dict:
        before = ctx.emulator.calls()[LISTING]
        request = {"method": "GET", "path": "/v1/models", "headers": AUTH}
        answer = ctx.load(
            gateway, {**common, "requests": [request], "expect": {"kind": "models", "count": 1}}
        )
        calls.append(ctx.emulator.calls()[LISTING] - before)
        return answer

    rounds = interleave(
        plan.rounds,
        {
            "gateway": through_gateway,
            "floor": lambda: ctx.floor({**common, "op": "list_models", "units": [[{}]]}),
        },
    )
    name = f"5 GET /models c={plan.models_concurrency} (floor: boto3 ListFoundationModels)"
    ctx.raw[name] = {**rounds, "listing_calls_during_gateway_runs": calls}
    g, f = rounds["gateway"], rounds["floor"]
    ctx.add(
        intact_row(name, g, f),
        Row(name, "requests/s", median(g, "rps"), median(f, "rps"), "req/s"),
        Row(name, "p50 latency", median(g, "p50_ms"), median(f, "p50_ms"), "ms"),
        Row(name, "CPU per request", median(g, "cpu_per_req_ms"), median(f, "cpu_per_req_ms"), "ms"),
        Row(name, "ListFoundationModels calls per 1,000 requests", per_thousand(calls, g),
            per_thousand([summary["n"] for summary in f], f), "calls", "< 1 (a timed refresh at most)",
            per_thousand(calls, g) < 1, f"{sum(calls)} in {sum(summary['n'] for summary in g)} requests"),
    )  # fmt: skip


def per_thousand(calls: list[int], summaries: list[dict]) -> float:
    return 1000 * sum(calls) / max(sum(summary["n"] for summary in summaries), 1)
