"""Mina sidor (/mina-sidor): where a member lands after logging in."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from marketplace.home import services
from marketplace.htmx import render_page

bp = Blueprint("home", __name__)


@bp.get("/mina-sidor")
@login_required
def index():
    return render_page("home/index.html", home=services.home_page(current_user))
