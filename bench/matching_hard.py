"""Score the matching on the hard cases: MRR and hit@1.

    .venv/bin/python bench/matching_hard.py                                  # in-memory SQLite
    .venv/bin/python bench/matching_hard.py --database-url postgresql+psycopg://postgres@127.0.0.1/x

Four sets: tests/data/matching_cases_hard.json (the target), matching_cases_heldout.json (other
towns and topics, written before matching used marketplace.language and never used to tune it
case by case), matching_cases_fresh.json (written before the scoring changes of December 2026;
only its totals were read) and matching_cases_blind.json (32 cases in twelve other towns, one or
two per challenge, written and committed before the second round of scoring changes; only its
totals are read); `--set hard`, `heldout`, `fresh` or `blind` scores one of them.

Every case's ads go into one fresh database (as in tests/test_matching_cases.py); for each need,
`find_matches` ranks the other ads and the partner's rank gives the reciprocal rank (0 when it
is not among the first 10). The database is emptied first: never point it at one you need.
`--explain` prints, for each miss, the ads ranked above the partner and the partner with their
components and the words that connect them (what the README's analysis of the misses reads).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = {
    "hard": ROOT / "tests" / "data" / "matching_cases_hard.json",
    "heldout": ROOT / "tests" / "data" / "matching_cases_heldout.json",
    "fresh": ROOT / "tests" / "data" / "matching_cases_fresh.json",
    "blind": ROOT / "tests" / "data" / "matching_cases_blind.json",
}


def load(factories, data: dict) -> list[tuple[str, object, object]]:
    from marketplace.ads.models import AdKind
    from marketplace.organisations.models import LegalForm, Sector

    organisations = {
        key: factories.organisation(
            name=values["name"],
            slug=key.replace("_", "-"),
            sector=Sector(values["sector"]),
            legal_form=LegalForm(values["legal_form"]),
            county_code=values["county"],
            municipality_code=values["municipality"],
        )
        for key, values in data["organisations"].items()
    }

    def build(item: dict):
        return factories.ad(
            org=organisations[item["org"]],
            kind=AdKind(item["kind"]),
            title=item["title"],
            body=item["body"],
            challenges=tuple(item["challenges"]),
            county_code=item["county"],
            municipality_code=item["municipality"],
            seeks_public="public" in item["seeking"],
            seeks_civil="civil" in item["seeking"],
            seeks_business="business" in item["seeking"],
        )

    cases = []
    for case in data["cases"]:
        need, partner = build(case["need"]), build(case["partner"])
        for item in case["distractors"]:
            build(item)
        cases.append((case["name"], need, partner))
    return cases


def explain(matches: list, partner) -> None:
    """The matches down to the partner (or the partner after them), one line each."""
    from marketplace.matching import services

    ranked = [match.ad.id for match in matches]
    shown = matches[: ranked.index(partner.id) + 1] if partner.id in ranked else matches[:3]
    if partner.id not in ranked:
        shown.append(services.score_pair(matches[0].source, partner) if matches else None)
    for match in filter(None, shown):
        parts = " ".join(f"{key[:4]} {value:.2f}" for key, value in match.components.items())
        mark = "*" if match.ad.id == partner.id else " "
        print(f"    {mark} {match.score:.3f} ({parts}) {match.ad.title}")
        words = [text for text in match.describe() if "ord:" in text]
        if words:
            print(f"        {'; '.join(words)}")


def score(name: str = "hard", limit: int = 10, explaining: bool = False) -> dict:
    from marketplace.matching import services
    from tests import factories

    data = json.loads(SETS[name].read_text(encoding="utf-8"))
    cases = load(factories, data)
    reciprocal, misses = [], []
    for name, need, partner in cases:
        matches = services.find_matches(need, limit=limit)
        ranked = [match.ad.id for match in matches]
        rank = ranked.index(partner.id) + 1 if partner.id in ranked else None
        reciprocal.append(1 / rank if rank else 0.0)
        if rank != 1:
            misses.append((name, rank))
            if explaining:
                print(f"  rank {rank or '>10'}: {name}: {need.title}")
                explain(matches, partner)
    return {
        "cases": len(cases),
        "mrr": sum(reciprocal) / len(reciprocal),
        "hit_at_1": sum(1 for r in reciprocal if r == 1.0) / len(reciprocal),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--explain", action="store_true", help="show what outranks the partner")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from marketplace import create_app
    from marketplace.config import TestConfig
    from marketplace.extensions import db

    app = create_app(TestConfig)
    for name in SETS if args.set == "all" else [args.set]:
        with app.app_context():
            db.drop_all()
            db.create_all()
            result = score(name, explaining=args.explain)
            db.session.remove()
            db.drop_all()
        print(
            f"{name} ({SETS[name].name}), {result['cases']} cases: "
            f"MRR {result['mrr']:.3f}, hit@1 {result['hit_at_1']:.1%}"
        )
        if not args.explain:
            for case, rank in result["misses"]:
                print(f"  rank {rank or '>10'}: {case}")


if __name__ == "__main__":
    main()
