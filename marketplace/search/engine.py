"""The ad search engine: a tantivy index of the open ads, on disk, shared by every process of a
machine; the database stays the source of truth and the index can always be built again.

WHAT IS INDEXED. One document per open ad (open, not hidden, its organisation not hidden, not
expired when written): its id and organisation, the terms of the project's own Swedish analysis
(marketplace.language.document_terms over title, body and organisation name) in two fields,
`exact` (lemmas of the words written) and `parts` (lemmas of compound parts), and `folded`
(both, without å/ä/ö, for the live search's prefixes). The engine does no linguistics of its own:
the terms are written pre-analysed and split on spaces only. Filters are raw keyword fields
(kind, challenge, county, municipality, seeking, sector; "-" for no county/municipality), the
expiry date a number (days), and `newest` the order key (published second << 32 | id).
For matching (marketplace.matching.candidates) each document also holds `stems` (the ad's
search_terms, the Snowball stems its rare-word candidates are found by) and two numbers it reads
for hundreds of candidates at once without the database: `profile` (kind, organisation's sector,
wanted sectors, county and municipality, packed by `pack_profile`) and `challenge_set` (a bit per
challenge in LAYOUT's order). A change of those orders is a change of layout: the index is
rebuilt (State.layout), as for a new SCHEMA_VERSION.

HOW A SEARCH IS ANSWERED (search.services.search_ads): the words of the query (language.query_terms)
must all be found; each word scores by its best tier — EXACT (a lemma of the word among the
ad's exact terms) > PART (a compound's part: "hjälp" finds "läxhjälp"; all parts of the query's
compound; as you type, a term the last word begins) > RELATED (a curated synonym, the fallback)
— with BM25 inside a tier. A query naming a challenge also finds the ads tagged with it, below
every text hit. Filters, the expiry date, the total, the page (relevance, newest, expiring; ties
newest first) and the disjunctive facet counts (tantivy terms aggregations) all come from the
index; only the page's 20 ads are then read from the database.

FILES. SEARCH_INDEX_DIR holds generations: `current` names the one in use, each generation
directory holds tantivy's files and `state.json` (schema version, the change log's watermark).
A rebuild writes a new generation and then switches `current`, so readers never see a half
built index. Readers (every web process) stat `current` per search and reopen when it moved; a
tantivy reader picks up the writer's commits by itself (it watches the generation's meta.json).

UPDATES. Every committed change to an ad or organisation is in the change log (search.models).
One writer per machine (tantivy's own lock file guarantees it), the worker's follower thread
(`follow`), applies new rows within a second. Rows of a transaction that committed late (an
older id seen after a newer one, PostgreSQL) are caught by re-reading the last GAP_SECONDS.
With SEARCH_INDEX_SYNC (tests, a single-process setup) each search first applies the log itself.
A machine that starts empty, an index of another schema version, a watermark beyond the log (a
restored database) or one older than the log's retention: the writer rebuilds, then serves; until
then, and whenever the index cannot be read, searches fall back to the database (search.services).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

import sqlalchemy as sa
import tantivy
from flask import current_app
from tantivy import Occur, Order, Query

from marketplace import language, reference
from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.language import synonyms
from marketplace.language.normalise import fold_swedish
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import models as search_models
from marketplace.search.models import SearchChange

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
TERMS = "terms"  # the tokenizer of the term fields: split on whitespace, nothing else
NONE = "-"  # no county (all of Sweden) / no municipality (the whole county or Sweden)
KEYWORDS = ("kind", "challenge", "county", "municipality", "seeking", "sector")
CHUNK = 1000  # ads read from the database at a time
GAP_SECONDS = 15  # change rows re-read for transactions that committed after a newer one
STATE = "state.json"
POINTER = "current"
# Tier scores: a word's tier decides, BM25 (a few units at most) orders within a tier.
EXACT = 1000.0
PART = 100.0
RELATED = 10.0
CHALLENGE_ONLY = 1.0
MAX_TIES = 2000  # equal scores put in newest-first order at the end of a relevance page
WRITER_HEAP = 20_000_000
REBUILD_HEAP = 120_000_000


class Unavailable(Exception):
    """The index cannot answer (not built yet, unreadable): search the database instead."""


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    builder.add_integer_field("org", indexed=True)
    builder.add_text_field("exact", tokenizer_name=TERMS, index_option="freq")
    builder.add_text_field("parts", tokenizer_name=TERMS, index_option="freq")
    builder.add_text_field("folded", tokenizer_name=TERMS, index_option="basic")
    for name in KEYWORDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("expires", indexed=True, fast=True)
    builder.add_integer_field("newest", fast=True)
    builder.add_text_field("stems", tokenizer_name=TERMS, index_option="basic")
    builder.add_integer_field("profile", fast=True)
    builder.add_integer_field("challenge_set", fast=True)
    return builder.build()


_SCHEMA = schema()
_ANALYZER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def _open(path: Path, *, create: bool = False) -> tantivy.Index:
    index = tantivy.Index(_SCHEMA, path=str(path), reuse=not create)
    index.register_tokenizer(TERMS, _ANALYZER)
    return index


# --- documents ----------------------------------------------------------------------------------

KINDS = tuple(kind.value for kind in AdKind)
SECTORS = tuple(sector.value for sector in Sector)


# challenge_set's top bit: the ad has a challenge the reference data no longer lists (no bit of
# its own): its challenges are read from the database (`Profile.challenges` is then None).
OTHER_CHALLENGES = 1 << 62


@cache
def challenge_order() -> tuple[str, ...]:
    """The challenges in the order of `challenge_set`'s bits (at most 62 of them)."""
    order = tuple(sorted(reference.challenges()))
    if len(order) >= 62:  # a bit each in a signed 64-bit number, beside OTHER_CHALLENGES
        raise ValueError("too many challenges for the search index's challenge_set")
    return order


