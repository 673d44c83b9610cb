"""The search engine (tantivy): Swedish through the analyzer, updates through the change log,
and a search that never fails while the index is missing, being built or broken."""

from __future__ import annotations

import gc
import time

import pytest
import sqlalchemy as sa

from marketplace.ads.models import AdStatus
from marketplace.extensions import db
from marketplace.search import engine
from marketplace.search.models import SearchChange
from marketplace.search.services import AdQuery, search_ads
from tests import factories


def titles(text: str = "", **filters) -> list[str]:
    return [ad.title for ad in search_ads(AdQuery(text=text, **filters), per_page=100).items]


# --- Swedish (#16) --------------------------------------------------------------------------


def test_a_head_word_finds_its_compounds_below_the_word_itself(app):
    factories.ad(title="Läxhjälp för barn", body="Varje tisdag.")
    factories.ad(title="Vi behöver hjälp", body="Med trädgården.")
    factories.ad(title="Cykelverkstad", body="Vi lagar cyklar.")
    assert titles("hjälp") == ["Vi behöver hjälp", "Läxhjälp för barn"]


def test_a_compound_finds_a_text_with_all_its_parts(app):
    factories.ad(title="Läsning av läxor", body="Efter skolan.")
    factories.ad(title="Läsning för äldre", body="Högläsning.")
    assert titles("läxläsning") == ["Läsning av läxor"]


def test_irregular_forms_find_their_word(app):
    factories.ad(title="Böcker till biblioteket", body="Vi samlar in.")
    factories.ad(title="Somrar på landet", body="Kollo.")
    assert titles("bok") == ["Böcker till biblioteket"]
    assert titles("sommar") == ["Somrar på landet"]


def test_accents_are_restored_only_when_the_word_is_no_swedish_word(app):
    org = factories.organisation(name="Kalmar kulturhus", description="")
    factories.ad(org=org, title="Ny förening söker lokal", body="Välkomna.")
    factories.ad(org=org, title="Gott råd till nyanlända", body="Fråga oss.")
    factories.ad(org=org, title="En rad aktiviteter", body="För alla.")
    assert titles("forening") == ["Ny förening söker lokal"]
    assert titles("rad") == ["En rad aktiviteter"]  # a word: råd is not what was meant


def test_look_alikes_do_not_match(app):
    factories.ad(title="Bilder från sommaren", body="Fotoklubb.")
    factories.ad(title="Skolan behöver volontärer", body="Läxhjälp.")
    assert titles("bil") == []
    assert titles("sko") == []


def test_synonyms_are_a_fallback_below_the_word_itself(app):
    factories.ad(title="Språkstöd på arabiska", body="Volontärer hjälper.")
    factories.ad(title="Tolk sökes", body="Till vårdcentralen.")
    assert titles("tolk") == ["Tolk sökes", "Språkstöd på arabiska"]


def test_a_query_naming_a_challenge_also_finds_its_tagged_ads_below_the_text_hits(app):
    factories.ad(title="Samtal om psykisk ohälsa", body="Stöd.", challenges=("education",))
    factories.ad(title="Stödgrupp för unga", body="Varje vecka.", challenges=("mental-health",))
    factories.ad(title="Fotboll", body="Träning.", challenges=("education",))
    assert titles("psykisk ohälsa") == ["Samtal om psykisk ohälsa", "Stödgrupp för unga"]


def test_an_english_word_is_offered_its_swedish_counterpart(app):
    from marketplace import language

    assert ("homework", "läxhjälp") in language.query_terms("homework").hints


# --- updates ---------------------------------------------------------------------------------


def test_a_change_is_logged_in_its_own_transaction_and_a_rollback_logs_nothing(app):
    ad = factories.ad(title="Läxhjälp")
    before = db.session.scalar(sa.select(sa.func.count(SearchChange.id)))
    ad.title = "Språkcafé"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(SearchChange.id))) == before
    ad = db.session.get(type(ad), ad.id)
    ad.title = "Språkcafé"
    db.session.commit()
    logged = db.session.scalars(sa.select(SearchChange.ad_id).order_by(SearchChange.id)).all()
    assert len(logged) == before + 1 and logged[-1] == ad.id


