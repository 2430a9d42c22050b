"""Soak test: thousands of mixed requests, with faults, through gunicorn+gevent.

``python -m soak --help``; docs/DEPLOYMENT.md explains the report.
"""