def layout() -> str:
    """What the numbers of `profile` and `challenge_set` mean: a new one needs a rebuild."""
    return "|".join((",".join(KINDS), ",".join(SECTORS), ",".join(challenge_order())))


def pack_profile(
    kind: str, sector: str, seeking: Iterable[str], county: str | None, municipality: str | None
) -> int:
    """kind (2 bits), the organisation's sector (2), the wanted sectors (3), the county's
    number (7) and the municipality's (14; both 0 for none): codes are digits ("08", "0880")."""
    wanted = sum(1 << SECTORS.index(value) for value in seeking)
    return (
        KINDS.index(kind)
        | SECTORS.index(sector) << 2
        | wanted << 4
        | int(county or 0) << 7
        | int(municipality or 0) << 14
    )


@dataclass(frozen=True)
class Profile:
    """What matching reads of an indexed ad: the values as the database stores them."""

    kind: str
    sector: str
    seeking: tuple[str, ...]  # in SECTORS' order
    county: str | None
    municipality: str | None
    challenges: frozenset[str] | None  # None: read them from the database (OTHER_CHALLENGES)


_SEEKING = tuple(
    tuple(value for bit, value in enumerate(SECTORS) if flags >> bit & 1)
    for flags in range(1 << len(SECTORS))
)


@lru_cache(maxsize=8192)
def unpack_challenges(bits: int) -> frozenset[str] | None:
    if bits & OTHER_CHALLENGES:
        return None
    order = challenge_order()
    return frozenset(slug for bit, slug in enumerate(order) if bits >> bit & 1)


def unpack(profile: int, challenge_set: int) -> Profile:
    county, municipality = profile >> 7 & 0x7F, profile >> 14
    return Profile(
        kind=KINDS[profile & 3],
        sector=SECTORS[profile >> 2 & 3],
        seeking=_SEEKING[profile >> 4 & 7],
        county=f"{county:02d}" if county else None,
        municipality=f"{municipality:04d}" if municipality else None,
        challenges=unpack_challenges(challenge_set),
    )


def pack_challenges(slugs: Iterable[str]) -> int:
    order = challenge_order()
    slugs = set(slugs)
    if not slugs <= set(order):
        return OTHER_CHALLENGES
    return sum(1 << order.index(slug) for slug in slugs)


