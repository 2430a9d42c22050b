"""The results: a table on stdout, and JSON (plus the same table as Markdown) in bench/results/."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

from bench.measure import Row
from bench.plan import Plan

RESULTS = Path(__file__).resolve().parent / "results"
VERDICT = {True: "ok", False: "MISS", None: ""}


def machine() -> dict:
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        mem_kib = int(meminfo.readline().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 10:
        return f"{value:,.0f}"
    magnitude = abs(value)
    return f"{value:,.0f}" if magnitude >= 100 else f"{value:.1f}" if magnitude >= 10 else f"{value:.2f}"


def ratio(row: Row) -> str:
    return "-" if row.ratio is None else f"{row.ratio:.2f}x"


def cells(row: Row) -> list[str]:
    return [
        row.metric,
        f"{number(row.gateway)} {row.unit}",
        f"{number(row.floor)} {row.unit}",
        ratio(row),
        row.target,
        VERDICT[row.passed],
        row.note,
    ]


HEADER = ["metric", "gateway", "floor (boto3)", "ratio", "target", "", "note"]


def text_table(rows: list[Row]) -> str:
    body = [cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADER, *body]) for i in range(len(HEADER))]
    lines, scenario = [], None
    for row, line in zip(rows, body, strict=True):
        if row.scenario != scenario:
            scenario = row.scenario
            lines += ["", scenario, "  " + "  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))]
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return "\n".join(lines).rstrip()


def markdown_table(rows: list[Row]) -> str:
    """One table; a scenario's name heads its first row only."""
    lines = ["| scenario | " + " | ".join(HEADER) + " |", "|" + "---|" * (len(HEADER) + 1)]
    previous = None
    for row in rows:
        name = f"**{row.scenario}**" if row.scenario != previous else ""
        previous = row.scenario
        lines.append("| " + " | ".join([name, *cells(row)]) + " |")
    return "\n".join(lines)


def write(rows: list[Row], raw: dict, plan: Plan, mode: str) -> Path:
    """Write ``<timestamp>.json`` and ``.md`` to bench/results/; return the JSON path."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    document = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "mode": mode,
        "machine": machine(),
        "plan": asdict(plan),
        "rows": [row.to_dict() for row in rows],
        "raw": raw,
    }
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=1, default=str))
    header = f"{document['date']}, {mode} mode, {describe(document['machine'])}\n\n"
    path.with_suffix(".md").write_text(header + markdown_table(rows) + "\n")
    return path


def describe(info: dict) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Linux {info['kernel']}, Python {info['python']}"
    )
