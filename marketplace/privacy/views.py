"""Mina uppgifter under /konto: what we store, download it all as JSON, delete the account."""

from __future__ import annotations

import json

from flask import Blueprint, flash, make_response, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, logout_user

from marketplace.accounts.decorators import current_account
from marketplace.accounts.services import WrongPassword
from marketplace.clock import today
from marketplace.htmx import render_page, see_other
from marketplace.privacy import services
from marketplace.privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__, url_prefix="/konto/mina-uppgifter")


@bp.get("")
@login_required
def index():
    return render_page(
        "privacy/index.html",
        summary=services.summary(current_account()),
        retention_days=services.UNCONFIRMED_DAYS,
        mail_months=services.MAIL_LOG_MONTHS,
    )


@bp.get("/ladda-ner")
@login_required
def download():
    body = json.dumps(services.export_user_data(current_account()), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    filename = f"samverkanstorget-mina-uppgifter-{today().isoformat()}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    return response


@bp.route("/ta-bort", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteAccountForm()
    plan = services.deletion_plan(current_account())
    if plan.allowed and form.validate_on_submit():
        try:
            services.delete_account(current_account(), form.password.data)
        except WrongPassword as error:
            form.password.errors.append(str(error))
        except services.MustHandOver:  # someone joined a moment ago: show the new plan
            plan = services.deletion_plan(current_account())
        else:
            session.clear()
            logout_user()  # after clear(): it marks the remember-me cookie for deletion
            flash(
                _("Ditt konto är borttaget. Vi har skickat en sista bekräftelse med e-post."),
                "info",
            )
            return see_other(url_for("pages.index"))
    if not plan.allowed:
        status = 409 if form.is_submitted() else 200
    else:
        status = 422 if form.is_submitted() else 200
    return render_page("privacy/delete.html", form=form, plan=plan), status
