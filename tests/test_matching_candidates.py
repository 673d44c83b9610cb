"""The bitset arithmetic behind match candidates agrees with summing and sorting plainly."""

from __future__ import annotations

import random

import pytest

from marketplace.matching.candidates import Tally, highest
from marketplace.search.facets import bits, ids


def plain_best(sums: dict[int, int], count: int, among: set[int]) -> set[int]:
    """What ORDER BY points DESC, id DESC LIMIT count keeps."""
    ranked = sorted(among, key=lambda ad_id: (-sums.get(ad_id, 0), -ad_id))
    return set(ranked[:count])


@pytest.mark.parametrize("seed", range(12))
def test_the_best_sums_are_those_a_sort_would_keep_ties_to_the_newest(seed):
    rng = random.Random(seed)  # noqa: S311  test data, not secrets
    universe = range(1, rng.choice([50, 400, 3000]))
    sums: dict[int, int] = {}
    tally = Tally()
    for _ in range(rng.randint(0, 12)):
        points = rng.choice([1, 2, 3, 4, 6, 10, 14])
        members = {ad_id for ad_id in universe if rng.random() < 0.3}
        tally.add(points, bits(members))
        for ad_id in members:
            sums[ad_id] = sums.get(ad_id, 0) + points
    among = {ad_id for ad_id in universe if rng.random() < 0.7}
    for count in (0, 1, 7, 100, len(among), len(among) + 5):
        assert set(ids(tally.best(count, bits(among)))) == plain_best(sums, count, among)


def test_ids_and_highest_read_bits_back_in_order():
    numbers = [0, 1, 7, 8, 9, 255, 256, 4097, 100_000]
    assert ids(bits(numbers)) == numbers
    assert ids(highest(bits(numbers), 3)) == [256, 4097, 100_000]
    assert ids(highest(bits(numbers), 20)) == numbers
    assert ids(0) == [] and highest(bits(numbers), 0) == 0
