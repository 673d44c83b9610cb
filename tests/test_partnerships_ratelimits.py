"""Rate limits on Samverkansöverenskommelser: saves per person, and PDFs made.

TestConfig switches rate limiting off; these tests build an app with it on (and never use the
`app` fixture: the limiter is one object).
"""

from __future__ import annotations

import pytest

from tests.test_partnerships import PURPOSE, build, client_for, save, the_partnership


@pytest.fixture
def limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_PARTNERSHIP="3 per hour",
        RATELIMIT_PARTNERSHIP_EXPORT="1 per hour",
    )


def test_saves_beyond_the_limit_are_refused_with_429_and_change_nothing(limited_app):
    world = build()
    anna = client_for(limited_app, world.anna)
    assert anna.post(world.url).status_code == 303  # starting counts too
    assert save(anna, world, "syfte", {"purpose": PURPOSE}, 1).status_code == 303
    # A refused save (too long) costs nothing: the person can fix it.
    assert save(anna, world, "syfte", {"purpose": "x" * 4000}, 2).status_code == 422
    assert save(anna, world, "tvister", {"disputes": "Vi pratar först."}, 2).status_code == 303
    response = save(anna, world, "tvister", {"disputes": "Styrgruppen avgör."}, 3)
    assert response.status_code == 429
    assert the_partnership().version == 3
    # Another person has an allowance of their own.
    leila = client_for(limited_app, world.leila)
    assert save(leila, world, "tvister", {"disputes": "Styrgruppen avgör."}, 3).status_code == 303


def test_pdfs_beyond_the_limit_are_refused_with_429(limited_app):
    world = build()
    anna = client_for(limited_app, world.anna)
    anna.post(world.url)
    assert anna.get(f"{world.url}.pdf").status_code == 200
    assert anna.get(f"{world.url}.pdf").status_code == 429
    assert anna.get(f"{world.url}/utskrift").status_code == 200  # the printable page is free
