"""Organisation logos: an upload is decoded, checked and re-encoded by Pillow into small square
WebP renditions, kept in the database and served at an address made of their content's hash.

    read_upload(file) -> bytes                     # at most MAX_UPLOAD_BYTES, or LogoRefused
    render_logo(data) -> (content_hash, {size: webp bytes})
    set_logo(organisation, user, data)             # administrators only; replaces the old logo
    remove_logo(organisation, user)
    rendition(content_hash, size) -> bytes | None  # for /logo/<hash>-<size>.webp
    urls.logo_url(organisation, size) -> str | None  # None: draw the monogram instead

Nothing of the upload survives but its pixels: the renditions are drawn on new images, so EXIF
(GPS positions of phone photos), ICC profiles (the colours are converted to sRGB first), XMP and
comments are gone. The upload's name and
declared type are never trusted; only what Pillow can decode counts.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import IO

import sqlalchemy as sa
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.images.models import OrganisationLogo
from marketplace.locking import lock
from marketplace.organisations import services as organisations
from marketplace.organisations.models import Organisation

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Decoding a 5,000 × 5,000 image takes ~100 MB; a tiny PNG may claim far more (a decompression
# bomb), so the header's dimensions are checked before any pixel is decoded.
MAX_PIXELS = 25_000_000
SIZES = (48, 96, 192)  # squares: 28 px on cards (48 for sharp screens), 48 px on its page, mail
FORMATS = {"PNG", "JPEG", "MPO", "WEBP"}  # MPO: a phone camera's JPEG with extra pictures
WEBP_QUALITY = 90


class LogoRefused(Exception):
    """The file cannot be a logo; `message` says why, in the visitor's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_upload(file: IO[bytes] | None) -> bytes:
    """The uploaded file's bytes, reading no more than one byte past the limit."""
    data = file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    if not data:
        raise LogoRefused(_("Välj en bildfil med logotypen (PNG, JPEG eller WebP)."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoRefused(_("Filen är för stor. En logotyp får vara högst 5 MB."))
    return data


def render_logo(data: bytes) -> tuple[str, dict[int, bytes]]:
    """The logo's content hash and its renditions (`SIZES`), or LogoRefused."""
    image = _decode(data)
    renditions = {size: _rendition(image, size) for size in SIZES}
    digest = hashlib.sha256()
    for size in SIZES:
        digest.update(renditions[size])
    return digest.hexdigest()[:32], renditions


def _decode(data: bytes) -> Image.Image:
    """The upload as one RGBA picture, upright, or LogoRefused with the reason."""
    if _looks_like_svg(data):
        raise LogoRefused(
            _(
                "SVG-filer kan inte laddas upp. Spara logotypen som PNG (till exempel genom att "
                "exportera den från ritprogrammet) och ladda upp den filen."
            )
        )
    not_an_image = _(
        "Filen kunde inte läsas som en bild. Ladda upp logotypen som PNG, JPEG eller WebP."
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here it is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                _check_header(probe)
                probe.verify()  # the structure and checksums, without decoding the pixels
            with Image.open(io.BytesIO(data)) as image:
                if image.format in ("JPEG", "MPO"):
                    # Decode a large photo at 1/2, 1/4 or 1/8 scale: less time and memory.
                    image.draft("RGB", (max(SIZES) * 2, max(SIZES) * 2))
                image.load()
                profile = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
                return _in_srgb(_as_rgba(upright), profile)
        except LogoRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise LogoRefused(_too_many_pixels()) from None
        except UnidentifiedImageError:
            raise LogoRefused(not_an_image) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
            # Truncated, a broken checksum, a header that lies: what Pillow raises for them.
            raise LogoRefused(
                _(
                    "Bilden är skadad eller ofullständig och kunde inte läsas. Öppna den i ett "
                    "bildprogram, spara den igen och ladda upp den nya filen."
                )
            ) from None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def _check_header(probe: Image.Image) -> None:
    if probe.format not in FORMATS:
        raise LogoRefused(
            _(
                "Filen är en %(format)s-bild. Logotyper kan vara PNG, JPEG eller WebP.",
                format=probe.format,
            )
        )
    width, height = probe.size
    if width * height > MAX_PIXELS:
        raise LogoRefused(_too_many_pixels())
    if probe.format != "MPO" and getattr(probe, "n_frames", 1) > 1:
        raise LogoRefused(_("Animerade bilder kan inte vara logotyper. Ladda upp en stillbild."))


def _too_many_pixels() -> str:
    return _(
        "Bilden har för många bildpunkter. Den får vara högst 25 miljoner bildpunkter "
        "(till exempel 5 000 × 5 000); en logotyp behöver inte vara större än 1 000 × 1 000."
    )


def _as_rgba(image: Image.Image) -> Image.Image:
    """RGBA, whatever the upload's mode: transparency kept, CMYK and greyscale as colours."""
    if image.mode == "RGBA":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit and float greyscale PNGs
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image.convert("RGBA")


def _in_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """The colours as the upload's ICC profile meant them (a phone's Display P3, Adobe RGB), in
    sRGB: the renditions carry no profile, and browsers take such images as sRGB. A profile
    LittleCMS cannot read is ignored, as a browser would."""
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode="RGBA"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted or image


def _rendition(image: Image.Image, size: int) -> bytes:
    """The whole picture fitted into a transparent square: padded, never cropped."""
    scale = size / max(image.size)
    fitted = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.LANCZOS,
        reducing_gap=3.0,
    )
    square = Image.new("RGBA", (size, size), (255, 255, 255, 0))  # a new image: no metadata
    square.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2))
    out = io.BytesIO()
    square.save(out, "WEBP", quality=WEBP_QUALITY, method=6)
    return out.getvalue()


