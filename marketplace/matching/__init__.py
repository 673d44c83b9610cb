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
    sector       0.30   each seeks the other's sector              one way 0.5, neither 0
    text         0.20   many shared rare words                     1 - exp(-similarity / 0.15),
                                                                   see TEXT below
    geography    0.20   the same municipality                      same county, or either ad
                                                                   for all of Sweden 0.7;
                                                                   neighbouring county 0.4;
                                                                   farther 0
    challenges   0.20   every challenge of the ad with fewer is    shared / fewer (overlap
                        also the other's                           coefficient)
    kinds        0.10   need with offer                            an idea with a need or an
                                                                   offer 0.6; other pairs are
                                                                   never matched

The sector fit weighs most: an organisation that says whom it seeks rarely takes up an offer
from another sector however alike the words, and an ad from a sector the other does not seek
scores 0.15 less than one from a sector it seeks, other things equal. Words and place come
next: two ads in the same town about the same challenge are common, and only their words tell
a room to rent from Arabic-speaking homework helpers; but ads that share a setting
("föräldracafé", "nyanlända") share many words without meeting each other's need, so the words
weigh no more than the place (on the four hard sets, a larger text weight lost cases on every
set, and moving 0.05 from text and place to the sector gained on every set; README, Matching
quality). Without a single connected word a pair scores at most 0.80. Every component that adds to the
score adds a reason; `Match.good` (score >= 0.6 and text >= 0.3) sorts the pages' matches into
the good ones and the weaker ones shown on request.

TEXT (terms.py). An ad's words are its title, body and organisation name through the Swedish
analysis the search uses (marketplace.language): the lemmas of its words ("tolkar" -> tolk),
the lemmas of its compounds' parts ("läxhjälpsgruppen" -> läxhjälp, läxa, hjälp) and their
curated synonyms ("tolk" -> språkstöd), without function words, everyday verbs, times of day
("fredagskvällar": when, not what) and place names (geography has its own component). Each lemma weighs its inverse document frequency,
idf = ln((1 + N) / (1 + df)) + 1, times a factor for how common it is in Swedish at large
(wordfreq, 1 for "läxhjälp", 0.2 for "barn"), and twice that in a title. The similarity is the
cosine of the two ads' weighted word vectors: one dimension per written word, which meets the
other ad's word when they share a lemma, so a word with two readings ("cyklar": cykel or cykla)
counts once, with the mean weight of its readings, and not once per reading. A lemma one ad
writes and the other has in a compound counts 0.5, a part of both ads' compounds 0.25, a
curated synonym 0.7 (below the word itself), and a synonym from Viggo Kann's general thesaurus
(mythes-sv, language/data/thesaurus.tsv) 0.35, below the curated ones: general Swedish, where
"laga" = "reparera" but also "laga" = "skapa". Each word meets the other ad once, in its
strongest way. The reasons name what connected the ads, as each writes it: "Gemensamma ord:
arabiska, läxhjälp (i läxhjälpsgruppen)", "Liknande ord: tolk ≈ språkstöd".

DOCUMENT FREQUENCIES (`term_stats`) are counted on the newest 2,000 ads (all of them on a
smaller site), open or closed, and scaled to the number of ads: a word's rarity hardly changes
with the rest, and the same rows on either database give the same numbers. Analysing them also
fills the per-process cache of analysed ads (one entry per ad version: its id and a hash of its
texts, so an edited ad is analysed again). The table is kept in the process for
MATCHING_DF_MAX_AGE seconds (default 3600; 0 in tests, so each test sees its own data).

CANDIDATES (candidates.py) come from indexed filters, never from scoring every ad in Python:
open, not expired, another organisation, a complementary kind, and either a shared challenge or
one of the ad's rarer lemmas (the full-text index, asked for the ad's words with that lemma). With more than NEAR_ONLY_ABOVE ads, an ad
sharing only a challenge must also be near (same or neighbouring county, or all of Sweden); ads
sharing rare words come from anywhere. An integer pre-score (the weights above in whole points)
keeps the best CANDIDATE_CAP, the newer ad on equal points. The filters and the pre-score work
on bitsets of the open ads' filter values (search.facets keeps them per process, rebuilt when
the data changes; candidates.py does the arithmetic), so a lookup is a few dozen operations on
100,000-bit integers instead of a query that sorts every ad sharing a challenge; the same
bitsets on either database give the same candidates.

SCORING the candidates reads their kind, place, sectors and challenges from lists kept with
those bitsets (candidates.attributes), and their words only while the text can still change
the top list: without the text a score is at most the other components plus 0.20, so
candidates are taken best bound first and the rest are never read (services._best; exact,
not a heuristic). Only the shown matches are loaded as whole ads. The pages keep an ad's ranking
until the data changes (marketplace.caching); the API and the match e-mails rank afresh.
"""
