"""Share images (og:image): a 1200 × 630 PNG for an ad or an organisation, drawn by Pillow with
the site's mark, the heading and the organisation with its logo (or monogram).

    ad_share(ad) / organisation_share(organisation) -> ShareImage   # its key, cheap
    share_png(share) -> bytes                                       # drawn once per key

The key is a digest of everything drawn, so the image is drawn once per content and kept in the
shared cache; it is also the ETag at the image's stable address. Always in Swedish: the address
is the same for every reader (and link previews are fetched without the reader's cookies).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import force_locale
from PIL import Image, ImageDraw, ImageFont

from marketplace.ads.labels import kind_label
from marketplace.httpcache import cache_get, cache_set
from marketplace.images import logos
from marketplace.reference import county_name, municipality_name

WIDTH, HEIGHT = 1200, 630
DESIGN = "1"  # change to draw every share image again
CACHE_SECONDS = 7 * 24 * 60 * 60
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BLUE, ORANGE, INK, MUTED, PAPER = "#0b4f71", "#c2571a", "#1b1f23", "#4a5560", "#f3f6f8"
# The monograms' colours, as in static/site.css (.monogram-0 … -5).
MONOGRAM_COLOURS = ("#0b4f71", "#8a3b12", "#1d6b3a", "#5b3a8c", "#9b1c4a", "#37505f")


@dataclass(frozen=True)
class ShareImage:
    label: str  # "Söker", "Erbjuder", "Idé", "Organisation"
    heading: str
    organisation_id: int
    organisation_name: str
    logo_hash: str | None
    place: str

    @property
    def key(self) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for part in (DESIGN, self.label, self.heading, str(self.organisation_id),
                     self.organisation_name, self.logo_hash or "", self.place):  # fmt: skip
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()


def _place(county_code: str | None, municipality_code: str | None) -> str:
    if municipality_code:
        return f"{municipality_name(municipality_code)}, {county_name(county_code)}"
    return county_name(county_code) if county_code else "Hela Sverige"


def ad_share(ad) -> ShareImage:
    with force_locale("sv"):
        label = kind_label(ad.kind)
        place = _place(ad.county_code, ad.municipality_code)
    organisation = ad.organisation
    return ShareImage(
        label, ad.title, organisation.id, organisation.name, organisation.logo_hash, place
    )


def organisation_share(organisation) -> ShareImage:
    with force_locale("sv"):
        place = _place(organisation.county_code, organisation.municipality_code)
    return ShareImage(
        "Organisation",
        organisation.name,
        organisation.id,
        organisation.name,
        organisation.logo_hash,
        place,
    )


def share_png(share: ShareImage) -> bytes:
    """The image, from the shared cache or drawn now."""
    cache_key = f"share:{share.key}"
    png = cache_get(cache_key)
    if png is None:
        png = _draw(share)
        cache_set(cache_key, png, CACHE_SECONDS)
    return png


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:  # no DejaVu on this machine: Pillow's own font, plainer but legible
        return ImageFont.load_default(size)


def _wrap(text: str, font, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels; the last line ends in "…" if the text goes on."""
    lines: list[str] = []
    line = ""
    words = text.split()
    for index, word in enumerate(words):
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while font.getlength(line) > width:  # one word wider than the line: break it
            cut = len(line)
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        if len(lines) >= max_lines:
            rest = " ".join([line, *words[index + 1 :]]).strip()
            return _ellipsis(lines[:max_lines], font, width, bool(rest))
    if line:
        lines.append(line)
    return _ellipsis(lines[:max_lines], font, width, len(lines) > max_lines)


def _ellipsis(lines: list[str], font, width: int, more: bool) -> list[str]:
    if more and lines:
        last = lines[-1]
        while last and font.getlength(last + " …") > width:
            # Whole words go first; a single word too long is cut.
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _draw_mark(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """The site's mark (templates/_macros/ui.html, logo_mark): two overlapping rings."""
    scale = size / 36
    draw.rounded_rectangle((x, y, x + size, y + size), radius=9 * scale, fill="white")
    width = round(3.2 * scale)
    for centre_x, colour in ((14, BLUE), (22, ORANGE)):
        cx, cy, r = x + centre_x * scale, y + 18 * scale, 7.5 * scale + width / 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=width)


def _organisation_mark(share: ShareImage, size: int) -> Image.Image:
    """The organisation's logo on a white tile, or its monogram (as the site draws it)."""
    data = logos.rendition(share.logo_hash, max(logos.SIZES)) if share.logo_hash else None
    tile = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    if data:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill="white")
        with Image.open(io.BytesIO(data)) as logo:
            inner = size - 16
            logo_image = logo.convert("RGBA").resize((inner, inner), Image.Resampling.LANCZOS)
        tile.alpha_composite(logo_image, (8, 8))
        return tile
    words = share.organisation_name.replace("-", " ").split() or ["?"]
    initials = (words[0][:1] + (words[1][:1] if len(words) > 1 else "")).upper()
    colour = MONOGRAM_COLOURS[share.organisation_id % len(MONOGRAM_COLOURS)]
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=colour)
    draw.text((size / 2, size / 2), initials, font=_font(size * 2 // 5, True), fill="white",
              anchor="mm")  # fmt: skip
    return tile


def _draw(share: ShareImage) -> bytes:
    image = Image.new("RGBA", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    margin = 72
    draw.rectangle((0, 0, WIDTH, 14), fill=BLUE)
    # The site: mark and word mark.
    _draw_mark(draw, margin, 56, 64)
    draw.text((margin + 84, 88), "Samverkanstorget", font=_font(38, True), fill=BLUE, anchor="lm")
    # What is shared: its kind and its heading, up to three lines.
    draw.text((margin, 176), share.label.upper(), font=_font(30, True), fill=ORANGE)
    heading_font = _font(56, True)
    y = 220
    for line in _wrap(share.heading, heading_font, WIDTH - 2 * margin, 3):
        draw.text((margin, y), line, font=heading_font, fill=INK)
        y += 68
    # Who: the organisation with its logo, and where.
    tile_size = 104
    top = HEIGHT - margin - tile_size + 16
    draw.line((margin, top - 28, WIDTH - margin, top - 28), fill="#c9d2d9", width=2)
    image.alpha_composite(_organisation_mark(share, tile_size), (margin, top))
    text_x = margin + tile_size + 28
    name_font = _font(36, True)
    name = _wrap(share.organisation_name, name_font, WIDTH - text_x - margin, 1)
    draw.text((text_x, top + 18), name[0] if name else "", font=name_font, fill=INK)
    draw.text((text_x, top + 66), share.place, font=_font(28), fill=MUTED)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()
