"""A form that comes back with errors leads to them: the summary takes the focus and links each
error to its field (templates/_macros/forms.html: form_errors). The browser side, with and
without JavaScript, is in tests/browser/test_keyboard.py."""

from __future__ import annotations

import re

from tests.conftest import HTMX, log_in


def summary_of(html: str) -> str:
    found = re.search(r'<div class="form-errors"[^>]*>.*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_an_invalid_ad_comes_back_with_a_focused_summary_linking_to_each_field(client, member):
    response = log_in(client, member).post(
        "/annonser/ny", data={"title": "Symaskiner att låna", "county": "", "municipality": ""}
    )
    assert response.status_code == 422
    summary = summary_of(response.get_data(as_text=True))
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary
    links = dict(re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary))
    # A group of radio buttons or checkboxes is reached through its first option.
    assert links["kind-0"].startswith("Typ av annons: Välj om annonsen söker")
    assert links["body"] == "Beskrivning: Beskriv vad ni söker, erbjuder eller vill göra."
    assert "challenges-0" in links and "seeking-0" in links
    assert "title" not in links  # what was right is not listed


def test_the_summary_is_in_the_fragment_htmx_swaps_in(client, member):
    """htmx focuses an [autofocus] element in new content, as the browser does on page load."""
    response = log_in(client, member).post("/annonser/ny", data={"title": ""}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<form id="ad-form"')
    assert "autofocus" in summary_of(html)


def test_a_valid_form_has_no_summary(client, member):
    html = log_in(client, member).get("/annonser/ny").get_data(as_text=True)
    assert 'class="form-errors"' not in html and "autofocus" not in html


def test_checking_the_organisation_number_while_typing_does_not_move_the_focus(client, user):
    """The inline check re-draws the form while the person moves on to the next field."""
    response = log_in(client, user).post(
        "/organisationer/ny",
        data={"org_number": "551900-1233", "validate_only": "1"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "autofocus" not in html
    assert 'href="#org_number"' in summary_of(html)  # still listed and linked


def test_a_form_error_without_a_field_is_summarised_and_focused_too(client, user):
    response = client.post(
        "/konto/logga-in", data={"email": user.email, "password": "fel-lösenord-helt-klart"}
    )
    summary = summary_of(response.get_data(as_text=True))
    assert "autofocus" in summary and "<p>" in summary
