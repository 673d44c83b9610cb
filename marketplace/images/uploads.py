"""The one page that takes a file gets a larger request body than MAX_CONTENT_LENGTH (2 MB).

The request class (marketplace/security.py) asks `body_limit` before the body is read: the CSRF
check reads the form before any view runs, so a limit set in the view would come too late.
"""

from __future__ import annotations

# The logo (at most 5 MB, marketplace/images/logos.py) and the form around it; a file a little
# over 5 MB gets the field's own error, anything larger the 413 page before it is read.
UPLOAD_BODY_LIMIT = 6 * 1024 * 1024
UPLOAD_ENDPOINTS = {"images.edit_logo"}


def body_limit(endpoint: str | None) -> int | None:
    """The endpoint's own limit on the request body, or None for MAX_CONTENT_LENGTH."""
    return UPLOAD_BODY_LIMIT if endpoint in UPLOAD_ENDPOINTS else None
