"""gunicorn settings for production: gevent workers, values from the environment.

gunicorn's gevent worker monkey-patches the standard library in each worker before the
app (and so boto3, ssl and urllib3) is imported; ``preload_app`` stays off for that:
preloading would import botocore's SSL context in the master, unpatched.
README.md (Deployment) describes every variable read here.
"""

import json
import multiprocessing
import os

from gunicorn import util


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not an integer") from None
    if value < 0:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} must be zero or more")
    return value


bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '0.0.0.0')}:{_int('PORT', 8000)}"
worker_class = "gevent"
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count()) or 1
# Concurrent requests (streams included) one worker holds; match BEDROCK_MAX_POOL_CONNECTIONS.
worker_connections = _int("WORKER_CONNECTIONS", 1000)
# gevent workers heartbeat from their own greenlet while requests run, so a long stream
# never trips this; only a worker stuck in CPU-bound code for this long is restarted.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On SIGTERM a worker stops accepting and lets running streams finish for this long.
graceful_timeout = _int("GRACEFUL_TIMEOUT", 30)
# Longer than an ALB's 60 s idle timeout, so the ALB closes idle connections first
# (otherwise it may reuse one gunicorn just closed and answer 502).
keepalive = _int("KEEPALIVE", 75)
# Recycling workers is off by default; the jitter keeps workers from restarting together.
max_requests = _int("MAX_REQUESTS", 0)
max_requests_jitter = _int("MAX_REQUESTS_JITTER", max_requests // 10)
preload_app = False
# The heartbeat file on tmpfs: an overlay filesystem under load can stall it (gunicorn docs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
# Which peers may set X-Forwarded-Proto/For: behind an ALB, the VPC's CIDR (or "*").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 25+ opens a control socket under $HOME by default; several servers on one host
# (or a read-only root filesystem) would collide on it, so it is opt-in here.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def on_starting(server) -> None:
    """Refuse ``--preload``: it imports botocore's ssl and urllib3 in the master, unpatched."""
    if server.cfg.preload_app:
        raise SystemExit("gunicorn.conf.py: preload_app breaks gevent's monkey-patching; remove --preload")


def when_ready(server) -> None:
    """Limits and usage kept in ``memory://`` are each worker's own: say so when there are several."""
    uri = os.environ.get("RATE_LIMIT_STORAGE_URI", "").strip() or "memory://"
    if server.cfg.workers > 1 and uri.startswith("memory"):
        server.log.warning(
            "RATE_LIMIT_STORAGE_URI is memory://: each of the %d workers counts per-key limits and "
            "usage on its own (a limit of 60 rpm lets through up to %d); set a redis:// URI to share them",
            server.cfg.workers,
            60 * server.cfg.workers,
        )


def _openai_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Errors gunicorn answers itself (a 431 header, a 414 request line) as OpenAI JSON, not HTML."""
    error = {"message": f"{reason}: {mesg}" if mesg else reason, "type": "invalid_request_error"}
    body = json.dumps({"error": {**error, "param": None, "code": None}})
    head = f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
    util.write_nonblock(sock, f"{head}Content-Length: {len(body)}\r\n\r\n{body}".encode("latin1"))


# gunicorn has no hook for these responses; its workers call util.write_error by name.
util.write_error = _openai_error
