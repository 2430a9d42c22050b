"""What a process holds, read from /proc (Linux): children, resident memory, descriptors, TCP peers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_ESTABLISHED = "01"


def children(pid: int) -> list[int]:
    """Direct child pids (gunicorn's workers, for the master's pid)."""
    found = []
    for task in (PROC / str(pid) / "task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return sorted(found)


def rss_kib(pid: int) -> int:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in (PROC / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def established_to(port: int) -> dict[str, int]:
    """ESTABLISHED TCP sockets whose remote port is ``port``: inode -> 1."""
    found = {}
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == _ESTABLISHED:
                found[fields[9]] = 1
    return found


@dataclass(frozen=True)
class Footprint:
    """One process's resources at one moment."""

    pid: int
    rss_kib: int
    fds: int
    sockets: int
    upstream_connections: int

    @classmethod
    def of(cls, pid: int, upstream_port: int) -> Footprint:
        sockets = socket_inodes(pid)
        upstream = established_to(upstream_port)
        return cls(
            pid=pid,
            rss_kib=rss_kib(pid),
            fds=len(list((PROC / str(pid) / "fd").iterdir())),
            sockets=len(sockets),
            upstream_connections=sum(1 for inode in sockets if inode in upstream),
        )


def workers_footprint(master_pid: int, upstream_port: int) -> list[Footprint]:
    return [Footprint.of(pid, upstream_port) for pid in children(master_pid)]