def set_logo(organisation: Organisation, user: User, data: bytes) -> str:
    """Make `data` the organisation's logo (replacing any); its new content hash.

    :raise LogoRefused: the file cannot be a logo.
    :raise organisations.NotAllowed: the user is not one of its administrators.
    """
    _require_admin(organisation, user)
    content_hash, renditions = render_logo(data)  # the slow part, before any lock is taken
    lock(Organisation, organisation.id)  # two uploads at once: one after the other
    db.session.execute(
        sa.delete(OrganisationLogo).where(OrganisationLogo.organisation_id == organisation.id)
    )
    db.session.add_all(
        OrganisationLogo(
            organisation_id=organisation.id, size=size, content_hash=content_hash, image=image
        )
        for size, image in renditions.items()
    )
    organisation.logo_hash = content_hash
    organisation.updated_at = utcnow()  # cached cards are keyed on it (marketplace/ads/cards.py)
    db.session.commit()
    return content_hash


def remove_logo(organisation: Organisation, user: User) -> None:
    """Back to the monogram.

    :raise organisations.NotAllowed: the user is not one of its administrators.
    """
    _require_admin(organisation, user)
    lock(Organisation, organisation.id)
    db.session.execute(
        sa.delete(OrganisationLogo).where(OrganisationLogo.organisation_id == organisation.id)
    )
    organisation.logo_hash = None
    organisation.updated_at = utcnow()
    db.session.commit()


def _require_admin(organisation: Organisation, user: User) -> None:
    membership = organisations.membership_of(user, organisation.id)
    if membership is None or not membership.is_admin:
        raise organisations.NotAllowed()


def rendition(content_hash: str, size: int) -> bytes | None:
    """A stored rendition by its address; the same bytes whichever organisation uploaded them."""
    return db.session.scalar(
        sa.select(OrganisationLogo.image)
        .where(OrganisationLogo.content_hash == content_hash, OrganisationLogo.size == size)
        .limit(1)
    )


def as_png(webp: bytes) -> bytes:
    """A rendition as PNG, for e-mail programs that do not show WebP (small: made on request)."""
    with Image.open(io.BytesIO(webp)) as image:
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
    return out.getvalue()
