"""The bench's mix of distinct, realistic searches (issue 17's targets are judged on it).

Words come from the generated ads themselves, by how many ads they are in: common words (in 5 %
or more of the ads: "kommunen", "ungdomar"), middling ones (0.5-5 %) and rare ones (fewer: a
small municipality's name, an unusual word from one demo text). A search has one to three of
them, or no words at all (someone browsing by filters); half of the searches with words set a
filter or two, some ask for the newest first or for the second page. Each search is a set of
the search page's URL parameters, so the same mix is asked through HTTP (`url`) and in process
(`ad_query`, what the page's form makes of the URL).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from urllib.parse import urlencode

from marketplace import reference
from marketplace.ads.models import AdKind
from marketplace.organisations.models import Sector
from marketplace.search.forms import SORT_VALUES
from marketplace.search.services import AdQuery

COMMON = 0.05  # share of the ads a word is in, at least, to be common
RARE = 0.005  # and below this, rare
SAMPLE = 50_000  # ads whose words are counted (enough for the shares; fast at 1,000,000 ads)
TIERS = {"common": 0.4, "middling": 0.35, "rare": 0.25}
_WORD = re.compile(r"[a-zåäöé]{4,}")
# Words every ad has, whatever it says: they find nearly everything and say nothing.
_FILLER = {
    "och", "att", "som", "för", "med", "till", "den", "det", "har", "inte", "från", "eller",
    "vill", "kan", "våra", "vårt", "vår", "också", "gärna", "under", "efter", "inför", "medan",
    "varje", "många", "fler", "alla", "andra", "egen", "eget", "ungefär", "omkring", "kommer",
    "finns", "behöver", "söker", "erbjuder", "vara", "blir", "bara", "mycket", "sina", "sitt",
    "detta", "dessa", "där", "här", "hela", "över", "mellan", "utan", "samt", "även",
}  # fmt: skip


def word_shares(ads: list[dict], seed: int) -> list[tuple[str, float]]:
    """(word, share of the ads it is in), most common first, from a sample of the ads."""
    rng = random.Random(seed)
    sample = ads if len(ads) <= SAMPLE else rng.sample(ads, SAMPLE)
    counts: Counter[str] = Counter()
    for ad in sample:
        text = (ad["title"] + " " + ad["body"]).lower()
        counts.update(set(_WORD.findall(text)) - _FILLER)
    return [(word, round(n / len(sample), 6)) for word, n in counts.most_common()]


def ad_texts(ads: list[dict], seed: int, count: int = 3000) -> list[str]:
    """The texts of some ads (title and body): a search of several words takes them from one
    ad, as someone looking for something like it would, so that its words go together."""
    rng = random.Random(seed + 1)
    chosen = ads if len(ads) <= count else rng.sample(ads, count)
    return [ad["title"] + " " + ad["body"] for ad in chosen]


def tiers(shares: list[tuple[str, float]]) -> dict[str, list[str]]:
    found = {
        "common": [w for w, share in shares if share >= COMMON],
        "middling": [w for w, share in shares if RARE <= share < COMMON],
        "rare": [w for w, share in shares if share < RARE],
    }
    return {name: words for name, words in found.items() if words}


def searches(
    shares: list[tuple[str, float]], texts: list[str], count: int, seed: int
) -> list[dict]:
    """`count` distinct searches as URL parameters (the search page's names): one word drawn by
    its tier, or two or three from one ad's text (the first by its tier, when the ad has one)."""
    rng = random.Random(seed)
    words = tiers(shares)
    names = list(words)
    weights = [TIERS[name] for name in names]
    tier_of = {word: name for name, found in words.items() for word in found}
    counties = list(reference.counties())
    challenges = list(reference.challenges())
    chosen: dict[str, dict] = {}
    while len(chosen) < count:
        args: dict[str, str | list[str]] = {}
        browsing = rng.random() < 0.1  # filters only, no words
        if not browsing:
            tier = rng.choices(names, weights)[0]
            length = rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 2, 3])
            own = sorted(set(_WORD.findall(rng.choice(texts).lower())) - _FILLER)
            if length == 1 or len(own) < length:
                picked = [rng.choice(words[tier])]
            else:
                first = [w for w in own if tier_of.get(w) == tier] or own
                picked = [rng.choice(first)]
                picked += rng.sample([w for w in own if w != picked[0]], length - 1)
            args["q"] = " ".join(picked)
        filters = rng.choice([1, 1, 2]) if browsing else rng.choice([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
        for name in rng.sample(["kind", "challenge", "county", "seeking", "sector"], filters):
            if name == "kind":
                args["kind"] = rng.choice([k.value for k in AdKind])
            elif name == "challenge":
                args["challenge"] = rng.choice(challenges)
            elif name == "county":
                county = rng.choice(counties)
                args["county"] = county
                if rng.random() < 0.3:
                    places = reference.municipalities_by_county()[county]
                    args["municipality"] = rng.choice(places).code
            else:
                args[name] = rng.choice([s.value for s in Sector])
        if rng.random() < 0.1:
            args["sort"] = "nyast"
        if rng.random() < 0.05:
            args["page"] = "2"
        chosen.setdefault(url(args), args)
    return list(chosen.values())


def url(args: dict) -> str:
    return "/annonser?" + urlencode(args, doseq=True)


def ad_query(args: dict) -> tuple[AdQuery, int]:
    """The AdQuery and page the search page makes of these parameters (search.forms)."""

    def values(name: str) -> list[str]:
        value = args.get(name)
        return [] if value is None else [value] if isinstance(value, str) else list(value)

    query = AdQuery(
        text=str(args.get("q", "")),
        kinds=[AdKind(v) for v in values("kind")],
        challenges=values("challenge"),
        county=args.get("county"),
        municipality=args.get("municipality"),
        seeking=[Sector(v) for v in values("seeking")],
        sectors=[Sector(v) for v in values("sector")],
        sort=SORT_VALUES.get(str(args.get("sort", "")), "relevance"),
    )
    return query, int(args.get("page", 1))
