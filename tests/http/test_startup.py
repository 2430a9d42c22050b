"""What a worker's start leaves behind: the libraries it loaded and the collector's state.

``import wsgi`` runs in a fresh interpreter, as gunicorn's worker does.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
OPTIONAL = ("apispec", "gevent", "limits", "prometheus_client", "redis")


def after_import_wsgi(statement: str, **environ: str) -> str:
    """What ``statement`` prints in a fresh interpreter that has just imported wsgi."""
    env = {**os.environ, "API_KEY": API_KEY, **environ}
    command = [sys.executable, "-c", f"import wsgi; {statement}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True, text=True).stdout


@pytest.mark.parametrize(
    ("environ", "loaded"),
    [
        ({}, []),
        ({"METRICS_ENABLED": "true"}, ["prometheus_client"]),
        ({"RATE_LIMIT_STORAGE_URI": "redis://127.0.0.1:1"}, ["limits", "redis"]),
    ],
    ids=["default", "metrics", "redis-store"],
)
def test_a_worker_loads_only_the_libraries_its_configuration_needs(environ, loaded):
    statement = f"import sys; print(*[name for name in {OPTIONAL!r} if name in sys.modules])"
    assert after_import_wsgi(statement, **environ).split() == loaded


def test_the_collector_runs_again_after_startup_and_leaves_the_startup_objects_out():
    assert after_import_wsgi("import gc; print(gc.isenabled(), gc.get_freeze_count() > 0)") == "True True\n"
