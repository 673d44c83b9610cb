"""The pages the browser suite visits, and the data they show.

To check a new page type, add a `SitePage` to `PAGES`: every accessibility and HTML-validity
test then covers it in Swedish and English, for each visitor it lists. A page whose route does
not exist yet, or still answers with a placeholder instead of an HTML page, is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Sector
from tests import factories

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

LANGUAGES = ("sv", "en")
ANONYMOUS, MEMBER, UNCONFIRMED = "anonymous", "member", "unconfirmed"
SITE_ADMIN = "site-admin"  # moderates every county, suspends accounts, names moderators


@dataclass
class SiteData:
    """Ids and slugs of what `seed` created, read by the pages' URL builders."""

    member_token: str = ""
    unconfirmed_token: str = ""
    site_admin_token: str = ""
    organisation: dict = field(default_factory=dict)  # the member administers it
    ad: dict = field(default_factory=dict)  # the member wrote it
    other_ad: dict = field(default_factory=dict)  # another organisation's
    other_organisation_id: int = 0  # other_ad's
    conversation: dict = field(default_factory=dict)  # about the member's ad
    # The conversation's Samverkansöverenskommelse (a draft with an unclear IOP check), and a
    # conversation (the member wrote about other_ad) that has none yet.
    agreement: dict = field(default_factory=dict)
    new_agreement: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)  # the member's open report about other_ad
    hidden_ad: dict = field(default_factory=dict)  # the member's organisation's, hidden
    challenge: str = "integration"
    county: str = "08"
    # The demo's crises (marketplace.demo_crises): the active one in Kalmar län and the ended
    # one; the member organisation's crisis alerts' unsubscribe token.
    crisis: dict = field(default_factory=dict)
    ended_crisis: dict = field(default_factory=dict)
    crisis_unsubscribe: dict = field(default_factory=dict)
    invitation: dict = field(default_factory=dict)  # to the member's organisation, for a newcomer


def seed(live: LiveServer) -> SiteData:
    """The demo content (`flask seed-demo`: long lists, pagination, facets) plus what the tests
    need to know: an organisation with its member and ad, and an unconfirmed account."""
    from marketplace import demo

    data = SiteData()
    with live.app_context():
        demo.load_demo_data(only_if_empty=False)
        db.session.commit()
        org = factories.organisation(
            name="Kalmar Språkcafé",
            slug="kalmar-sprakcafe",
            website="https://example.com",
            verified_at=utcnow(),
            challenges=("integration", "education"),
        )
        member = factories.member(org=org, name="Maja Medlem")
        region = factories.organisation(
            name="Region Exempel", sector=Sector.PUBLIC, challenges=("public-health",)
        )
        unconfirmed = factories.user(confirmed=False, name="Olle Obekräftad")
        db.session.commit()
        data.member_token = member.session_token
        data.unconfirmed_token = unconfirmed.session_token
        data.organisation = {"organisation_id": org.id, "slug": org.slug}
        ad = factories.ad(
            org=org,
            author=member,
            title="Vi söker en kommun att driva läxhjälp med",
            body="Vi har volontärer och lokaler.\n\nVi behöver en kommun som partner.",
            challenges=("integration", "education"),
        )
        data.ad = {"ad_id": ad.id, "slug": ad.slug}
        other_ad = factories.ad(
            org=region,
            title="Vi erbjuder lokaler för föreningsträffar",
            body="Kvällar och helger, gratis för ideella föreningar.",
        )
        data.other_ad = {"ad_id": other_ad.id, "slug": other_ad.slug}
        data.other_organisation_id = region.id
        data.conversation = _conversation(region, member_ad=ad)
        data.agreement, data.new_agreement = _agreements(data, org, member, other_ad)
        data.site_admin_token = _moderation(data, org, region, member, other_ad)
        data.invitation = _invitation(org, member)
        _crises(data, org)
    return data


def _invitation(org, member) -> dict:
    """An invitation to the member's organisation for an address that has no account yet."""
    from marketplace.organisations import services as organisations
    from marketplace.organisations.models import Invitation

    invitation = Invitation(
        organisation=org, email="ny.kollega@example.org", invited_by_id=member.id
    )
    db.session.add(invitation)
    db.session.commit()
    return {"token": organisations.invitation_token(invitation)}


