"""Absolute addresses on BASE_URL (e-mails, feeds, embeds, canonical links, the API) and ad links.

An e-mailed or published link is always built on the configured BASE_URL, never on the
request's Host header (which a client chooses), in and outside a request alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app, url_for

if TYPE_CHECKING:
    from marketplace.ads.models import Ad


def external_url(endpoint: str, **values) -> str:
    """An absolute link on BASE_URL to an endpoint; other values become query arguments."""
    base_url = current_app.config["BASE_URL"]
    adapters = current_app.extensions.setdefault("external_url_adapters", {})
    adapter = adapters.get(base_url)
    if adapter is None:  # bound once: a publish may build links for hundreds of e-mails
        base = urlsplit(base_url)
        adapter = adapters[base_url] = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
        )
    return adapter.build(endpoint, values, force_external=True)


def ad_url(ad: Ad, external: bool = False) -> str:
    """An ad's page (its canonical address, with the slug); `external` on BASE_URL."""
    if external:
        return external_url("ads.detail", ad_id=ad.id, slug=ad.slug)
    return url_for("ads.detail", ad_id=ad.id, slug=ad.slug)


def logo_url(organisation, size: int, *, external: bool = False, fmt: str = "webp") -> str | None:
    """The address of the organisation's logo at `size` (one of images.logos.SIZES), or None
    without one.

    `external` (e-mails, og:image) gives an absolute address on BASE_URL; `fmt="png"` a PNG
    for e-mail programs that do not show WebP (Outlook on Windows).
    """
    content_hash = getattr(organisation, "logo_hash", None)
    if not content_hash:
        return None
    values = {"content_hash": content_hash, "size": size, "fmt": fmt}
    if external:
        return external_url("images.logo", **values)
    return url_for("images.logo", **values)
