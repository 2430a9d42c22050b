"""WSGI entry point for gunicorn (``wsgi:app``) and Zappa (``app_function: wsgi.app``)."""

import gc

from app import create_app

# What loading makes (modules, botocore's service models, the app) lives as long as the
# process, with almost no garbage: the collector stays off meanwhile (its passes were a tenth
# of a cold start), and frozen, it is out of every later collection's scan. And a young
# generation ten times the default makes full collections, which stop a whole worker with a
# thousand open streams for tens of milliseconds, about ten times rarer.
gc.disable()
try:
    app = create_app()
finally:
    gc.freeze()
    gc.enable()
gc.set_threshold(7000, 10, 10)
