"""Language choice: Swedish by default, English when the visitor picks it (a cookie)."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_locale

from marketplace.config import ROOT

LANGUAGE_COOKIE = "lang"
# The English catalogue is "en"; formatting follows British English (22 Nov 2026, not Nov 22).
_FORMATTING_LOCALES = {"en": "en_GB"}


def babel_locale(language: str) -> str:
    """The Babel locale for a site language: translations from `language`, dates and numbers to match."""
    return _FORMATTING_LOCALES.get(language, language)


def select_locale() -> str:
    """The visitor's chosen language (cookie), else Swedish.

    Swedish is the site's language; the browser's Accept-Language is deliberately not used,
    so officials with English-language browsers still see the Swedish site unless they switch.
    """
    if not has_request_context():  # CLI commands and workers: the site's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choice = request.cookies.get(LANGUAGE_COOKIE, "")
    if choice in current_app.config["LANGUAGES"]:
        return babel_locale(choice)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def init_app(app: Flask, babel: Babel) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
