"""The agreement as a PDF: the printable page, laid out by WeasyPrint.

The PDF is tagged (PDF/UA-1: a structure tree, the document's language and title from the
page's <html lang> and <title>, fonts embedded). WeasyPrint fetches nothing: the stylesheet is
read from static/ and every other URL is refused, so text typed into the agreement can never
make the server load anything.
"""

from __future__ import annotations

from pathlib import Path

from weasyprint import CSS, HTML

from marketplace.config import ROOT

STYLESHEET = ROOT / "static" / "partnership.css"


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL; the PDF is built from the page and the stylesheet alone."""


def _refuse(url: str, *args, **kwargs):
    raise FetchRefused(f"not fetched while making a PDF: {url[:80]}")


def pdf_from_html(html: str, stylesheet: Path = STYLESHEET) -> bytes:
    """The page as a tagged PDF."""
    document = HTML(string=html, base_url=str(ROOT), url_fetcher=_refuse)
    pdf = document.write_pdf(
        stylesheets=[CSS(filename=str(stylesheet), url_fetcher=_refuse)],
        pdf_variant="pdf/ua-1",
    )
    return pdf or b""  # without a target, write_pdf returns the bytes
