"""The search page's filter form, drawn once per (language, filter values) and kept in the shared
cache: its hundreds of options (counties, municipalities, challenges) cost more to draw than the
rest of the page (make bench).

The typed words are not part of the key: the form is drawn with a placeholder in the search
field, and each page puts its own words, escaped, in the placeholder's place. So every search
with the same filters (most visitors use none) shares one drawn form.
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

from marketplace.htmx import render_fragment
from marketplace.httpcache import build_version, cache_get, cache_set
from marketplace.i18n import current_language
from marketplace.search.forms import AdSearchForm

# Letters and digits only: escaping leaves it as it is, and no visitor's words can contain it
# as an attribute value on their own (the words are escaped before they take its place).
PLACEHOLDER = "Q9f3c1a7e5b2d8samverkanQ"
TIMEOUT = 24 * 60 * 60  # seconds; the key changes with the build, so this only frees memory
_FILTERS = ("kind", "challenge", "county", "municipality", "seeking", "sector", "sort")


def _key(form: AdSearchForm) -> str:
    values = repr([(name, getattr(form, name).data) for name in _FILTERS])
    digest = hashlib.blake2b(values.encode(), digest_size=16).hexdigest()
    return f"filters:{build_version()}:{current_language()}:{digest}"


def _draw(form: AdSearchForm) -> str:
    words = form.q.data
    form.q.data = PLACEHOLDER
    try:
        return render_fragment("ads/index.html", "filters", form=form)
    finally:
        form.q.data = words


def filter_form_html(form: AdSearchForm) -> Markup:
    """The filter form for this search, as ads/index.html's `filters` block draws it."""
    key = _key(form)
    html = cache_get(key)
    if html is None:
        html = _draw(form)
        cache_set(key, html, TIMEOUT)
    value = f'value="{PLACEHOLDER}"'
    words = f'value="{escape(form.q.data or "")}"' if form.q.data else 'value=""'
    # Drawn by the autoescaping template; the visitor's words are escaped above.
    return Markup(html.replace(value, words))  # noqa: S704  # nosec B704
