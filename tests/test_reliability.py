"""Defects of issue 13 (besides the resilience suite): form integers, double submits, sessions
that end, log-in limits that hold without locking the owner out, enumeration, failed mail, and
invisible format characters in names."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import log_in

HUGE = "99999999999999999999"


# --- 7. form and query integers ---------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "2147483648", "abc", ""])
def test_an_organisation_id_no_column_can_hold_is_no_such_organisation(client, value):
    log_in(client, factories.member())
    response = client.post("/organisationer/agera-for", data={"organisation_id": value})
    assert response.status_code == 404  # was a 500 on both databases


@pytest.mark.parametrize("path", ["/organisationer/", "/inkorg", "/moderering"])
def test_a_page_number_no_column_can_hold_reads_as_the_first_page(client, path):
    site_admin = factories.user(is_site_admin=True)
    factories.membership(site_admin, factories.organisation())
    log_in(client, site_admin)
    for value in (HUGE, "-" + HUGE):
        response = client.get(path, query_string={"page": value})
        assert response.status_code in (200, 302, 303, 403, 404), (path, value)
        assert response.status_code != 500
