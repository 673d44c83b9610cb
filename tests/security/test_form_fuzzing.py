"""Form fuzzing (hypothesis): arbitrary text, choices and dates in the ad, registration and
organisation forms never cause a server error. Under TESTING an exception in a view propagates,
so any 500 fails the test with its traceback."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace import reference
from tests import factories
from tests.conftest import HTMX, log_in
from tests.test_partnerships import build, client_for

ANSWERS = {200, 204, 303, 400, 403, 422}  # 204: success of an htmx (HX-Redirect) request
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any character but lone surrogates (which no browser can send in a form), control characters
# and NUL included; now and then a long run of one character.
characters = st.characters(exclude_categories=("Cs",))
short_text = st.text(characters, max_size=60)
long_text = st.builds(lambda char, count: char * count, characters, st.integers(100, 12_000))
text = st.one_of(short_text, short_text, long_text, st.sampled_from(["", " ", "\x00", "\r\n"]))


def choice(valid: list[str]):
    return st.one_of(st.sampled_from(valid), short_text)


def choices(valid: list[str]):
    return st.lists(choice(valid), max_size=5)


email = st.one_of(
    st.emails().map(str), short_text, st.sampled_from(["a\x00@example.com", "a@example.com\r\n"])
)
day = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    short_text,
    st.sampled_from(["2026-02-30", "0000-00-00", "99999-01-01", "2026-13-01", ""]),
)
headers = st.sampled_from([{}, HTMX])

COUNTIES = list(reference.counties())
MUNICIPALITIES = list(reference.municipalities())
CHALLENGES = list(reference.challenges())
SECTORS = ["public", "civil", "business"]
KINDS = ["need", "offer", "idea"]
LEGAL_FORMS = ["ideell-forening", "ekonomisk-forening", "stiftelse", "kommun", "aktiebolag"]


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "kind": choice(KINDS),
            "title": text,
            "body": text,
            "challenges": choices(CHALLENGES),
            "county": choice(["", *COUNTIES]),
            "municipality": choice(["", *MUNICIPALITIES]),
            "seeking": choices(SECTORS),
            "expires_on": day,
        }
    ),
    extra=headers,
)
def test_the_ad_form_never_fails_whatever_is_posted(app, member, data, extra):
    client = log_in(app.test_client(), member)
    response = client.post("/annonser/ny", data=data, headers=extra)
    assert response.status_code in ANSWERS


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {"name": text, "email": email, "password": text},
        optional={"website": short_text},
    ),
    extra=headers,
)
def test_the_registration_form_never_fails_whatever_is_posted(app, data, extra):
    response = app.test_client().post("/konto/registrera", data=data, headers=extra)
    assert response.status_code in ANSWERS


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "name": text,
            "org_number": st.one_of(short_text, st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z")),
            "sector": choice(SECTORS),
            "legal_form": choice(LEGAL_FORMS),
            "county": choice(COUNTIES),
            "municipality": choice(["", *MUNICIPALITIES]),
            "website": st.one_of(short_text, st.just("https://example.com/") | short_text),
            "email": email,
            "description": text,
            "challenges": choices(CHALLENGES),
        },
        optional={"validate_only": st.sampled_from(["1", "ja", ""])},
    ),
    extra=headers,
)
def test_the_organisation_form_never_fails_whatever_is_posted(app, user, data, extra):
    client = log_in(app.test_client(), user)
    response = client.post("/organisationer/ny", data=data, headers=extra)
    assert response.status_code in ANSWERS


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {"email": email, "password": text},
        optional={"remember": short_text, "next": short_text},
    ),
    extra=headers,
)
def test_the_log_in_form_never_fails_whatever_is_posted(app, data, extra):
    response = app.test_client().post("/konto/logga-in", data=data, headers=extra)
    assert response.status_code in ANSWERS


@pytest.fixture
def agreement(app):
    """A started Samverkansöverenskommelse and a member of one party: (client, URL)."""
    world = build()
    client = client_for(app, world.anna)
    client.post(world.url)
    return client, world.url


SECTION_KEYS = ["parter", "syfte", "insatser", "period", "iop", "tvister"]
ANSWER = choice(["yes", "no", "unsure", ""])


@FUZZ
@given(
    key=st.sampled_from(SECTION_KEYS),
    data=st.fixed_dictionaries(
        {
            "base_version": st.one_of(short_text, st.integers(-5, 10**12).map(str)),
            "a_name": text,
            "b_org_number": st.one_of(short_text, st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z")),
            "purpose": text,
            "a_money": st.one_of(short_text, st.integers(-(10**12), 10**14).map(str)),
            "b_staff_hours": short_text,
            "starts_on": day,
            "ends_on": day,
            "iop_1": ANSWER,
            "iop_3": ANSWER,
            "disputes": text,
        }
    ),
    extra=headers,
)
def test_the_agreement_sections_never_fail_whatever_is_posted(agreement, key, data, extra):
    client, url = agreement
    response = client.post(f"{url}/{key}", data=data, headers=extra)
    assert response.status_code in ANSWERS | {409}


@FUZZ
@given(version=st.one_of(short_text, st.integers(-5, 10**12).map(str)), extra=headers)
def test_approving_an_agreement_never_fails_whatever_version_is_posted(agreement, version, extra):
    client, url = agreement
    response = client.post(f"{url}/godkann", data={"version": version}, headers=extra)
    assert response.status_code in ANSWERS | {409}


def test_the_fuzzed_forms_do_accept_good_input(app, member):
    """The strategies can reach success: a valid ad is published (so 303 is in reach)."""
    from tests.security.routes import ad_form

    client = log_in(app.test_client(), member)
    assert client.post("/annonser/ny", data=ad_form(None)).status_code == 303
    registration = {"name": "Ny", "email": "ny@example.com", "password": factories.PASSWORD}
    assert app.test_client().post("/konto/registrera", data=registration).status_code == 303
