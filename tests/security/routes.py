"""THE route table: every endpoint of the app, who may use it, and a real request for it.

A new route fails tests/security/test_authorisation.py until it is classified here. Pick the
class that says who may use it, give the URL values and the form data a real, valid request
needs (built from the `World` in tests/security/conftest.py), and who the authorised actor is.
The suite then proves that anonymous visitors and outsiders cannot use it and change nothing,
that the authorised actor can (so the refused request was a real one), and that CSRF protects
every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from marketplace.clock import today
from tests import factories
from tests.images import ReusableUpload, picture
from tests.security.conftest import MESSAGE, World

# Who may use an endpoint.
PUBLIC = "public"  # anyone may GET (a POST here still needs CSRF)
ANONYMOUS_POST = "anonymous-ok POST"  # log-in, registration …: anonymous visitors may POST
SIGNED_LINK = "signed link"  # the signed token in the URL is the proof; a forged one does nothing
LOGIN = "login"  # any logged-in user, about their own account; anonymous → log-in
MEMBER = "member-of-organisation"  # members (or conversation parties); outsiders → 403/404
OWNER = "owner"  # the organisation's administrators, or the owner of a personal object
MODERATOR = "moderator"  # site administrators and the county moderators of the content
SITE_ADMIN = "site-admin"  # site administrators only
DEV_ONLY = "dev-only"  # registered only in debug mode with the file mail backend

CLASSES = (
    PUBLIC,
    ANONYMOUS_POST,
    SIGNED_LINK,
    LOGIN,
    MEMBER,
    OWNER,
    MODERATOR,
    SITE_ADMIN,
    DEV_ONLY,
)

Builder = Callable[[World], dict]


def _nothing(_: World) -> dict:
    return {}


@dataclass(frozen=True)
class Route:
    kind: str
    methods: frozenset[str]
    values: Builder = _nothing  # URL values for url_for
    data: Builder = _nothing  # form data of a valid POST by the actor
    actor: str = "owner"  # World attribute of the authorised user ("" = anonymous)
    changes: bool = True  # the actor's POST changes the database (a control for the refusals)
    query: Builder = _nothing  # query string (GET forms)
    # A signed link whose valid token the outsider may not use (it names someone else).
    refuses_other_users: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


def route(kind: str, methods: str = "GET", **kwargs) -> Route:
    return Route(kind, frozenset(methods.split()), **kwargs)


def _ad(w: World) -> dict:
    return {"ad_id": w.ad.id}


def _org(w: World) -> dict:
    return {"organisation_id": w.org.id}


def _logo_hash(w: World) -> str:
    """org's logo (uploaded now if it has none), for the routes that need one."""
    from marketplace.images import logos

    return w.org.logo_hash or logos.set_logo(w.org, w.owner, picture())


def _org_with_logo(w: World) -> dict:
    _logo_hash(w)
    return _org(w)


def _colleague(w: World) -> dict:
    return {"organisation_id": w.org.id, "membership_id": w.colleague_membership.id}


def _saved(w: World) -> dict:
    return {"saved_search_id": w.saved_search.id}


def _report(w: World) -> dict:
    return {"report_id": w.report.id}


def ad_form(_: World) -> dict:
    return {
        "kind": "need",
        "title": "Vi söker volontärer till läxhjälpen",
        "body": "Vi behöver fler vuxna som kan hjälpa barn med matematik på lördagar.",
        "challenges": ["integration"],
        "county": "08",
        "municipality": "",
        "seeking": ["civil"],
        "expires_on": (today() + timedelta(days=30)).isoformat(),
    }


def organisation_form(_: World) -> dict:
    return {
        "name": "Kalmar Läxhjälp och Språkcafé",
        "org_number": "",
        "sector": "civil",
        "legal_form": "ideell-forening",
        "county": "08",
        "municipality": "0880",
        "website": "https://example.com",
        "email": "info@example.com",
        "description": "Vi driver språkcafé och läxhjälp.",
        "challenges": ["integration"],
    }


def _agreement(w: World) -> dict:
    return {"conversation_id": w.agreement.conversation_id}


def _agreement_section(w: World) -> dict:
    return {"conversation_id": w.agreement.conversation_id, "key": "syfte"}


def _crisis(w: World) -> dict:
    return {"slug": w.crisis.slug}