EPOCH = datetime(1970, 1, 1)


def newest_key(published_at: datetime, ad_id: int) -> int:
    """The `newest` order as one number: published second, then id (both descending)."""
    return (int((published_at - EPOCH).total_seconds()) << 32) | (ad_id & 0xFFFFFFFF)


def _rows(ids: list[int]) -> Iterator[tuple]:
    """The open ads among these ids, with what a document needs."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        challenges: dict[int, list[str]] = {}
        for ad_id, slug in db.session.execute(
            sa.select(AdChallenge.ad_id, AdChallenge.challenge).where(AdChallenge.ad_id.in_(chunk))
        ):
            challenges.setdefault(ad_id, []).append(slug)
        rows = db.session.execute(
            sa.select(
                Ad.id,
                Ad.organisation_id,
                sa.type_coerce(Ad.kind, sa.String),
                Ad.county_code,
                Ad.municipality_code,
                Ad.seeks_public,
                Ad.seeks_civil,
                Ad.seeks_business,
                sa.type_coerce(Organisation.sector, sa.String),
                Ad.expires_on,
                Ad.published_at,
                Ad.title,
                Ad.body,
                Organisation.name,
                Ad.search_terms,
            )
            .join(Organisation, Organisation.id == Ad.organisation_id)
            .where(
                Ad.id.in_(chunk),
                Ad.status == AdStatus.OPEN,
                Ad.expires_on >= today(),
                Ad.hidden_at.is_(None),
                Organisation.hidden_at.is_(None),
            )
        )
        for row in rows:
            yield row, challenges.get(row[0], ())


def document(row: tuple, challenges: Iterable[str]) -> tantivy.Document:
    (ad_id, org_id, kind, county, municipality, public, civil, business, sector, expires,
     published, title, body, org_name, stems) = row  # fmt: skip
    terms = language.document_terms(title, body, org_name)
    doc = tantivy.Document()
    doc.add_integer("id", ad_id)
    doc.add_integer("org", org_id)
    tokens = terms.tokens()
    doc.add_text("exact", " ".join(tokens["exact"]))
    doc.add_text("parts", " ".join(tokens["parts"]))
    # Folded in one go (terms hold no spaces): a call per term was a seventh of a rebuild's CPU.
    folded = fold_swedish(" ".join((*terms.exact, *terms.parts)))
    doc.add_text("folded", " ".join(set(folded.split())))
    doc.add_text("kind", kind)
    for slug in challenges:
        doc.add_text("challenge", slug)
    doc.add_text("county", county or NONE)
    doc.add_text("municipality", municipality or NONE)
    for flag, value in ((public, "public"), (civil, "civil"), (business, "business")):
        if flag:
            doc.add_text("seeking", value)
    doc.add_text("sector", sector)
    if isinstance(expires, str):  # SQLite through type_coerce elsewhere: never here, but cheap
        expires = date.fromisoformat(expires)
    doc.add_integer("expires", expires.toordinal())
    doc.add_integer("newest", newest_key(published, ad_id))
    doc.add_text("stems", stems or "")
    seeking = [
        value for flag, value in zip((public, civil, business), SECTORS, strict=True) if flag
    ]
    doc.add_integer("profile", pack_profile(kind, sector, seeking, county, municipality))
    doc.add_integer("challenge_set", pack_challenges(challenges))
    return doc


# --- the engine of one index directory -----------------------------------------------------------


@dataclass
class State:
    watermark: int = 0
    caught_up_at: float = 0.0  # time.time() of the last catch-up (written at most a minute late)
    schema: int = SCHEMA_VERSION
    layout: str = ""  # layout() when the index was built

    @classmethod
    def read(cls, path: Path) -> State | None:
        try:
            data = json.loads((path / STATE).read_text())
            return cls(
                int(data["watermark"]),
                float(data["caught_up_at"]),
                int(data["schema"]),
                str(data.get("layout", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        temporary = path / f"{STATE}.tmp"
        temporary.write_text(json.dumps(self.__dict__))
        os.replace(temporary, path / STATE)


class Engine:
    """The index in one directory, as this process sees it: a reader, and the writer when this
    process is the machine's index writer."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.lock = threading.RLock()
        self._stamp: tuple | None = None
        self._generation: str | None = None
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._state: State | None = None
        self._recent: dict[int, float] = {}  # change ids applied in the last GAP_SECONDS
        self._written_at = 0.0

    # reading

    def _pointer(self) -> tuple | None:
        try:
            info = (self.root / POINTER).stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def index(self) -> tantivy.Index:
        """The current generation's index (reopened when `current` moved); Unavailable if none."""
        stamp = self._pointer()
        if stamp is None:
            raise Unavailable("no search index yet")
        if stamp != self._stamp or self._index is None:
            with self.lock:
                generation = (self.root / POINTER).read_text().strip()
                path = self.root / generation
                state = State.read(path)
                if state is None or state.schema != SCHEMA_VERSION or state.layout != layout():
                    raise Unavailable(f"search index {path} has no usable state")
                if generation != self._generation:
                    self._drop_writer()
                    self._index = _open(path)
                    self._generation = generation
                self._state = state
                self._stamp = stamp
        assert self._index is not None
        return self._index

    def searcher(self) -> tantivy.Searcher:
        return self.index().searcher()

    # writing

    @property
    def writes(self) -> bool:
        """Whether this process is the machine's index writer (the worker's follower)."""
        return self._writer is not None

    def _drop_writer(self) -> None:
        if self._writer is not None:
            self._writer = None  # releases tantivy's lock file
            import gc

            gc.collect()

    def _writer_or_none(self) -> tantivy.IndexWriter | None:
        """This process's writer, or None when another process of the machine holds it."""
        if self._writer is None:
            try:
                self._writer = self.index().writer(WRITER_HEAP, 1)
            except ValueError as error:
                if "LockBusy" in str(error):
                    return None
                raise
        return self._writer

    def needs_rebuild(self) -> str | None:
        """Why the index must be built (again) before it can follow the log, or None."""
        try:
            self.index()
        except Unavailable as why:
            return str(why)
        state = self._state
        assert state is not None
        keep = current_app.config["SEARCH_CHANGE_KEEP_DAYS"] * 86400
        if state.caught_up_at and time.time() - state.caught_up_at > keep - 3600:
            return "the index is older than the change log"
        top = db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
        if state.watermark > top:
            return "the index is ahead of the change log (a restored or another database)"
        return None

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Build a new generation from the database, switch to it, remove the old ones.
        Returns the number of ads indexed."""
        with self.lock:
            self.root.mkdir(parents=True, exist_ok=True)
            watermark = db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
            ids = list(
                db.session.scalars(
                    sa.select(Ad.id)
                    .where(Ad.status == AdStatus.OPEN, Ad.expires_on >= today())
                    .order_by(Ad.id)
                )
            )
            generation = f"g{time.time_ns()}"
            path = self.root / generation
            path.mkdir()
            index = _open(path, create=True)
            threads = 2 if len(ids) > 20_000 else 1
            writer = index.writer(REBUILD_HEAP if threads > 1 else WRITER_HEAP, threads)
            count = 0
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                for row, challenges in _rows(chunk):
                    writer.add_document(document(row, challenges))
                    count += 1
                if progress:
                    progress(len(chunk))
            writer.commit()
            writer.wait_merging_threads()
            del writer
            State(watermark=watermark, caught_up_at=time.time(), layout=layout()).write(path)
            temporary = self.root / f"{POINTER}.tmp"
            temporary.write_text(generation)
            os.replace(temporary, self.root / POINTER)
            self._recent.clear()
            self.index()
            self._remove_old_generations(keep=generation)
            return count

    def _remove_old_generations(self, keep: str) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def catch_up(self) -> int:
        """Apply the change log's new rows (this process must be allowed to write: the worker's
        follower, or SEARCH_INDEX_SYNC). Returns the number of ads written or deleted; -1 when
        another process of this machine is the writer."""
        with self.lock:
            if self.needs_rebuild():
                self.rebuild()
            writer = self._writer_or_none()
            if writer is None:
                return -1
            state = self._state
            assert state is not None
            now = time.monotonic()
            self._recent = {k: v for k, v in self._recent.items() if now - v < 2 * GAP_SECONDS}
            recent = utcnow() - timedelta(seconds=GAP_SECONDS)
            rows = [
                row
                for row in db.session.execute(
                    sa.select(SearchChange.id, SearchChange.ad_id, SearchChange.organisation_id)
                    .where(
                        sa.or_(SearchChange.id > state.watermark, SearchChange.changed_at >= recent)
                    )
                    .order_by(SearchChange.id)
                )
                if row[0] not in self._recent
            ]
            if not rows:
                self._touch(state)
                return 0
            ads = {ad_id for _, ad_id, _ in rows if ad_id is not None}
            organisations = {org for _, _, org in rows if org is not None}
            for org in organisations:
                writer.delete_documents_by_term("org", org)
            if organisations:
                ads.update(
                    db.session.scalars(
                        sa.select(Ad.id).where(Ad.organisation_id.in_(organisations))
                    )
                )
            for ad_id in ads:
                writer.delete_documents_by_term("id", ad_id)
            for row, challenges in _rows(sorted(ads)):
                writer.add_document(document(row, challenges))
            writer.commit()
            state.watermark = max(state.watermark, rows[-1][0])
            for change_id, _, _ in rows:
                self._recent[change_id] = now
            self._touch(state, force=True)
            self.index().reload()
            return len(ads)

    def _touch(self, state: State, *, force: bool = False) -> None:
        state.caught_up_at = time.time()
        if force or time.time() - self._written_at > 60:
            assert self._generation is not None
            state.write(self.root / self._generation)
            self._written_at = time.time()

    def reset(self) -> None:
        """Empty the index and forget the log (tests: every test starts with an empty database)."""
        with self.lock:
            if self._writer is None:
                return
            self._writer.delete_all_documents()
            self._writer.commit()
            assert self._state is not None and self._generation is not None
            self._state.watermark = 0
            self._state.write(self.root / self._generation)
            self._recent.clear()
            self.index().reload()


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


_temporary: list[str] = []


def _temporary_dir() -> str:
    """A directory of this process's own, removed when it exits (SEARCH_INDEX_DIR = "")."""
    with _engines_lock:
        if not _temporary:
            import atexit
            import tempfile

            _temporary.append(tempfile.mkdtemp(prefix="samverkanstorget-search-"))
            atexit.register(shutil.rmtree, _temporary[0], True)
    return _temporary[0]


