"""Organisation logos and share images (marketplace/images): uploading, refusing, serving,
showing (cards, pages, inbox, e-mail) and the og:image of ads and organisations."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.extensions import db
from marketplace.images import logos
from marketplace.images.models import OrganisationLogo
from marketplace.organisations.models import Organisation, Role
from tests import factories
from tests.conftest import log_in
from tests.images import animated_png, decompression_bomb, picture

TEXT = "Hej! Vi har lokaler och volontärer och vill gärna hjälpa till med läxhjälpen."


def logo_page(org: Organisation) -> str:
    return f"/organisationer/{org.id}/logotyp"


def upload(client, org: Organisation, data: bytes, name: str = "logo.png", **kwargs):
    return client.post(
        logo_page(org),
        data={"logo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def refreshed(org: Organisation) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


def field_error(html: str) -> str:
    """The error shown at the file field (tags removed)."""
    match = re.search(r'<p id="logo-help" class="help">(.*?)</p>', html, re.S)
    assert match, "no help text at the logo field"
    errors = re.findall(r'<span class="error">(.*?)</span>', match.group(1), re.S)
    return " ".join(errors)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def admin(app):
    return factories.member(name="Anna Admin")


@pytest.fixture
def org(admin):
    return admin.acting_organisation


@pytest.fixture
def admin_client(client, admin):
    return log_in(client, admin)


# --- Re-encoding ---------------------------------------------------------------------------------


def test_an_upload_becomes_square_webp_renditions_with_transparency_kept(app):
    content_hash, renditions = logos.render_logo(picture("PNG", (300, 150)))

    assert re.fullmatch(r"[0-9a-f]{32}", content_hash)
    assert sorted(renditions) == [48, 96, 192]
    for size, data in renditions.items():
        image = decode(data)
        assert image.format == "WEBP" and image.size == (size, size)
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # padded, transparent corner
        assert image.getpixel((size // 2, size // 2))[:3] == pytest.approx((194, 87, 26), abs=12)
        assert len(data) < 6000  # small: stored in the database


def test_a_wide_picture_is_padded_not_cropped(app):
    _hash, renditions = logos.render_logo(picture("JPEG", (400, 100), mode="RGB"))
    image = decode(renditions[192])
    # 400 × 100 fits as 192 × 48 in the middle: transparent above and below, picture across.
    assert image.getpixel((96, 10))[3] == 0
    assert image.getpixel((96, 96))[3] == 255
    assert image.getpixel((2, 96))[3] == 255  # the whole width is kept


def test_exif_orientation_is_applied_and_every_piece_of_metadata_is_dropped(app):
    photo = Image.new("RGB", (200, 100), "red")
    photo.paste(Image.new("RGB", (100, 100), "blue"), (100, 0))  # left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to show it
    exif[0x010F] = "Telefonen AB"  # Make
    exif[0x8825] = {1: "N", 2: (57.0, 40.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif, icc_profile=b"not really a profile", comment=b"hemlig")

    _hash, renditions = logos.render_logo(out.getvalue())

    image = decode(renditions[192])
    top, bottom = image.getpixel((96, 30)), image.getpixel((96, 160))
    assert top[0] > 200 and top[2] < 60  # red on top: turned upright
    assert bottom[2] > 200 and bottom[0] < 60
    assert image.getpixel((10, 96))[3] == 0  # portrait now: padded at the sides
    assert not image.getexif()
    assert not set(image.info) & {"exif", "icc_profile", "xmp", "comment"}
    assert b"Telefonen" not in renditions[192] and b"hemlig" not in renditions[192]


def test_colours_are_read_through_the_uploads_colour_profile(app):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = Image.new("RGB", (60, 60), (200, 50, 30))
    out = io.BytesIO()
    photo.save(out, "PNG", icc_profile=srgb)

    _hash, renditions = logos.render_logo(out.getvalue())

    image = decode(renditions[48])
    assert "icc_profile" not in image.info
    assert image.getpixel((24, 24))[:3] == pytest.approx((200, 50, 30), abs=4)


def _image_bytes(image: Image.Image, fmt: str, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


UNUSUAL = {
    "16-bit greyscale png": lambda: _image_bytes(Image.new("I;16", (80, 40), 40000), "PNG"),
    "cmyk jpeg": lambda: _image_bytes(Image.new("CMYK", (80, 40), (0, 160, 220, 30)), "JPEG"),
    "palette png with transparency": lambda: _image_bytes(
        Image.new("P", (80, 40), 0), "PNG", transparency=0
    ),
    "greyscale with alpha": lambda: _image_bytes(Image.new("LA", (80, 40), (90, 128)), "PNG"),
    "greyscale jpeg": lambda: _image_bytes(Image.new("L", (80, 40), 90), "JPEG"),
    "tiny": lambda: _image_bytes(Image.new("RGB", (1, 1), "red"), "PNG"),
    "a thin strip": lambda: _image_bytes(Image.new("RGB", (4000, 3), "red"), "PNG"),
}


@pytest.mark.parametrize("case", UNUSUAL)
def test_unusual_but_valid_images_are_accepted(app, case):
    _hash, renditions = logos.render_logo(UNUSUAL[case]())
    assert all(decode(data).size == (size, size) for size, data in renditions.items())


# --- Uploading through the page ---------------------------------------------------------------------


def test_an_administrator_uploads_a_logo_and_it_replaces_the_monogram(admin_client, org):
    ad = factories.ad(org=org, title="Vi söker volontärer till läxhjälpen")
    page = admin_client.get(logo_page(org)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert 'class="monogram' in page

    response = upload(admin_client, org, picture("PNG"))

    assert response.status_code == 303
    content_hash = refreshed(org).logo_hash
    assert content_hash
    rows = db.session.scalars(sa.select(OrganisationLogo).order_by(OrganisationLogo.size)).all()
    assert [(row.size, row.content_hash) for row in rows] == [
        (48, content_hash),
        (96, content_hash),
        (192, content_hash),
    ]
    after = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Logotypen är sparad." in after
    org_page = admin_client.get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    assert f'src="/logo/{content_hash}-96.webp"' in org_page
    ad_page = admin_client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
    assert f'src="/logo/{content_hash}-48.webp"' in ad_page


def test_a_new_logo_gets_a_new_address_and_the_old_one_is_gone(admin_client, org, app):
    upload(admin_client, org, picture("PNG"))
    first = refreshed(org).logo_hash
    upload(admin_client, org, picture("WEBP", (120, 120), mode="RGB"), name="ny.webp")
    second = refreshed(org).logo_hash

    assert second and second != first
    assert app.test_client().get(f"/logo/{first}-48.webp").status_code == 404
    assert app.test_client().get(f"/logo/{second}-48.webp").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganisationLogo)) == 3


def test_the_logo_is_served_at_its_hash_address_for_a_year(admin_client, org, app):
    upload(admin_client, org, picture("PNG"))
    content_hash = refreshed(org).logo_hash
    visitor = app.test_client()

    response = visitor.get(f"/logo/{content_hash}-96.webp")

    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert decode(response.data).size == (96, 96)
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control and "max-age=31536000" in cache_control
    assert "immutable" in cache_control
    etag = response.headers["ETag"]
    assert content_hash in etag
    again = visitor.get(f"/logo/{content_hash}-96.webp", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # For e-mail programs without WebP.
    png = visitor.get(f"/logo/{content_hash}-96.png")
    assert png.mimetype == "image/png" and decode(png.data).size == (96, 96)
    assert visitor.get(f"/logo/{content_hash}-97.webp").status_code == 404
    assert visitor.get(f"/logo/{'0' * 32}-96.webp").status_code == 404


REFUSALS = {
    "text renamed .png": (b"Det h\xc3\xa4r \xc3\xa4r ingen bild.\n" * 20, "logo.png", "kunde inte läsas som en bild"),
    "svg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<rect width="10" height="10"/></svg>',
        "logo.svg",
        "SVG-filer kan inte laddas upp",
    ),
    "truncated png": (picture("PNG", (400, 400), mode="RGB")[:300], "logo.png", "skadad eller ofullständig"),
    "gif": (picture("GIF", (64, 64), mode="RGB"), "logo.gif", "Filen är en GIF-bild"),
    "animated png": (animated_png(), "logo.png", "Animerade bilder"),
    "decompression bomb": (decompression_bomb(), "logo.png", "för många bildpunkter"),
    "empty": (b"", "logo.png", "Välj en bildfil"),
    "over 5 MB": (b"\x89PNG" + b"\0" * (5 * 1024 * 1024), "stor.png", "högst 5 MB"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS)
def test_what_cannot_be_a_logo_is_refused_at_the_field(admin_client, org, case):
    data, name, message = REFUSALS[case]

    response = upload(admin_client, org, data, name=name)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True))
    assert refreshed(org).logo_hash is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganisationLogo)) == 0


def test_the_refusal_is_in_english_for_an_english_reader(admin_client, org):
    admin_client.set_cookie("lang", "en")

    response = upload(admin_client, org, decompression_bomb())

    assert response.status_code == 422
    assert "too many pixels" in field_error(response.get_data(as_text=True))


def test_a_body_far_over_the_limit_gets_a_page_that_says_the_limit(admin_client, org):
    response = upload(admin_client, org, b"\0" * (7 * 1024 * 1024), name="jättestor.png")

    assert response.status_code == 413
    assert "högst 5 MB" in response.get_data(as_text=True)


def test_only_the_upload_page_takes_a_body_over_two_megabytes(admin_client, org):
    three_megabytes = {"logo": (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "stor.png")}
    elsewhere = admin_client.post(
        f"/organisationer/{org.id}/redigera",
        data=three_megabytes,
        content_type="multipart/form-data",
    )
    assert elsewhere.status_code == 413

    here = upload(admin_client, org, b"\0" * (3 * 1024 * 1024), name="stor.png")
    assert here.status_code == 422  # read, and refused as no image


def test_only_the_organisations_administrators_may_change_its_logo(app, org):
    colleague = factories.member(org=org, role=Role.MEMBER)
    outsider = factories.member()
    for who in (colleague, outsider):
        client = log_in(app.test_client(), who)
        assert client.get(logo_page(org)).status_code == 403
        assert upload(client, org, picture()).status_code == 403
        assert client.post(f"{logo_page(org)}/ta-bort").status_code == 403
    anonymous = app.test_client().get(logo_page(org))
    assert anonymous.status_code in (302, 303) and "/konto/logga-in" in anonymous.location
    assert refreshed(org).logo_hash is None


def test_removing_the_logo_brings_the_monogram_back(admin_client, org):
    upload(admin_client, org, picture())

    response = admin_client.post(f"{logo_page(org)}/ta-bort")

    assert response.status_code == 303
    assert refreshed(org).logo_hash is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganisationLogo)) == 0
    page = admin_client.get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    assert 'class="monogram' in page and "/logo/" not in page


def test_the_organisation_page_links_its_administrators_to_the_logo_page(admin_client, org, app):
    page = admin_client.get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    assert f'href="{logo_page(org)}"' in page
    visitor = app.test_client().get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    assert logo_page(org) not in visitor


# --- Where it shows ----------------------------------------------------------------------------


def test_a_cached_search_card_shows_the_new_logo_at_once(admin_client, org, app):
    factories.ad(org=org, title="Vi söker volontärer till läxhjälpen")
    visitor = app.test_client()
    before = visitor.get("/annonser").get_data(as_text=True)
    assert "Vi söker volontärer" in before and "/logo/" not in before

    upload(admin_client, org, picture())

    after = visitor.get("/annonser").get_data(as_text=True)
    assert f'src="/logo/{refreshed(org).logo_hash}-48.webp"' in after


def test_the_inbox_conversation_and_email_show_the_senders_logo(app, outbox):
    owner_org = factories.organisation(name="Kalmar Läxhjälp")
    owner = factories.member(org=owner_org)
    sender = factories.member(name="Ida Intresserad")
    sender_org = sender.acting_organisation
    logos.set_logo(sender_org, sender, picture())
    content_hash = refreshed(sender_org).logo_hash
    ad = factories.ad(org=owner_org)

    client = log_in(app.test_client(), sender)
    assert client.post(f"/annonser/{ad.id}/intresse", data={"message": TEXT}).status_code == 303

    mail = next(m for m in outbox if m["To"] == owner.email)
    html = mail.get_body(("html",)).get_content()
    image = re.search(r"<img [^>]*>", html)
    assert image, "no logo in the HTML e-mail"
    assert f'src="http://localhost/logo/{content_hash}-96.png"' in image.group(0)
    assert f'alt="Logotyp för {sender_org.name}"' in image.group(0)
    reader = log_in(app.test_client(), owner)
    inbox = reader.get("/inkorg").get_data(as_text=True)
    assert f'src="/logo/{content_hash}-48.webp"' in inbox
    conversation = re.search(r'href="/inkorg/(\d+)"', inbox).group(1)
    thread = reader.get(f"/inkorg/{conversation}").get_data(as_text=True)
    assert f'src="/logo/{content_hash}-48.webp"' in thread


# --- Share images and og tags --------------------------------------------------------------------


def meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    assert match, f"no {key}"
    return match.group(1)


def test_an_ad_page_has_share_tags_and_an_absolute_share_image(app):
    ad = factories.ad(title="Vi söker volontärer till läxhjälpen")
    visitor = app.test_client()
    html = visitor.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)

    image_url = meta(html, "og:image")
    assert image_url == f"http://localhost/delningsbild/annons/{ad.id}.png"
    assert meta(html, "og:url") == f"http://localhost/annonser/{ad.id}-{ad.slug}"
    assert "Vi söker volontärer till läxhjälpen" in meta(html, "og:title")
    assert meta(html, "og:description").startswith("Vi vill starta läxhjälp")
    assert meta(html, "twitter:card") == "summary_large_image"

    response = visitor.get(image_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert decode(response.data).size == (1200, 630)
    assert "public" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert visitor.get(image_url, headers={"If-None-Match": etag}).status_code == 304

    ad.title = "Vi söker lokaler för läxhjälpen"
    db.session.commit()
    changed = visitor.get(image_url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_an_organisation_page_has_share_tags_with_its_logo_drawn_in(admin_client, org, app):
    visitor = app.test_client()
    html = visitor.get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    image_url = meta(html, "og:image")
    assert image_url == f"http://localhost/delningsbild/organisation/{org.id}.png"
    assert meta(html, "og:title") == org.name
    assert meta(html, "og:url") == f"http://localhost/organisationer/{org.id}-{org.slug}"
    without = visitor.get(image_url)
    assert decode(without.data).size == (1200, 630)

    upload(admin_client, org, picture())
    with_logo = visitor.get(image_url)

    assert with_logo.headers["ETag"] != without.headers["ETag"]
    assert with_logo.data != without.data
    # The logo's orange block is drawn at the bottom left (where the monogram was).
    drawn = decode(with_logo.data).convert("RGB")
    assert drawn.getpixel((72 + 52, 630 - 72 - 104 + 16 + 52)) == pytest.approx(
        (194, 87, 26), abs=20
    )


def test_hidden_ads_and_organisations_have_no_share_image(app):
    from marketplace.clock import utcnow

    ad = factories.ad()
    other = factories.ad()
    visitor = app.test_client()
    assert visitor.get(f"/delningsbild/annons/{ad.id}.png").status_code == 200
    ad.hidden_at = utcnow()
    other.organisation.hidden_at = utcnow()
    db.session.commit()
    assert visitor.get(f"/delningsbild/annons/{ad.id}.png").status_code == 404
    assert visitor.get(f"/delningsbild/annons/{other.id}.png").status_code == 404
    hidden = f"/delningsbild/organisation/{other.organisation_id}.png"
    assert visitor.get(hidden).status_code == 404


def test_the_new_match_email_shows_the_publishing_organisations_logo(app, outbox):
    from tests.test_matching_notifications import HOMEWORK_NEED, publish_offer

    kommun = factories.municipality(slug="kalmar-kommun")
    factories.member(org=kommun, email="sv@example.com")
    factories.ad(org=kommun, **HOMEWORK_NEED)
    sprakbron = factories.organisation(name="Språkbron", slug="sprakbron")
    admin = factories.member(org=sprakbron)
    logos.set_logo(sprakbron, admin, picture())

    publish_offer(refreshed(sprakbron))

    mail = next(m for m in outbox if m["To"] == "sv@example.com")
    html = mail.get_body(("html",)).get_content()
    image = re.search(r"<img [^>]*>", html)
    assert image, "no logo in the match e-mail"
    assert f'src="http://localhost/logo/{refreshed(sprakbron).logo_hash}-96.png"' in image.group(0)
    assert 'alt="Logotyp för Språkbron"' in image.group(0)
