"""Zappa's prebuild step: bytecode that Lambda can use, written beside every module it ships.

Lambda's ``/var/task`` is read-only, so a module without usable bytecode is compiled again
on every cold start. Zappa ships the ``__pycache__`` folders, but copies files without their
modification times, so ordinary bytecode, which is checked against its source's time, no
longer matches. This step rewrites the bytecode of the app and of the venv's packages as
checked-hash bytecode (PEP 552): Python checks it against a hash of the source, which the
copy keeps.
"""

from __future__ import annotations

import compileall
import json
import py_compile
import site
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_all() -> None:
    """``prebuild_script`` of zappa_settings.json: the project and this environment's packages."""
    build(ROOT, [Path(path) for path in site.getsitepackages()])


def build(root: Path, site_packages: list[Path]) -> None:
    warn_unless_runtime(json.loads((root / "zappa_settings.json").read_text()))
    checked = py_compile.PycInvalidationMode.CHECKED_HASH
    # force: pip and earlier imports left ordinary bytecode that compileall would keep as up to date.
    compileall.compile_file(root / "wsgi.py", force=True, quiet=2, invalidation_mode=checked)
    for folder in (root / "app", *site_packages):
        # A file that does not compile (some packages ship examples for other Pythons) keeps its source only.
        compileall.compile_dir(folder, force=True, quiet=2, invalidation_mode=checked, workers=0)


def warn_unless_runtime(settings: dict) -> None:
    """Bytecode is only used by the Python version that wrote it (its file names say which)."""
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtimes = {stage["runtime"] for stage in settings.values() if "runtime" in stage}
    if runtimes != {running}:
        print(
            f"lambda bytecode: the stages run {', '.join(sorted(runtimes))} but this is {running};"
            " Lambda will compile every module on each cold start",
            file=sys.stderr,
        )
