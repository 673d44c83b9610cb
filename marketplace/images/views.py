"""Logo upload for an organisation's administrators, the logos at their content-hash addresses,
and the share images (og:image) of ads and organisations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.ads import services as ads
from marketplace.extensions import db
from marketplace.htmx import render_page, see_other
from marketplace.images import logos, share
from marketplace.images.forms import LogoForm, RemoveLogoForm
from marketplace.organisations import services as organisations
from marketplace.organisations.decorators import member_of_or_403
from marketplace.organisations.models import Organisation

bp = Blueprint("images", __name__)

# A year, and never asked again: a new logo gets a new address.
IMMUTABLE = "public, max-age=31536000, immutable"
# A share image's address stays while its ad changes: link previews may ask again after a day.
SHARE_CACHE_CONTROL = "public, max-age=86400"


@bp.route("/organisationer/<int:organisation_id>/logotyp", methods=["GET", "POST"])
@login_required
def edit_logo(organisation_id: int):
    organisation = member_of_or_403(organisation_id, admin=True).organisation
    form = LogoForm()
    if form.validate_on_submit():
        try:
            logos.set_logo(organisation, current_user, logos.read_upload(form.logo.data))
        except logos.LogoRefused as refusal:
            form.logo.errors.append(refusal.message)
        except organisations.NotAllowed:
            abort(403)
        else:
            flash(_("Logotypen är sparad."), "success")
            return see_other(url_for("images.edit_logo", organisation_id=organisation.id))
    return _logo_page(organisation, form), 422 if form.is_submitted() else 200


@bp.post("/organisationer/<int:organisation_id>/logotyp/ta-bort")
@login_required
def remove_logo(organisation_id: int):
    organisation = member_of_or_403(organisation_id, admin=True).organisation
    if RemoveLogoForm().validate_on_submit():
        try:
            logos.remove_logo(organisation, current_user)
        except organisations.NotAllowed:
            abort(403)
        flash(_("Logotypen är borttagen. Organisationen visas med sina initialer."), "success")
    return see_other(url_for("images.edit_logo", organisation_id=organisation.id))


def _logo_page(organisation: Organisation, form: LogoForm):
    return render_page(
        "organisations/logo.html",
        organisation=organisation,
        form=form,
        remove_form=RemoveLogoForm(formdata=None),
    )


@bp.get("/logo/<string(length=32):content_hash>-<int:size>.<any(webp, png):fmt>")
def logo(content_hash: str, size: int, fmt: str):
    etag = f"{content_hash}-{size}-{fmt}"
    if request.if_none_match.contains(etag):  # an address's content never changes
        return _with_logo_headers(make_response("", 304), etag)
    data = logos.rendition(content_hash, size)
    if data is None:
        abort(404)
    if fmt == "png":
        data = logos.as_png(data)
    response = make_response(data)
    response.mimetype = f"image/{fmt}"
    return _with_logo_headers(response, etag)


def _with_logo_headers(response, etag: str):
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(etag)
    return response


@bp.get("/delningsbild/annons/<int:ad_id>.png")
def ad_share_image(ad_id: int):
    ad = ads.get_ad(ad_id)
    if ad is None or ad.is_hidden:  # hidden ads are shared with nobody
        abort(404)
    return _share_response(share.ad_share(ad))


@bp.get("/delningsbild/organisation/<int:organisation_id>.png")
def organisation_share_image(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.is_hidden:
        abort(404)
    return _share_response(share.organisation_share(organisation))


def _share_response(image: share.ShareImage):
    if request.if_none_match.contains(image.key):  # asked again: nothing drawn or read
        response = make_response("", 304)
    else:
        response = make_response(share.share_png(image))
        response.mimetype = "image/png"
    response.set_etag(image.key)
    response.headers["Cache-Control"] = SHARE_CACHE_CONTROL
    return response
