"""Organisation pages (placeholder until the organisations work lands)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisationer")


@bp.get("/")
def index():
    return "organisations"


@bp.get("/<int:organisation_id>-<slug>")
def detail(organisation_id: int, slug: str):
    return "organisation"


@bp.get("/mina")
def mine():
    return "mine"
