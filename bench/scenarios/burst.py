"""7. A burst: N slow streams opened at once on ONE worker. First content, wall time, fairness.

Every stream is 20 words 50 ms apart, so each alone takes about one second: a worker that
keeps up starts them all at once and ends them all about a second later. The load client
reads each arrival with one read (``bench/loadgen.py``), and its CPU is reported beside the
gateway's so it is seen not to be the bottleneck. Meanwhile two probes, processes of their
own on connections opened before the burst, time ``/health`` and a new short chat request:
a saturated worker stays fair when the new request is answered before the streams get
their hundredth more chunk. The floor is bare boto3 under gevent consuming the same
streams from the same emulator in one process.
"""

from __future__ import annotations

from bench.measure import Row, percentile, summarize
from bench.scenarios import Context, chat_request, converse_kwargs, intact_row, prompt

# first content p99 target per burst size; the last of 500 streams done within LATE_S of the ideal
CONTENT_P99_S = {500: 1.0, 1000: 2.0}
LATE_S = {500: 1.5}
HEALTH_P99_MS = 50
FAIR_CHUNKS = 100  # a new request is answered before the streams get this many more chunks
HEALTH = {"method": "GET", "path": "/health", "interval": 0.05}
NEW_REQUEST = {**chat_request(prompt(3)), "interval": 0.1}


def run(ctx: Context) -> None:
    for streams in ctx.plan.burst_streams:
        measure(ctx, streams)


def measure(ctx: Context, streams: int) -> None:
    plan = ctx.plan
    text = prompt(plan.burst_words, 0, plan.burst_token_ms)
    job = {"concurrency": streams, "total": streams, "expect": {"kind": "sse", "count": plan.burst_words}}
    gateway = ctx.fresh_gateway(1)
    try:
        busy = ctx.load(
            gateway,
            {**job, "label": f"burst{streams}", "probes": [HEALTH, NEW_REQUEST],
             "requests": [chat_request(text, True)]},
        )  # fmt: skip
    finally:
        gateway.stop()
    floor = ctx.floor({**job, "op": "converse_stream", "units": [[converse_kwargs(text)]]})
    pace = f"{plan.burst_words} words, {plan.burst_token_ms} ms apart"
    name = f"7 burst: {streams} streams at once ({pace}), 1 worker"
    g, f = summarize(busy), summarize(floor)
    health, new_request = busy["probes"]
    ctx.raw[name] = {"gateway": [g], "floor": [f], "probe": health, "new_request": new_request}
    ideal_s = (plan.burst_words - 1) * plan.burst_token_ms / 1000
    target_s = CONTENT_P99_S.get(streams, 1.0)
    health_ms = percentile([latency * 1000 for _, latency in health], 99)
    new_ms = percentile([latency * 1000 for _, latency in new_request], 99)
    fair_ms = FAIR_CHUNKS * plan.burst_token_ms
    late_s = LATE_S.get(streams)
    ctx.add(
        intact_row(name, [g], [f]),
        Row(name, "first content p50", g["content_p50_ms"], f["content_p50_ms"], "ms"),
        Row(name, "first content p99", g["content_p99_ms"], f["content_p99_ms"], "ms",
            f"<= {target_s * 1000:g} ms", g["content_p99_ms"] <= target_s * 1000),
        Row(name, "last stream done (wall)", g["wall_s"], f["wall_s"], "s",
            f"<= ideal {ideal_s:.2f} s + {late_s:g} s" if late_s else "",
            g["wall_s"] <= ideal_s + late_s if late_s else None),
        Row(name, "/health p99 meanwhile", health_ms, None, "ms", f"< {HEALTH_P99_MS} ms",
            health_ms < HEALTH_P99_MS, f"{len(health)} probes"),
        Row(name, "a new chat request meanwhile, p99", new_ms, None, "ms",
            f"< {FAIR_CHUNKS} chunks ({fair_ms} ms)", new_ms < fair_ms,
            f"{len(new_request)} requests; p50 {percentile([x * 1000 for _, x in new_request], 50):.0f} ms"),
        Row(name, "CPU per stream", g["cpu_per_req_ms"], f["cpu_per_req_ms"], "ms",
            note=f"gateway tree {g['cpu_s']:.2f} s CPU in {g['wall_s']:.2f} s"),
        Row(name, "load client CPU (gateway side)", g["client_cpu_s"], None, "s",
            note="the raw-socket client's own CPU for the whole burst"),
    )  # fmt: skip
