"""Where a gateway worker spends its CPU: py-spy attached for each timed load, then summed.

``python -m bench --profile DIR`` records one raw (collapsed-stack) file per worker and
load; ``python -m bench.profile FILE...`` prints the functions with the most samples,
on their own (self) and with what they call (inclusive), as percentages of all samples.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 250  # samples per second


class Recorder:
    """py-spy ``record`` on some pids for the length of a ``with`` block."""

    def __init__(self, py_spy: str, out: Path, label: str, pids: list[int]):
        self.commands = [
            [py_spy, "record", "--pid", str(pid), "--rate", str(RATE), "--nonblocking", "--format", "raw",
             "--output", str(out / f"{label}-{pid}.txt")]
            for pid in pids
        ]  # fmt: skip
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Recorder:
        self.processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for command in self.commands]
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            process.wait(timeout=30)


def find_py_spy() -> str:
    found = shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    return found


def frame_name(frame: str) -> str:
    """``func (path/to/file.py:12)`` -> ``file.py:func``, the line number dropped."""
    func, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    short = (
        "/".join(path.split("/")[-2:]) if "/app/" in path or path.startswith("app/") else path.split("/")[-1]
    )
    return f"{short}:{func}"


def tally(paths: list[Path]) -> tuple[Counter, Counter, int]:
    """(self samples, inclusive samples, total samples) per function over the files."""
    own, inclusive, total = Counter(), Counter(), 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [frame_name(frame) for frame in stack.split(";") if frame.strip()]
            if not frames or not count.isdigit():
                continue
            samples = int(count)
            total += samples
            own[frames[-1]] += samples
            for name in set(frames):
                inclusive[name] += samples
    return own, inclusive, total


def summary(paths: list[Path], top: int = 25) -> str:
    own, inclusive, total = tally(paths)
    if not total:
        return "no samples"
    lines = [f"{total} samples ({total / RATE:.1f} CPU-s at {RATE} Hz)", "  self%  incl%  function"]
    ranked = sorted(inclusive, key=lambda name: (-own[name], -inclusive[name]))[:top]
    lines += [f"  {100 * own[n] / total:5.1f}  {100 * inclusive[n] / total:5.1f}  {n}" for n in ranked]
    lines += ["", "  top inclusive (app/ and the libraries on the request path):"]
    ranked = [name for name, _ in inclusive.most_common() if not name.startswith(("<", "threading"))][:top]
    lines += [f"  {100 * own[n] / total:5.1f}  {100 * inclusive[n] / total:5.1f}  {n}" for n in ranked]
    return "\n".join(lines)


def summarize_dir(directory: Path) -> str:
    """One summary per scenario and label, over its rounds (files ``<scenario>.<label>.<n>-<pid>.txt``)."""
    labels: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.txt")):
        labels.setdefault(path.stem.rsplit("-", 1)[0].rsplit(".", 1)[0], []).append(path)
    return "\n\n".join(f"== {label}\n{summary(paths)}" for label, paths in labels.items())


if __name__ == "__main__":
    print(summary([Path(arg) for arg in sys.argv[1:]]))
