"""How much work each scenario does: the full run, and the tiny smoke run CI does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    rounds: int = 3
    chat_rounds: int = 5
    stream_rounds: int = 5  # the per-event CPU ratios move most between rounds
    workers: tuple[int, ...] = (1, 2)  # 2 = gunicorn.conf.py's default on this machine
    chat_words: int = 20
    chat_c1: int = 300
    chat_concurrency: int = 16  # the figure: concurrency 1 and 16
    chat_many: int = 2000
    stream_words: int = 300
    stream_first_ms: int = 50
    stream_token_ms: int = 1
    stream_ttfb_total: int = 10
    stream_cpu_concurrency: int = 16
    stream_cpu_total: int = 48
    slow_streams: int = 1000
    slow_words: int = 30
    slow_token_ms: int = 1000
    slow_ramp_s: float = 5.0
    burst_streams: tuple[int, ...] = (500, 1000)
    burst_words: int = 20
    burst_token_ms: int = 50
    cohere_texts: int = 2048
    cohere_first_ms: int = 250
    titan_texts: int = 256
    titan_first_ms: int = 20
    embed_requests: int = 2
    models_concurrency: int = 8
    models_total: int = 2000
    cold_rounds: int = 3


FULL = Plan()
SMOKE = Plan(
    rounds=1,
    chat_rounds=1,
    stream_rounds=1,
    workers=(1,),
    chat_c1=20,
    chat_many=64,
    stream_ttfb_total=2,
    stream_cpu_concurrency=4,
    stream_cpu_total=4,
    slow_streams=20,
    slow_words=5,
    slow_token_ms=250,
    slow_ramp_s=0.25,
    burst_streams=(20,),
    burst_words=5,
    cohere_texts=200,
    titan_texts=16,
    embed_requests=1,
    models_concurrency=4,
    models_total=100,
    cold_rounds=1,
)
