"""WSGI entry point for gunicorn (``wsgi:app``) and Zappa (``app_function: wsgi.app``)."""

from app import create_app

app = create_app()