def get() -> Engine:
    """The engine of this app's SEARCH_INDEX_DIR (one per directory and process)."""
    root = os.path.abspath(current_app.config["SEARCH_INDEX_DIR"] or _temporary_dir())
    engine = _engines.get(root)
    if engine is None:
        with _engines_lock:
            engine = _engines.setdefault(root, Engine(root))
    return engine


def reset_all() -> None:
    for engine in list(_engines.values()):
        engine.reset()


def prune() -> int:
    """Remove change rows older than SEARCH_CHANGE_KEEP_DAYS (always keeping the newest)."""
    cutoff = utcnow() - timedelta(days=current_app.config["SEARCH_CHANGE_KEEP_DAYS"])
    newest = db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
    result = db.session.execute(
        sa.delete(SearchChange).where(SearchChange.changed_at < cutoff, SearchChange.id < newest)
    )
    db.session.commit()
    return result.rowcount or 0


def follow(app, stop: threading.Event, interval: float = 1.0) -> None:
    """The machine's index writer (a thread of the worker): build if needed, then apply the
    change log as it grows, at least every `interval` seconds; prune the log hourly."""
    pruned_at = 0.0
    failures = 0
    while not stop.is_set():
        try:
            with app.app_context():
                engine = get()
                if failures >= 3:  # an index it cannot write to (damaged files): a new one
                    log.warning("search index: building a new one after %d failures", failures)
                    engine.rebuild()
                    failures = 0
                if engine.catch_up() == -1:
                    stop.wait(10)  # another process writes this machine's index
                if time.monotonic() - pruned_at > 3600:
                    prune()
                    pruned_at = time.monotonic()
                db.session.remove()
                failures = 0
        except BaseException as error:  # never let the follower die (tantivy panics included)
            if isinstance(error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            failures += 1
            log.exception("search index follower")
            stop.wait(5)
        search_models.wake.wait(interval)
        search_models.wake.clear()


def start_follower(app) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=follow, args=(app, stop), name="search-index", daemon=True).start()
    return stop


