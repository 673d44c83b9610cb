"""The Samverkansöverenskommelse pages, under the conversation (/inkorg/<id>/overenskommelse).

Only members of the conversation's two organisations get anything: for everyone else every
route answers 404, exactly as for a conversation that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from marketplace.accounts.decorators import confirmed_required, current_account
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation
from marketplace.extensions import limiter
from marketplace.htmx import is_partial_request, render_fragment, render_page, see_other
from marketplace.i18n import babel_locale, current_language
from marketplace.insights.outcomes import InvalidOutcome
from marketplace.partnerships import export, iop, sections, services
from marketplace.partnerships.forms import ApproveForm, OutcomeForm, SectionForm, section_form
from marketplace.partnerships.models import Partnership
from marketplace.partnerships.rules import InvalidSection
from marketplace.partnerships.sections import Section
from marketplace.submissions import submitted_once

bp = Blueprint("partnerships", __name__, url_prefix="/inkorg/<int:conversation_id>")

EXPORT_LANGUAGES = ("sv", "en")

bp.add_app_template_filter(sections.stored_date, "agreement_date")
bp.add_app_template_filter(iop.answer_label, "iop_answer")


def _rate_key() -> str:
    # Per person: many people in one office share an address.
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# Saving, starting, approving and recording share one allowance; a refused (4xx) try is free.
change_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PARTNERSHIP"],
    scope="partnership",
    key_func=_rate_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code < 400,
)
# A PDF costs the server about a second of work.
export_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PARTNERSHIP_EXPORT"],
    scope="partnership-export",
    key_func=_rate_key,
)


def _conversation_or_404(conversation_id: int) -> Conversation:
    """:raise 404: no such conversation, or the user is not a member of either party."""
    conversation = contact_services.conversation_for(current_account(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


def _partnership_or_404(conversation: Conversation) -> Partnership:
    """:raise 404: the conversation has no agreement yet."""
    partnership = services.partnership_of(conversation)
    if partnership is None:
        abort(404)
    return partnership


def _section_or_404(key: str) -> Section:
    section = sections.SECTIONS_BY_KEY.get(key)
    if section is None:
        abort(404)
    return section


def _document(conversation_id: int) -> services.Document:
    conversation = _conversation_or_404(conversation_id)
    return services.document(current_account(), conversation, _partnership_or_404(conversation))


def _section_url(conversation_id: int, section: Section) -> str:
    return url_for(
        "partnerships.detail", conversation_id=conversation_id, _anchor=f"avsnitt-{section.key}"
    )


# --- The document -------------------------------------------------------------------------------


@bp.get("/overenskommelse")
@login_required
def detail(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    partnership = services.partnership_of(conversation)
    if partnership is None:
        return render_page(
            "partnerships/detail.html",
            conversation=conversation,
            doc=None,
            public_body=services.public_party(conversation),
        )
    doc = services.document(current_account(), conversation, partnership)
    shown = sections.SECTIONS_BY_KEY.get(request.args.get("avsnitt", ""))
    if shown is not None and is_partial_request():  # "Avbryt" in a section edited in place
        return render_fragment("partnerships/detail.html", "section", doc=doc, section=shown)
    return render_page(
        "partnerships/detail.html", conversation=conversation, doc=doc, sections=sections.SECTIONS
    )


@bp.post("/overenskommelse")
@confirmed_required
@change_limit
@submitted_once  # a double click creates one
def start(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    existed = services.partnership_of(conversation) is not None
    services.start_partnership(current_account(), conversation)
    if not existed:
        flash(
            _(
                "Överenskommelsen är påbörjad. Båda organisationernas medlemmar kan nu skriva i den."
            ),
            "success",
        )
    return see_other(url_for("partnerships.detail", conversation_id=conversation_id))


# --- Sections -----------------------------------------------------------------------------------


def _render_section_form(doc, section, form, status=200, conflict=None):
    page = render_page(
        "partnerships/edit.html",
        fragment="section_form",
        doc=doc,
        section=section,
        form=form,
        conflict=conflict,
    )
    return page, status


@bp.get("/overenskommelse/<key>")
@login_required
def edit(conversation_id: int, key: str):
    section = _section_or_404(key)
    doc = _document(conversation_id)
    form = section_form(section, formdata=None, data=doc.values)
    form.base_on(doc.version)
    return _render_section_form(doc, section, form)


@bp.post("/overenskommelse/<key>")
@confirmed_required
@change_limit
def save(conversation_id: int, key: str):
    section = _section_or_404(key)
    conversation = _conversation_or_404(conversation_id)
    partnership = _partnership_or_404(conversation)
    form: SectionForm = section_form(section)
    try:
        result = services.save_section(
            current_account(), conversation, partnership, key, form.values(), form.based_on
        )
    except InvalidSection as error:
        form.add_errors(error.errors)
        doc = services.document(current_account(), conversation, partnership)
        return _render_section_form(doc, section, form, 422)
    except services.Conflict as conflict:
        form.base_on(conflict.version)  # saving again replaces their text, knowingly
        doc = services.document(current_account(), conversation, partnership)
        return _render_section_form(doc, section, form, 409, conflict)
    return _saved(conversation, partnership, section, result)


def _saved(conversation, partnership, section, result: services.SaveResult):
    """In place with htmx (the section, and the approvals that a change voids); else PRG."""
    if result.saved and result.voided_approvals:
        message = _(
            "Ändringen är sparad som version %(version)s. Båda parter behöver godkänna överenskommelsen igen.",
            version=result.version,
        )
    elif result.saved:
        message = _(
            "”%(section)s” är sparat som version %(version)s.",
            section=section.title,
            version=result.version,
        )
    else:
        message = _("Inget var ändrat, så ingen ny version sparades.")
    if is_partial_request():
        doc = services.document(current_account(), conversation, partnership)
        return render_fragment(
            "partnerships/detail.html", "section", doc=doc, section=section, saved=message
        ) + render_fragment("partnerships/detail.html", "status", doc=doc, oob=True)
    flash(message, "success")
    return see_other(_section_url(conversation.id, section))


# --- Approval and outcome -----------------------------------------------------------------------


@bp.post("/overenskommelse/godkann")
@confirmed_required
@change_limit
def approve(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    partnership = _partnership_or_404(conversation)
    form = ApproveForm()
    problem = ""
    if form.validate_on_submit():
        try:
            services.approve(current_account(), conversation, partnership, form.approved_version)
        except services.StaleApproval as error:
            problem = str(error)
    else:
        problem = _("Godkännandet kom inte fram. Ladda om sidan och försök igen.")
    if is_partial_request():
        doc = services.document(current_account(), conversation, partnership)
        page = render_fragment(
            "partnerships/detail.html", "status", doc=doc, oob=False, problem=problem
        )
        return page, 409 if problem else 200
    if problem:
        flash(problem, "error")
    else:
        flash(_("Ni har godkänt överenskommelsen."), "success")
    return see_other(
        url_for("partnerships.detail", conversation_id=conversation_id, _anchor="status")
    )


@bp.post("/overenskommelse/resultat")
@confirmed_required
@change_limit
def outcome(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    partnership = _partnership_or_404(conversation)
    form = OutcomeForm()
    try:
        form.validate_on_submit()  # the CSRF token; the choice is the button pressed
        services.record_outcome(
            current_account(), conversation, partnership, form.record_as.data or ""
        )
    except services.PartnershipError as error:
        flash(str(error), "error")
    except InvalidOutcome as error:
        flash(" ".join(error.errors.values()), "error")
    else:
        flash(_("Resultatet är registrerat och räknas i statistiken."), "success")
    return see_other(
        url_for("partnerships.detail", conversation_id=conversation_id, _anchor="status")
    )


# --- History and export -------------------------------------------------------------------------


@bp.get("/overenskommelse/versioner")
@login_required
def history(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    partnership = _partnership_or_404(conversation)
    doc = services.document(current_account(), conversation, partnership)
    return render_page("partnerships/history.html", doc=doc, entries=services.history(partnership))


def _export_language() -> str:
    language = request.args.get("sprak", "")
    return language if language in EXPORT_LANGUAGES else current_language()


def _render_export(doc, language: str, *, pdf: bool) -> str:
    with force_locale(babel_locale(language)):
        return render_page(
            "partnerships/print.html",
            doc=doc,
            language=language,
            pdf=pdf,
            sections=sections.SECTIONS,
        )


@bp.get("/overenskommelse/utskrift")
@login_required
def printable(conversation_id: int):
    doc = _document(conversation_id)
    return _render_export(doc, _export_language(), pdf=False)


@bp.get("/overenskommelse.pdf")
@login_required
@export_limit
def pdf(conversation_id: int):
    doc = _document(conversation_id)
    language = _export_language()
    body = export.pdf_from_html(_render_export(doc, language, pdf=True))
    response = make_response(body)
    name = "samverkansoverenskommelse" if language == "sv" else "collaboration-agreement"
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="{name}-{conversation_id}-v{doc.version}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
