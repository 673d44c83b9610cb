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
from tests import factories

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

LANGUAGES = ("sv", "en")
ANONYMOUS, MEMBER, UNCONFIRMED = "anonymous", "member", "unconfirmed"


@dataclass
class SiteData:
    """Ids and slugs of what `seed` created, read by the pages' URL builders."""

    member_token: str = ""
    unconfirmed_token: str = ""
    organisation: dict = field(default_factory=dict)
    ad: dict = field(default_factory=dict)


def seed(live: LiveServer) -> SiteData:
    """A small, realistic site: organisations (one verified), an ad, and two accounts."""
    data = SiteData()
    with live.app_context():
        org = factories.organisation(
            name="Kalmar Språkcafé",
            slug="kalmar-sprakcafe",
            website="https://example.com",
            verified_at=utcnow(),
            challenges=("integration", "education"),
        )
        member = factories.member(org=org, name="Maja Medlem")
        factories.organisation(name="Region Exempel", challenges=("public-health",))
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
    return data


@dataclass(frozen=True)
class SitePage:
    """One page type. `endpoint` None means a fixed `path` with no route (the 404 page)."""

    name: str
    endpoint: str | None
    values: Callable[[SiteData], dict] = lambda data: {}
    path: str = ""
    visitors: tuple[str, ...] = (ANONYMOUS, MEMBER)
    status: int = 200
    needs_post: bool = False  # the endpoint must also accept POST (forms that are submitted)
    then: Callable | None = None  # a step on the loaded page that returns the response to check

    def url(self, live: LiveServer, data: SiteData) -> str:
        if self.endpoint is None:
            return self.path
        # Only the values the route takes: `/annonser/<int:ad_id>` gets no `?slug=` tail.
        wanted = live.route_arguments(self.endpoint)
        values = {name: value for name, value in self.values(data).items() if name in wanted}
        return live.path_for(self.endpoint, **values)

    def skip_unless_built(self, live: LiveServer) -> None:
        if self.endpoint is None:
            return
        if not live.has_endpoint(self.endpoint):
            pytest.skip(f"{self.name}: route {self.endpoint} does not exist yet")
        if self.needs_post and not live.has_endpoint(self.endpoint, "POST"):
            pytest.skip(f"{self.name}: {self.endpoint} does not accept POST yet")


def submit_empty_form(page):
    """Submit the page's main form without filling anything in; answer the re-rendered page."""
    form = page.locator("main form[method='post']").first
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        form.locator("[type='submit']").first.click()
    response = posted.value
    page.wait_for_selector("[aria-invalid='true'], .form-errors")
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    return response


PAGES: list[SitePage] = [
    SitePage("start page", "pages.index", visitors=(ANONYMOUS, MEMBER, UNCONFIRMED)),
    SitePage("about", "pages.about"),
    SitePage("accessibility statement", "pages.accessibility"),
    SitePage("privacy", "pages.privacy"),
    SitePage("not found", None, path="/finns-inte-alls", status=404),
    SitePage("log in", "accounts.login", visitors=(ANONYMOUS,)),
    SitePage("register", "accounts.register", visitors=(ANONYMOUS,)),
    SitePage(
        "register with errors",
        "accounts.register",
        visitors=(ANONYMOUS,),
        needs_post=True,
        status=422,
        then=submit_empty_form,
    ),
    SitePage("account settings", "accounts.settings", visitors=(MEMBER,)),
    SitePage("organisation directory", "organisations.index"),
    SitePage("organisation page", "organisations.detail", values=lambda d: d.organisation),
    SitePage("my organisations", "organisations.mine", visitors=(MEMBER,)),
    SitePage("ads", "ads.index"),
    SitePage("ad page", "ads.detail", values=lambda d: d.ad),
    SitePage("new ad", "ads.new", visitors=(MEMBER,)),
    SitePage("search", "search.index"),
]


def cases() -> list:
    """(page, language, visitor) triples as pytest params with readable ids."""
    return [
        pytest.param(page, language, visitor, id=f"{page.name}-{language}-{visitor}")
        for page in PAGES
        for language in LANGUAGES
        for visitor in page.visitors
    ]


def log_in_as(context, live: LiveServer, data: SiteData, visitor: str) -> None:
    token = {MEMBER: data.member_token, UNCONFIRMED: data.unconfirmed_token}.get(visitor)
    if token:
        context.add_cookies([live.session_cookie(token)])


def visit(page, live: LiveServer, data: SiteData, site_page: SitePage, language: str):
    """Open the page in `language` (through the real language switch); the response to check.

    Skips when the page is still a placeholder rather than a real HTML page.
    """
    site_page.skip_unless_built(live)
    target = site_page.url(live, data)
    response = page.goto(live.path_for("pages.set_language", language=language, next=target))
    assert response is not None
    content_type = response.headers.get("content-type", "")
    if "text/html" not in content_type or "<html" not in response.text():
        pytest.skip(f"{site_page.name}: {target} is still a placeholder, not an HTML page")
    if site_page.then is not None:
        response = site_page.then(page)
    assert response.status == site_page.status, f"{site_page.name}: {response.url}"
    assert page.locator("html").get_attribute("lang") == language
    return response
