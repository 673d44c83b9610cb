"""Friendly error pages in the visitor's language, and JSON errors under /api."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, g, jsonify, make_response, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from marketplace.htmx import render_page, show_in_main

log = logging.getLogger(__name__)
DATABASE_RETRY_SECONDS = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _message(status: int) -> tuple[str, str]:
    messages = {
        400: (_("Felaktig begäran"), _("Det gick inte att förstå begäran. Försök igen.")),
        403: (_("Ingen behörighet"), _("Du har inte behörighet att se eller ändra det här.")),
        404: (
            _("Sidan finns inte"),
            _("Sidan du letar efter finns inte, eller så har den tagits bort."),
        ),
        405: (_("Metoden stöds inte"), _("Den här adressen kan inte användas på det sättet.")),
        413: (
            _("För stor begäran"),
            _(
                "Det du skickade var för stort. En logotyp får vara högst 5 MB; andra formulär "
                "tar bara text. Gå tillbaka och välj en mindre fil."
            ),
        ),
        429: (
            _("För många försök"),
            _("Du har gjort för många försök på kort tid. Vänta en stund och försök igen."),
        ),
        503: (
            _("Tjänsten är tillfälligt otillgänglig"),
            _(
                "Vi kommer inte åt vår databas just nu. Det du redan har sparat finns kvar. "
                "Försök igen om en liten stund."
            ),
        ),
        500: (
            _("Något gick fel"),
            _("Ett oväntat fel inträffade hos oss. Vi har loggat felet. Försök igen om en stund."),
        ),
    }
    return messages.get(status, (_("Något gick fel"), _("Försök igen om en stund.")))


def _error_page(status: int, title: str, text: str):
    """The error page; an htmx fragment request gets its content shown in <main> instead."""
    body = render_page(
        "errors/error.html", fragment="content", status=status, title=title, text=text
    )
    return show_in_main(make_response(body, status))


def _json_error(status: int, message: str):
    """The API's error shape: {"error": "method_not_allowed", "message": "..."}."""
    name = HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "_").replace("'", "")
    return jsonify(error=name, message=message), status


def render_error(status: int, detail: str | None = None):
    title, text = _message(status)
    if _wants_json():
        return _json_error(status, detail or text)
    return _error_page(status, title, text)


def _database_unreachable(error: sa.exc.OperationalError) -> bool:
    """A lost or refused connection (a restart, a failover), not a mistake in a statement."""
    return bool(error.connection_invalidated) or "connect" in str(error.orig).lower()


def init_app(app: Flask) -> None:
    @app.errorhandler(sa.exc.OperationalError)
    def database_unavailable(error: sa.exc.OperationalError):
        """The database is down or restarting: 503 with Retry-After and a page that says so,
        rendered without it (no logged-in user is looked up); the next request reconnects
        (pool_pre_ping)."""
        if not _database_unreachable(error):
            raise error
        log.error("database unavailable: %s", error.orig)
        try:
            from marketplace.extensions import db

            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            pass
        from flask_login import AnonymousUserMixin

        g._login_user = AnonymousUserMixin()  # the page must not ask the database who is here
        response = make_response(render_error(503))
        response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        title = _("Formuläret har gått ut")
        text = _(
            "Formuläret hade gått ut eller saknade säkerhetsnyckel. Ladda om sidan och försök igen."
        )
        if _wants_json():
            return _json_error(400, text)
        return _error_page(400, title, text)

    # Unhandled exceptions reach this as InternalServerError (Flask logs them first);
    # under TESTING they propagate instead, so tests see the real traceback.
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, InternalServerError):
            return render_error(500)
        # A description given to abort() explains itself; Werkzeug's English defaults do not.
        custom = error.description != type(error).description
        response = make_response(
            render_error(error.code or 500, error.description if _wants_json() and custom else None)
        )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 names the methods that do work (Werkzeug's own page did).
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
