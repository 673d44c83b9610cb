"""The search page's filter panel (the folding <details> of /annonser), drawn once per (language,
filter values, counts) and kept in the shared cache, like the result cards (ads/cards.py).

Drawing it took ~5 ms of Jinja per page (a checkbox per kind, challenge and sector with its
count, the county list, 290 municipalities: issue 17), the same for every page of the same
search. The key holds everything the panel shows: the build (templates, translations, code:
httpcache.build_version), the language, the application's root, the form's values (normalised:
ticked boxes in order, so ?kind=a&kind=b and ?kind=b&kind=a share a drawing) and the counts it
prints (the four checkbox groups' and the total on the button). The counts stand in for the
data generation: a drawing is never stale, and an unchanged search after a write that changed
none of its counts is still drawn from the cache.
"""

from __future__ import annotations

import hashlib
import json

from flask import render_template, request
from markupsafe import Markup

from marketplace.httpcache import build_version, cache_get, cache_set
from marketplace.i18n import current_language

PANEL_TIMEOUT = 60 * 60  # seconds; a changed panel gets a new key, so this only frees memory
COUNTED = ("kind", "challenge", "seeking", "sector")  # the checkbox groups that show counts
FIELDS = ("q", "kind", "challenge", "county", "municipality", "seeking", "sector",
          "undertecknare", "kris", "sort")  # fmt: skip


def panel_key(form, result, chosen: list) -> str:
    """The cache key of the panel for this form, search result and chosen filters."""
    values = {}
    for name in FIELDS:
        data = form[name].data
        values[name] = sorted(data) if isinstance(data, list) else data
    drawn_from = {
        "values": values,
        "counts": {name: result.facets.get(name, {}) for name in COUNTED},
        "total": result.total,
        "chosen": len(chosen),
    }
    digest = hashlib.blake2b(
        json.dumps(drawn_from, sort_keys=True, default=str).encode(), digest_size=16
    ).hexdigest()
    return f"filters:{build_version()}:{current_language()}:{request.script_root}:{digest}"


def filter_panel(form, result, chosen: list) -> Markup:
    """The panel's HTML, from the cache when this very panel was drawn before."""
    key = panel_key(form, result, chosen)
    drawn = cache_get(key)
    if drawn is None:
        drawn = render_template(
            "_partials/search_filters.html", form=form, result=result, chosen=chosen
        )
        cache_set(key, drawn, PANEL_TIMEOUT)
    return Markup(drawn)  # noqa: S704  # nosec B704  drawn by Jinja (autoescaped), here or before