def _crises(data: SiteData, org) -> None:
    """The demo's active and ended crisis, and an unsubscribe link for the member's organisation."""
    try:
        from marketplace.crises import services as crises
    except ImportError:  # crisis mode not built yet
        return
    from marketplace.clock import today

    for crisis in crises.all_crises():
        if crisis.is_active(today()):
            data.crisis = {"slug": crisis.slug}
        elif crisis.has_ended(today()):
            data.ended_crisis = {"slug": crisis.slug}
    setting = crises.set_alerts(org, True)
    data.crisis_unsubscribe = {"token": crises.unsubscribe_token(setting)}


def _moderation(data: SiteData, org, region, member, other_ad) -> str:
    """A site administrator with something in each moderation page: the member's open report
    about the region's ad, a hidden ad of the member's organisation (its decision in the log,
    open to appeal), a suspended account and a county moderator. Answers the admin's token."""
    from marketplace.moderation import services as moderation
    from marketplace.moderation.models import ContentKind, ReportReason

    admin = factories.user(name="Sara Sajtadministratör", is_site_admin=True)
    report = moderation.report_content(
        member,
        ContentKind.AD,
        other_ad,
        ReportReason.INACCURATE,
        "Lokalerna finns inte längre, enligt regionens egen webbplats.",
    )
    data.report = {"report_id": report.id}
    hidden_ad = factories.ad(
        org=org,
        author=member,
        title="Billiga klockor, köp nu",
        body="Klicka på länken för fantastiska erbjudanden.",
    )
    reporter = factories.member(org=region, name="Rolf Rapportör")
    spam = moderation.report_content(
        reporter, ContentKind.AD, hidden_ad, ReportReason.SPAM, "Reklam, inte samverkan."
    )
    moderation.decide(admin, spam, moderation.Decision.HIDE, "Reklam hör inte hemma här.")
    data.hidden_ad = {"kind_slug": "annons", "target_id": hidden_ad.id}
    suspended = factories.user(name="Sven Spärrad")
    moderation.suspend_user(admin, suspended, "Skickade reklam till många organisationer.")
    moderator = factories.user(name="Moa Moderator")
    moderation.assign_moderator(admin, moderator.email, "08")
    db.session.commit()
    return admin.session_token


def _conversation(region, member_ad) -> dict:
    """The region shows interest in the member's ad: a conversation in the member's inbox."""
    try:
        from marketplace.contact import services as contact
    except ImportError:  # contact between organisations not built yet
        return {}
    writer = factories.member(org=region, name="Rut Region")
    message = contact.show_interest(
        writer, region, member_ad, "Hej! Vi vill gärna höra mer om läxhjälpen och ses i vår."
    )
    return {"conversation_id": message.conversation_id, "message_id": message.id}


def _agreements(data: SiteData, org, member, other_ad) -> tuple[dict, dict]:
    """A draft agreement in the member's conversation, and a conversation without one."""
    try:
        from marketplace.partnerships import services as partnerships
    except ImportError:  # agreements not built yet
        return {}, {}
    from marketplace.contact import services as contact
    from marketplace.contact.models import Conversation

    conversation = db.session.get(Conversation, data.conversation["conversation_id"])
    partnership = partnerships.start_partnership(member, conversation)
    answers = {f"iop_{n}": "yes" for n in range(1, 8)} | {"iop_3": "unsure", "iop_5": "unsure"}
    for key, values in (
        (
            "syfte",
            {"purpose": "Läxhjälp för barn i Norrliden på lördagar.", "challenges": "Utbildning"},
        ),
        (
            "insatser",
            {
                "a_volunteers": "Tolv volontärer",
                "b_money": "150000",
                "b_premises": "Skolans bibliotek",
            },
        ),
        ("iop", answers),
    ):
        partnerships.save_section(
            member, conversation, partnership, key, values, partnership.version
        )
    partnerships.approve(member, conversation, partnership, partnership.version)
    message = contact.show_interest(
        member, org, other_ad, "Hej! Vi skulle gärna låna lokalerna till vår läxhjälp."
    )
    return (
        {"conversation_id": conversation.id, "key": "syfte"},
        {"conversation_id": message.conversation_id},
    )


def type_too_long_purpose(page, live: LiveServer, data: SiteData, site_page: SitePage):
    """Save the purpose with a text over its limit: the form comes back (422) with the text."""
    box = page.locator("main textarea[name='purpose']")
    box.fill("Läxhjälp " * 400)
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.locator("main form[method='post'] [type='submit']").first.click()
    page.wait_for_selector("[aria-invalid='true'], .form-errors")
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    return posted.value


