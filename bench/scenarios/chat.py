"""1. Non-streaming chat at concurrency 1 and 16: throughput, latency, CPU per request."""

from __future__ import annotations

from bench.measure import Row, interleave, median, paired_ratio
from bench.scenarios import Context, chat_request, converse_kwargs, intact_row, prompt

HEALTH = {"method": "GET", "path": "/health"}
ADDED_P50_MS = 2.0
CPU_RATIO = 1.0


def run(ctx: Context) -> None:
    plan = ctx.plan
    many = plan.chat_concurrency
    cases = [(1, 1, plan.chat_c1)] + [(many, workers, plan.chat_many) for workers in plan.workers]
    for concurrency, workers, total in cases:
        measure(ctx, concurrency, workers, total)


def measure(ctx: Context, concurrency: int, workers: int, total: int) -> None:
    text = prompt(ctx.plan.chat_words)
    gateway = ctx.gateway(workers)
    label = f"c{concurrency}-{workers}w"
    common = {
        "concurrency": concurrency,
        "total": total,
        "warmup": max(2 * concurrency, 10),
        "expect": {"kind": "chat", "count": ctx.plan.chat_words},
    }
    rounds = interleave(
        ctx.plan.chat_rounds,
        {
            "gateway": lambda: ctx.load(
                gateway, {**common, "label": label, "requests": [chat_request(text)]}
            ),
            "floor": lambda: ctx.floor({**common, "op": "converse", "units": [[converse_kwargs(text)]]}),
            # What serving any request costs here (gunicorn + Flask + auth), with no Bedrock call.
            "health": lambda: ctx.load(
                gateway, {**common, "expect": {}, "label": "health", "requests": [HEALTH]}
            ),
        },
    )
    name = f"1 chat c={concurrency}, {workers} worker{'s' if workers > 1 else ''}"
    ctx.raw[name] = rounds
    g, f = rounds["gateway"], rounds["floor"]
    p50_g, p50_f = median(g, "p50_ms"), median(f, "p50_ms")
    cpu_g, cpu_f = median(g, "cpu_per_req_ms"), median(f, "cpu_per_req_ms")
    cpu_ratio = paired_ratio(g, f, "cpu_per_req_ms")
    latency_target = concurrency == 1
    ctx.add(
        intact_row(name, g, f),
        Row(name, "requests/s", median(g, "rps"), median(f, "rps"), "req/s"),
        Row(
            name,
            "p50 latency",
            p50_g,
            p50_f,
            "ms",
            f"added < {ADDED_P50_MS:g} ms" if latency_target else "",
            (p50_g - p50_f < ADDED_P50_MS) if latency_target else None,
            f"added {p50_g - p50_f:+.2f} ms",
        ),
        Row(name, "p99 latency", median(g, "p99_ms"), median(f, "p99_ms"), "ms"),
        Row(
            name,
            "CPU per request (gateway tree vs boto3 caller)",
            cpu_g,
            cpu_f,
            "ms",
            f"<= {CPU_RATIO:g}x",
            cpu_ratio <= CPU_RATIO,
            "ratio: median of the rounds' own ratios",
            paired=cpu_ratio,
        ),
        Row(
            name,
            "CPU per request of GET /health: serving HTTP alone",
            median(rounds["health"], "cpu_per_req_ms"),
            cpu_f,
            "ms",
            note="the part of the budget no translation work can remove",
        ),
    )
