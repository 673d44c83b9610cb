"""Saved-search pages (/bevakningar): save a search, list, edit, pause, delete, unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.decorators import confirmed_required
from marketplace.alerts import services
from marketplace.alerts.forms import ConfirmForm, SavedSearchForm
from marketplace.alerts.models import SavedSearch
from marketplace.extensions import csrf
from marketplace.htmx import render_page, see_other
from marketplace.submissions import submitted_once

bp = Blueprint("alerts", __name__, url_prefix="/bevakningar")


def _summary(saved: SavedSearch) -> str:
    return services.summary(services.query_of(saved))


def _search_url(saved: SavedSearch) -> str:
    """The search page showing what the saved search finds, newest first."""
    return url_for("ads.index", **services.search_args(services.query_of(saved)), sort="nyast")


def _own_saved_search_or_404(saved_search_id: int) -> SavedSearch:
    """The current user's saved search.

    :raise 404: no such saved search, or it is someone else's (whose existence is not revealed).
    """
    saved = services.get_saved_search(current_user, saved_search_id)
    if saved is None:
        abort(404)
    return saved


@bp.get("")
@confirmed_required
def index():
    saved_searches = services.saved_searches_of(current_user)
    return render_page(
        "alerts/index.html",
        saved_searches=saved_searches,
        summaries={saved.id: _summary(saved) for saved in saved_searches},
        search_urls={saved.id: _search_url(saved) for saved in saved_searches},
    )


@bp.route("/ny", methods=["GET", "POST"])
@confirmed_required
@submitted_once  # a double click creates one
def new():
    form = SavedSearchForm(formdata=request.args)
    if form.validate_on_submit():
        try:
            services.save_search(current_user, **form.saved_search_fields())
        except services.TooManySavedSearches:
            form.form_errors.append(
                _(
                    "Du har redan %(max)s bevakningar. Ta bort någon innan du sparar en ny.",
                    max=services.MAX_SAVED_SEARCHES,
                )
            )
        else:
            flash(
                _("Bevakningen är sparad. Du får e-post när nya annonser matchar sökningen."),
                "success",
            )
            return see_other(url_for("alerts.index"))
    elif not form.is_submitted():
        form.suggest_name()
    return _render_form(form, None)


@bp.route("/<int:saved_search_id>/redigera", methods=["GET", "POST"])
@confirmed_required
def edit(saved_search_id: int):
    saved = _own_saved_search_or_404(saved_search_id)
    form = SavedSearchForm(saved_search=saved)
    if form.validate_on_submit():
        services.update_saved_search(saved, **form.saved_search_fields())
        flash(_("Ändringarna är sparade."), "success")
        return see_other(url_for("alerts.index"))
    return _render_form(form, saved)


def _render_form(form: SavedSearchForm, saved: SavedSearch | None):
    """The saved-search form page: 200 at first, 422 when a submission failed (input kept)."""
    status = 422 if form.is_submitted() else 200
    query = form.to_query()
    page = render_page(
        "alerts/form.html",
        fragment="saved_search_form",
        form=form,
        saved=saved,
        summary=services.summary(query),
        search_url=url_for("ads.index", **services.search_args(query)),
    )
    return page, status


@bp.post("/<int:saved_search_id>/pausa")
@confirmed_required
def pause(saved_search_id: int):
    saved = _own_saved_search_or_404(saved_search_id)  # CSRFProtect has checked the token
    services.pause_saved_search(saved)
    flash(_("Bevakningen ”%(name)s” är pausad.", name=saved.name), "success")
    return see_other(url_for("alerts.index"))


@bp.post("/<int:saved_search_id>/ateruppta")
@confirmed_required
def resume(saved_search_id: int):
    saved = _own_saved_search_or_404(saved_search_id)
    services.resume_saved_search(saved)
    flash(_("Bevakningen ”%(name)s” är igång igen.", name=saved.name), "success")
    return see_other(url_for("alerts.index"))


@bp.route("/<int:saved_search_id>/ta-bort", methods=["GET", "POST"])
@confirmed_required
def delete(saved_search_id: int):
    saved = _own_saved_search_or_404(saved_search_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = saved.name
        services.delete_saved_search(saved)
        flash(_("Bevakningen ”%(name)s” är borttagen.", name=name), "success")
        return see_other(url_for("alerts.index"))
    return render_page("alerts/delete.html", saved=saved, summary=_summary(saved), form=form)


@bp.route("/avsluta/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058) posts without a session; the signed token is the proof
def unsubscribe(token: str):
    """GET asks (mail scanners follow links); POST, from the page or a mail client, pauses.

    :raise 404: the token was altered, or its saved search no longer exists.
    """
    saved = services.saved_search_for_token(token)
    if saved is None:
        page = render_page("alerts/unsubscribe.html", saved=None, summary="", token=token)
        return page, 404
    if request.method == "POST":
        services.unsubscribe(saved)
        flash(
            _("Klart! Du får inga fler e-postmeddelanden om ”%(name)s”.", name=saved.name),
            "success",
        )
        return see_other(url_for("alerts.unsubscribe", token=token))
    return render_page("alerts/unsubscribe.html", saved=saved, summary=_summary(saved), token=token)
