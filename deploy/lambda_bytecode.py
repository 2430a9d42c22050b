"""Zappa's prebuild step: compiled bytecode beside every module, shipped instead of the source.

Lambda's ``/var/task`` is read-only, so a package without bytecode compiles every module the
app imports on every cold start (``import wsgi``: 1.3 to 1.6 s without bytecode, 0.4 s with).
Zappa leaves ``__pycache__`` out, but ships a legacy ``module.pyc`` that sits beside
``module.py`` in place of the source when it is the newer file, and Python imports it without
the source. Bytecode only runs on the Python that made it, so the build refuses to run on
any other than the stages' runtime.
"""

from __future__ import annotations

import compileall
import json
import site
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_all() -> None:
    """``prebuild_script`` of zappa_settings.json: the project and this environment's packages."""
    build(ROOT, [Path(path) for path in site.getsitepackages()])


def build(root: Path, site_packages: list[Path]) -> None:
    require_runtime(json.loads((root / "zappa_settings.json").read_text()))
    folders = [root / "app", *site_packages]
    for folder in folders:
        remove_orphans(folder)
    compileall.compile_file(root / "wsgi.py", quiet=2, legacy=True)
    for folder in folders:
        # A file that does not compile (some packages ship examples for other Pythons) keeps its source.
        compileall.compile_dir(folder, quiet=2, legacy=True, workers=0)


def require_runtime(settings: dict) -> None:
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtimes = {stage["runtime"] for stage in settings.values() if "runtime" in stage}
    if runtimes != {running}:
        raise SystemExit(
            f"lambda bytecode: the stages run {', '.join(sorted(runtimes))}, this build is {running}; "
            "build with the stages' Python, or its bytecode would not load on Lambda"
        )


def remove_orphans(folder: Path) -> None:
    """Legacy bytecode whose source is gone (a module deleted or renamed since) would still import."""
    for compiled in folder.rglob("*.pyc"):
        if compiled.parent.name != "__pycache__" and not compiled.with_suffix(".py").exists():
            compiled.unlink()
