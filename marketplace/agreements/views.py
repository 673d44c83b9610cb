"""The regional Överenskommelser: /overenskommelser, each region's page, editing, signatories."""

from __future__ import annotations

from flask import Blueprint, abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import reference
from marketplace.accounts.decorators import confirmed_required, current_account, viewer
from marketplace.ads import services as ad_services
from marketplace.agreements import services
from marketplace.agreements.forms import AgreementForm, ConfirmForm
from marketplace.forms import add_service_errors as add_errors
from marketplace.htmx import render_page, see_other

bp = Blueprint("agreements", __name__, url_prefix="/overenskommelser")


def _agreement_or_404(code: str):
    agreement = services.get_agreement(code)
    if agreement is None:
        abort(404)
    return agreement


@bp.get("")
def index():
    return render_page(
        "agreements/index.html",
        agreements=services.all_agreements(),
        figures=services.figures(),
        may_add=bool(viewer() and viewer().is_site_admin),
    )


@bp.get("/<code>")
def detail(code: str):
    agreement = _agreement_or_404(code)
    visitor = viewer()
    organisation = ad_services.acting_organisation(current_user) if visitor else None
    may_confirm = services.may_confirm(visitor, code)
    return render_page(
        "agreements/detail.html",
        agreement=agreement,
        county=reference.counties()[code],
        signatories=services.signatories(code, confirmed=True),
        pending=services.signatories(code, confirmed=False) if may_confirm else [],
        may_edit=services.may_edit(visitor, code),
        may_confirm=may_confirm,
        organisation=organisation,
        claim=services.claim_of(organisation, code),
        form=ConfirmForm(formdata=None) if visitor else None,  # a form makes a CSRF token: a session
    )


@bp.route("/<code>/redigera", methods=["GET", "POST"])
@confirmed_required
def edit(code: str):
    if code not in reference.counties():
        abort(404)
    if not services.may_edit(current_account(), code):
        abort(403)
    agreement = services.get_agreement(code)
    form = AgreementForm(obj=agreement) if agreement is not None else AgreementForm()
    if form.validate_on_submit():
        try:
            services.save_agreement(current_account(), code, **form.fields())
        except services.NotAllowed:
            abort(403)
        except services.AgreementError as error:
            add_errors(form, error.errors)
        else:
            flash(_("Överenskommelsen är sparad."), "success")
            return see_other(url_for("agreements.detail", code=code))
    return render_page(
        "agreements/edit.html", form=form, agreement=agreement, county=reference.counties()[code]
    ), 422 if form.is_submitted() else 200


@bp.post("/<code>/undertecknat")
@confirmed_required
def claim(code: str):
    """The acting organisation says: "Vi har undertecknat Överenskommelsen"."""
    agreement = _agreement_or_404(code)
    organisation = ad_services.acting_organisation(current_user)
    if organisation is None:
        abort(403)
    try:
        services.claim(current_account(), organisation, agreement)
    except services.NotAllowed:
        abort(403)
    except services.AgreementError as error:
        flash(str(error), "error")
    else:
        flash(_("Tack! Regionen eller en länsmoderator bekräftar det."), "success")
    return see_other(url_for("agreements.detail", code=code))


def _signatory_or_404(code: str, signatory_id: int):
    signatory = services.get_signatory(code, signatory_id)
    if signatory is None:
        abort(404)
    if not services.may_confirm(current_account(), code):
        abort(403)
    return signatory


@bp.post("/<code>/undertecknare/<int:signatory_id>/bekrafta")
@confirmed_required
def confirm(code: str, signatory_id: int):
    signatory = _signatory_or_404(code, signatory_id)
    services.confirm(current_account(), signatory)
    flash(
        _("%(name)s är bekräftad som undertecknare.", name=signatory.organisation.name), "success"
    )
    return see_other(url_for("agreements.detail", code=code))


@bp.post("/<code>/undertecknare/<int:signatory_id>/avvisa")
@confirmed_required
def reject(code: str, signatory_id: int):
    signatory = _signatory_or_404(code, signatory_id)
    name = signatory.organisation.name
    services.reject(current_account(), signatory)
    flash(_("%(name)s står inte längre som undertecknare.", name=name), "success")
    return see_other(url_for("agreements.detail", code=code))