@dataclass(frozen=True)
class SitePage:
    """One page type. `endpoint` None means a fixed `path` with no route (the 404 page)."""

    name: str
    endpoint: str | None
    values: Callable[[SiteData], dict] = lambda data: {}
    query: dict = field(default_factory=dict)  # a query string: a search, a filter
    path: str = ""
    visitors: tuple[str, ...] = (ANONYMOUS, MEMBER)
    status: int = 200
    posts_to: str = ""  # the endpoint the page's form posts to (it must exist)
    # A step on the loaded page, then(page, live, data, site_page), answering the response to check
    then: Callable | None = None

    def url(self, live: LiveServer, data: SiteData) -> str:
        if self.endpoint is None:
            return self.path
        # Only the values the route takes: `/annonser/<int:ad_id>` gets no `?slug=` tail.
        wanted = live.route_arguments(self.endpoint)
        values = {name: value for name, value in self.values(data).items() if name in wanted}
        return live.path_for(self.endpoint, **values, **self.query)

    def skip_unless_built(self, live: LiveServer) -> None:
        if self.endpoint is None:
            return
        if not live.has_endpoint(self.endpoint):
            pytest.skip(f"{self.name}: route {self.endpoint} does not exist yet")
        if self.posts_to and not live.has_endpoint(self.posts_to, "POST"):
            pytest.skip(f"{self.name}: {self.posts_to} does not accept POST yet")


def submit_empty_form(page, live: LiveServer, data: SiteData, site_page: SitePage):
    """Submit the page's form (the one posting to `posts_to`) empty; answer the re-rendered page."""
    action = SitePage(site_page.name, site_page.posts_to, site_page.values).url(live, data)
    form = page.locator(f"main form[method='post'][action^='{action}']").first
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        form.locator("[type='submit']").first.click()
    response = posted.value
    page.wait_for_selector("[aria-invalid='true'], .form-errors")
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    return response


def form_with_errors(
    name: str,
    endpoint: str,
    posts_to: str,
    *,
    visitors: tuple[str, ...] = (MEMBER,),
    values: Callable[[SiteData], dict] = lambda data: {},
) -> SitePage:
    """The page of `endpoint` after its form (posting to `posts_to`) was sent empty: 422."""
    return SitePage(
        name,
        endpoint,
        values=values,
        visitors=visitors,
        posts_to=posts_to,
        status=422,
        then=submit_empty_form,
    )


def search_as_you_type(page, live: LiveServer, data: SiteData, site_page: SitePage):
    """Type a search: htmx swaps in the results (a fragment); without JavaScript, press Enter."""
    box = page.locator("main input[type='search']").first
    if page.evaluate("typeof htmx") == "undefined":
        with page.expect_navigation() as navigation:
            box.fill("läxhjälp")
            box.press("Enter")
        return navigation.value
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as answer:
        box.fill("läxhjälp")
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    return answer.value


