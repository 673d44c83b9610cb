"""The demo's crises and regional Överenskommelser (run by marketplace.demo after its year).

Through the services, with the clock frozen at each moment, like the rest of the demo: an ended
crisis ("Värmebölja i Kalmar län", a summer ago) whose two tagged ads led to a conversation and
a reported collaboration, and an active one ("Skogsbränder i norra Kalmar län", declared five
days ago) with needs and offers from both sectors and a conversation started from one of them.
Maria Holm (Länsstyrelsen i Kalmar län) is Kalmar län's county moderator and declares them.
The four public agreements are seeded; Region Kalmar län is verified by the demo's trust states (so Anna Lindqvist may
edit its agreement and confirm signatories); signatories are confirmed in Kalmar, Skåne,
Östergötland and Västra Götaland, and one claim (Stiftelsen Matbanken Skåne) awaits
confirmation. The people are not confirmed yet when this runs, so nobody is e-mailed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from marketplace.accounts.models import User
from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad, AdStatus
from marketplace.agreements import services as agreements
from marketplace.clock import STOCKHOLM, today
from marketplace.contact import services as contact
from marketplace.contact.models import Conversation
from marketplace.crises import services as crises
from marketplace.extensions import db
from marketplace.insights import outcomes as insights
from marketplace.matching import notices
from marketplace.moderation.models import CountyModerator
from marketplace.organisations.models import Organisation

MATCH_SCORE = 0.4  # as demo.DEMO_MATCH_SCORE


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(UTC).replace(tzinfo=None)


def _ad(organisation: Organisation, author: User, crisis_slug: str, **fields) -> Ad:
    """An ad posted for the crisis (as the ad form does, without the publishing e-mails)."""
    ad = ad_services.build_ad(organisation, author, crisis=crisis_slug, **fields)
    db.session.commit()
    notices.notify_matches(ad, threshold=MATCH_SCORE, min_text=0.0)
    db.session.commit()
    return ad


class Plan:
    """The crises' and agreements' steps, scheduled into the demo's year by demo._Replay, which
    runs each with the clock frozen at its moment (so matching sees the ads open then)."""

    def __init__(
        self,
        schedule: Callable[[datetime, Callable[[], None], str], None],
        organisation: Callable[[str], Organisation],
        person: Callable[[str], User],
    ) -> None:
        self.schedule = schedule
        self.organisation = organisation
        self.person = person
        self.slugs: dict[str, str] = {}
        self.ads: dict[str, int] = {}

    def plan(self) -> None:
        first = today() - timedelta(days=200)
        self.schedule(_at(first, 8), self.setup, "the agreements and Kalmar's county moderator")
        self.plan_ended(today() - timedelta(days=150))
        self.plan_active(today() - timedelta(days=5))

    def setup(self) -> None:
        agreements.seed_agreements()
        db.session.add(CountyModerator(user_id=self.person("lst-kalmar").id, county_code="08"))
        db.session.commit()
        confirmed = {
            "08": ["sprakvan-kalmar", "laxhjalpen-norrliden", "kyrkan-vastervik"],
            "12": ["if-kvarteret"],
            "05": ["delaktig-ostergotland"],
            "14": ["hisingsscenen"],
        }
        for code, refs in confirmed.items():
            for ref in refs:
                signatory = agreements.claim(
                    self.person(ref), self.organisation(ref), agreements.get_agreement(code)
                )
                signatory.confirmed_at = signatory.claimed_at + timedelta(days=2)
        db.session.commit()
        # One claim waits: the region's verified administrators or the county moderator confirm it.
        agreements.claim(
            self.person("matbanken-skane"),
            self.organisation("matbanken-skane"),
            agreements.get_agreement("12"),
        )

    def declare(self, key: str, **fields) -> None:
        crisis = crises.declare_crisis(self.person("lst-kalmar"), **fields)
        self.slugs[key] = crisis.slug

    def post(self, key: str, crisis: str, ref: str, **fields) -> None:
        ad = ad_services.build_ad(
            self.organisation(ref), self.person(ref), crisis=self.slugs[crisis], **fields
        )
        db.session.commit()
        notices.notify_matches(ad, threshold=MATCH_SCORE, min_text=0.0)
        db.session.commit()
        self.ads[key] = ad.id

    def interest(self, key: str, ref: str, text: str) -> None:
        message = contact.show_interest(
            self.person(ref), self.organisation(ref), db.session.get(Ad, self.ads[key]), text
        )
        self.ads[f"{key}:conversation"] = message.conversation_id

    def reply(self, key: str, ref: str, text: str) -> None:
        conversation = db.session.get(Conversation, self.ads[f"{key}:conversation"])
        contact.reply(self.person(ref), conversation, text)

    def close(self, key: str) -> None:
        ad = db.session.get(Ad, self.ads[key])
        ad_services.close_ad(ad, AdStatus.PARTNER_FOUND)

    def ask(self, key: str) -> None:
        insights.ask_for_outcome(db.session.get(Ad, self.ads[key]), "closed")
        db.session.commit()

    def answer(self, key: str, ref: str, partner: str) -> None:
        insights.record_outcome(
            db.session.get(Ad, self.ads[key]),
            self.person(ref),
            collaborated=True,
            form="volunteering",
            partner_organisation_id=self.organisation(partner).id,
        )

    def end(self, key: str, reason: str) -> None:
        crises.end_crisis(self.person("lst-kalmar"), crises.crisis_by_slug(self.slugs[key]), reason)

    def plan_ended(self, start: date) -> None:
        step = self.schedule
        step(
            _at(start, 9),
            partial(
                self.declare,
                "heat",
                name="Värmebölja i Kalmar län",
                description="Långvarig värme. Äldre och sjuka behöver någon som hör av sig, och "
                "kylda lokaler behövs på dagtid.",
                lead="Länsstyrelsen i Kalmar län med kommunerna i länet",
                county_codes=["08"],
                nationwide=False,
                starts_on=start,
                ends_on=start + timedelta(days=30),
                challenge="elderly",
            ),
            "declaring the heat wave",
        )
        step(
            _at(start + timedelta(days=1), 10),
            partial(
                self.post,
                "heat-need",
                "heat",
                "kalmar-kommun",
                kind="need",
                title="Frivilliga som ringer äldre under värmeböljan",
                body="Vi söker föreningar vars frivilliga kan ringa äldre som bor ensamma, varje dag "
                "så länge värmen håller i sig, och säga till oss om någon behöver hjälp.",
                challenges=["elderly", "crisis-preparedness"],
                county_code="08",
                municipality_code="0880",
                seeking=["civil"],
            ),
            "a heat wave need",
        )
        step(
            _at(start + timedelta(days=1), 15),
            partial(
                self.post,
                "heat-offer",
                "heat",
                "kyrkan-vastervik",
                kind="offer",
                title="Svala rum i församlingshemmet, dagtid",
                body="Församlingshemmet i Västervik har luftkonditionering. Vi håller öppet 10–18 "
                "med vatten och sällskap så länge värmeböljan varar.",
                challenges=["elderly", "volunteering-in-care"],
                county_code="08",
                municipality_code="0883",
                seeking=["public", "civil"],
            ),
            "a heat wave offer",
        )
        step(
            _at(start + timedelta(days=2), 9),
            partial(
                self.interest,
                "heat-need",
                "kyrkan-vastervik",
                "Våra besöksvänner kan ringa ett trettiotal äldre i Västervik varje förmiddag. "
                "Vem hos er tar emot det vi hör?",
            ),
            "interest in the heat wave need",
        )
        step(
            _at(start + timedelta(days=2), 14),
            partial(
                self.reply,
                "heat-need",
                "kalmar-kommun",
                "Tack! Ring vår äldrelinje när någon behöver hjälp, så skickar vi hemtjänsten.",
            ),
            "the answer about the heat wave need",
        )
        step(
            _at(start + timedelta(days=20), 10),
            partial(self.close, "heat-need"),
            "closing the heat wave need",
        )
        step(
            _at(start + timedelta(days=21), 7),
            partial(self.ask, "heat-need"),
            "asking about the heat wave need",
        )
        step(
            _at(start + timedelta(days=22), 14),
            partial(self.answer, "heat-need", "kalmar-kommun", "kyrkan-vastervik"),
            "the heat wave need's outcome",
        )
        step(
            _at(start + timedelta(days=25), 16),
            partial(self.end, "heat", "Värmen har släppt och SMHI:s varningar är hävda."),
            "ending the heat wave",
        )

    def plan_active(self, start: date) -> None:
        step = self.schedule
        step(
            _at(start, 8),
            partial(
                self.declare,
                "fire",
                name="Skogsbränder i norra Kalmar län",
                description="Flera bränder norr om Västervik. Boende i två byar är evakuerade och "
                "räddningstjänsten behöver avlastning med mat, logi och information på flera språk.",
                lead="Länsstyrelsen i Kalmar län tillsammans med Region Kalmar län",
                county_codes=["08"],
                nationwide=False,
                starts_on=start,
                ends_on=start + timedelta(days=45),
                challenge="crisis-preparedness",
            ),
            "declaring the forest fires",
        )
        posts = [
            (
                1,
                "fire-shelter",
                "kyrkan-vastervik",
                "need",
                "Frivilliga till evakueringsboendet i Västervik",
                "Vi har öppnat församlingshemmet för evakuerade och behöver frivilliga till kvälls- "
                "och nattpass: servering, samtal och hjälp med barnen.",
                "0883",
                ["civil", "public"],
            ),
            (
                1,
                "fire-interpreters",
                "kalmar-kommun",
                "need",
                "Tolkar till informationsmöten för evakuerade",
                "Många evakuerade talar arabiska, tigrinja eller ukrainska. Vi söker tolkar till två "
                "informationsmöten i veckan så länge bränderna pågår.",
                "0880",
                ["civil"],
            ),
            (
                2,
                "fire-language",
                "sprakvan-kalmar",
                "offer",
                "Språkvänner tolkar på informationsmöten",
                "Våra språkvänner talar arabiska, tigrinja, dari och ukrainska och kan följa med till "
                "informationsmöten och boenden.",
                "0880",
                ["public", "civil"],
            ),
            (
                3,
                "fire-support",
                "region-kalmar",
                "offer",
                "Krisstöd och samtal för drabbade",
                "Regionens krisstödsteam erbjuder samtal för evakuerade och frivilliga, på plats "
                "eller per telefon.",
                None,
                ["civil", "public"],
            ),
        ]
        for day, key, ref, kind, title, body, municipality, seeking in posts:
            step(
                _at(start + timedelta(days=day), 10 + day),
                partial(
                    self.post,
                    key,
                    "fire",
                    ref,
                    kind=kind,
                    title=title,
                    body=body,
                    challenges=["crisis-preparedness", "integration"],
                    county_code="08",
                    municipality_code=municipality,
                    seeking=seeking,
                ),
                f"the forest fire ad {key}",
            )
        step(
            _at(start + timedelta(days=3), 15),
            partial(
                self.interest,
                "fire-interpreters",
                "sprakvan-kalmar",
                "Vi har fyra språkvänner som kan ta informationsmötena, på arabiska, tigrinja och "
                "ukrainska. Vilka tider gäller?",
            ),
            "interest in the interpreters need",
        )
        step(
            _at(start + timedelta(days=4), 9),
            partial(
                self.reply,
                "fire-interpreters",
                "kalmar-kommun",
                "Tack! Tisdag och torsdag kl. 18 i Västerviks stadshus. Kan någon komma redan i morgon?",
            ),
            "the answer about interpreters",
        )
