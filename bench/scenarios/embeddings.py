"""4. Embeddings: one large request fanned out to Bedrock; overlap, CPU per text, base64."""

from __future__ import annotations

from bench.measure import Row, interleave, median
from bench.scenarios import Context, intact_row, post

COHERE = "cohere.embed-english-v3"
COHERE_BATCH = 96
TITAN = "amazon.titan-embed-text-v2:0"
FANOUT = 16  # the gateway's EMBEDDING_CONCURRENCY default
OVERLAP = 2  # the fan-out must at least halve the serial time


def texts(count: int, first_ms: int) -> list[str]:
    """Distinct short texts, each scripting the upstream delay of the call that carries it."""
    return [
        f"Text number {index} about gateway benchmarks.\n@@latency first={first_ms}" for index in range(count)
    ]


def cohere_units(inputs: list[str]) -> list[dict]:
    return [
        {"modelId": COHERE, "body": {"texts": inputs[start : start + COHERE_BATCH],
                                     "input_type": "search_document", "truncate": "END"}}
        for start in range(0, len(inputs), COHERE_BATCH)
    ]  # fmt: skip


def titan_units(inputs: list[str]) -> list[dict]:
    return [{"modelId": TITAN, "body": {"inputText": text, "normalize": True}} for text in inputs]


def run(ctx: Context) -> None:
    plan = ctx.plan
    measure(ctx, COHERE, texts(plan.cohere_texts, plan.cohere_first_ms), cohere_units, plan.cohere_first_ms)
    measure(ctx, TITAN, texts(plan.titan_texts, plan.titan_first_ms), titan_units, plan.titan_first_ms)


def measure(ctx: Context, model: str, inputs: list[str], units, first_ms: int) -> None:
    gateway = ctx.gateway(1)
    calls = units(inputs)
    common = {"concurrency": 1, "total": ctx.plan.embed_requests, "warmup": 1,
              "expect": {"kind": "embeddings", "count": len(inputs)}}  # fmt: skip

    def through_gateway(encoding: str):
        body = {"model": model, "input": inputs, "encoding_format": encoding}
        label = f"{model.split('.')[0]}-{encoding}"
        return lambda: ctx.load(
            gateway, {**common, "label": label, "requests": [post("/v1/embeddings", body)]}
        )

    rounds = interleave(
        ctx.plan.rounds,
        {
            "gateway": through_gateway("float"),
            "base64": through_gateway("base64"),
            "floor": lambda: ctx.floor({**common, "op": "invoke_model", "units": [calls], "fanout": FANOUT}),
        },
    )
    serial_run = ctx.floor({**common, "op": "invoke_model", "units": [calls], "total": 1, "warmup": 0})
    serial = serial_run["wall"] * 1000
    name = f"4 embeddings {model}: {len(inputs)} texts, {len(calls)} calls of {first_ms} ms"
    ctx.raw[name] = {**rounds, "serial_ms": serial}
    g, b, f = rounds["gateway"], rounds["base64"], rounds["floor"]
    wall_g = median(g, "p50_ms")
    megabytes = [median(side, "bytes_per_req") / 1e6 for side in (b, g)]
    sizes = "response {:.1f} MB vs {:.1f} MB as floats".format(*megabytes)
    per_text = [cpu_per_text(side, inputs) for side in (g, b, f)]
    ctx.add(
        intact_row(name, g + b, f),
        Row(name, "wall time per request (float)", wall_g, median(f, "p50_ms"), "ms",
            f"< serial sum / {OVERLAP:g}", wall_g < serial / OVERLAP,
            f"serial sum {serial:.0f} ms (boto3, 1 at a time)"),
        Row(name, "wall time per request (base64)", median(b, "p50_ms"), median(f, "p50_ms"), "ms"),
        Row(name, "CPU per text (float)", per_text[0], per_text[2], "us"),
        Row(name, "CPU per text (base64)", per_text[1], per_text[2], "us", note=sizes),
    )  # fmt: skip


def cpu_per_text(summaries: list[dict], inputs: list[str]) -> float:
    return median(summaries, "cpu_per_req_ms") * 1000 / len(inputs)
