"""The demo data's files and the guards around loading it (the loaded site: tests/test_demo.py)."""

from __future__ import annotations

import csv
import tomllib
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from marketplace import demo
from marketplace.ads.models import Ad
from marketplace.extensions import db
from marketplace.insights.models import CollaborationForm
from marketplace.organisations.models import Organisation
from tests import factories

REAL_NUMBERS = Path(__file__).parent / "data" / "orgnr_examples.csv"
ON = date(2027, 3, 14)


def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    db.session.expire_all()
    return result


def test_the_demo_is_not_loaded_over_real_data(app):
    factories.organisation()

    result = seed(app, "--if-empty")

    assert "not loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 0


def test_outside_debug_mode_the_demo_refuses_to_load_unless_forced(app):
    app.testing = False  # neither FLASK_DEBUG=1 nor tests: a production app
    try:
        refused = seed(app, "--if-empty")
        nothing = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
        factories.organisation()
        forced = seed(app, "--if-empty", "--force")
    finally:
        app.testing = True

    assert refused.exit_code == 1
    assert "FLASK_DEBUG=1" in refused.output and "--force" in refused.output
    assert nothing == 0
    assert forced.exit_code == 0, forced.output
    assert "the database already has organisations" in forced.output  # past the guard


def test_demo_dates_follow_the_day_it_is_loaded():
    closed = {closing["ad"] for closing in demo.demo_history()["closings"]}

    ads = demo.demo_document(on=ON)["ads"]
    published = {ad["ref"]: date.fromisoformat(ad["published"]) for ad in ads}
    expires = {ad["ref"]: date.fromisoformat(ad["expires"]) for ad in ads}
    running = [ref for ref in published if ref not in closed and expires[ref] >= ON]

    assert max(published.values()) == ON
    assert min(published.values()) >= ON - timedelta(days=330)  # inside a 12-month view
    assert all(expires[ref] - published[ref] <= timedelta(days=365) for ref in published)
    assert 70 <= len(running) <= 90
    for ref in running:
        assert published[ref] >= ON - timedelta(days=120), ref
        assert ON + timedelta(days=30) <= expires[ref] <= ON + timedelta(days=120), ref


def test_the_history_names_only_ads_organisations_and_forms_that_exist():
    document = demo.demo_document(on=ON)
    with demo.HISTORY_FILE.open("rb") as handle:
        history = tomllib.load(handle)
    organisations = {organisation["ref"] for organisation in document["organisations"]}
    ads = {ad["ref"]: ad["organisation"] for ad in document["ads"]}
    people = [person["organisation"] for person in history["people"]]

    assert len(people) == len(set(people)) and set(people) <= organisations
    for thread in history["conversations"]:
        if "to" in thread:  # direct, from the organisation's page: no ad
            assert "ad" not in thread and thread["to"] in organisations
            assert thread["interested"] in people and thread["interested"] != thread["to"]
            assert {message["by"] for message in thread["messages"]} <= {"to", "interested"}
            continue
        assert thread["ad"] in ads and thread["interested"] in people
        assert thread["interested"] != ads[thread["ad"]]
        assert {message["by"] for message in thread["messages"]} <= {"ad", "interested"}
    for closing in history["closings"]:
        outcome = closing.get("outcome", {})
        assert closing["ad"] in ads
        assert closing["status"] in {"partner_found", "not_current", "expired"}
        assert outcome.get("partner", ads[closing["ad"]]) in organisations
        assert outcome.get("form") in {None, *(form.value for form in CollaborationForm)}


def test_demo_organisations_carry_only_their_own_real_org_numbers():
    with open(REAL_NUMBERS, encoding="utf-8") as handle:
        real = {row["orgnr"]: row["name"] for row in csv.DictReader(handle)}

    numbered = [o for o in demo.demo_document()["organisations"] if o.get("org_number")]

    assert numbered
    for organisation in numbered:
        assert real.get(organisation["org_number"]) == organisation["name"]