# --- queries ------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _any(field: str, values: Iterable[str]) -> Query:
    values = list(dict.fromkeys(values))
    if len(values) == 1:
        return Query.term_query(_SCHEMA, field, values[0])
    return Query.term_set_query(_SCHEMA, field, values)


def _either(*queries: Query) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, query) for query in queries])


def _all(*queries: Query) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, query) for query in queries])


def _tier(query: Query, bonus: float, weight: float = 1.0) -> Query:
    scored = Query.boost_query(query, weight) if weight != 1.0 else query
    return Query.boolean_query(
        [(Occur.Must, scored), (Occur.Should, Query.const_score_query(query, bonus))]
    )


def word_query(word: language.QueryWord) -> Query:
    """One query word at its best tier (see the module's docstring)."""
    tiers = [_tier(_any("exact", word.exact), EXACT)]
    parts = [_any("parts", word.exact)]
    if len(word.split) > 1:
        parts.append(_all(*(_either(_any("exact", p), _any("parts", p)) for p in word.split)))
    if word.prefix:
        folded = fold_swedish(word.prefix)
        if len(folded) >= 2 and _WORD.fullmatch(folded):
            parts.append(Query.regex_query(_SCHEMA, "folded", f"{folded}.*"))
        if word.completions:
            parts.append(_any("exact", word.completions))
    tiers.append(_tier(_either(*parts), PART))
    if word.related:
        related = _either(_any("exact", word.related), _any("parts", word.related))
        tiers.append(_tier(related, RELATED, 0.1))
    return Query.disjunction_max_query(tiers)


