"""The benchmark's smoke mode runs whole, so ``python -m bench`` cannot rot unnoticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "1": "chat",
    "2": "stream",
    "3": "slow streams",
    "4": "embeddings",
    "5": "GET /models",
    "6": "cold start",
    "7": "burst",
    "8": "responses stream",
}


@pytest.fixture(scope="module")
def smoke_run() -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=280,
    )
    paths = [
        line.removeprefix("results: ") for line in done.stdout.splitlines() if line.startswith("results: ")
    ]
    document = json.loads(Path(paths[-1]).read_text()) if paths else {}
    return done, document


@pytest.mark.timeout(300)
def test_smoke_mode_exits_cleanly(smoke_run):
    done, _ = smoke_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("number", sorted(SCENARIOS))
def test_every_scenario_is_printed_beside_its_floor(smoke_run, number):
    done, document = smoke_run
    rows = [row for row in document.get("rows", []) if row["scenario"].startswith(f"{number} ")]
    assert rows, f"scenario {number} ({SCENARIOS[number]}) missing:\n{done.stdout[-3000:]}"
    assert rows[0]["scenario"] in done.stdout
    assert not [row for row in rows if row["metric"] == "ERROR"]
    assert any(row["floor"] is not None and row["gateway"] is not None for row in rows)
    assert all(row["passed"] is not False for row in rows if row["metric"] == "requests intact")
