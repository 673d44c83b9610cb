"""The app that background tasks run in: the request's (immediate mode, tests) or the worker's.

`flask --app app worker` (marketplace.tasks.run_worker) binds its app here before the Huey
consumer starts; every task runs its work inside `app_context()`.
"""

from __future__ import annotations

import contextlib

from flask import Flask, has_app_context

_app: Flask | None = None


def bind(app: Flask) -> None:
    """The worker's app, for tasks that run outside any request."""
    global _app
    _app = app


def app_context():
    """Tasks run inside a request (immediate mode) or in the worker, which owns an app."""
    if has_app_context():
        return contextlib.nullcontext()
    if _app is None:
        raise RuntimeError("no Flask app for the task: start it with `flask --app app worker`")
    return _app.app_context()