def _challenge_words(slug: str) -> list[frozenset[str]]:
    return [word for phrase in synonyms.CHALLENGE_WORDS.get(slug, ()) for word in _phrase(phrase)]


def _phrase(phrase: str) -> tuple[frozenset[str], ...]:
    return synonyms._lemma_sets(phrase)


def text_query(query: language.Query) -> Query | None:
    """Every word found (its best tier), or for a query naming a challenge, also the ads tagged
    with it that have the query's other words (scored below every text hit)."""
    if not query.words:
        return None
    words = {id(word): word_query(word) for word in query.words}
    found = _all(*words.values())
    alternatives = [found]
    for slug in query.challenges:
        named = _challenge_words(slug)
        rest = [
            words[id(word)]
            for word in query.words
            if not any(lemmas & set(word.exact) for lemmas in named)
        ]
        tagged = Query.const_score_query(Query.term_query(_SCHEMA, "challenge", slug), 0.0)
        alternatives.append(
            Query.const_score_query(_all(tagged, *rest), CHALLENGE_ONLY)
            if not rest
            else _all(Query.const_score_query(tagged, CHALLENGE_ONLY), *rest)
        )
    return _either(*alternatives)


def finds(query: language.Query, doc: language.DocumentTerms, challenges: Iterable[str]) -> bool:
    """Whether the search's words find an ad (its terms and challenges), as `text_query` does in
    the index: for code that has one ad in hand (alerts for a just-published ad)."""
    if not query.words:
        return True
    if language.match(query, doc) is not None:
        return True
    tagged = set(challenges)
    for slug in query.challenges:
        if slug not in tagged:
            continue
        named = _challenge_words(slug)
        rest = [w for w in query.words if not any(lemmas & set(w.exact) for lemmas in named)]
        if all(language.match_word(w, doc) is not None for w in rest):
            return True
    return False


