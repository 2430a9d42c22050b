"""WSGI entry point for gunicorn (``wsgi:app``) and Zappa (``app_function: wsgi.app``)."""

import gc

from app import create_app

# What loading makes (modules, botocore's service models, the app) lives as long as the
# process, with almost no garbage: the collector stays off meanwhile (its passes were a tenth
# of a cold start), and frozen, it is out of every later collection's scan. Then: a full
# collection stops a worker with a thousand open streams for 30 to 50 ms, so it waits for a
# hundred middle ones (Python: ten); a young generation of 2,000 (Python: 700) keeps those
# middle ones to a few milliseconds (with 7,000 they took 16 to 33 ms).
gc.disable()
try:
    app = create_app()
finally:
    gc.freeze()
    gc.enable()
gc.set_threshold(2000, 10, 100)
