"""gunicorn settings for production: gevent workers, values from the environment.

gunicorn's gevent worker monkey-patches the standard library in each worker before the
app (and so boto3, ssl and urllib3) is imported; keep ``preload_app`` off for that.
"""

import multiprocessing
import os

bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Concurrent requests (streams included) one worker holds; match BEDROCK_MAX_POOL_CONNECTIONS.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
# gevent workers heartbeat while requests run, so long streams do not trip this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
# Longer than an ALB's 60 s idle timeout, so the ALB closes idle connections first.
keepalive = int(os.environ.get("KEEPALIVE", "75"))
preload_app = False
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