def _filter(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


@dataclass
class Filters:
    kinds: list[str]
    challenges: list[str]
    county: str | None
    municipality: str | None
    seeking: list[str]
    sectors: list[str]
    # Filters the index holds no field for (search.services works them out in the database):
    ad_ids: list[int] | None = None  # only these ads (a crisis's)
    org_ids: list[int] | None = None  # only these organisations' ads (signatories)
    exclude_ids: list[int] | None = None  # not these ads (the crisis part of a page, shown first)

    def clauses(self, skip: str | None = None) -> list[Query]:
        clauses = [
            Query.range_query(
                _SCHEMA, "expires", tantivy.FieldType.Integer, lower_bound=today().toordinal()
            )
        ]
        if self.kinds and skip != "kind":
            clauses.append(_any("kind", self.kinds))
        if self.challenges and skip != "challenge":
            clauses.append(_any("challenge", self.challenges))
        if self.county and skip not in ("county", "place"):
            if self.municipality and skip != "municipality":
                clauses.append(
                    _either(
                        _any("municipality", [self.municipality]),
                        _all(_any("county", [self.county]), _any("municipality", [NONE])),
                        _any("county", [NONE]),
                    )
                )
            else:
                clauses.append(_any("county", [self.county, NONE]))
        if self.seeking and skip != "seeking":
            clauses.append(_any("seeking", self.seeking))
        if self.sectors and skip != "sector":
            clauses.append(_any("sector", self.sectors))
        if self.ad_ids is not None:
            clauses.append(Query.term_set_query(_SCHEMA, "id", self.ad_ids))
        if self.org_ids is not None:
            clauses.append(Query.term_set_query(_SCHEMA, "org", self.org_ids))
        if self.exclude_ids:
            clauses.append(
                Query.boolean_query(
                    [
                        (Occur.Must, Query.all_query()),
                        (Occur.MustNot, Query.term_set_query(_SCHEMA, "id", self.exclude_ids)),
                    ]
                )
            )
        return [_filter(clause) for clause in clauses]


def _combined(text: Query | None, filters: list[Query]) -> Query:
    if text is None:
        return _all(*filters)
    return Query.boolean_query([(Occur.Must, text)] + [(Occur.Must, clause) for clause in filters])


@dataclass
class Answer:
    ids: list[int]
    total: int
    facets: dict[str, dict[str, int]]


def search(
    query: language.Query,
    filters: Filters,
    sort: str,
    offset: int,
    limit: int,
    *,
    with_facets: bool,
) -> Answer:
    """One page of ad ids, the total and the facet counts (search.services rules)."""
    searcher = get().searcher()
    text = text_query(query)
    wanted = _combined(text, filters.clauses())
    if sort == "relevance" and text is not None:
        ids, total = _by_relevance(searcher, wanted, offset, limit)
    elif sort == "expiring":
        ids, total = _by_expiry(searcher, wanted, offset, limit)
    else:
        result = searcher.search(
            wanted, limit=limit, offset=offset, order_by_field="newest", order=Order.Desc
        )
        total = result.count or 0
        ids = searcher.fast_field_values("id", [address for _key, address in result.hits])
    facets = _facets(searcher, text, filters) if with_facets else {}
    return Answer(ids=list(ids), total=total, facets=facets)


def _by_relevance(searcher, wanted: Query, offset: int, limit: int) -> tuple[list[int], int]:
    """Best score first, ties newest first: fetch until the last wanted score's ties are all in."""
    need = offset + limit
    fetch = max(need * 2, 50)
    while True:
        result = searcher.search(wanted, limit=fetch, count=True)
        hits = result.hits
        if len(hits) < fetch or len(hits) <= need or hits[-1][0] < hits[need - 1][0]:
            break
        if fetch >= need + MAX_TIES:  # more equal scores than that: the index's order decides
            break
        fetch *= 4
    addresses = [address for _score, address in hits]
    keys = searcher.fast_field_values("newest", addresses)
    ids = searcher.fast_field_values("id", addresses)
    ranked = sorted(zip(hits, keys, ids, strict=True), key=lambda h: (-h[0][0], -h[1]))
    return [ad_id for _hit, _key, ad_id in ranked[offset:need]], result.count or 0


def _by_expiry(searcher, wanted: Query, offset: int, limit: int) -> tuple[list[int], int]:
    """Expiring soonest first, ties newest first: the last day on the page is asked again in
    the `newest` order, so that its ads come in the right order."""
    need = offset + limit
    result = searcher.search(wanted, limit=need, order_by_field="expires", order=Order.Asc)
    total = result.count or 0
    hits = result.hits
    if not hits or offset >= total:
        return [], total
    last_day = hits[-1][0]
    before = [address for day, address in hits if day < last_day]
    days = [day for day, _address in hits if day < last_day]
    keys = searcher.fast_field_values("newest", before)
    ids = searcher.fast_field_values("id", before)
    page = [ad_id for _day, _key, ad_id in sorted(zip(days, keys, ids, strict=True),
                                                   key=lambda h: (h[0], -h[1]))]  # fmt: skip
    same_day = Query.range_query(
        _SCHEMA,
        "expires",
        tantivy.FieldType.Integer,
        lower_bound=last_day,
        upper_bound=last_day,
    )
    rest = searcher.search(
        _all(wanted, _filter(same_day)),
        limit=need - len(page),
        order_by_field="newest",
        order=Order.Desc,
        count=False,
    )
    page += searcher.fast_field_values("id", [address for _key, address in rest.hits])
    return page[offset:need], total


def _buckets(result: dict, name: str) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in result.get(name, {}).get("buckets", ())}


