"""What Mina sidor shows: read from the domains' own services, nothing stored here."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.accounts.models import User


@dataclass
class HomePage:
    user: User


def home_page(user: User) -> HomePage:
    return HomePage(user=user)
