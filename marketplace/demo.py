"""Demo data for `make run`: a living site a newcomer can explore.

Two files under demo_data/:

- demo.json, an ordinary import file (README, "Interface for other systems"): the organisations
  and every ad, the open ones and those from the past year. Its dates are moved on loading so
  that the newest ad is published today: the demo never looks stale.
- history.toml: one coordinator per organisation, the conversations between them
  ("Visa intresse" and the replies), which ads were closed and what they led to, and two
  Samverkansöverenskommelser (one approved IOP, one draft). Times are days after the ad was
  published, so they move with the ads.

On an empty database the year is replayed in order through the services, each event with the
clock frozen at the moment it happened (marketplace.clock.frozen_at): the organisations join,
each ad is imported on its day and matched against the ads open then (which records the match
notices), organisations write and read messages, close ads, are asked what came of them and
answer. So the inbox's unread counts, the search index, the match ledger and the statistics are
what the site itself would have made of that year. During the replay the people's addresses
are not yet confirmed, and the services e-mail confirmed members only: nobody gets a year of
old notices (nor does the worker send them on the first start). Afterwards they count as
confirmed since they joined.

Every demo person has the same password, DEMO_PASSWORD, written in the README. That is why the
demo refuses to load unless the app runs in debug mode (or tests), or is forced.
"""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marketplace import demo_crises, demo_logos
from marketplace.accounts.models import User
from marketplace.accounts.passwords import hash_password
from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import STOCKHOLM, frozen_at, today, utcnow
from marketplace.contact import services as contact
from marketplace.contact.models import Conversation
from marketplace.extensions import db
from marketplace.imports import services as imports
from marketplace.insights import outcomes as insights
from marketplace.insights.models import CollaborationForm
from marketplace.matching import notices
from marketplace.matching.models import MatchNotice
from marketplace.organisations import trust
from marketplace.organisations.models import Membership, Organisation, Role
from marketplace.partnerships import services as partnerships
from marketplace.partnerships.models import Partnership
from marketplace.partnerships.sections import SECTIONS_BY_KEY

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_FILE = DEMO_DIR / "demo.json"
HISTORY_FILE = DEMO_DIR / "history.toml"

# Local use only: published in the README, so the demo never loads outside debug mode unforced.
DEMO_PASSWORD = "demo-endast-lokalt"  # noqa: S105

# Matches the demo records when an ad is published. The site announces only pairs scoring at
# least notices.NOTIFY_THRESHOLD with much text in common; a hundred hand-written ads share far
# fewer words than thousands of real ones, so the demo announces every pair scoring 0.4 or more
# (the ad pages' match lists show pairs from scoring.MIN_SCORE, 0.2).
DEMO_MATCH_SCORE = 0.4
DEMO_MATCH_TEXT = 0.0

# When things happen unless history.toml says otherwise (Swedish local time).
MESSAGE_READ_AFTER = timedelta(hours=3)  # the other side reads a message this much later
CLOSING_TIME = time(10, 0)
OUTCOME_QUESTION_TIME = time(7, 0)  # the daily job asks the morning after (insights.tasks)
OUTCOME_TIME = time(14, 0)
JOINED_BEFORE_FIRST_AD = timedelta(days=14)

# Same-moment events run in this order: an ad exists before anyone writes about it.
_PUBLISH, _MESSAGE, _READ, _AGREE, _CLOSE, _ASK, _OUTCOME, _CRISIS = range(8)


class DemoRefused(Exception):
    """The app is not in debug mode (nor testing) and the load was not forced."""


class DemoDataError(ValueError):
    """demo.json and history.toml disagree (a bug in the files, found by tests/test_demo.py)."""


def demo_allowed() -> bool:
    """Development (FLASK_DEBUG=1) or tests: the only places a known password belongs."""
    return bool(current_app.debug or current_app.testing)