def test_an_organisations_change_reaches_all_its_ads(app):
    org = factories.organisation(name="Gamla namnet")
    factories.ad(org=org, title="Läxhjälp")
    factories.ad(org=org, title="Språkcafé")
    assert len(titles("gammal")) == 2  # the organisation's name is searched (lemma: gammal)
    org.hidden_at = factories.utcnow()
    db.session.commit()
    assert titles("gammal") == []
    assert search_ads(AdQuery()).total == 0


def test_a_committed_change_reaches_another_process_index_within_seconds(make_app, tmp_path):
    """Readers (web processes) do not write; the machine's one writer follows the log."""
    make_app(SEARCH_INDEX_SYNC=False, SEARCH_INDEX_DIR=str(tmp_path))
    writer = engine.Engine(tmp_path)  # the worker's follower, as another process would hold it
    factories.ad(title="Läxhjälp i Kalmar")
    writer.catch_up()  # builds the index: the machine started empty
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    factories.ad(title="Läxhjälp i Lund")
    started = time.monotonic()
    writer.catch_up()
    while len(titles("läxhjälp")) < 2 and time.monotonic() - started < 5:
        time.sleep(0.1)
    assert sorted(titles("läxhjälp")) == ["Läxhjälp i Kalmar", "Läxhjälp i Lund"]
    assert engine.get().catch_up() == -1  # a reader is never a second writer


def test_a_machine_with_no_index_searches_the_database_until_it_is_built(make_app, tmp_path):
    app = make_app(SEARCH_INDEX_SYNC=False, SEARCH_INDEX_DIR=str(tmp_path / "empty"))
    factories.ad(title="Läxhjälp i Kalmar")
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]  # from the database
    assert app.test_client().get("/annonser?q=l%C3%A4xhj%C3%A4lp").status_code == 200
    engine.get().rebuild()
    assert (tmp_path / "empty" / "current").exists()
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]  # from the index


def test_a_broken_index_never_breaks_the_search(make_app, tmp_path):
    app = make_app(SEARCH_INDEX_SYNC=False, SEARCH_INDEX_DIR=str(tmp_path))
    factories.ad(title="Läxhjälp i Kalmar")
    engine.get().rebuild()
    # Broken while no process had it open (files changed under a live memory map would crash
    # the process: tantivy never changes a written file, it only adds and removes them).
    engine._engines.clear()
    gc.collect()
    generation = (tmp_path / "current").read_text()
    for path in (tmp_path / generation).iterdir():
        if path.suffix != ".json":
            path.write_bytes(b"garbage")
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    (tmp_path / "current").write_text("missing-generation")  # and a pointer to nowhere
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    response = app.test_client().get("/annonser?q=l%C3%A4xhj%C3%A4lp")
    assert response.status_code == 200 and "Läxhjälp i Kalmar" in response.get_data(as_text=True)


def test_a_restored_database_makes_the_writer_rebuild(app):
    factories.ad(title="Läxhjälp i Kalmar")
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    index = engine.get()
    index._state.watermark = 10**9  # the index has seen changes this database never had
    assert "ahead" in (index.needs_rebuild() or "")
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    assert not index.needs_rebuild()


def test_closed_ads_leave_the_index_and_expired_ones_are_never_found(app):
    ad = factories.ad(title="Läxhjälp i Kalmar")
    assert titles("läxhjälp") == ["Läxhjälp i Kalmar"]
    ad.status = AdStatus.PARTNER_FOUND
    db.session.commit()
    assert titles("läxhjälp") == []


def test_the_rebuild_command_shows_its_progress_and_the_status_its_state(app):
    for number in range(3):
        factories.ad(title=f"Läxhjälp {number}")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexing ads" in result.output and "indexed 3 open ads" in result.output
    result = runner.invoke(args=["search-index", "status"])
    assert "3 ads" in result.output


@pytest.mark.parametrize("sort", ["relevance", "newest", "expiring"])
def test_every_order_pages_through_every_hit_once(app, sort):
    for number in range(7):
        factories.ad(title=f"Läxhjälp grupp {number}", body="läxhjälp " * (number % 3))
    seen = []
    for page in (1, 2, 3):
        result = search_ads(AdQuery(text="läxhjälp", sort=sort), page=page, per_page=3)
        seen += [ad.id for ad in result.items]
    assert len(seen) == len(set(seen)) == 7
