"""2. Streaming, 300 tokens: first byte added over Bedrock's first event, CPU per relayed event.

Chat Completions (ConverseStream) and Anthropic Messages (InvokeModelWithResponseStream, as
the gateway relays Claude) each against boto3 decoding the same stream.
"""

from __future__ import annotations

from bench.measure import Row, interleave, median, paired_ratio
from bench.scenarios import CHAT_MODEL, Context, chat_request, converse_kwargs, intact_row, post, prompt

ADDED_TTFB_MS = 5.0
CPU_RATIO = 1.0


def run(ctx: Context) -> None:
    plan = ctx.plan
    gateway = ctx.gateway(1)
    expect = {"kind": "sse", "count": plan.stream_words}
    text = prompt(plan.stream_words, plan.stream_first_ms, plan.stream_token_ms)
    first = _pair(ctx, gateway, text, expect, 1, plan.stream_ttfb_total)
    name = f"2 stream {plan.stream_words} tokens c=1"
    g, f = first["gateway"], first["floor"]
    ttfb_g, ttfb_f = median(g, "ttfb_p50_ms"), median(f, "ttfb_p50_ms")
    ctx.add(
        intact_row(name, g, f),
        Row(
            name,
            f"time to first byte (p50; upstream first event at {plan.stream_first_ms} ms)",
            ttfb_g,
            ttfb_f,
            "ms",
            f"added < {ADDED_TTFB_MS:g} ms",
            ttfb_g - ttfb_f < ADDED_TTFB_MS,
            f"added {ttfb_g - ttfb_f:+.2f} ms",
        ),
        Row(name, "whole stream (p50)", median(g, "p50_ms"), median(f, "p50_ms"), "ms"),
    )
    ctx.raw[name] = first
    text = prompt(plan.stream_words, 0, plan.stream_token_ms)
    rounds = _pair(
        ctx, gateway, text, expect, plan.stream_cpu_concurrency, plan.stream_cpu_total, plan.stream_rounds
    )
    name = f"2 stream {plan.stream_words} tokens c={plan.stream_cpu_concurrency}"
    ctx.raw[name] = rounds
    g, f = rounds["gateway"], rounds["floor"]
    cpu_g, cpu_f = median(g, "cpu_per_chunk_us"), median(f, "cpu_per_chunk_us")
    cpu_ratio = paired_ratio(g, f, "cpu_per_chunk_us")
    ctx.add(
        intact_row(name, g, f),
        Row(
            name,
            "CPU per relayed chunk vs per decoded event",
            cpu_g,
            cpu_f,
            "us",
            f"<= {CPU_RATIO:g}x",
            cpu_ratio <= CPU_RATIO,
            f"{median(g, 'chunks') / max(median(g, 'n'), 1):.0f} chunks vs "
            f"{median(f, 'chunks') / max(median(f, 'n'), 1):.0f} events per stream",
            paired=cpu_ratio,
        ),
        Row(name, "CPU per stream", median(g, "cpu_per_req_ms"), median(f, "cpu_per_req_ms"), "ms"),
    )
    messages(ctx, gateway, text)


def messages(ctx: Context, gateway, text: str) -> None:
    """The Anthropic Messages relay of the same answer: CPU per relayed event."""
    plan = ctx.plan
    body = {"model": CHAT_MODEL, "max_tokens": 4096, "messages": [{"role": "user", "content": text}]}
    common = {
        "concurrency": plan.stream_cpu_concurrency,
        "total": plan.stream_cpu_total,
        "warmup": plan.stream_cpu_concurrency,
        "expect": {"kind": "messages_sse", "count": plan.stream_words},
    }
    request = post("/v1/messages", {**body, "stream": True})
    native = {"anthropic_version": "bedrock-2023-05-31", **{k: v for k, v in body.items() if k != "model"}}
    unit = {"modelId": CHAT_MODEL, "body": native}
    rounds = interleave(
        plan.stream_rounds,
        {
            "gateway": lambda: ctx.load(gateway, {**common, "label": "messages", "requests": [request]}),
            "floor": lambda: ctx.floor(
                {**common, "op": "invoke_model_with_response_stream", "units": [[unit]]}
            ),
        },
    )
    name = f"2 stream {plan.stream_words} tokens c={plan.stream_cpu_concurrency}, Anthropic Messages"
    ctx.raw[name] = rounds
    g, f = rounds["gateway"], rounds["floor"]
    ratio = paired_ratio(g, f, "cpu_per_chunk_us")
    ctx.add(
        intact_row(name, g, f),
        Row(name, "CPU per relayed event vs per decoded chunk", median(g, "cpu_per_chunk_us"),
            median(f, "cpu_per_chunk_us"), "us", f"<= {CPU_RATIO:g}x", ratio <= CPU_RATIO,
            f"{median(g, 'chunks') / max(median(g, 'n'), 1):.0f} events vs "
            f"{median(f, 'chunks') / max(median(f, 'n'), 1):.0f} chunks per stream", paired=ratio),
        Row(name, "CPU per stream", median(g, "cpu_per_req_ms"), median(f, "cpu_per_req_ms"), "ms"),
    )  # fmt: skip


def _pair(
    ctx: Context, gateway, text: str, expect: dict, concurrency: int, total: int, rounds: int = 0
) -> dict:
    common = {"concurrency": concurrency, "total": total, "warmup": concurrency, "expect": expect}
    return interleave(
        rounds or ctx.plan.rounds,
        {
            "gateway": lambda: ctx.load(gateway, {**common, "requests": [chat_request(text, stream=True)]}),
            "floor": lambda: ctx.floor(
                {**common, "op": "converse_stream", "units": [[converse_kwargs(text)]]}
            ),
        },
    )
