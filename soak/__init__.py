"""Soak test: thousands of mixed requests, with faults, through gunicorn+gevent.

``python -m soak --help``; README.md (Deployment, "Proof under load") explains the report.
"""
