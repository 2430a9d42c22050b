"""A worker starts without the libraries only some configurations or requests need.

``import wsgi`` runs in a fresh interpreter, as gunicorn's worker does; what it loaded is
read from ``sys.modules``.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
OPTIONAL = ("apispec", "gevent", "limits", "prometheus_client", "redis")
REPORT = "import sys, wsgi; print(' '.join(name for name in {names!r} if name in sys.modules))"


def optional_libraries_loaded(**environ: str) -> list[str]:
    script = REPORT.format(names=OPTIONAL)
    env = {**os.environ, "API_KEY": API_KEY, **environ}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True)
    return done.stdout.decode().split()


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
    assert optional_libraries_loaded(**environ) == loaded
