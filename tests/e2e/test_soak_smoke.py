"""The soak script still runs end to end: a tiny mix through the real servers, via its CLI."""

import json
import subprocess
import sys

import pytest

from soak.workload import KINDS
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_a_small_soak_passes_and_reports_every_kind_of_request(tmp_path):
    argv = [sys.executable, "-m", "soak", "--requests", "120", "--warmup", "20", "--concurrency", "10"]
    argv += ["--workers", "1", "--duration", "60", "--log-dir", str(tmp_path), "--json"]
    finished = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=110)
    report = json.loads(finished.stdout)
    assert report["problems"] == [], report["problems"]
    assert (report["passed"], finished.returncode) == (True, 0)
    assert set(report["outcomes"]) == set(KINDS)
    assert report["requests"]["measured"] == 120
    assert report["open_streams"] == 0
    assert len(report["workers"]["ended"]) == 1
