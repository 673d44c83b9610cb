"""The sector's vocabulary: words that mean nearly the same, the challenges a text names, and
Swedish words for English ones.

Curated for this site (the 18 challenges of marketplace/reference and what their ads say), and
extended by hand from Viggo Kann's thesaurus (Debian's mythes-sv, th_sv_SE_v2): of its entries
for these words, only pairs listed both ways and meaning the same in this sector were taken
(närstående, uteliggare, nysvensk); most are too broad here ("lokal" = "rum", "motion" =
"lagförslag", "sällskap" = "klubb").
Each group is a set of words a person would accept for one another; words are analysed like
any text, so one inflected form is enough. A synonym counts below the word itself: search
ranks it under literal hits, matching weighs it lower (see marketplace.language).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

THESAURUS = Path(__file__).resolve().parent / "data" / "thesaurus.tsv"

# Groups of near-synonyms. Keep them tight: "barn" and "ungdom" are not one group, since a
# need for a youth club is not met by a toddlers' playgroup.
GROUPS: tuple[tuple[str, ...], ...] = (
    # integration
    ("nyanländ", "asylsökande", "flykting", "invandrare", "immigrant", "migrant", "nysvensk"),
    ("tolk", "språkstöd", "tolkning", "översättare", "tolkhjälp"),
    ("språkcafé", "språkkafé", "samtalsträning", "språkträning", "språkvän"),
    ("sfi", "svenskundervisning", "svenskkurs", "svenska för invandrare"),
    ("samhällsorientering", "samhällsinformation"),
    ("mentor", "fadder", "mentorskap", "kontaktperson"),
    # children, youth, education
    ("läxhjälp", "studiestöd", "läxläsning", "läxcafé", "läxhjälpare", "läxstöd"),
    ("fritidsgård", "ungdomsgård", "fritidsverksamhet", "mötesplats för unga"),
    ("feriearbete", "sommarjobb", "feriejobb", "sommararbete", "ferieplats"),
    ("studieförbund", "folkbildning", "studiecirkel"),
    ("ungdom", "tonåring", "unga"),
    # elderly
    ("äldre", "senior", "pensionär"),
    ("ensamhet", "isolering", "ofrivillig ensamhet"),
    ("demens", "minnessjukdom", "alzheimer", "minnesproblem"),
    ("besöksvän", "besöksverksamhet", "följeslagare", "sällskap"),
    ("anhörigstöd", "anhörigvårdare", "anhörig", "närstående"),
    # employment, social enterprise
    ("praktik", "arbetsträning", "praktikplats", "arbetsprövning", "lönebidrag"),
    ("arbetslös", "arbetssökande"),
    ("socialt företag", "arbetsintegrerande", "socialföretag"),
    # crisis, health, safety
    ("hjärtstartare", "defibrillator", "hlr", "hjärt-lungräddning"),
    ("krisberedskap", "beredskap", "krisstöd", "civilförsvar", "frivilliga resursgruppen"),
    ("reservkraft", "elverk", "generator", "strömavbrott"),
    ("psykisk ohälsa", "psykisk hälsa", "ångest", "depression", "psykiatri"),
    ("samtalsstöd", "stödsamtal", "samtalsgrupp", "stödlinje", "jourtelefon"),
    ("suicidprevention", "självmordsprevention"),
    ("nattvandring", "nattvandrare", "trygghetsvandring", "grannsamverkan"),
    ("kvinnojour", "tjejjour", "skyddat boende", "våldsutsatt"),
    ("våld i nära relationer", "relationsvåld", "mäns våld mot kvinnor", "hedersrelaterat våld"),
    # housing, food, sustainability
    ("hemlös", "bostadslös", "hemlöshet", "härbärge", "bostad först", "uteliggare"),
    ("matbank", "matkasse", "matsvinn", "överskottsmat", "livsmedelsbank"),
    ("återbruk", "second hand", "begagnad", "återvinning", "loppis"),
    # disability, accessibility
    ("tillgänglighet", "tillgänglighetsinventering", "funktionsrätt"),
    ("funktionsnedsättning", "funktionsnedsatt", "funktionsvariation", "handikapp"),
    ("rullstol", "rullstolsburen", "rullstolsanvändare"),
    # culture, sport, participation
    ("idrott", "sport", "motion", "träning", "fysisk aktivitet"),
    ("volontär", "frivillig", "ideell", "ideellt engagerad"),
    ("lokal", "möteslokal", "samlingslokal", "lokaler"),
)

# The words and phrases that name a challenge in a query (all words of a phrase present).
CHALLENGE_WORDS: dict[str, tuple[str, ...]] = {
    "integration": ("integration", "etablering", "nyanländ", "asylsökande", "flykting", "sfi"),
    "mental-health": ("psykisk hälsa", "psykisk ohälsa", "suicidprevention", "ångest"),
    "employment": ("sysselsättning", "arbetsträning", "praktik", "arbetslös", "arbetsmarknad"),
    "crisis-preparedness": ("krisberedskap", "beredskap", "civilförsvar", "kris"),
    "volunteering-in-care": ("besöksvän", "följeslagare", "sjukhusvärd", "frivilliga i vården"),
    "social-enterprise": ("socialt företag", "socialt företagande", "arbetsintegrerande"),
    "sustainability": ("hållbarhet", "hållbar utveckling", "matsvinn", "återbruk", "klimat"),
    "safety": ("trygghet", "nattvandring", "grannsamverkan", "brottsförebyggande"),
    "democracy": ("demokrati", "delaktighet", "medborgardialog", "inflytande"),
    "culture": ("kultur", "kulturarv", "konst", "teater", "musik"),
    "disability-rights": ("funktionsrätt", "funktionsnedsättning", "tillgänglighet"),
    "children-youth": ("barn och unga", "ungdom", "barnkonvention", "fritidsgård"),
    "elderly": ("äldre", "pensionär", "senior", "ofrivillig ensamhet"),
    "education": ("läxhjälp", "folkbildning", "studieförbund", "utbildning", "folkhögskola"),
    "public-health": ("folkhälsa", "idrott", "friluftsliv", "fysisk aktivitet"),
    "housing-homelessness": ("hemlöshet", "hemlös", "bostad först", "härbärge", "boendestöd"),
    "equality-human-rights": ("jämställdhet", "diskriminering", "rasism", "mänskliga rättigheter"),
    "violence-prevention": ("våld i nära relationer", "kvinnojour", "tjejjour", "hedersvåld"),
}

# English words people type -> the Swedish word to offer ("Menade du läxhjälp?").
ENGLISH: dict[str, str] = {
    "homework": "läxhjälp",
    "tutoring": "läxhjälp",
    "volunteer": "volontär",
    "volunteers": "volontärer",
    "volunteering": "volontärarbete",
    "elderly": "äldre",
    "seniors": "seniorer",
    "senior": "senior",
    "pensioners": "pensionärer",
    "loneliness": "ensamhet",
    "lonely": "ensamhet",
    "refugee": "flyktingar",
    "refugees": "flyktingar",
    "newcomers": "nyanlända",
    "immigrants": "invandrare",
    "asylum": "asylsökande",
    "interpreter": "tolk",
    "interpreters": "tolkar",
    "translation": "översättning",
    "language": "språk",
    "swedish": "svenska",
    "children": "barn",
    "kids": "barn",
    "youth": "unga",
    "young": "unga",
    "teenagers": "ungdomar",
    "school": "skola",
    "education": "utbildning",
    "job": "jobb",
    "jobs": "jobb",
    "work": "arbete",
    "employment": "sysselsättning",
    "internship": "praktik",
    "unemployed": "arbetslösa",
    "summer": "sommarjobb",
    "housing": "bostad",
    "homeless": "hemlösa",
    "homelessness": "hemlöshet",
    "shelter": "härbärge",
    "food": "mat",
    "foodbank": "matbank",
    "waste": "matsvinn",
    "recycling": "återbruk",
    "climate": "klimat",
    "environment": "miljö",
    "sustainability": "hållbarhet",
    "health": "hälsa",
    "mental": "psykisk hälsa",
    "depression": "depression",
    "anxiety": "ångest",
    "suicide": "suicidprevention",
    "dementia": "demens",
    "disability": "funktionsnedsättning",
    "disabled": "funktionsnedsättning",
    "accessibility": "tillgänglighet",
    "wheelchair": "rullstol",
    "violence": "våld",
    "domestic": "våld i nära relationer",
    "safety": "trygghet",
    "crime": "brottsförebyggande",
    "crisis": "kris",
    "preparedness": "beredskap",
    "defibrillator": "hjärtstartare",
    "culture": "kultur",
    "music": "musik",
    "theatre": "teater",
    "theater": "teater",
    "art": "konst",
    "sport": "idrott",
    "sports": "idrott",
    "exercise": "motion",
    "democracy": "demokrati",
    "equality": "jämställdhet",
    "racism": "rasism",
    "discrimination": "diskriminering",
    "premises": "lokal",
    "room": "lokal",
    "venue": "lokal",
    "meeting": "möte",
    "mentor": "mentor",
    "mentoring": "mentorskap",
    "care": "omsorg",
    "hospital": "sjukhus",
    "library": "bibliotek",
    "church": "kyrka",
    "association": "förening",
    "nonprofit": "ideell förening",
    "municipality": "kommun",
    "region": "region",
    "funding": "finansiering",
    "grant": "bidrag",
    "collaboration": "samverkan",
    "partnership": "samarbete",
    "help": "hjälp",
    "support": "stöd",
}


def _lemma_sets(phrase: str) -> tuple[frozenset[str], ...]:
    """A phrase as the lemmas of each of its words (each word: any of its lemmas)."""
    from marketplace.language.analyzer import analyze

    return tuple(frozenset(word.lemmas) for word in analyze(phrase))


@cache
def related_index() -> dict[str, frozenset[str]]:
    """lemma -> the lemmas of its group's other one-word members (multi-word members are
    matched through `phrases`)."""
    related: dict[str, set[str]] = {}
    for group in GROUPS:
        single = [_lemma_sets(word) for word in group]
        lemmas = [lemma for sets in single if len(sets) == 1 for lemma in sets[0]]
        for sets in single:
            if len(sets) != 1:
                continue
            for lemma in sets[0]:
                related.setdefault(lemma, set()).update(lemmas)
    return {lemma: frozenset(others - {lemma}) for lemma, others in related.items()}


@cache
def thesaurus_index() -> dict[str, frozenset[str]]:
    """lemma -> its synonyms in Viggo Kann's general thesaurus (data/thesaurus.tsv, built by
    bench/language/build_thesaurus.py), without the curated ones (related_index): general
    Swedish, so matching weighs it below the curated groups. Empty without the file."""
    if not THESAURUS.exists():
        return {}
    curated = related_index()
    found: dict[str, frozenset[str]] = {}
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        lemma, others = line.split("\t")
        kept = frozenset(others.split()) - curated.get(lemma, frozenset())
        if kept:
            found[sys.intern(lemma)] = frozenset(map(sys.intern, kept))
    return found


Phrases = dict[str, list[tuple[tuple[frozenset[str], ...], object]]]


def _by_first_word(items) -> Phrases:
    """Phrases (each word: its lemmas) with a value, filed under every lemma of their first word,
    so a text looks up only the phrases that can start with one of its lemmas."""
    index: Phrases = {}
    for phrase, value in items:
        if phrase:
            for lemma in phrase[0]:
                index.setdefault(lemma, []).append((phrase, value))
    return index


@cache
def group_phrases() -> Phrases:
    """Multi-word group members ("psykisk ohälsa") -> the one-word lemmas of their group."""
    items = []
    for group in GROUPS:
        sets = [_lemma_sets(word) for word in group]
        single = frozenset(lemma for s in sets if len(s) == 1 for lemma in s[0])
        items.extend((phrase, single) for phrase in sets if len(phrase) > 1)
    return _by_first_word(items)


@cache
def challenge_phrases() -> Phrases:
    """The words and phrases naming a challenge -> its slug."""
    return _by_first_word(
        (_lemma_sets(phrase), slug)
        for slug, phrases in CHALLENGE_WORDS.items()
        for phrase in phrases
    )


def phrases_in(lemmas, phrases: Phrases) -> list:
    """The values of the phrases all of whose words are among the lemmas."""
    found = []
    for lemma in phrases.keys() & lemmas:
        for phrase, value in phrases[lemma]:
            if contains(lemmas, phrase):
                found.append(value)
    return found


def contains(lemmas: set[str] | frozenset[str], phrase: tuple[frozenset[str], ...]) -> bool:
    """Whether every word of the phrase is among the lemmas (one of each word's lemmas)."""
    return bool(phrase) and all(not word.isdisjoint(lemmas) for word in phrase)
