"""Samverkanstorget: organisations post collaboration ads, find each other and get matched."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import StrictUndefined

from marketplace import assets, caching, errors, htmx, httpcache, i18n, security
from marketplace.config import DEV_SECRET_KEY, Config
from marketplace.extensions import (
    babel,
    compress,
    csrf,
    db,
    huey,
    limiter,
    login_manager,
    migrate,
)
from marketplace.search import models as search_models

ROOT = Path(__file__).resolve().parent.parent


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production would run with development secrets."""


def create_app(config: type[Config] = Config, **overrides) -> Flask:
    """Build an app: class defaults, then FLASK_* env vars, then explicit overrides."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    app.config.from_prefixed_env()
    app.config.update(overrides)
    _refuse_development_secret(app)
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss")):
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1}
        )
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind nginx: trust X-Forwarded-For/Proto from that many proxies (HTTPS, client IPs).
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    if app.testing:
        app.jinja_env.undefined = StrictUndefined  # typos in templates fail tests

    httpcache.init_app_before_compression(app)  # its hook stores answers as they are sent
    compress.init_app(app)  # early: its after_request hook runs (almost) last
    db.init_app(app)
    caching.init_app(app)
    search_models.install_listeners()  # ad/organisation writes into the search change log
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)
    huey.immediate = bool(app.config["HUEY_IMMEDIATE"])

    from marketplace import (
        models,  # noqa: F401  every table, for Alembic and the ORM
        templating,  # every template's filters and globals, from the domains
    )

    app.url_map.converters["int"] = security.DatabaseIntegerConverter  # before any route
    _register_blueprints(app)
    if app.debug and app.config["MAIL_BACKEND"] == "file":
        from marketplace.notifications.views import bp as dev_mail_bp

        app.register_blueprint(dev_mail_bp)  # reading instance/mail/ is for development only
    errors.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    httpcache.init_app(app)  # last: its before_request runs after the others' checks

    from marketplace import cli, tasks  # noqa: F401  tasks: every Huey task, for the worker

    cli.init_app(app)
    return app


def _refuse_development_secret(app: Flask) -> None:
    if app.debug or app.testing:
        return
    if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise InsecureConfiguration(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or run with "
            "FLASK_DEBUG=1 for local development."
        )


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.ads.views import bp as ads_bp
    from marketplace.agreements.views import bp as agreements_bp
    from marketplace.alerts.views import bp as alerts_bp
    from marketplace.contact.views import bp as contact_bp
    from marketplace.crises.views import bp as crises_bp
    from marketplace.home.views import bp as home_bp
    from marketplace.images.views import bp as images_bp
    from marketplace.matching.views import bp as matching_bp
    from marketplace.organisations.views import bp as organisations_bp
    from marketplace.pages.views import bp as pages_bp

    for blueprint in (
        pages_bp,
        accounts_bp,
        organisations_bp,
        ads_bp,
        contact_bp,
        alerts_bp,
        matching_bp,
        crises_bp,
        agreements_bp,
        home_bp,
        images_bp,
    ):
        app.register_blueprint(blueprint)

    from marketplace.api.views import bp as api_bp

    csrf.exempt(api_bp)  # read-only JSON for other systems: no session, no forms
    app.register_blueprint(api_bp)

    from marketplace.embeds.views import bp as embeds_bp
    from marketplace.insights.views import bp as insights_bp

    for blueprint in (insights_bp, embeds_bp):
        app.register_blueprint(blueprint)

    from marketplace.moderation.views import bp as moderation_bp
    from marketplace.partnerships.views import bp as partnerships_bp
    from marketplace.privacy.views import bp as privacy_bp

    for blueprint in (moderation_bp, privacy_bp, partnerships_bp):
        app.register_blueprint(blueprint)
