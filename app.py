"""Entry point for `flask --app app run` and WSGI servers (`gunicorn app:app`)."""
from marketplace import create_app

app = create_app()
