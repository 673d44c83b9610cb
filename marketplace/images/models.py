"""An organisation's logo as small WebP renditions, kept in the database.

In the database rather than on disk: the renditions are small (a few kilobytes each), so every
app machine serves them without a shared file system, and every database backup has them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db


class OrganisationLogo(db.Model):
    """One rendition (a square of `size` pixels) of an organisation's current logo."""

    __table_args__ = (sa.UniqueConstraint("organisation_id", "size"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    size: so.Mapped[int]
    # The same for every rendition of one upload (organisation.logo_hash): the logo's address.
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    image: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<OrganisationLogo {self.organisation_id} {self.size}px>"
