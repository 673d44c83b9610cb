"""The one place that knows htmx's request and response headers (htmx 2.0.x)."""

from __future__ import annotations

from flask import Flask, Response, current_app, redirect, render_template, request

# The request headers by which one URL answers differently (a whole page, a fragment, a boost).
REQUEST_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


def is_partial_request() -> bool:
    """True when htmx asked for a piece of a page rather than a whole page.

    Boosted links and forms and history restores also send HX-Request, but need full pages.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_fragment(template_name: str, block_name: str, **context) -> str:
    """Render one {% block %} with Flask's usual context. Macros must be imported inside it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    template = app.jinja_env.get_template(template_name)
    return app.jinja_env.concat(template.blocks[block_name](template.new_context(context)))


def render_page(template_name: str, *, fragment: str | None = None, **context) -> str:
    """The whole page normally; only `fragment` for partial htmx requests."""
    if fragment and is_partial_request():
        return render_fragment(template_name, fragment, **context)
    return render_template(template_name, **context)


def see_other(url: str) -> Response:
    """After a successful POST: 303 normally, HX-Redirect when the answer would land in a small target."""
    if is_partial_request():
        return Response(status=204, headers={"HX-Redirect": url})
    return redirect(url, code=303)


def redirect_target(response: Response) -> str | None:
    """Where an answer sends the browser: see_other's HX-Redirect or an ordinary redirect."""
    if response.headers.get("HX-Redirect"):
        return response.headers["HX-Redirect"]
    if 300 <= response.status_code < 400:
        return response.headers.get("Location")
    return None


def show_in_main(response: Response) -> Response:
    """For a fragment request that failed (403, 404, 429 …): show the answer in <main>, not the small target."""
    if is_partial_request():
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def init_app(app: Flask) -> None:
    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        response.vary.update(("HX-Request", "HX-Boosted"))  # two representations per URL
        return response