def demo_document(on: date | None = None) -> dict[str, Any]:
    """The demo file with every date shifted so that its newest ad is published on `on` (today)."""
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    ads = document["ads"]
    newest = max(date.fromisoformat(ad["published"]) for ad in ads)
    shift = (on or today()) - newest
    for ad in ads:
        for key in ("published", "expires"):
            if ad.get(key):
                ad[key] = (date.fromisoformat(ad[key]) + shift).isoformat()
    return document


def demo_history() -> dict[str, Any]:
    with HISTORY_FILE.open("rb") as handle:
        return tomllib.load(handle)


def demo_people() -> list[dict[str, str]]:
    """The demo's accounts: the coordinators (organisation ref, name, e-mail address; README lists
    some) and the person waiting to join an organisation (organisation ref of that one)."""
    history = demo_history()
    waiting = history.get("trust", {}).get("join_request")
    return list(history["people"]) + ([waiting] if waiting else [])


def load_demo_data(only_if_empty: bool = True, *, force: bool = False) -> str:
    """Load the demo: on a database without it, replay its year; otherwise import it again
    (updates the organisations and ads, leaves people and history as they are).

    :raise DemoRefused: not in debug mode or tests, and not forced.
    """
    if not force and not demo_allowed():
        raise DemoRefused(
            "the demo has accounts with a published password: run it with FLASK_DEBUG=1 "
            "(development) or pass --force"
        )
    if only_if_empty and db.session.scalar(sa.select(Organisation.id).limit(1)) is not None:
        return "demo data not loaded: the database already has organisations"
    document = demo_document()
    refs = [organisation["ref"] for organisation in document["organisations"]]
    loaded_before = db.session.scalar(
        sa.select(Organisation.id).where(Organisation.import_ref.in_(refs)).limit(1)
    )
    if loaded_before is not None:
        # Its history is there already (or, from an older demo, never will be): no second year.
        return f"demo data: {imports.import_data(document)}; its history was loaded before"
    return f"demo data: {_Replay(document, demo_history()).run()}"


@dataclass
class _Event:
    at: datetime  # naive UTC
    order: int
    action: Callable[[], None]


@dataclass
class _Summary:
    imported: imports.ImportReport = field(default_factory=imports.ImportReport)
    people: int = 0
    conversations: int = 0
    messages: int = 0
    closed: int = 0
    outcomes: int = 0
    matches: int = 0
    agreements: int = 0
    crises: int = 0  # steps of the crises and agreements (demo_crises)

    def add(self, report: imports.ImportReport) -> None:
        for name in ("organisations", "ads"):
            total, part = getattr(self.imported, name), getattr(report, name)
            total.created += part.created
            total.updated += part.updated
            total.unchanged += part.unchanged

    def __str__(self) -> str:
        return (
            f"{self.imported}; history: {self.people} people, {self.conversations} "
            f"conversations ({self.messages} messages), {self.matches} match notices, "
            f"{self.closed} ads closed, {self.outcomes} outcomes, {self.agreements} agreements; "
            f"{self.crises} crisis and agreement steps"
        )


def _local(day: date, at: time) -> datetime:
    """A Swedish wall-clock time as the naive UTC datetime the database stores."""
    return datetime.combine(day, at, tzinfo=STOCKHOLM).astimezone(UTC).replace(tzinfo=None)