FACET_SIZE = 1000


def _facets(searcher, text: Query | None, filters: Filters) -> dict[str, dict[str, int]]:
    """Disjunctive counts: each filter's values counted given the text and the OTHER filters.
    Facets whose filter is not set share one aggregation over the whole selection."""
    active = {
        "kind": bool(filters.kinds),
        "challenge": bool(filters.challenges),
        "place": bool(filters.county),
        "seeking": bool(filters.seeking),
        "sector": bool(filters.sectors),
    }
    fields = {"kind": ["kind"], "challenge": ["challenge"], "place": ["county"],
              "seeking": ["seeking"], "sector": ["sector"]}  # fmt: skip
    counted: dict[str, dict[str, int]] = {}
    shared = [name for name, on in active.items() if not on]
    groups = [(None, shared)] if shared else []
    groups += [(name, [name]) for name, on in active.items() if on]
    for skip, names in groups:
        aggregations = {
            field: {"terms": {"field": field, "size": FACET_SIZE}}
            for name in names
            for field in fields[name]
        }
        result = searcher.aggregate(_combined(text, filters.clauses(skip)), aggregations)
        for name in names:
            for field in fields[name]:
                counted[field] = _buckets(result, field)
    facets: dict[str, dict[str, int]] = {
        "kind": {k: n for k, n in counted["kind"].items() if n},
        "challenge": {k: n for k, n in counted["challenge"].items() if n},
    }
    by_county = counted["county"]
    national = by_county.get(NONE, 0)
    facets["county"] = {
        code: by_county.get(code, 0) + national
        for code in reference.counties()
        if by_county.get(code, 0) + national
    }
    facets["municipality"] = {}
    if filters.county:
        within = _combined(
            text, [*filters.clauses("place"), _filter(_any("county", [filters.county, NONE]))]
        )
        result = searcher.aggregate(
            within, {"municipality": {"terms": {"field": "municipality", "size": FACET_SIZE}}}
        )
        by_municipality = _buckets(result, "municipality")
        wide = by_municipality.get(NONE, 0)
        facets["municipality"] = {
            m.code: by_municipality.get(m.code, 0) + wide
            for m in reference.municipalities_by_county()[filters.county]
            if by_municipality.get(m.code, 0) + wide
        }
    facets["seeking"] = {k: n for k, n in counted["seeking"].items() if n}
    facets["sector"] = {k: n for k, n in counted["sector"].items() if n}
    return facets
