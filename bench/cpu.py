"""CPU and memory of process trees, from /proc accounting (utime + stime, VmRSS)."""

from __future__ import annotations

import os

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    # The command name may hold spaces and parentheses; the fields start after the last ')'.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds; 0 once it is gone."""
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from every thread's ``children`` list."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.extend(int(child) for child in listing.read().split())
        except FileNotFoundError:
            continue
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    pids, index = [pid], 0
    while index < len(pids):
        pids.extend(children(pids[index]))
        index += 1
    return pids


def tree_cpu_seconds(roots: list[int]) -> float:
    """CPU seconds of every process in the trees rooted at ``roots``."""
    return sum(cpu_seconds(pid) for root in roots for pid in tree(root))


def rss_kib(pid: int) -> int:
    """Resident set size of one process, in KiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_KIB
    except (FileNotFoundError, ProcessLookupError):
        return 0


def self_cpu_seconds() -> float:
    return cpu_seconds(os.getpid())
