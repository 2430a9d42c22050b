"""Zappa's prebuild step leaves bytecode Python imports without the source, and nothing stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import lambda_bytecode  # noqa: E402

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"


def project(root: Path, runtime: str = RUNNING) -> tuple[Path, Path]:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "answer.py").write_text("import tidy\nVALUE = tidy.double(21)\n")
    (root / "app" / "gone.pyc").write_bytes(b"stale bytecode of a module deleted since")
    (root / "wsgi.py").write_text("from app.answer import VALUE\n")
    stages = {"production": {"runtime": runtime}, "dev": {"extends": "production"}}
    (root / "zappa_settings.json").write_text(json.dumps(stages))
    packages = root / "site-packages"
    packages.mkdir()
    (packages / "tidy.py").write_text("def double(x):\n    return 2 * x\n")
    (packages / "broken.py").write_text("print 'a module for another Python'\n")
    return root, packages


def test_the_package_imports_from_bytecode_alone_as_lambda_would(tmp_path):
    root, packages = project(tmp_path)
    lambda_bytecode.build(root, [packages])
    assert (root / "wsgi.pyc").exists() and (root / "app" / "answer.pyc").exists()
    assert (packages / "tidy.pyc").exists()
    assert not (root / "app" / "gone.pyc").exists()
    assert not (packages / "broken.pyc").exists()  # keeps its source, which Zappa then ships
    for source in [root / "wsgi.py", *root.glob("app/*.py"), packages / "tidy.py"]:
        source.unlink()  # what Zappa leaves out when the bytecode is the newer file
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{packages}", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.VALUE, wsgi.__file__)"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", str(root / "wsgi.pyc")]


def test_a_build_on_another_python_than_the_stages_is_refused(tmp_path):
    root, packages = project(tmp_path, runtime="python3.9" if RUNNING != "python3.9" else "python3.12")
    with pytest.raises(SystemExit, match="bytecode would not load on Lambda"):
        lambda_bytecode.build(root, [packages])
    assert not (root / "wsgi.pyc").exists()
