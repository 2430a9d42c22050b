"""3. Many simultaneous slow streams on ONE gevent worker: intact, memory per stream, /health."""

from __future__ import annotations

from bench.measure import Row, percentile, summarize
from bench.scenarios import Context, chat_request, converse_kwargs, intact_row, prompt

KIB_PER_STREAM = 150
HEALTH_P99_MS = 50
PROBE = {"method": "GET", "path": "/health", "interval": 0.1}


def run(ctx: Context) -> None:
    plan = ctx.plan
    streams, ramp = plan.slow_streams, plan.slow_ramp_s
    text = prompt(plan.slow_words, 0, plan.slow_token_ms)
    job = {
        "concurrency": streams,
        "total": streams,
        "ramp_s": ramp,
        "expect": {"kind": "sse", "count": plan.slow_words},
    }
    gateway = ctx.fresh_gateway(1)  # a worker of its own: the memory figure starts from a warm, unused heap
    try:
        idle = ctx.load(gateway, {"requests": [PROBE], "concurrency": 1, "total": 100})
        extra = {"rss_pids": gateway.worker_pids(), "probes": [PROBE]}
        busy = ctx.load(gateway, {**job, **extra, "requests": [chat_request(text, stream=True)]})
    finally:
        gateway.stop()
    floor = ctx.floor({**job, "op": "converse_stream", "units": [[converse_kwargs(text)]]})
    name = f"3 {streams} slow streams ({plan.slow_words} tokens, 1 every {plan.slow_token_ms} ms), 1 worker"
    g, f = summarize(busy), summarize(floor)
    probed = busy["probes"][0]
    ctx.raw[name] = {"gateway": [g], "floor": [f], "probe": probed, "rss": busy["rss_samples"]}
    kib_g, kib_f = per_stream_kib(busy), per_stream_kib(floor)
    idle_ms = percentile([result["latency"] * 1000 for result in idle["results"]], 99)
    all_ms = percentile([latency * 1000 for _, latency in probed], 99)
    steady_ms = percentile([latency * 1000 for at, latency in probed if at > ramp], 99)
    ctx.add(
        intact_row(name, [g], [f]),
        Row(name, "memory per open stream (RSS delta / open streams)", kib_g, kib_f, "KiB",
            f"< {KIB_PER_STREAM} KiB", kib_g < KIB_PER_STREAM, f"{fullest(busy)['open']} open at once"),
        Row(name, f"/health p99, all open (after the {ramp:g} s ramp; floor: idle)", steady_ms, idle_ms, "ms",
            f"< {HEALTH_P99_MS} ms", steady_ms < HEALTH_P99_MS, f"{len(probed)} probes"),
        Row(name, "/health p99 including the ramp (floor: idle)", all_ms, idle_ms, "ms"),
        Row(name, "wall time, all streams", g["wall_s"], f["wall_s"], "s"),
        Row(name, "CPU per relayed chunk", g["cpu_per_chunk_us"], f["cpu_per_chunk_us"], "us"),
    )  # fmt: skip


def fullest(answer: dict) -> dict:
    """The RSS sample taken with the most streams open (the largest RSS among those)."""
    samples = answer["rss_samples"] or [{"open": 0, "rss_kib": answer["rss_before_kib"]}]
    return max(samples, key=lambda sample: (sample["open"], sample["rss_kib"]))


def per_stream_kib(answer: dict) -> float:
    sample = fullest(answer)
    return (sample["rss_kib"] - answer["rss_before_kib"]) / max(sample["open"], 1)
