"""Logos for a few demo organisations, drawn with Pillow when the demo is loaded.

Uploaded through the same service as a real logo (marketplace/images/logos.py), so the demo
shows both states: these seven civil-society organisations and companies with logos, every
other organisation (all the public bodies among them: a made-up logo for a real region or
municipality would mislead) with its monogram.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw

from marketplace.accounts.models import User
from marketplace.images import logos
from marketplace.organisations.models import Organisation

SIZE = 512


def _speech_bubbles(image: Image.Image) -> None:  # Föreningen Språkvän Kalmar
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 80, 330, 300), radius=60, fill="#0e7c86")
    draw.polygon([(110, 290), (90, 390), (190, 295)], fill="#0e7c86")
    draw.rounded_rectangle((190, 200, 470, 410), radius=60, fill="#c2571a")
    draw.polygon([(400, 400), (430, 480), (340, 405)], fill="#c2571a")
    for x in (260, 320, 380):
        draw.ellipse((x - 18, 287, x + 18, 323), fill="white")


def _open_book(image: Image.Image) -> None:  # Läxhjälpen Norrliden
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, 496, 496), fill="#f2b705")
    draw.polygon([(256, 170), (96, 130), (96, 360), (256, 400)], fill="#1d3557")
    draw.polygon([(256, 170), (416, 130), (416, 360), (256, 400)], fill="#274c77")
    draw.line([(256, 170), (256, 400)], fill="#f2b705", width=10)


def _leaf(image: Image.Image) -> None:  # Kooperativet Gröna Händer
    leaf = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    shape = ImageDraw.Draw(leaf)
    shape.ellipse((156, 40, 356, 470), fill="#2d8a3e")
    shape.line([(256, 90), (256, 470)], fill="#d8f0c8", width=14)
    for y in (170, 250, 330):
        shape.line([(256, y + 40), (320, y)], fill="#d8f0c8", width=9)
        shape.line([(256, y + 40), (192, y)], fill="#d8f0c8", width=9)
    turned = leaf.rotate(-35, resample=Image.Resampling.BICUBIC)
    image.alpha_composite(turned)


def _star(image: Image.Image) -> None:  # IF Kvarteret Malmö
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((24, 24, 488, 488), radius=90, fill="#9b1c4a")
    points = []
    for index in range(10):
        radius = 200 if index % 2 == 0 else 85
        angle = math.pi / 2 + index * math.pi / 5
        points.append((256 + radius * math.cos(angle), 270 - radius * math.sin(angle)))
    draw.polygon(points, fill="#ffd166")


def _brackets(image: Image.Image) -> None:  # Kodkraft AB
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((24, 24, 488, 488), radius=70, fill="#1b1f23")
    draw.line([(200, 150), (100, 256), (200, 362)], fill="#4cc9f0", width=40, joint="curve")
    draw.line([(312, 150), (412, 256), (312, 362)], fill="#4cc9f0", width=40, joint="curve")
    draw.line([(290, 120), (222, 392)], fill="#f72585", width=36)


def _sun(image: Image.Image) -> None:  # Café Solsidan ekonomisk förening
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, 496, 496), fill="#dff3fb")
    for index in range(12):
        angle = index * math.pi / 6
        inner, outer = 140, 215
        draw.line(
            [
                (256 + inner * math.cos(angle), 256 + inner * math.sin(angle)),
                (256 + outer * math.cos(angle), 256 + outer * math.sin(angle)),
            ],
            fill="#f4a100",
            width=26,
        )
    draw.ellipse((136, 136, 376, 376), fill="#f9c80e")


def _apple(image: Image.Image) -> None:  # Stiftelsen Matbanken Skåne
    draw = ImageDraw.Draw(image)
    draw.ellipse((96, 150, 276, 450), fill="#c1121f")
    draw.ellipse((236, 150, 416, 450), fill="#c1121f")
    draw.line([(256, 170), (276, 90)], fill="#6b3e26", width=18)
    draw.ellipse((280, 60, 400, 130), fill="#2d8a3e")


DEMO_LOGOS: dict[str, Callable[[Image.Image], None]] = {
    "sprakvan-kalmar": _speech_bubbles,
    "laxhjalpen-norrliden": _open_book,
    "grona-hander": _leaf,
    "if-kvarteret": _star,
    "kodkraft": _brackets,
    "cafe-solsidan": _sun,
    "matbanken-skane": _apple,
}


def drawn_logo(ref: str) -> bytes:
    """The demo organisation's logo as a PNG with a transparent background."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    DEMO_LOGOS[ref](image)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload_demo_logos(organisation: Callable[[str], Organisation], person: Callable[[str], User]):
    """Each organisation of DEMO_LOGOS gets its logo, uploaded by its coordinator."""
    for ref in DEMO_LOGOS:
        logos.set_logo(organisation(ref), person(ref), drawn_logo(ref))