PAGES: list[SitePage] = [
    # The site's own pages
    SitePage("start page", "pages.index", visitors=(ANONYMOUS, MEMBER, UNCONFIRMED)),
    SitePage("about", "pages.about"),
    SitePage("accessibility statement", "pages.accessibility"),
    SitePage("privacy", "pages.privacy"),
    SitePage("challenge", "pages.challenge", values=lambda d: {"slug": d.challenge}),
    SitePage("county", "pages.county", values=lambda d: {"code": d.county}),
    SitePage("not found", None, path="/finns-inte-alls", status=404),
    # Accounts
    SitePage("log in", "accounts.login", visitors=(ANONYMOUS,)),
    form_with_errors(
        "log in with errors", "accounts.login", "accounts.login", visitors=(ANONYMOUS,)
    ),
    SitePage("register", "accounts.register", visitors=(ANONYMOUS,)),
    form_with_errors(
        "register with errors", "accounts.register", "accounts.register", visitors=(ANONYMOUS,)
    ),
    SitePage("confirm your e-mail", "accounts.unconfirmed", visitors=(UNCONFIRMED,)),
    SitePage(
        "broken confirmation link",
        "accounts.confirm_email",
        values=lambda d: {"token": "inte-en-giltig-lank"},
        status=400,
    ),
    SitePage("forgotten password", "accounts.forgot_password", visitors=(ANONYMOUS,)),
    SitePage("reset link sent", "accounts.reset_sent", visitors=(ANONYMOUS,)),
    SitePage("account settings", "accounts.settings", visitors=(MEMBER,)),
    SitePage("mina sidor", "home.index", visitors=(MEMBER, UNCONFIRMED)),
    form_with_errors(
        "account settings with errors", "accounts.settings", "accounts.change_password"
    ),
    # Organisations
    SitePage("organisation directory", "organisations.index"),
    SitePage("organisation page", "organisations.detail", values=lambda d: d.organisation),
    SitePage("my organisations", "organisations.mine", visitors=(MEMBER,)),
    SitePage("new organisation", "organisations.new", visitors=(MEMBER,)),
    form_with_errors("new organisation with errors", "organisations.new", "organisations.new"),
    SitePage(
        "edit organisation",
        "organisations.edit",
        values=lambda d: d.organisation,
        visitors=(MEMBER,),
    ),
    SitePage(
        "organisation members",
        "organisations.members",
        values=lambda d: d.organisation,
        visitors=(MEMBER,),
    ),
    form_with_errors(
        "invitation with errors",
        "organisations.members",
        "organisations.invite",
        values=lambda d: d.organisation,
    ),
    SitePage(
        "invitation for a visitor",
        "organisations.accept_invitation",
        values=lambda d: d.invitation,
        visitors=(ANONYMOUS,),
    ),
    form_with_errors(
        "invitation account with errors",
        "organisations.accept_invitation",
        "organisations.register_from_invitation",
        values=lambda d: d.invitation,
        visitors=(ANONYMOUS,),
    ),
    # Ads; /annonser is also the search page
    SitePage("ads", "ads.index"),
    SitePage(
        "ad search with filters",
        "ads.index",
        query={"q": "läxhjälp", "kind": "need", "county": "08"},
    ),
    SitePage("ad search without results", "ads.index", query={"q": "zyxxyzzy"}),
    SitePage("ad search as you type", "ads.index", then=search_as_you_type),
    SitePage("ad page", "ads.detail", values=lambda d: d.ad),
    SitePage("new ad", "ads.new", visitors=(MEMBER,)),
    form_with_errors("new ad with errors", "ads.new", "ads.new"),
    SitePage("edit ad", "ads.edit", values=lambda d: d.ad, visitors=(MEMBER,)),
    SitePage("delete ad", "ads.delete", values=lambda d: d.ad, visitors=(MEMBER,)),
    SitePage("ad outcome", "insights.outcome", values=lambda d: d.ad, visitors=(MEMBER,)),
    SitePage("another organisation's ad", "ads.detail", values=lambda d: d.other_ad),
    # Contact between organisations
    SitePage("show interest", "contact.new", values=lambda d: d.other_ad),
    form_with_errors(
        "show interest with errors", "contact.new", "contact.start", values=lambda d: d.other_ad
    ),
    SitePage("inbox", "contact.index", visitors=(MEMBER,)),
    SitePage("conversation", "contact.detail", values=lambda d: d.conversation, visitors=(MEMBER,)),
    # Samverkansöverenskommelse
    SitePage(
        "new agreement", "partnerships.detail", values=lambda d: d.new_agreement, visitors=(MEMBER,)
    ),
    SitePage("agreement", "partnerships.detail", values=lambda d: d.agreement, visitors=(MEMBER,)),
    SitePage(
        "agreement section", "partnerships.edit", values=lambda d: d.agreement, visitors=(MEMBER,)
    ),
    SitePage(
        "agreement section with errors",
        "partnerships.edit",
        values=lambda d: d.agreement,
        visitors=(MEMBER,),
        posts_to="partnerships.save",
        status=422,
        then=type_too_long_purpose,
    ),
    SitePage(
        "agreement contributions",
        "partnerships.edit",
        values=lambda d: d.agreement | {"key": "insatser"},
        visitors=(MEMBER,),
    ),
    SitePage(
        "agreement IOP check",
        "partnerships.edit",
        values=lambda d: d.agreement | {"key": "iop"},
        visitors=(MEMBER,),
    ),
    SitePage(
        "agreement versions",
        "partnerships.history",
        values=lambda d: d.agreement,
        visitors=(MEMBER,),
    ),
    SitePage(
        "agreement print-out",
        "partnerships.printable",
        values=lambda d: d.agreement,
        visitors=(MEMBER,),
    ),
    # Matching, saved searches, statistics
    SitePage("ad matches", "matching.ad_matches", values=lambda d: d.ad, visitors=(MEMBER,)),
    SitePage(
        "organisation matches",
        "matching.organisation_matches",
        values=lambda d: d.organisation,
        visitors=(MEMBER,),
    ),
    SitePage("saved searches", "alerts.index", visitors=(MEMBER,)),
    SitePage("new saved search", "alerts.new", visitors=(MEMBER,)),
    SitePage("statistics", "insights.statistics"),
    SitePage("embedding the ads", "embeds.index"),
    SitePage("embed builder", "embeds.builder"),
    SitePage("embedded ads", "embeds.index", query={"lan": "08"}),
    # Moderation
    SitePage(
        "report an ad",
        "moderation.report",
        values=lambda d: {"kind_slug": "annons", "target_id": d.other_ad["ad_id"]},
        visitors=(MEMBER,),
    ),
    form_with_errors(
        "report an ad with errors",
        "moderation.report",
        "moderation.report",
        values=lambda d: {"kind_slug": "annons", "target_id": d.other_ad["ad_id"]},
    ),
    SitePage(
        "report an organisation",
        "moderation.report",
        values=lambda d: {"kind_slug": "organisation", "target_id": d.other_organisation_id},
        visitors=(MEMBER,),
    ),
    SitePage(
        "report a message",
        "moderation.report",
        values=lambda d: {"kind_slug": "meddelande", "target_id": d.conversation["message_id"]},
        visitors=(MEMBER,),
    ),
    SitePage("appeal", "moderation.appeal", values=lambda d: d.hidden_ad, visitors=(MEMBER,)),
    form_with_errors(
        "appeal with errors", "moderation.appeal", "moderation.appeal", values=lambda d: d.hidden_ad
    ),
    SitePage("moderation queue", "moderation.index", visitors=(SITE_ADMIN,)),
    SitePage(
        "handled reports", "moderation.index", query={"visa": "hanterade"}, visitors=(SITE_ADMIN,)
    ),
    SitePage("report", "moderation.detail", values=lambda d: d.report, visitors=(SITE_ADMIN,)),
    SitePage("moderation log", "moderation.log", visitors=(SITE_ADMIN,)),
    SitePage("moderators", "moderation.moderators", visitors=(SITE_ADMIN,)),
    SitePage("suspended accounts", "moderation.accounts", visitors=(SITE_ADMIN,)),
    # Crises
    SitePage("crises", "crises.index", visitors=(ANONYMOUS, MEMBER, SITE_ADMIN)),
    SitePage(
        "crisis page",
        "crises.detail",
        values=lambda d: d.crisis,
        visitors=(ANONYMOUS, MEMBER, SITE_ADMIN),
    ),
    SitePage(
        "crisis page for a municipality",
        "crises.detail",
        values=lambda d: d.crisis,
        query={"kommun": "0880"},
    ),
    SitePage("ended crisis", "crises.detail", values=lambda d: d.ended_crisis),
    SitePage("embedded crisis", "crises.embed", values=lambda d: d.crisis),
    SitePage("declare a crisis", "crises.new", visitors=(SITE_ADMIN,)),
    form_with_errors(
        "declare a crisis with errors", "crises.new", "crises.new", visitors=(SITE_ADMIN,)
    ),
    SitePage("extend a crisis", "crises.extend", values=lambda d: d.crisis, visitors=(SITE_ADMIN,)),
    SitePage("end a crisis", "crises.end", values=lambda d: d.crisis, visitors=(SITE_ADMIN,)),
    SitePage(
        "crisis alerts", "crises.settings", values=lambda d: d.organisation, visitors=(MEMBER,)
    ),
    SitePage(
        "stop crisis alerts",
        "crises.unsubscribe",
        values=lambda d: d.crisis_unsubscribe,
        visitors=(ANONYMOUS,),
    ),
    SitePage("ad search in a county with a crisis", "ads.index", query={"county": "08"}),
    # The regional Överenskommelser
    SitePage("regional agreements", "agreements.index", visitors=(ANONYMOUS, SITE_ADMIN)),
    SitePage(
        "regional agreement page",
        "agreements.detail",
        values=lambda d: {"code": "08"},
        visitors=(ANONYMOUS, MEMBER, SITE_ADMIN),
    ),
    SitePage(
        "edit a regional agreement",
        "agreements.edit",
        values=lambda d: {"code": "08"},
        visitors=(SITE_ADMIN,),
    ),
    SitePage("signatories in the directory", "organisations.index", query={"undertecknare": "y"}),
    # Trust: verification, the review queue, asking to join
    SitePage(
        "verification",
        "organisations.verification",
        values=lambda d: d.organisation,
        visitors=(MEMBER,),
    ),
    SitePage("verification review queue", "organisations.review_queue", visitors=(SITE_ADMIN,)),
    SitePage(
        "ask to join",
        "organisations.join",
        values=lambda d: {"organisation_id": d.other_organisation_id},
        visitors=(MEMBER,),
    ),
    # Privacy
    SitePage("my data", "privacy.index", visitors=(MEMBER,)),
    SitePage("delete account", "privacy.delete", visitors=(MEMBER,)),
]


