"""From client-process answers to figures: percentiles, per-request CPU, rounds, result rows."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass

COUNTS = ("", "calls")


@dataclass
class Row:
    """One line of the table: a gateway figure beside its floor from the same run."""

    scenario: str
    metric: str
    gateway: float | None
    floor: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""
    paired: float | None = None  # the median of per-round ratios, when the rounds give one

    @property
    def ratio(self) -> float | None:
        """gateway / floor, for the figures where a ratio means something (not counts)."""
        if self.paired is not None:
            return self.paired
        if self.gateway is None or not self.floor or self.unit in COUNTS:
            return None
        return self.gateway / self.floor

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summarize(answer: dict) -> dict:
    """The figures of one timed window, from a loadgen or floor answer."""
    results = answer["results"]
    done = [result for result in results if result.get("ok")]
    latencies = [result["latency"] for result in done]
    chunks = sum(result.get("chunks", 0) for result in done)
    errors = [result.get("error", "not intact") for result in results if not result.get("ok")]
    return {
        "n": len(results),
        "ok": len(done),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "rps": len(results) / answer["wall"] if answer["wall"] else float("nan"),
        "wall_s": answer["wall"],
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "ttfb_p50_ms": percentile([result["ttfb"] for result in done], 50) * 1000,
        "content_p50_ms": percentile([r["first_content"] for r in done if "first_content" in r], 50) * 1000,
        "content_p99_ms": percentile([r["first_content"] for r in done if "first_content" in r], 99) * 1000,
        "cpu_s": answer["cpu"],
        "cpu_per_req_ms": answer["cpu"] / max(len(results), 1) * 1000,
        "cpu_per_chunk_us": answer["cpu"] / max(chunks, 1) * 1e6,
        "chunks": chunks,
        "bytes_per_req": statistics.mean([result.get("bytes", 0) for result in done]) if done else 0,
        "client_cpu_s": answer.get("client_cpu"),
    }


def interleave(rounds: int, runs: dict[str, Callable[[], dict]]) -> dict[str, list[dict]]:
    """Each run ``rounds`` times, alternating which goes first, so drift hits all alike."""
    names = list(runs)
    summaries: dict[str, list[dict]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            summaries[name].append(summarize(runs[name]()))
    return summaries


def median(summaries: list[dict], key: str) -> float:
    values = [summary[key] for summary in summaries if summary[key] is not None]
    return statistics.median(values) if values else float("nan")


def paired_ratio(gateway: list[dict], floor: list[dict], key: str) -> float:
    """The median over rounds of gateway/floor, each round against the floor run beside it."""
    ratios = [g[key] / f[key] for g, f in zip(gateway, floor, strict=True) if f[key]]
    return statistics.median(ratios) if ratios else float("nan")


def all_intact(*groups: list[dict]) -> tuple[bool, str]:
    """Whether every request of every round came back intact; the first error if not."""
    for summaries in groups:
        for summary in summaries:
            if summary["errors"]:
                return False, f"{summary['errors']}/{summary['n']} failed: {summary['first_error']}"
    return True, ""
