"""Contact pages: "Visa intresse" on an ad, "Kontakta organisationen" on an organisation's page,
the inbox (/inkorg) and its conversations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from marketplace.accounts.decorators import confirmed_required, current_account, viewer
from marketplace.ads.decorators import visible_ad_or_404
from marketplace.ads.models import Ad
from marketplace.contact import services
from marketplace.contact.forms import InterestPanel, MessageForm, interest_panel
from marketplace.contact.models import Conversation
from marketplace.extensions import db, limiter, per_person_limit
from marketplace.htmx import is_partial_request, render_page, see_other
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ContentKind
from marketplace.organisations.models import Organisation
from marketplace.submissions import submitted_once

bp = Blueprint("contact", __name__)
MAX_PAGE = 10_000


def _rate_key() -> str:
    # Per person, not per address: many people in one office share an IP address.
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# One allowance for starting conversations and replying together. Only messages that went
# through (or pretended to) count: fixing a too-short text costs nothing.
contact_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_CONTACT"],
    scope="contact",
    key_func=_rate_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code < 400,
)


# On top of the shared allowance: writing to organisations one has no ad in common with is where
# spam would come from, so new direct conversations have a smaller allowance of their own.
direct_limit = per_person_limit("RATELIMIT_DIRECT_CONTACT", "direct-contact")


def _conversation_or_404(conversation_id: int) -> Conversation:
    """The conversation, for a member of one of its two organisations.

    :raise 404: no such conversation, *or* the user is not a party to it (so nobody can learn
      which conversations exist).
    """
    conversation = services.conversation_for(current_account(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


# --- Visa intresse ----------------------------------------------------------------------------


def _render_interest(ad: Ad, panel: InterestPanel, status: int = 200):
    page = render_page("contact/new.html", fragment="interest", ad=ad, interest=panel)
    return page, status


@bp.get("/annonser/<int:ad_id>/intresse")
def new(ad_id: int):
    ad = visible_ad_or_404(ad_id)
    return _render_interest(ad, interest_panel(viewer(), ad))


@bp.post("/annonser/<int:ad_id>/intresse")
@confirmed_required
@contact_limit
@submitted_once  # a double click creates one
def start(ad_id: int):
    ad = visible_ad_or_404(ad_id)
    form = MessageForm()
    panel = interest_panel(viewer(), ad, form)
    state = panel.state
    if not state.allowed:  # own ad (403), closed or expired (409), no organisation (403)
        status = 409 if state.reason is services.InterestReason.CLOSED else 403
        return _render_interest(ad, panel, status)
    sent = _("Ditt meddelande är skickat till %(organisation)s.", organisation=ad.organisation.name)
    if form.is_bot:  # answer as if it worked; store and send nothing
        flash(sent, "success")
        return see_other(url_for("ads.detail", ad_id=ad.id, slug=ad.slug))
    if form.validate_on_submit():
        try:
            message = services.show_interest(
                current_account(), state.organisation, ad, form.message.data
            )
        except services.InvalidMessage as error:
            form.message.errors = [str(error)]
        except services.ContactError as error:  # the ad closed a moment ago, and the like
            form.form_errors.append(str(error))
        else:
            flash(sent, "success")
            return see_other(url_for("contact.detail", conversation_id=message.conversation_id))
    return _render_interest(ad, panel, 422)


# --- Kontakta organisationen -----------------------------------------------------------------


def _contactable_or_404(organisation_id: int) -> Organisation:
    """The organisation to write to; a hidden one is gone for this page, as for the public."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if organisation.is_hidden:
        abort(404)
    return organisation


def _render_direct(
    recipient: Organisation, state: services.DirectState, form: MessageForm | None, status=200
):
    if form is None and state.organisation is not None:  # no form (no session) for visitors
        form = MessageForm(formdata=None)
    page = render_page(
        "contact/direct.html", fragment="direct", recipient=recipient, state=state, form=form
    )
    return page, status


@bp.get("/organisationer/<int:organisation_id>/kontakta")
def new_direct(organisation_id: int):
    recipient = _contactable_or_404(organisation_id)
    return _render_direct(recipient, services.direct_state(viewer(), recipient), None)


@bp.post("/organisationer/<int:organisation_id>/kontakta")
@confirmed_required
@contact_limit
@direct_limit
@submitted_once  # a double click creates one
def start_direct(organisation_id: int):
    recipient = _contactable_or_404(organisation_id)
    form = MessageForm()
    state = services.direct_state(viewer(), recipient)
    if not state.allowed:  # a member of it, or of no organisation
        return _render_direct(recipient, state, form, 403)
    sent = _("Ditt meddelande är skickat till %(organisation)s.", organisation=recipient.name)
    if form.is_bot:  # answer as if it worked; store and send nothing
        flash(sent, "success")
        return see_other(
            url_for("organisations.detail", organisation_id=recipient.id, slug=recipient.slug)
        )
    if form.validate_on_submit():
        try:
            message = services.contact_organisation(
                current_account(), state.organisation, recipient, form.message.data
            )
        except services.InvalidMessage as error:
            form.message.errors = [str(error)]
        except services.ContactError as error:
            form.form_errors.append(str(error))
        else:
            flash(sent, "success")
            return see_other(url_for("contact.detail", conversation_id=message.conversation_id))
    return _render_direct(recipient, state, form, 422)


# --- Inbox and conversations ------------------------------------------------------------------


@bp.get("/inkorg")
@login_required
def index():
    # A hand-typed page=10**20 must not reach the database's OFFSET (OverflowError, a 500).
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    result = services.inbox(current_account(), page=page, per_page=current_app.config["PER_PAGE"])
    return render_page("contact/index.html", inbox=result)


def _render_conversation(conversation: Conversation, form: MessageForm, sent: bool = False):
    me = current_account()
    thread = services.thread(me, conversation)
    return render_page(
        "contact/detail.html",
        fragment="thread",
        thread=thread,
        form=form,
        sent=sent,
        appeals={  # what the notice on a hidden message offers its writer
            message.id: moderation.appeal_offer(me, ContentKind.MESSAGE, message)
            for message in thread.messages
            if message.is_hidden
        },
    )


@bp.get("/inkorg/<int:conversation_id>")
@login_required
def detail(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    services.mark_read(current_account(), conversation)
    return _render_conversation(conversation, MessageForm(formdata=None))


@bp.post("/inkorg/<int:conversation_id>")
@confirmed_required
@contact_limit
@submitted_once  # a double click creates one
def reply(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    form = MessageForm()
    if form.is_bot:  # answer as if it worked; store and send nothing
        return _replied(conversation)
    if form.validate_on_submit():
        try:
            services.reply(current_account(), conversation, form.message.data)
        except services.InvalidMessage as error:
            form.message.errors = [str(error)]
        else:
            return _replied(conversation)
    return _render_conversation(conversation, form), 422


def _replied(conversation: Conversation):
    """htmx swaps the updated thread in place; without JavaScript, Post/Redirect/Get."""
    if is_partial_request():
        return _render_conversation(conversation, MessageForm(formdata=None), sent=True)
    flash(_("Ditt svar är skickat."), "success")
    return see_other(url_for("contact.detail", conversation_id=conversation.id))
