"""The load generator: ``python -m bench.loadgen`` reads a job (JSON) on stdin, prints results.

Raw HTTP/1.1 with keep-alive over asyncio streams, one connection per concurrent client:
it costs less CPU per request than any client library, so the two cores go to the
servers under test. Responses are checked after the timed window, not during it.

Job keys: ``port``, ``requests`` (list of {method, path, headers, body}, cycled),
``concurrency``, ``total``, ``warmup``, ``ramp_s`` (clients start evenly over it),
``expect`` ({kind, count}: see ``checks``),
``cpu_roots`` (process trees whose CPU the timed window is charged with), ``rss_pids``
(sampled while it runs), ``probes`` (request specs with an ``interval``: each one more
client, a process of its own, timing that request meanwhile).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

from bench import checks, cpu

RSS_INTERVAL = 0.2


def encode(port: int, spec: dict) -> bytes:
    body = spec.get("body", "").encode()
    lines = [f"{spec.get('method', 'GET')} {spec['path']} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in spec.get("headers", {}).items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# The first SSE event carrying text: a chat delta's non-empty "content".
CONTENT = re.compile(rb'"content":"[^"]')
CHUNKED_END = b"\r\n0\r\n\r\n"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, float | None, float | None, bool]:
    """(status, body, time of the first body byte, of the first content, keep-alive) of one response."""
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    status = int(head[9:12])
    keep_alive = b"connection: close" not in head
    if b"transfer-encoding: chunked" in head:
        body, first, content = await _read_chunked(reader)
        return status, body, first, content, keep_alive
    marker = head.find(b"content-length:")
    if marker < 0:
        body = await reader.read()
        return status, body, time.perf_counter(), None, False
    length = int(head[marker + 15 : head.index(b"\r\n", marker)])
    body = await reader.readexactly(length)
    return status, body, time.perf_counter(), None, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, float | None, float | None]:
    """Whatever each read brings, until the last chunk: one read per arrival keeps this client light."""
    parts, first, content, tail = [], None, None, b"\r\n"
    while True:
        data = await reader.read(1 << 16)
        if not data:
            raise asyncio.IncompleteReadError(b"".join(parts), None)
        now = time.perf_counter()
        first = first or now
        if content is None and CONTENT.search(data):
            content = now
        parts.append(data)
        tail = (tail + data)[-len(CHUNKED_END) :]
        if tail.endswith(CHUNKED_END):
            return dechunk(b"".join(parts)), first, content


def dechunk(raw: bytes) -> bytes:
    """The body of a complete chunked transfer."""
    parts, at = [], 0
    while True:
        line_end = raw.index(b"\r\n", at)
        size = int(raw[at:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(parts)
        parts.append(raw[line_end + 2 : line_end + 2 + size])
        at = line_end + 4 + size


class Connection:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, raw: bytes) -> dict:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        reader, writer = self.streams
        start = time.perf_counter()
        writer.write(raw)
        status, body, first, content, keep_alive = await read_response(reader)
        end = time.perf_counter()
        if not keep_alive:
            await self.close()
        result = {"status": status, "body": body, "latency": end - start, "ttfb": (first or end) - start}
        if content is not None:
            result["first_content"] = content - start
        return result

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class Run:
    """Counters shared by the clients of one timed phase."""

    def __init__(self, raws: list[bytes], total: int):
        self.raws, self.total, self.next, self.open, self.results = raws, total, 0, 0, []

    def take(self) -> bytes | None:
        if self.next >= self.total:
            return None
        raw = self.raws[self.next % len(self.raws)]
        self.next += 1
        return raw


async def client(connection: Connection, run: Run, delay: float = 0.0) -> None:
    await asyncio.sleep(delay)
    while (raw := run.take()) is not None:
        run.open += 1
        try:
            run.results.append(await connection.send(raw))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            run.results.append({"error": f"{type(exc).__name__}: {exc}"})
            await connection.close()
        finally:
            run.open -= 1


async def probe(port: int, spec: dict, ready: asyncio.Event, stop: asyncio.Event) -> list[tuple]:
    """(seconds since ``ready``, latency) of ``spec`` every ``spec['interval']`` s until ``stop``.

    The probe is a process of its own (``bench.probe``): this one's event loop is busy.
    """
    args = [str(port), json.dumps(spec), str(spec.get("interval", 0.1))]
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.probe", *args, stdin=pipe, stdout=pipe
    )
    await process.stdout.readline()
    ready.set()
    await stop.wait()
    output, _ = await process.communicate(b"")
    return [(at, float("inf") if latency is None else latency) for at, latency in json.loads(output)]


async def sample_rss(pids: list[int], run: Run, stop: asyncio.Event) -> list[dict]:
    samples = []
    while not stop.is_set():
        samples.append({"open": run.open, "rss_kib": sum(cpu.rss_kib(pid) for pid in pids)})
        try:
            await asyncio.wait_for(stop.wait(), RSS_INTERVAL)
        except TimeoutError:
            pass
    return samples


async def phase(connections: list[Connection], raws: list[bytes], total: int) -> Run:
    run = Run(raws, total)
    await asyncio.gather(*(client(connection, run) for connection in connections))
    return run


async def main(job: dict) -> dict:
    port = job["port"]
    raws = [encode(port, spec) for spec in job["requests"]]
    connections = [Connection(port) for _ in range(job["concurrency"])]
    if job.get("warmup"):
        await phase(connections, raws, job["warmup"])
    rss_pids = job.get("rss_pids", [])
    rss_before = sum(cpu.rss_kib(pid) for pid in rss_pids)
    stop = asyncio.Event()
    run = Run(raws, job["total"])
    side = [asyncio.ensure_future(sample_rss(rss_pids, run, stop))]
    for spec in job.get("probes", []):
        probe_ready = asyncio.Event()
        side.append(asyncio.ensure_future(probe(port, spec, probe_ready, stop)))
        await probe_ready.wait()
    cpu_before, self_before = cpu.tree_cpu_seconds(job.get("cpu_roots", [])), cpu.self_cpu_seconds()
    start = time.perf_counter()
    ramp = job.get("ramp_s", 0) / len(connections)
    await asyncio.gather(
        *(client(connection, run, index * ramp) for index, connection in enumerate(connections))
    )
    wall = time.perf_counter() - start
    cpu_used = cpu.tree_cpu_seconds(job.get("cpu_roots", [])) - cpu_before
    self_used = cpu.self_cpu_seconds() - self_before
    stop.set()
    samples, *probed = await asyncio.gather(*side)
    for connection in connections:
        await connection.close()
    return {
        "wall": wall,
        "cpu": cpu_used,
        "client_cpu": self_used,
        "rss_before_kib": rss_before,
        "rss_samples": samples,
        "probes": probed,
        "results": [_checked(result, job.get("expect", {})) for result in run.results],
    }


def _checked(result: dict, expect: dict) -> dict:
    """The result without its body, with the verdict of ``checks`` on it."""
    if "body" not in result:
        return {**result, "ok": False, "chunks": 0}
    body = result.pop("body")
    verdict = checks.check(expect.get("kind", "any"), result["status"], body, expect.get("count", 0))
    return {**result, **verdict, "bytes": len(body)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
