"""The analysis meets its targets on the labelled set generated from public resources.

tests/data/language_eval.json is drawn with a fixed seed from hunspell-sv and wordfreq by
bench/language/build_eval.py (the look-alike pairs checked by hand); bench/language_eval.py
prints the same figures beside those of the analysis the search used before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from marketplace.language import lexicon

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("language_eval", ROOT / "bench" / "language_eval.py")
language_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(language_eval)


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return language_eval.metrics(language_eval.after_finder(), language_eval.load())


def test_the_set_is_large_enough_to_mean_something():
    data = language_eval.load()
    assert len(data["inflection"]) >= 500
    assert len(data["accents"]) >= 500
    assert len(data["compounds"]) >= 300
    assert len(data["lookalikes"]) >= 100
    assert len(data["present_tense"]) >= 300
    assert sum(item["apart"] for item in data["present_tense"]) >= 80
    assert len(data["plurals"]) >= 250


@pytest.mark.parametrize(
    ("metric", "target"),
    [
        ("inflection", 0.90),
        ("irregular", 0.90),
        ("accents", 0.90),
        ("head_to_compound", 0.85),
        ("compound_to_parts", 0.65),
        ("present_tense", 0.95),
        ("present_tense_filed_apart", 0.90),
        ("plurals", 0.95),
    ],
)
def test_recall_meets_its_target(figures, metric, target):
    assert figures[metric] >= target


def test_words_that_only_look_alike_rarely_match(figures):
    assert figures["lookalike_false_matches"] <= 0.05


def test_a_plural_is_not_taken_for_a_verb_that_looks_like_it(figures):
    """ "bilder" is no form of "bilda", "pajer" none of "paja" (pairs checked by hand)."""
    assert figures["plural_verb_false_matches"] <= 0.05


def test_the_analysis_finds_more_than_the_one_it_replaces(figures):
    before = language_eval.metrics(language_eval.before_finder(prefix=True), language_eval.load())
    assert figures["inflection"] > before["inflection"]
    assert figures["head_to_compound"] > before["head_to_compound"] + 0.5
    assert figures["lookalike_false_matches"] < before["lookalike_false_matches"] / 10


def test_the_word_data_is_the_one_the_manifest_describes():
    folder = ROOT / "marketplace" / "language" / "data"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest()[:16] == digest, name


def test_the_stored_compound_splits_were_made_with_the_current_curated_lists():
    """Changed marketplace/language/exceptions.py? Rebuild: bench/language/build_data.py."""
    folder = ROOT / "marketplace" / "language" / "data"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["exceptions"] == lexicon.exceptions_digest()
