"""gunicorn settings for production: gevent workers, values from the environment.

gunicorn's gevent worker monkey-patches the standard library in each worker before the
app (and so boto3, ssl and urllib3) is imported; ``preload_app`` stays off for that:
preloading would import botocore's SSL context in the master, unpatched.
README.md (Deployment) describes every variable read here.
"""

import glob
import json
import os
import re
import shutil

from gunicorn import glogging, util


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
# gunicorn's gevent worker, whose client sockets write each chunk with one system call.
worker_class = "app.gevent_worker.GatewayWorker"
workers = _int("WEB_CONCURRENCY", os.cpu_count() or 1) or 1
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
# The app writes one JSON access line per request (LOG_FORMAT=json, the default here), with
# model, tokens and timings; gunicorn's own access line would repeat it, so it is off then.
os.environ.setdefault("LOG_FORMAT", "json")
_json_logs = os.environ["LOG_FORMAT"].strip().lower() == "json"
accesslog = os.environ.get("ACCESS_LOG", "" if _json_logs else "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
if _json_logs:
    # gunicorn's own lines (boot, worker exits) in the same JSON shape as the app's.
    logconfig_dict = {
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            name: {"level": loglevel.upper(), "handlers": [handler], "propagate": False}
            for name, handler in (("gunicorn.error", "error_console"), ("gunicorn.access", "console"))
        },
        "formatters": {"generic": {"()": "app.log_format.JsonFormatter"}},
    }


class NoAccessLineLogger(glogging.Logger):
    """gunicorn's logger without its access line (a logging config alone turns that line on)."""

    def access(self, resp, req, environ, request_time) -> None:
        return None


if accesslog is None:
    # Also spares every request the line's fields, built before any level check.
    logger_class = NoAccessLineLogger
# Which peers may set X-Forwarded-Proto/For: behind an ALB, the VPC's CIDR (or "*").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 25+ opens a control socket under $HOME by default; several servers on one host
# (or a read-only root filesystem) would collide on it, so it is opt-in here.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


# METRICS_ENABLED: every worker writes its metric values to files in one directory, which
# /metrics sums (prometheus_client's multiprocess mode). The variable must be set before a
# worker imports prometheus_client, so here; the directory is per server (per bind).
_metrics = os.environ.get("METRICS_ENABLED", "").strip().lower() in {"1", "true", "yes", "on"}
_own_metrics_dir = _metrics and not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    _shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else "/tmp"
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = (
        f"{_shm}/bedrock-gateway-metrics-{re.sub(r'[^A-Za-z0-9.]+', '_', bind)}"
    )


def on_starting(server) -> None:
    """Refuse ``--preload`` (it imports botocore's ssl in the master, unpatched); reset metrics."""
    if server.cfg.preload_app:
        raise SystemExit("gunicorn.conf.py: preload_app breaks gevent's monkey-patching; remove --preload")
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if _metrics and metrics_dir:
        # Once per server start (a HUP reload does not come here): last run's values go.
        os.makedirs(metrics_dir, exist_ok=True)
        for stale in glob.glob(os.path.join(metrics_dir, "*.db")):
            os.remove(stale)
        if not os.access(metrics_dir, os.W_OK):
            raise SystemExit(f"gunicorn.conf.py: PROMETHEUS_MULTIPROC_DIR={metrics_dir} is not writable")


def child_exit(server, worker) -> None:
    """A worker exited: its live gauges go; its counters stay, so totals never go backwards."""
    if _metrics and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_worker_init(worker) -> None:
    """SIGTERM starts the app's drain: readiness 503, streams ended before the graceful timeout."""
    from app.drain import attach_to_worker

    attach_to_worker(worker)


def worker_exit(server, worker) -> None:
    from app.drain import DRAIN

    DRAIN.stopped()


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
