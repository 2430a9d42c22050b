"""Zappa's prebuild step leaves bytecode that Python uses after a copy that loses file times."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import lambda_bytecode  # noqa: E402

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"
TAG = sys.implementation.cache_tag


def project(root: Path, runtime: str = RUNNING) -> tuple[Path, Path]:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "answer.py").write_text("import tidy\nVALUE = tidy.double(21)\n")
    (root / "wsgi.py").write_text("from app.answer import VALUE\n")
    stages = {"production": {"runtime": runtime}, "dev": {"extends": "production"}}
    (root / "zappa_settings.json").write_text(json.dumps(stages))
    packages = root / "site-packages"
    packages.mkdir()
    (packages / "tidy.py").write_text("def double(x):\n    return 2 * x\n")
    (packages / "broken.py").write_text("print 'a module for another Python'\n")
    py_compile.compile(str(packages / "tidy.py"))  # pip leaves ordinary bytecode behind
    return root, packages


def test_bytecode_survives_a_copy_without_file_times_and_is_what_python_loads(tmp_path):
    root, packages = project(tmp_path / "build")
    lambda_bytecode.build(root, [packages])
    assert not (packages / "__pycache__" / f"broken.{TAG}.pyc").exists()
    task = tmp_path / "task"  # as Zappa packs it: the project and the packages in one folder
    shutil.copytree(root, task, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns("site-packages"))
    shutil.copytree(packages, task, copy_function=shutil.copyfile, dirs_exist_ok=True)
    for source in [task / "wsgi.py", task / "app" / "answer.py", task / "tidy.py"]:
        os.utime(source, (0, 0))  # a zip's timestamps: nothing like the build's
    task.chmod(0o555)  # read-only, as /var/task is
    script = (
        "import importlib.util, sys, wsgi\n"
        "print(wsgi.VALUE, [type(m.__spec__.loader).__name__ for m in (sys.modules['tidy'],)])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(task), "PYTHONVERBOSE": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=task, env=env, capture_output=True, text=True)
    task.chmod(0o755)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[0] == "42"
    for module in ("wsgi", "answer", "tidy"):  # -v: "code object from '<...>.pyc'" when bytecode is used
        used = [
            line
            for line in done.stderr.splitlines()
            if "code object from" in line and f"{module}.{TAG}.pyc" in line
        ]
        assert used, f"{module} was compiled from source"


def test_the_bytecode_is_checked_against_a_hash_of_the_source_not_its_time(tmp_path):
    root, packages = project(tmp_path)
    lambda_bytecode.build(root, [packages])
    for compiled in (root / "__pycache__" / f"wsgi.{TAG}.pyc", packages / "__pycache__" / f"tidy.{TAG}.pyc"):
        header = compiled.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b11  # PEP 552: hash-based, source checked


def test_a_build_on_another_python_than_the_stages_says_the_bytecode_will_not_be_used(tmp_path, capsys):
    other = "python3.9" if RUNNING != "python3.9" else "python3.12"
    root, packages = project(tmp_path, runtime=other)
    lambda_bytecode.build(root, [packages])
    assert f"the stages run {other} but this is {RUNNING}" in capsys.readouterr().err