def cases() -> list:
    """(page, language, visitor) triples as pytest params with readable ids."""
    return [
        pytest.param(page, language, visitor, id=f"{page.name}-{language}-{visitor}")
        for page in PAGES
        for language in LANGUAGES
        for visitor in page.visitors
    ]


class PageSources:
    """The HTML the server sent per (page name, language, visitor), kept for the vnu check.

    The accessibility tests fetch every page anyway; the HTML-validity test reuses what they
    got and fetches only what is missing (htmx fragments, or when it runs on its own).
    """

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str, str], tuple[str, str]] = {}

    def record(self, site_page: SitePage, language: str, visitor: str, response) -> None:
        html = response.text()
        if html.lstrip()[:15].lower() == "<!doctype html>":  # a whole page, not a fragment
            self.pages[(site_page.name, language, visitor)] = (response.url, html)

    def fetch_missing(self, browser, live: LiveServer, data: SiteData) -> tuple[list, list]:
        """Fetch, without JavaScript, every page not recorded yet.

        Without JavaScript every response, form posts included, is a whole page. Answers the
        pages not built yet, and the pages that could not be fetched (with the reason).
        """
        from tests.browser.conftest import new_page

        skipped: list[str] = []
        broken: list[str] = []
        pages: dict[str, tuple] = {}
        try:
            for site_page in PAGES:
                for visitor in site_page.visitors:
                    for language in LANGUAGES:
                        if (site_page.name, language, visitor) in self.pages:
                            continue
                        if visitor not in pages:
                            context, page = new_page(browser, live, java_script_enabled=False)
                            log_in_as(context, live, data, visitor)
                            pages[visitor] = (context, page)
                        try:
                            response = visit(pages[visitor][1], live, data, site_page, language)
                        except pytest.skip.Exception as skip:  # not built yet
                            skipped.append(f"{site_page.name} ({language}, {visitor}): {skip.msg}")
                            continue
                        except AssertionError as error:  # checked on, reported by the caller
                            broken.append(f"{site_page.name} ({language}, {visitor}): {error}")
                            continue
                        self.record(site_page, language, visitor, response)
        finally:
            for context, _page in pages.values():
                context.close()
        return skipped, broken


def log_in_as(context, live: LiveServer, data: SiteData, visitor: str) -> None:
    token = {
        MEMBER: data.member_token,
        UNCONFIRMED: data.unconfirmed_token,
        SITE_ADMIN: data.site_admin_token,
    }.get(visitor)
    if token:
        context.add_cookies([live.session_cookie(token)])


def visit(page, live: LiveServer, data: SiteData, site_page: SitePage, language: str):
    """Open the page in `language` (through the real language switch); the response to check.

    Skips when the page is still a placeholder rather than a real HTML page.
    """
    site_page.skip_unless_built(live)
    target = site_page.url(live, data)
    response = page.goto(live.path_for("pages.set_language", language=language, next=target))
    live.raise_errors()
    assert response is not None
    content_type = response.headers.get("content-type", "")
    if "text/html" not in content_type or "<html" not in response.text():
        pytest.skip(f"{site_page.name}: {target} is still a placeholder, not an HTML page")
    if site_page.then is not None:
        response = site_page.then(page, live, data, site_page)
        live.raise_errors()
    assert response.status == site_page.status, (
        f"{site_page.name}: {response.url} answered {response.status}, not {site_page.status}"
    )
    assert page.locator("html").get_attribute("lang") == language
    return response
