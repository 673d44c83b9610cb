"""What the embed shows: the newest open ads for a county and/or a challenge."""

from __future__ import annotations

from marketplace.ads.models import Ad
from marketplace.search.services import AdQuery, search_ads

EMBED_SIZE = 10


def newest_ads(
    county: str | None = None, challenge: str | None = None, limit: int = EMBED_SIZE
) -> list[Ad]:
    """Open ads, newest first; a county also brings ads for all of Sweden, as the search does."""
    query = AdQuery(county=county, challenges=[challenge] if challenge else [], sort="newest")
    return search_ads(query, page=1, per_page=limit, with_facets=False).items
