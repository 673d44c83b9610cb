"""Real image files for the logo tests, made with Pillow (and a few made by hand to be bad)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def picture(
    fmt: str = "PNG", size: tuple[int, int] = (300, 200), mode: str = "RGBA", **save
) -> bytes:
    """A logo-like picture: a coloured block with a transparent (or white) margin."""
    background = (0, 0, 0, 0) if mode == "RGBA" else "white"
    image = Image.new(mode, size, background)
    inner = Image.new(mode, (size[0] // 2, size[1] // 2), "#c2571a")
    image.paste(inner, (size[0] // 4, size[1] // 4))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def decompression_bomb() -> bytes:
    """A valid PNG header that claims 100,000 × 100,000 pixels, with a few bytes of data."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + _chunk(b"IEND", b"")
    )


def animated_png() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=200)
    return out.getvalue()


class ReusableUpload(io.BytesIO):
    """A file for the test client that can be sent again: it rewinds once read to its end, and
    stays open when the request that sent it closes its files."""

    def __init__(self, data: bytes, name: str = "logo.png") -> None:
        super().__init__(data)
        self.name = name

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            self.seek(0)
        return chunk

    def close(self) -> None:
        self.seek(0)
