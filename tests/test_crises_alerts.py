"""Crisis alerts: mailed at once when a crisis is declared (once per crisis and organisation),
daily with new crisis needs while it lasts (never a need twice), a setting per organisation
(on by default for crisis preparedness and volunteering in care) and one-click unsubscribe."""

from __future__ import annotations

import re
from datetime import timedelta

from marketplace.ads.models import AdKind
from marketplace.clock import today, utcnow
from marketplace.crises import services
from marketplace.crises.models import CrisisAlertSetting
from marketplace.extensions import db
from tests import factories
from tests.conftest import log_in


def declaration(**overrides) -> dict:
    return {
        "name": "Översvämning i Kalmar län",
        "description": "Källare och vägar under vatten.",
        "lead": "Länsstyrelsen i Kalmar län",
        "county_codes": ["08"],
        "nationwide": False,
        "starts_on": today(),
        "ends_on": today() + timedelta(days=20),
        "challenge": "crisis-preparedness",
        **overrides,
    }


def admin():
    return factories.user(is_site_admin=True)


def prepared_member(county_code: str = "08", email: str = "beredskap@example.com"):
    """A member of an organisation working with crisis preparedness (alerts on by default)."""
    org = factories.organisation(
        challenges=("crisis-preparedness",), county_code=county_code, municipality_code=None
    )
    return factories.member(org=org, email=email)


def recipients(outbox) -> list[str]:
    return sorted(message["To"] for message in outbox)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_declaring_mails_organisations_in_the_county_with_alerts_on(app, outbox):
    prepared_member(email="beredskap@example.com")
    factories.member(
        org=factories.organisation(challenges=("volunteering-in-care",)), email="omsorg@example.com"
    )
    factories.member(email="integration@example.com")  # default off: integration only
    prepared_member(county_code="12", email="skane@example.com")  # another county
    services.declare_crisis(admin(), **declaration())
    assert recipients(outbox) == ["beredskap@example.com", "omsorg@example.com"]
    message = outbox[0]
    assert message["Subject"] == "Kris utlyst: Översvämning i Kalmar län"
    assert "Länsstyrelsen i Kalmar län" in plain(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_organisation_is_told_once_per_crisis(app, outbox):
    prepared_member()
    crisis = services.declare_crisis(admin(), **declaration())
    assert len(outbox) == 1
    services.write_declaration_alerts(crisis.id)
    services.send_digests()
    db.session.commit()
    assert len(outbox) == 1


def test_an_organisation_that_chose_alerts_gets_them_and_one_that_opted_out_does_not(
    app, outbox, client
):
    chooser = factories.member(email="valde@example.com")
    log_in(client, chooser)
    own = f"/kris/bevakning/{chooser.acting_organisation.id}"
    assert client.get("/kris/bevakning").headers["Location"].endswith(own)
    assert client.post(own, data={"enabled": "y"}).status_code == 303
    opted_out = prepared_member(email="avstod@example.com")
    assert client.post(f"/kris/bevakning/{opted_out.acting_organisation.id}").status_code == 403
    log_in(client, opted_out)
    assert client.post(f"/kris/bevakning/{opted_out.acting_organisation.id}").status_code == 303
    services.declare_crisis(admin(), **declaration())
    assert recipients(outbox) == ["valde@example.com"]


def test_the_daily_digest_lists_new_crisis_needs_once_and_never_the_organisations_own(app, outbox):
    member = prepared_member()
    crisis = services.declare_crisis(admin(), **declaration())
    outbox.clear()
    poster = factories.organisation(name="Röda Korset Kalmar")
    factories.ad(org=poster, title="Vi behöver sandsäckar", kind=AdKind.NEED, crisis=crisis)
    factories.ad(org=poster, title="Vi erbjuder pumpar", kind=AdKind.OFFER, crisis=crisis)
    factories.ad(
        org=member.acting_organisation, title="Egen annons", kind=AdKind.NEED, crisis=crisis
    )
    factories.ad(org=poster, title="Inte krisen", kind=AdKind.NEED)
    assert services.send_digests(utcnow() + timedelta(seconds=1)) == 1
    [message] = outbox
    text = plain(message)
    assert message["Subject"] == "Ett nytt behov i krisen ”Översvämning i Kalmar län”"
    assert "Vi behöver sandsäckar" in text
    assert (
        "Vi erbjuder pumpar" not in text and "Egen annons" not in text and "Inte krisen" not in text
    )
    assert services.send_digests(utcnow() + timedelta(seconds=2)) == 0
    assert len(outbox) == 1


def test_one_click_unsubscribe_turns_the_organisations_crisis_alerts_off(app, client, outbox):
    app.config["WTF_CSRF_ENABLED"] = True
    member = prepared_member()
    services.declare_crisis(admin(), **declaration())
    [message] = outbox
    match = re.fullmatch(
        r"<http://localhost(/kris/bevakning/avsluta/[^>]+)>", message["List-Unsubscribe"]
    )
    assert match and match.group(1) in plain(message)
    assert "Avsluta krisbevakningen?" in client.get(match.group(1)).get_data(as_text=True)
    response = client.post(
        match.group(1),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(CrisisAlertSetting, member.acting_organisation.id).enabled is False
    outbox.clear()
    services.declare_crisis(admin(), **declaration(name="Storm i Kalmar län"))
    assert outbox == []
    assert client.get("/kris/bevakning/avsluta/forged-token").status_code == 404


def test_the_alert_is_in_the_recipients_language_with_place_names_in_it(app, outbox):
    org = factories.organisation(challenges=("crisis-preparedness",))
    factories.member(org=org, email="english@example.com", locale="en")
    services.declare_crisis(admin(), **declaration())
    [message] = outbox
    assert message["Subject"] == "Crisis declared: Översvämning i Kalmar län"
    assert "A crisis has been declared for Kalmar County:" in plain(message)
