"""Curated corrections to the word data, for this site's vocabulary. Small on purpose: the
general rules live in the data; these are the words where the rules are wrong for this domain.

All words are written normalised (lower case, å/ä/ö kept). The compound splits of dictionary
words are computed with these lists when the word data is built: after changing this file, run
bench/language/build_data.py (a test compares the digest in data/manifest.json).
"""

from __future__ import annotations

# word -> its lemmas, replacing what the data says.
LEMMAS: dict[str, tuple[str, ...]] = {
    # "äldre" is "the elderly" here far more often than the comparative of "gammal".
    "äldre": ("äldre", "gammal"),
    "äldres": ("äldre", "gammal"),
    # Plural-only and collective words of the sector.
    "nyanlända": ("nyanländ",),
    "nyanländas": ("nyanländ",),
    "asylsökande": ("asylsökande",),
    "asylsökandes": ("asylsökande",),
    "funktionsnedsatta": ("funktionsnedsatt",),
    "anhöriga": ("anhörig",),
    "anhörigas": ("anhörig",),
    "ideella": ("ideell",),
    "unga": ("ung",),
    "ungas": ("ung",),
    # A plural with a vowel change the dictionary files under another word (nät).
    "nätter": ("natt",),
    "nätterna": ("natt",),
    "nätternas": ("natt",),
    "nätters": ("natt",),
    # Present tenses of strong and irregular verbs in -r (the dictionary has them only as
    # other words, or not at all; the noun readings stay).
    "gör": ("göra",),
    "bär": ("bär", "bära"),
    "far": ("far", "fara"),
    "skär": ("skär", "skära"),
    "svär": ("svär", "svära"),
    # Loanwords of the sector the dictionary does not inflect (or does not know).
    "volontär": ("volontär",),
    "volontärer": ("volontär",),
    "volontären": ("volontär",),
    "volontärerna": ("volontär",),
    "volontärernas": ("volontär",),
    "defibrillator": ("defibrillator",),
    "defibrillatorer": ("defibrillator",),
    "defibrillatorn": ("defibrillator",),
    "defibrillatorerna": ("defibrillator",),
    "hjärtstartare": ("hjärtstartare",),
    "hjärtstartaren": ("hjärtstartare",),
    "hjärtstartarna": ("hjärtstartare",),
    "hjärtstartarnas": ("hjärtstartare",),
    "hbtqi": ("hbtqi",),
    "hbtq": ("hbtqi",),
    # Modal and function words whose dictionary links join them to content words.
    "ska": ("ska",),
    "skall": ("ska",),
    "skulle": ("ska",),
    "kan": ("kunna",),
    "man": ("man",),  # the pronoun and the noun: neither is "mana"
}

# word -> lemmas the data gives it that are wrong here (the others stay).
NOT_LEMMAS: dict[str, frozenset[str]] = {
    "tolkar": frozenset({"tolkare"}),
}

# Words never split into parts: the parts are words, but the whole is not made of them
# ("alltid" is not about "tid", nor "eftermiddag" about a "middag").
_NOT_COMPOUNDS = """
    alltid eftermiddag förmiddag deltagare deltagarna deltagande deltar delta deltog
    ungdom ungdomar sjukdom kärlek verksamhet samhälle samhällen samverkan samarbete
    människa människor kvinna kvinnor förening föreningar förälder föräldrar
    arbetsgivare arbetstagare medborgare medarbetare medlem medlemmar handledare
    utbildning undervisning omsorg underlag uppdrag utveckling utvecklingen inflytande
    tillgänglighet tillsammans tillfälle tillfällen bakgrund grundskola gymnasium
    bibliotek kommun kommuner kommunen region regionen landsting boende boenden
    frivillig frivilliga frivilligorganisation ledare ledarskap ensamhet ensamstående
    möjlighet möjligheter verkstad skolgård helgdag måndag tisdag onsdag torsdag fredag
    lördag söndag vardag vardagar midsommar jultid nyår
"""
NOT_COMPOUNDS = frozenset(_NOT_COMPOUNDS.split())

# Never a compound's last part: suffixes that are also words ("ung|dom", "kunskap").
_NOT_HEADS = "dom het skap else ning ande ende lig ligt liga isk iska are ar"
NOT_HEADS = frozenset(_NOT_HEADS.split())

# Never a compound's first part: prepositions, particles and prefixes ("om|sorg", "ut|bildning").
_NOT_MODIFIERS = """
    av an all alla allt bak be bi efter emot fram från för före förs genom hel i in inne inom
    kring med mellan mot ned ner nog nu när om runt sam samman sed själv till tills tillbaka
    under upp ur ut utan utom vid åter över bort hit dit ihop iväg ge gen
    de dem den det sin min din vår hans hennes deras
"""
NOT_MODIFIERS = frozenset(_NOT_MODIFIERS.split())