class _Replay:
    """The demo's year, event by event, through the services (see the module docstring)."""

    def __init__(self, document: dict[str, Any], history: dict[str, Any]) -> None:
        self.document = document
        self.history = history
        self.now = utcnow()
        self.summary = _Summary()
        self.ads = {ad["ref"]: ad for ad in document["ads"]}
        self.ad_ids: dict[str, int] = {}  # ref -> id, once imported
        self.org_ids: dict[str, int] = {}
        self.people: dict[str, User] = {}  # organisation ref -> its coordinator
        self.conversation_ids: dict[int, int] = {}  # place in history.toml -> conversation id
        self.events: list[_Event] = []

    def run(self) -> _Summary:
        matches_before = _count(MatchNotice.id)
        first_ad = min(self.published(ref) for ref in self.ads)
        with frozen_at(_local(first_ad, time(9, 0)) - JOINED_BEFORE_FIRST_AD):
            self.join()
        self.plan_ads()
        self.plan_conversations()
        self.plan_agreements()
        self.plan_closings()
        demo_crises.Plan(self.schedule_crisis, self.organisation, self.person).plan()
        with _fresh_word_statistics():
            for event in sorted(self.events, key=lambda event: (event.at, event.order)):
                with frozen_at(event.at):
                    event.action()
        self.trust_states()
        self.confirm_people()
        demo_logos.upload_demo_logos(self.organisation, self.person)
        self.summary.matches = _count(MatchNotice.id) - matches_before
        return self.summary

    # The timeline

    def schedule_crisis(self, at: datetime, action: Callable[[], None], what: str) -> None:
        """A step of the crises and agreements (marketplace.demo_crises), in the same timeline."""
        self.schedule(at, _CRISIS, action, what)
        self.summary.crises += 1

    def published(self, ref: str) -> date:
        try:
            return date.fromisoformat(self.ads[ref]["published"])
        except KeyError:
            raise DemoDataError(f"history.toml: unknown ad {ref!r}") from None

    def moment(self, ref: str, day: int, at: time) -> datetime:
        """`day` days after the ad `ref` was published, at `at` in Sweden."""
        return _local(self.published(ref) + timedelta(days=day), at)

    def schedule(self, at: datetime, order: int, action: Callable[[], None], what: str) -> None:
        if at > self.now:
            raise DemoDataError(f"history.toml: {what} would happen in the future ({at})")
        self.events.append(_Event(at, order, action))

    # Organisations and people

    def join(self) -> None:
        """The organisations are imported and each gets its coordinator, a year ago."""
        organisations = self.document["organisations"]
        self.summary.add(imports.import_data({"organisations": organisations, "ads": []}))
        refs = [organisation["ref"] for organisation in organisations]
        self.org_ids = dict(
            db.session.execute(
                sa.select(Organisation.import_ref, Organisation.id).where(
                    Organisation.import_ref.in_(refs)
                )
            ).all()
        )
        # One hash for everyone: the password is public anyway, and Argon2 at full cost takes
        # about half a second a hash.
        password_hash = hash_password(DEMO_PASSWORD)
        for person in self.history["people"]:
            organisation_id = self.organisation_id(person["organisation"])
            user = User(
                email=person["email"].strip().lower(),
                name=person["name"],
                password_hash=password_hash,
                locale=person.get("locale", "sv"),
                acting_organisation_id=organisation_id,
            )
            user.memberships.append(Membership(organisation_id=organisation_id, role=Role.ADMIN))
            db.session.add(user)
            self.people[person["organisation"]] = user
        db.session.commit()
        self.summary.people = len(self.people)

    def trust_states(self) -> None:
        """Today: one application waits for review, one person waits to join (demo.json says
        who is verified). Before confirm_people, so that no administrator is e-mailed."""
        setup = self.history.get("trust", {})
        application = setup.get("application")
        if application:
            organisation = self.organisation(application["organisation"])
            person = self.person(application["organisation"])
            trust.submit_application(
                organisation,
                person,
                trust.ApplicationDetails(
                    org_number=application["org_number"],
                    legal_form=organisation.legal_form,
                    document_url=application["document_url"],
                    contact_name=person.name,
                    contact_email=person.email,
                    message=application.get("message", ""),
                ),
            )
        waiting = setup.get("join_request")
        if waiting:
            joined = min(person.created_at for person in self.people.values())  # long ago
            user = User(
                created_at=joined,
                email=waiting["email"].strip().lower(),
                name=waiting["name"],
                password_hash=hash_password(DEMO_PASSWORD),
                email_confirmed_at=joined,  # only the confirmed may ask to join
            )
            db.session.add(user)
            db.session.commit()
            trust.request_to_join(
                user, self.organisation(waiting["organisation"]), waiting.get("message", "")
            )

    def confirm_people(self) -> None:
        """Confirmed since they joined; only now, so that the replay e-mailed no one."""
        for user in self.people.values():
            user.email_confirmed_at = user.created_at
        db.session.commit()

    def organisation_id(self, ref: str) -> int:
        try:
            return self.org_ids[ref]
        except KeyError:
            raise DemoDataError(f"history.toml: unknown organisation {ref!r}") from None

    def organisation(self, ref: str) -> Organisation:
        organisation = db.session.get(Organisation, self.organisation_id(ref))
        if organisation is None:
            raise DemoDataError(f"demo organisation {ref!r} is gone")
        return organisation

    def person(self, organisation_ref: str) -> User:
        try:
            return self.people[organisation_ref]
        except KeyError:
            raise DemoDataError(
                f"history.toml: organisation {organisation_ref!r} has no person to act for it"
            ) from None

    def ad(self, ref: str) -> Ad:
        ad = db.session.get(Ad, self.ad_ids[ref])
        if ad is None:
            raise DemoDataError(f"demo ad {ref!r} was not imported")
        return ad

    # Ads: imported on the day they were published, then matched like a newly published ad

    def plan_ads(self) -> None:
        by_day: dict[date, list[dict]] = defaultdict(list)
        for ad in self.document["ads"]:
            by_day[date.fromisoformat(ad["published"])].append(ad)
        for day, ads in by_day.items():
            # The import stores midnight (UTC) as the publishing time; today's may be ahead.
            at = min(datetime.combine(day, time()), self.now)
            self.schedule(at, _PUBLISH, partial(self.publish, ads), f"publishing on {day}")

    def publish(self, ads: list[dict]) -> None:
        self.summary.add(imports.import_data({"organisations": [], "ads": ads}))
        refs = [ad["ref"] for ad in ads]
        self.ad_ids.update(
            db.session.execute(sa.select(Ad.import_ref, Ad.id).where(Ad.import_ref.in_(refs))).all()
        )
        for ref in refs:
            notices.notify_matches(
                self.ad(ref), threshold=DEMO_MATCH_SCORE, min_text=DEMO_MATCH_TEXT
            )
        db.session.commit()  # nobody is e-mailed yet (see confirm_people): nothing to dispatch

    # Conversations

    def plan_conversations(self) -> None:
        for number, thread in enumerate(self.history.get("conversations", [])):
            if "to" in thread:  # a direct conversation ("Kontakta organisationen"), no ad
                self.plan_direct_conversation(number, thread)
                continue
            ref = thread["ad"]
            if ref not in self.ads:
                raise DemoDataError(f"history.toml: unknown ad {ref!r}")
            parties = {"ad": self.ads[ref]["organisation"], "interested": thread["interested"]}
            for organisation_ref in parties.values():
                self.person(organisation_ref)  # each side has someone to write for it
            messages = thread["messages"]
            if messages[0]["by"] != "interested":
                raise DemoDataError(f"history.toml: the conversation about {ref} starts wrong")
            previous: datetime | None = None
            for index, message in enumerate(messages):
                at = self.moment(ref, message["day"], message["at"])
                if previous is not None and at <= previous:
                    raise DemoDataError(f"history.toml: messages about {ref} out of order")
                previous = at
                writer = parties[message["by"]]
                reader = parties["ad" if message["by"] == "interested" else "interested"]
                write = partial(self.write, number, ref, writer, message["text"], index == 0)
                self.schedule(at, _MESSAGE, write, f"a message about {ref}")
                answered = index + 1 < len(messages) and messages[index + 1]["by"] != message["by"]
                read_at = at + MESSAGE_READ_AFTER
                if message.get("unread") or answered or read_at > self.now:
                    continue  # not opened yet, or read by answering (that marks it read)
                self.schedule(
                    read_at, _READ, partial(self.read, number, reader), f"reading about {ref}"
                )

    def plan_direct_conversation(self, number: int, thread: dict) -> None:
        """`interested` writes to `to` from its page; each message's `days_ago` counts back from
        today (there is no ad to count from). Every message is read (three hours later, or by
        answering)."""
        parties = {"to": thread["to"], "interested": thread["interested"]}
        for organisation_ref in parties.values():
            self.person(organisation_ref)
        messages = thread["messages"]
        if messages[0]["by"] != "interested":
            raise DemoDataError(f"history.toml: the direct conversation {number} starts wrong")
        what = f"direct conversation {number}"
        previous: datetime | None = None
        for index, message in enumerate(messages):
            at = _local(today() - timedelta(days=message["days_ago"]), message["at"])
            if previous is not None and at <= previous:
                raise DemoDataError(f"history.toml: messages of {what} out of order")
            previous = at
            writer = parties[message["by"]]
            reader = parties["to" if message["by"] == "interested" else "interested"]
            if index == 0:
                write = partial(self.write_direct, number, writer, parties["to"], message["text"])
            else:
                write = partial(self.write, number, "", writer, message["text"], False)
            self.schedule(at, _MESSAGE, write, f"a message of {what}")
            answered = index + 1 < len(messages) and messages[index + 1]["by"] != message["by"]
            if answered or at + MESSAGE_READ_AFTER > self.now:
                continue
            read = partial(self.read, number, reader)
            self.schedule(at + MESSAGE_READ_AFTER, _READ, read, f"reading {what}")

    def write_direct(self, number: int, writer: str, to: str, text: str) -> None:
        message = contact.contact_organisation(
            self.person(writer), self.organisation(writer), self.organisation(to), text
        )
        self.conversation_ids[number] = message.conversation_id
        self.summary.conversations += 1
        self.summary.messages += 1

    def write(self, number: int, ref: str, writer: str, text: str, first: bool) -> None:
        author = self.person(writer)
        if first:
            organisation = self.organisation(writer)
            message = contact.show_interest(author, organisation, self.ad(ref), text)
            self.conversation_ids[number] = message.conversation_id
            self.summary.conversations += 1
        else:
            contact.reply(author, self.conversation(number), text)
        self.summary.messages += 1

    def read(self, number: int, reader: str) -> None:
        contact.mark_read(self.person(reader), self.conversation(number))

    def conversation(self, number: int) -> Conversation:
        conversation = db.session.get(Conversation, self.conversation_ids[number])
        if conversation is None:
            raise DemoDataError(f"conversation {number} in history.toml is gone")
        return conversation

    # Samverkansöverenskommelser: started, written section by section, approved, the outcome

    def plan_agreements(self) -> None:
        numbers = {
            (thread["ad"], thread["interested"]): number
            for number, thread in enumerate(self.history.get("conversations", []))
            if "ad" in thread  # agreements in the demo grow out of conversations about ads
        }
        for agreement in self.history.get("agreements", []):
            ref = agreement["ad"]
            number = numbers.get((ref, agreement["interested"]))
            if number is None:
                raise DemoDataError(f"history.toml: no conversation about {ref} for its agreement")
            sides = {"ad": self.ads[ref]["organisation"], "interested": agreement["interested"]}
            what = f"the agreement about {ref}"
            at = self.moment(ref, agreement["day"], agreement["at"])
            start = partial(self.start_agreement, number, sides[agreement["by"]])
            self.schedule(at, _AGREE, start, what)
            steps = [
                (save, partial(self.save_agreement, number, sides[save["by"]], save))
                for save in agreement.get("saves", [])
            ] + [
                (approval, partial(self.approve_agreement, number, sides[approval["by"]]))
                for approval in agreement.get("approvals", [])
            ]
            for step, action in steps:
                if step.get("section") and step["section"] not in SECTIONS_BY_KEY:
                    raise DemoDataError(f"history.toml: {what} has no section {step['section']!r}")
                moment = self.moment(ref, step["day"], step["at"])
                if moment <= at:
                    raise DemoDataError(f"history.toml: {what} changes before it starts")
                self.schedule(moment, _AGREE, action, what)
            outcome = agreement.get("outcome")
            if outcome is not None:
                record = partial(self.record_agreement, number, sides["ad"], outcome["as"])
                self.schedule(
                    self.moment(ref, outcome["day"], outcome["at"]), _OUTCOME, record, what
                )

    def partnership(self, number: int) -> Partnership:
        partnership = partnerships.partnership_of(self.conversation(number))
        if partnership is None:
            raise DemoDataError(f"the agreement of conversation {number} was not started")
        return partnership

    def start_agreement(self, number: int, by: str) -> None:
        partnerships.start_partnership(self.person(by), self.conversation(number))
        self.summary.agreements += 1

    def save_agreement(self, number: int, by: str, save: dict) -> None:
        partnership = self.partnership(number)
        section = SECTIONS_BY_KEY[save["section"]]
        values = {name: partnership.content.get(name, "") for name in section.names}
        values.update(save["fields"])
        partnerships.save_section(
            self.person(by),
            self.conversation(number),
            partnership,
            section.key,
            values,
            partnership.version,
        )

    def approve_agreement(self, number: int, by: str) -> None:
        partnership = self.partnership(number)
        partnerships.approve(
            self.person(by), self.conversation(number), partnership, partnership.version
        )

    def record_agreement(self, number: int, by: str, form: str) -> None:
        partnerships.record_outcome(
            self.person(by), self.conversation(number), self.partnership(number), form
        )
        self.summary.outcomes += 1

    # Closing ads, the outcome question and the answers

    def plan_closings(self) -> None:
        closings = {closing["ad"]: closing for closing in self.history.get("closings", [])}
        yesterday = today() - timedelta(days=1)
        for ref, ad in self.ads.items():
            # The daily job asks about every ad that ran out; most answers are not in the file.
            if ref not in closings and date.fromisoformat(ad["expires"]) < yesterday:
                closings[ref] = {"ad": ref, "status": "expired"}
        for ref, closing in closings.items():
            if ref not in self.ads:
                raise DemoDataError(f"history.toml: unknown ad {ref!r}")
            if closing["status"] == "expired":
                reason = "expired"
                asked_on = date.fromisoformat(self.ads[ref]["expires"]) + timedelta(days=1)
            else:
                reason = "closed"
                status = AdStatus(closing["status"])
                closed_at = self.moment(ref, closing["day"], closing.get("at", CLOSING_TIME))
                self.schedule(closed_at, _CLOSE, partial(self.close, ref, status), f"closing {ref}")
                asked_on = (closed_at + timedelta(days=1)).date()
            asked_at = _local(asked_on, OUTCOME_QUESTION_TIME)
            self.schedule(asked_at, _ASK, partial(self.ask, ref, reason), f"asking about {ref}")
            outcome = closing.get("outcome")
            if outcome is None:
                continue  # never answered
            answered_at = self.moment(ref, outcome["day"], outcome.get("at", OUTCOME_TIME))
            if answered_at <= asked_at:
                raise DemoDataError(f"history.toml: {ref} is answered before it is asked about")
            if outcome.get("form") is not None:
                CollaborationForm(outcome["form"])  # a typo fails here, naming the value
            self.schedule(
                answered_at, _OUTCOME, partial(self.answer, ref, outcome), f"the outcome of {ref}"
            )

    def close(self, ref: str, status: AdStatus) -> None:
        ad_services.close_ad(self.ad(ref), status)
        self.summary.closed += 1

    def ask(self, ref: str, reason: str) -> None:
        insights.ask_for_outcome(self.ad(ref), reason)
        db.session.commit()

    def answer(self, ref: str, outcome: dict) -> None:
        partner = outcome.get("partner")
        insights.record_outcome(
            self.ad(ref),
            self.person(self.ads[ref]["organisation"]),
            collaborated=outcome["collaborated"],
            form=outcome.get("form"),
            partner_organisation_id=self.organisation_id(partner) if partner else None,
            partner_name=outcome.get("partner_name", ""),
        )
        self.summary.outcomes += 1


def _count(column: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count(column))) or 0


@contextmanager
def _fresh_word_statistics() -> Iterator[None]:
    """Matching's word rarity follows the ads as they arrive (it is otherwise kept an hour)."""
    config = current_app.config
    previous = config["MATCHING_DF_MAX_AGE"]
    config["MATCHING_DF_MAX_AGE"] = 0
    try:
        yield
    finally:
        config["MATCHING_DF_MAX_AGE"] = previous
