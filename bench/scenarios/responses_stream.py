"""Responses streaming beside chat streaming: CPU per relayed event for the same reply.

The same scripted 300-word answer, streamed by one gateway as Responses events and as
chat.completion chunks, the two loads interleaved round by round.
"""

from __future__ import annotations

from bench.measure import Row, interleave, median, paired_ratio
from bench.scenarios import CHAT_MODEL, Context, chat_request, intact_row, post, prompt

CPU_RATIO = 1.1


def responses_request(text: str) -> dict:
    """A loadgen request spec for a streaming POST /v1/responses."""
    return post("/v1/responses", {"model": CHAT_MODEL, "input": text, "stream": True})


def run(ctx: Context) -> None:
    plan = ctx.plan
    gateway = ctx.gateway(1)
    text = prompt(plan.stream_words, 0, plan.stream_token_ms)
    common = {"concurrency": plan.stream_cpu_concurrency, "total": plan.stream_cpu_total}
    common["warmup"] = plan.stream_cpu_concurrency
    responses = {**common, "requests": [responses_request(text)]}
    chat = {**common, "requests": [chat_request(text, stream=True)]}
    rounds = interleave(
        plan.stream_rounds,
        {
            "responses": lambda: ctx.load(
                gateway, {**responses, "expect": {"kind": "responses_sse", "count": plan.stream_words}}
            ),
            "chat": lambda: ctx.load(
                gateway, {**chat, "expect": {"kind": "sse", "count": plan.stream_words}}
            ),
        },
    )
    name = f"8 responses stream {plan.stream_words} tokens c={plan.stream_cpu_concurrency} (vs chat)"
    ctx.raw[name] = rounds
    r, c = rounds["responses"], rounds["chat"]
    ratio = paired_ratio(r, c, "cpu_per_chunk_us")
    ctx.add(
        intact_row(name, r, c),
        Row(
            name,
            "CPU per relayed Responses event vs per chat chunk",
            median(r, "cpu_per_chunk_us"),
            median(c, "cpu_per_chunk_us"),
            "us",
            f"<= {CPU_RATIO:g}x",
            ratio <= CPU_RATIO,
            f"{median(r, 'chunks') / max(median(r, 'n'), 1):.0f} events vs "
            f"{median(c, 'chunks') / max(median(c, 'n'), 1):.0f} chunks per stream",
            paired=ratio,
        ),
        Row(name, "CPU per stream", median(r, "cpu_per_req_ms"), median(c, "cpu_per_req_ms"), "ms"),
    )
