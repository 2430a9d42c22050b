"""WSGI entry point for gunicorn (``wsgi:app``) and Zappa (``app_function: wsgi.app``)."""

import gc

from app import create_app

app = create_app()
# What loading made (modules, botocore's service models, the app) lives as long as the
# process: frozen, it is out of every collection's scan. And a young generation ten times
# the default makes full collections, which stop a whole worker with a thousand open
# streams for tens of milliseconds, about ten times rarer.
gc.freeze()
gc.set_threshold(7000, 10, 10)