def crisis_form(_: World) -> dict:
    return {
        "name": "Översvämning i Kalmar län",
        "description": "Vattnet stiger i Emån. Vi behöver sandsäckar och frivilliga.",
        "lead": "Länsstyrelsen i Kalmar län",
        "counties": ["08"],
        "challenge": "crisis-preparedness",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=30)).isoformat(),
    }


def _county_agreement(_: World) -> dict:
    return {"code": "08"}


def _signatory(w: World) -> dict:
    return {"code": "08", "signatory_id": w.signatory.id}


def agreement_form(_: World) -> dict:
    return {
        "name": "Överenskommelsen i Kalmar län, reviderad",
        "signed_year": str(today().year),
        "signed_on": "",
        "partners": "Idéburna organisationer i Kalmar län",
        "summary": "Region och idéburen sektor samverkar om folkhälsa och integration.",
        "url": "https://example.com/overenskommelse",
    }


def saved_search_form(_: World) -> dict:
    return {"name": "Lokaler i Kalmar", "rhythm": "weekly", "q": "lokal", "county": "08"}


def outcome_form(_: World) -> dict:
    return {
        "collaborated": "ja",
        "collaboration_form": "project",
        "partner_name": "Studieförbundet Norr",
        "partner_organisation": "",
    }


ROUTES: dict[str, Route] = {
    # --- pages
    "pages.index": route(PUBLIC),
    "pages.challenge": route(PUBLIC, values=lambda w: {"slug": "integration"}),
    "pages.county": route(PUBLIC, values=lambda w: {"code": "08"}),
    "pages.municipalities": route(PUBLIC, query=lambda w: {"county": "08"}),
    "pages.healthz": route(PUBLIC),
    "pages.set_language": route(
        PUBLIC,
        values=lambda w: {"language": "en"},
        note="A GET that also stores a logged-in user's e-mail language (their own account).",
    ),
    "pages.about": route(PUBLIC),
    "pages.accessibility": route(PUBLIC),
    "pages.privacy": route(PUBLIC),
    "static": route(PUBLIC, values=lambda w: {"filename": "site.css"}),
    # --- accounts
    "accounts.register": route(
        ANONYMOUS_POST,
        "GET POST",
        actor="",
        data=lambda w: {
            "name": "Ny Person",
            "email": "ny.person@example.com",
            "password": factories.PASSWORD,
        },
    ),
    "accounts.confirm_email": route(
        SIGNED_LINK,
        values=lambda w: {"token": w.confirm_token},
        actor="newcomer",
        refuses_other_users=True,
    ),
    "accounts.resend_confirmation": route(LOGIN, "POST", actor="newcomer"),
    "accounts.resend_confirmation_page": route(PUBLIC),
    "accounts.unconfirmed": route(LOGIN, actor="newcomer"),
    "accounts.login": route(
        ANONYMOUS_POST,
        "GET POST",
        actor="",
        data=lambda w: {"email": w.owner.email, "password": factories.PASSWORD},
    ),
    "accounts.logout": route(ANONYMOUS_POST, "POST", changes=False),
    "accounts.logout_everywhere": route(LOGIN, "POST"),
    "accounts.forgot_password": route(
        ANONYMOUS_POST, "GET POST", actor="", data=lambda w: {"email": w.owner.email}
    ),
    "accounts.reset_sent": route(PUBLIC),
    "accounts.reset_password": route(
        SIGNED_LINK,
        "GET POST",
        values=lambda w: {"token": w.reset_token},
        data=lambda w: {"password": "ett-helt-nytt-lösenord-med-fika"},
        actor="",
    ),
    "accounts.settings": route(LOGIN),
    "accounts.change_password": route(
        LOGIN,
        "POST",
        data=lambda w: {
            "password-current_password": factories.PASSWORD,
            "password-new_password": "ett-helt-nytt-lösenord-med-fika",
        },
    ),
    "accounts.change_email": route(
        LOGIN,
        "POST",
        data=lambda w: {
            "email-new_email": "olle.ny@example.com",
            "email-password": factories.PASSWORD,
        },
    ),
    "accounts.confirm_email_change": route(
        SIGNED_LINK, values=lambda w: {"token": w.change_email_token}, refuses_other_users=True
    ),
    # --- organisations
    "organisations.index": route(PUBLIC),
    "organisations.new": route(LOGIN, "GET POST", data=organisation_form, actor="outsider"),
    "organisations.edit": route(OWNER, "GET POST", values=_org, data=organisation_form),
    "organisations.detail": route(
        PUBLIC, values=lambda w: {"organisation_id": w.org.id, "slug": w.org.slug}
    ),
    "organisations.members": route(MEMBER, values=_org, actor="colleague"),
    "organisations.invite": route(
        OWNER, "POST", values=_org, data=lambda w: {"email": "ännu.en@example.com"}
    ),
    "organisations.remove_member": route(
        OWNER,
        "POST",
        values=_colleague,
        # Any member may remove themself (leave); a plain member trying the owner is refused.
        extra={
            "member_values": lambda w: {
                "organisation_id": w.org.id,
                "membership_id": w.owner_membership.id,
            }
        },
    ),
    "organisations.change_role": route(
        OWNER, "POST", values=_colleague, data=lambda w: {"role": "admin"}
    ),
    "organisations.hand_over": route(OWNER, "POST", values=_colleague),
    "organisations.accept_invitation": route(
        SIGNED_LINK,
        "GET POST",
        values=lambda w: {"token": w.invitation_token},
        actor="invitee",
        refuses_other_users=True,
        note="Also needs a log-in as the invited address.",
    ),
    "organisations.act_for": route(
        MEMBER,
        "POST",
        data=lambda w: {"organisation_id": w.org.id},
        changes=False,  # the owner already acts for org; what matters is that others cannot
    ),
    "organisations.mine": route(LOGIN),
    "organisations.verify": route(SITE_ADMIN, "POST", values=_org, actor="admin"),
    # --- who is who: verification (e-mail domain or review) and join requests
    "organisations.verification": route(
        MEMBER, values=_org, actor="colleague", note="Members and site administrators."
    ),
    "organisations.prove_domain": route(
        MEMBER,
        "POST",
        values=_org,
        actor="domain_member",
        note="Any member whose address is on the organisation's domain; mails them a link.",
    ),
    "organisations.confirm_domain": route(
        SIGNED_LINK,
        "GET POST",
        values=lambda w: {"token": w.domain_proof_token},
        actor="domain_member",
        refuses_other_users=True,
        note="Also needs a log-in as the member the link was mailed to; only the POST verifies.",
    ),
    "organisations.apply_for_verification": route(
        OWNER,
        "POST",
        values=_org,
        data=lambda w: {
            "org_number": "802002-8711",
            "legal_form": "ideell-forening",
            "document_url": "https://example.org/stadgar.pdf",
            "contact_name": "Olle Ägare",
            "contact_email": w.owner.email,
            "contact_phone": "",
            "message": "",
        },
    ),
    "organisations.appeal_verification": route(
        OWNER,
        "POST",
        values=lambda w: {
            "organisation_id": w.org.id,
            "application_id": w.rejected_application.id,
        },
        data=lambda w: {"text": "Nu finns stadgarna med styrelsens underskrifter på länken."},
    ),
    "organisations.revoke_verification": route(
        SITE_ADMIN,
        "POST",
        values=lambda w: {"organisation_id": w.verified_org.id},
        data=lambda w: {"reason": "Föreningen är avregistrerad."},
        actor="admin",
    ),
    "organisations.review_queue": route(
        MODERATOR, actor="admin", note="Site administrators and county moderators (any county)."
    ),
    "organisations.decide_application": route(
        MODERATOR,
        "POST",
        values=lambda w: {"application_id": w.pending_application.id},
        data=lambda w: {"decision": "approve", "reason": "Stadgar och registrering stämmer."},
        actor="admin",
        extra={"other_county_refused": True},
    ),
    "organisations.add_official_domain": route(
        SITE_ADMIN,
        "POST",
        data=lambda w: {"body": "kommun-0861", "domain": "monsteras.se"},
        actor="admin",
    ),
    "organisations.remove_official_domain": route(
        SITE_ADMIN,
        "POST",
        values=lambda w: {"domain_id": w.added_domain.id},
        actor="admin",
    ),
    "organisations.join": route(
        LOGIN,
        "GET POST",
        values=_org,
        data=lambda w: {"message": "Jag vill gärna hjälpa till med läxhjälpen."},
        actor="outsider",
        note="Any confirmed user may ask; the organisation's administrators decide.",
    ),
    "organisations.answer_join_request": route(
        OWNER,
        "POST",
        values=lambda w: {"organisation_id": w.org.id, "request_id": w.join_request.id},
        data=lambda w: {"answer": "approve"},
    ),
    # --- Mina sidor
    "home.index": route(LOGIN),
    # --- ads
    "ads.index": route(PUBLIC, query=lambda w: {"q": "läxhjälp"}),
    "ads.feed": route(PUBLIC, query=lambda w: {"q": "läxhjälp"}),
    "ads.new": route(LOGIN, "GET POST", data=ad_form, actor="outsider"),
    "ads.detail": route(PUBLIC, values=lambda w: {"ad_id": w.ad.id, "slug": w.ad.slug}),
    "ads.edit": route(MEMBER, "GET POST", values=_ad, data=ad_form, actor="colleague"),
    "ads.close": route(
        MEMBER, "POST", values=_ad, data=lambda w: {"reason": "partner_found"}, actor="colleague"
    ),
    "ads.renew": route(MEMBER, "POST", values=_ad, actor="colleague"),
    "ads.delete": route(MEMBER, "GET POST", values=_ad, actor="colleague"),
    # --- matching
    "matching.ad_matches": route(PUBLIC, values=_ad),
    "matching.organisation_matches": route(MEMBER, values=_org, actor="colleague"),
    # --- contact
    "contact.new": route(PUBLIC, values=_ad),
    "contact.start": route(
        LOGIN,
        "POST",
        values=_ad,
        data=lambda w: {"message": MESSAGE},
        actor="outsider",
        note="Any confirmed member of another organisation may show interest in an open ad.",
    ),
    "contact.new_direct": route(PUBLIC, values=_org),
    "contact.start_direct": route(
        LOGIN,
        "POST",
        values=_org,
        data=lambda w: {"message": MESSAGE},
        actor="outsider",
        note="Any confirmed member of another organisation may write to an organisation; its own "
        "members are refused (403).",
    ),
    "contact.index": route(LOGIN),
    "contact.detail": route(
        MEMBER,
        values=lambda w: {"conversation_id": w.conversation.id},
        actor="colleague",
        note="Parties: members of the ad's organisation and of the interested one.",
    ),
    "contact.reply": route(
        MEMBER,
        "POST",
        values=lambda w: {"conversation_id": w.conversation.id},
        data=lambda w: {"message": "Tack för ert meddelande! Vi hör av oss på tisdag."},
        actor="colleague",
    ),
    # --- Samverkansöverenskommelser (parties: members of the conversation's two organisations)
    "partnerships.detail": route(MEMBER, values=_agreement, actor="colleague"),
    "partnerships.start": route(
        MEMBER,
        "POST",
        values=lambda w: {"conversation_id": w.conversation.id},
        actor="colleague",
        note="Either party starts the one agreement of a conversation.",
    ),
    "partnerships.edit": route(MEMBER, values=_agreement_section, actor="colleague"),
    "partnerships.save": route(
        MEMBER,
        "POST",
        values=_agreement_section,
        data=lambda w: {
            "purpose": "Att fler nyanlända hittar till språkcaféet och till vården.",
            "challenges": "Integration",
            "base_version": "1",
        },
        actor="colleague",
    ),
    "partnerships.approve": route(
        MEMBER,
        "POST",
        values=lambda w: {"conversation_id": w.draft.conversation_id},
        data=lambda w: {"version": "1"},
        actor="colleague",
    ),
    "partnerships.outcome": route(
        MEMBER,
        "POST",
        values=_agreement,
        data=lambda w: {"record_as": "iop"},
        actor="colleague",
        note="Once both have approved; only the ad's organisation records its outcome.",
    ),
    "partnerships.history": route(MEMBER, values=_agreement, actor="colleague"),
    "partnerships.printable": route(MEMBER, values=_agreement, actor="colleague"),
    "partnerships.pdf": route(MEMBER, values=_agreement, actor="colleague"),
    # --- crisis mode and the regional Överenskommelser (the World's crisis is in county 08, the
    # moderator moderates 01: so "other_county_refused" proves a moderator's reach is their county)
    "crises.index": route(PUBLIC),
    "crises.detail": route(PUBLIC, values=_crisis, query=lambda w: {"kommun": "0880"}),
    "crises.feed": route(PUBLIC, values=_crisis),
    "crises.embed": route(PUBLIC, values=_crisis),
    "crises.new": route(
        MODERATOR,
        "GET POST",
        data=crisis_form,
        actor="admin",
        note="Site administrators (any county, all of Sweden) and county moderators (their own).",
    ),
    "crises.extend": route(
        MODERATOR,
        "GET POST",
        values=_crisis,
        data=lambda w: {
            "ends_on": (w.crisis.ends_on + timedelta(days=30)).isoformat(),
            "reason": "Bränderna pågår fortfarande.",
        },
        actor="admin",
        extra={"other_county_refused": True},
        note="Site administrators, or moderators of every county the crisis concerns.",
    ),
    "crises.end": route(
        MODERATOR,
        "GET POST",
        values=_crisis,
        data=lambda w: {"reason": "Bränderna är släckta."},
        actor="admin",
        extra={"other_county_refused": True},
    ),
    "crises.tag": route(
        MODERATOR,
        "POST",
        values=_ad,
        data=lambda w: {"crisis": w.crisis.slug},
        actor="admin",
        extra={"other_county_refused": True},
        note="Moderators of the ad's county tag it (members tag their own ads in the ad form).",
    ),
    "crises.my_settings": route(LOGIN, note="Redirects to the acting organisation's setting."),
    "crises.settings": route(
        MEMBER,
        "GET POST",
        values=_org,
        data=lambda w: {},  # an unticked box: alerts off (they are on in the World)
        actor="colleague",
        note="Any member may turn the organisation's crisis alerts on or off.",
    ),
    "crises.unsubscribe": route(
        SIGNED_LINK,
        "GET POST",
        values=lambda w: {"token": w.crisis_unsubscribe_token},
        actor="",
        note="CSRF-exempt: one-click unsubscribe (RFC 8058) from a mail client, no session.",
    ),
    "agreements.index": route(PUBLIC),
    "agreements.detail": route(PUBLIC, values=_county_agreement),
    "agreements.edit": route(
        SITE_ADMIN,
        "GET POST",
        values=_county_agreement,
        data=agreement_form,
        actor="admin",
        note="Also the administrators of the county's verified region (tests/test_agreements.py).",
    ),
    "agreements.claim": route(
        LOGIN,
        "POST",
        values=_county_agreement,
        actor="outsider",
        note="Any member says that the organisation they act for has signed (to be confirmed).",
    ),
    "agreements.confirm": route(
        MODERATOR,
        "POST",
        values=_signatory,
        actor="admin",
        extra={"other_county_refused": True},
        note="Site administrators, the county's moderators and its region's administrators.",
    ),
    "agreements.reject": route(
        MODERATOR,
        "POST",
        values=_signatory,
        actor="admin",
        extra={"other_county_refused": True},
    ),
    "api.crisis_index": route(PUBLIC),
    "api.crisis_detail": route(PUBLIC, values=_crisis),
    "api.agreement_index": route(PUBLIC),
    # --- saved searches (personal: the owner is the user who saved it)
    "alerts.index": route(LOGIN),
    "alerts.new": route(LOGIN, "GET POST", data=saved_search_form, actor="outsider"),
    "alerts.edit": route(OWNER, "GET POST", values=_saved, data=saved_search_form),
    "alerts.pause": route(OWNER, "POST", values=_saved),
    "alerts.resume": route(OWNER, "POST", values=_saved, changes=False),  # it was not paused
    "alerts.delete": route(OWNER, "GET POST", values=_saved),
    "alerts.unsubscribe": route(
        SIGNED_LINK,
        "GET POST",
        values=lambda w: {"token": w.unsubscribe_token},
        actor="",
        note="CSRF-exempt: one-click unsubscribe (RFC 8058) from a mail client, no session.",
    ),
    # --- outcomes and statistics
    "insights.outcome": route(MEMBER, "GET POST", values=_ad, data=outcome_form, actor="colleague"),
    "insights.partner_suggestions": route(
        MEMBER, values=_ad, query=lambda w: {"partner_name": "Studie"}, actor="colleague"
    ),
    "insights.statistics": route(PUBLIC),
    "insights.statistics_csv": route(PUBLIC),
    # --- embeds
    "embeds.index": route(PUBLIC, query=lambda w: {"lan": "08"}),
    "embeds.builder": route(PUBLIC),
    # --- JSON API (read-only, no session, CSRF-exempt)
    "api.index": route(PUBLIC),
    "api.ad_index": route(PUBLIC, query=lambda w: {"q": "läxhjälp"}),
    "api.ad_detail": route(PUBLIC, values=_ad),
    "api.organisation_index": route(PUBLIC),
    "api.organisation_detail": route(PUBLIC, values=_org),
    "api.openapi_document": route(PUBLIC),
    "api.not_here": route(
        PUBLIC,
        values=lambda w: {"unknown": "ads/x"},
        note="Unknown API paths: a JSON 404 (writes anywhere under /api/v1 get a JSON 405).",
    ),
    "api.ad_matches": route(PUBLIC, values=_ad),
    # --- moderation
    "moderation.report": route(
        LOGIN,
        "GET POST",
        values=lambda w: {"kind_slug": "annons", "target_id": w.other_ad.id},
        data=lambda w: {"reason": "spam", "text": "Det här är reklam, inte samverkan."},
        actor="owner",
        note="Anyone logged in may report what they can see.",
    ),
    "moderation.appeal": route(
        MEMBER,
        "GET POST",
        values=lambda w: {"kind_slug": "annons", "target_id": w.hidden_ad.id},
        data=lambda w: {"text": "Vi har tagit bort reklamen; annonsen handlar om samverkan."},
        actor="colleague",
        note="Members of the organisation behind hidden content (a message's writer) only.",
    ),
    "moderation.index": route(MODERATOR, actor="admin"),
    "moderation.detail": route(
        MODERATOR, values=_report, actor="admin", extra={"other_county_refused": True}
    ),
    "moderation.decide": route(
        MODERATOR,
        "POST",
        values=_report,
        data=lambda w: {"decision-decision": "hide", "decision-reason": "Reklam."},
        actor="admin",
        extra={"other_county_refused": True},
    ),
    "moderation.suspend_from_report": route(
        SITE_ADMIN,
        "POST",
        values=_report,
        data=lambda w: {"suspend-user_id": str(w.owner.id), "suspend-reason": "Reklam."},
        actor="admin",
    ),
    "moderation.accounts": route(SITE_ADMIN, actor="admin"),
    "moderation.suspend": route(
        SITE_ADMIN,
        "POST",
        data=lambda w: {"suspend-email": w.colleague.email, "suspend-reason": "Reklam."},
        actor="admin",
    ),
    "moderation.reinstate": route(
        SITE_ADMIN,
        "POST",
        values=lambda w: {"user_id": w.suspended.id},
        data=lambda w: {f"reinstate-{w.suspended.id}-reason": "Överenskommet."},
        actor="admin",
    ),
    "moderation.moderators": route(
        SITE_ADMIN,
        "GET POST",
        data=lambda w: {"email": w.colleague.email, "county": "08"},
        actor="admin",
    ),
    "moderation.remove_moderator": route(
        SITE_ADMIN,
        "POST",
        values=lambda w: {"user_id": w.moderator.id, "county_code": "01"},
        actor="admin",
    ),
    "moderation.log": route(SITE_ADMIN, actor="admin"),
    "moderation.failed_mail": route(SITE_ADMIN, actor="admin"),
    # Changes nothing while no e-mail has failed (the world has none).
    "moderation.retry_failed_mail": route(SITE_ADMIN, "POST", actor="admin", changes=False),
    # --- the account's own data
    "privacy.index": route(LOGIN),
    "privacy.download": route(LOGIN),
    "privacy.delete": route(
        LOGIN, "GET POST", data=lambda w: {"password": factories.PASSWORD}, actor="invitee"
    ),
    # --- development only
    # Logos (marketplace/images): administrators upload and remove; the images are public.
    "images.edit_logo": route(
        OWNER, "GET POST", values=_org, data=lambda w: {"logo": ReusableUpload(picture())}
    ),
    "images.remove_logo": route(OWNER, "POST", values=_org_with_logo),
    "images.logo": route(
        PUBLIC, values=lambda w: {"content_hash": _logo_hash(w), "size": 48, "fmt": "webp"}
    ),
    "images.ad_share_image": route(PUBLIC, values=_ad),
    "images.organisation_share_image": route(PUBLIC, values=_org),
    "dev_mail.index": route(DEV_ONLY),
    "dev_mail.detail": route(DEV_ONLY, values=lambda w: {"name": "nothing"}),
}

assert all(entry.kind in CLASSES for entry in ROUTES.values())
