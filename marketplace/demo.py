"""Demo data for `make run`: a living site a newcomer can explore.

demo_data/demo.json is an ordinary import file (README, "Interface for other systems"), loaded
through the import service. Its dates are moved forward on loading so that the newest ad is
published today: the demo never looks stale, however long ago the file was written.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from marketplace.clock import today
from marketplace.extensions import db
from marketplace.imports import services as imports
from marketplace.organisations.models import Organisation

DEMO_FILE = Path(__file__).resolve().parent / "demo_data" / "demo.json"


def demo_document(on: date | None = None) -> dict[str, Any]:
    """The demo file with every date shifted so that its newest ad is published on `on` (today)."""
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    ads = document["ads"]
    newest = max(date.fromisoformat(ad["published"]) for ad in ads)
    shift = (on or today()) - newest
    for ad in ads:
        for key in ("published", "expires"):
            if ad.get(key):
                ad[key] = (date.fromisoformat(ad[key]) + shift).isoformat()
    return document


def load_demo_data(only_if_empty: bool = True) -> str:
    """Import the demo organisations and ads (again: updates them); skipped on a used database."""
    if only_if_empty and db.session.scalar(sa.select(Organisation.id).limit(1)) is not None:
        return "demo data not loaded: the database already has organisations"
    report = imports.import_data(demo_document())
    return f"demo data: {report}"
