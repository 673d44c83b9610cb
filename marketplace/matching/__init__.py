"""Matchmaking: rank the open ads of other organisations that complement an ad, and say why.

MODULES, each importing only those above it:

    terms.py        text -> matching terms: content terms, document frequencies, compounds
    scoring.py      weights, complements, geography, the scorer, reasons as data
    candidates.py   the open ads' bitsets -> an ad's candidates and their attributes
    wording.py      a match's reasons in the reader's language
    suggestions.py  organisations to contact for a public body's need
    services.py     the entrance: find_matches, score_pair, the match pages
    notices.py      "Ny matchning för er annons" e-mails for a published ad
    views.py        the match pages (models.py: the ledger of announced pairs)

SCORE. `score_pair(a, b)` is a weighted sum of five components, each between 0 and 1, so the
score is between 0 and 1 too. It is symmetric: score(a, b) == score(b, a).

    component   weight  1.0 means                                  less
    text         0.40   many shared rare words                     1 - exp(-cosine / 0.15) of
                                                                   the IDF-weighted term vectors
    challenges   0.20   every challenge of the ad with fewer is    shared / fewer (overlap
                        also the other's                           coefficient)
    geography    0.15   the same municipality                      same county, or either ad
                                                                   for all of Sweden 0.7;
                                                                   neighbouring county 0.4;
                                                                   farther 0
    sector       0.15   each seeks the other's sector              one way 0.5, neither 0
    kinds        0.10   need with offer                            an idea with a need or an
                                                                   offer 0.6; other pairs are
                                                                   never matched

Text weighs most on purpose: two ads in the same town about the same challenge are common, and
only their words tell a room to rent from Arabic-speaking homework helpers. Without a single
shared word a pair scores at most 0.60. Every component that adds to the score adds a reason.

TEXT (terms.py). Terms are the stemmed, accent-folded terms of marketplace.search.text, the ones
the search index holds in `Ad.search_terms` (title, body, organisation name), without Swedish
function words and place names (geography has its own component). Each term weighs its inverse
document frequency, idf = ln((1 + N) / (1 + df)) + 1, so "läxhjälp" counts far more than "barn".
Swedish compounds: a term of 5+ letters that begins the other ad's term ("senior" in
"seniordans", "arabisk" in "arabisktalande") counts half.

DOCUMENT FREQUENCIES (`term_stats`) come from the full-text index in one aggregate query: the
FTS5 vocabulary table fts_ad_vocab on SQLite, the same stored terms split with
string_to_array() on PostgreSQL. Both count every ad in the index, open or closed (neither
database can count only open ads cheaply, and a word's rarity hardly changes when ads close),
so both give the same numbers and the same ranking. The table is kept in the process for
MATCHING_DF_MAX_AGE seconds (default 3600: rarity changes slowly, and at 100,000 ads a rebuild
takes about a second; 0 in tests, so each test sees its own data).

CANDIDATES (candidates.py) come from indexed filters, never from scoring every ad in Python:
open, not expired, another organisation, a complementary kind, and either a shared challenge or
one of the ad's rarer terms (the full-text index). With more than NEAR_ONLY_ABOVE ads, an ad
sharing only a challenge must also be near (same or neighbouring county, or all of Sweden); ads
sharing rare words come from anywhere. An integer pre-score (the weights above in whole points)
keeps the best CANDIDATE_CAP, the newer ad on equal points. The filters and the pre-score work
on bitsets of the open ads' filter values (search.facets keeps them per process, rebuilt when
the data changes; candidates.py does the arithmetic), so a lookup is a few dozen operations on
100,000-bit integers instead of a query that sorts every ad sharing a challenge; the same
bitsets on either database give the same candidates.

SCORING the candidates reads their kind, place, sectors and challenges from lists kept with
those bitsets (candidates.attributes), and their words only while the text can still change
the top list: without the text a score is at most the other components plus 0.40, so
candidates are taken best bound first and the rest are never read (services._best; exact,
not a heuristic). Only the shown matches are loaded as whole ads. The pages keep an ad's ranking
until the data changes (marketplace.caching); the API and the match e-mails rank afresh.
"""
