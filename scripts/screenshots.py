"""Screenshots of the main pages at a phone, a tablet and a desktop size, for review.

    make screenshots                      # serves the demo on a spare port, writes docs/screenshots/
    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:5000 [--only search]

Uses Debian's Chromium (/usr/bin/chromium) through Playwright, never a downloaded browser. Logs
in as the demo account leila.haddad@example.org (password in the README) for the member pages.
Each PNG is the whole page (full_page) named <page>-<width>x<height>.png; a page that scrolls
sideways is reported on stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZES = [(390, 844), (768, 1024), (1366, 900)]
DEMO_USER = "leila.haddad@example.org"
DEMO_PASSWORD = "demo-endast-lokalt"  # noqa: S105 - the demo's published password


def pages(page, base: str) -> list[tuple[str, str, bool]]:
    """(name, path, logged in) for every page of the review; ids are found on the demo site."""
    page.goto(base + "/annonser?q=spr%C3%A5kcaf%C3%A9")
    first_ad = page.locator("#results .card a").first.get_attribute("href") or "/annonser"
    page.goto(base + "/organisationer")
    hrefs = page.locator("main a[href*='/organisationer/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    organisation = next((h for h in hrefs if re.search(r"/organisationer/\d+", h)), None)
    return [
        ("start", "/", False),
        ("search", "/annonser", False),
        ("search-query", "/annonser?q=l%C3%A4xhj%C3%A4lp", False),
        ("search-empty", "/annonser?q=homework+help&kind=offer&county=25", False),
        ("ad", first_ad, False),
        ("organisation", organisation or "/organisationer", False),
        ("statistics", "/statistik", False),
        ("mina-sidor", "/mina-sidor", True),
        ("inbox", "/inkorg", True),
        ("conversation", "CONVERSATION", True),
        ("matches", "MATCHES", True),
        ("new-ad-errors", "NEW_AD_ERRORS", True),
    ]


def log_in(page, base: str) -> None:
    page.goto(base + "/konto/logga-in")
    page.fill("input[name='email']", DEMO_USER)
    page.fill("input[name='password']", DEMO_PASSWORD)
    page.locator("main form [type='submit']").first.click()
    page.wait_for_load_state("networkidle")


def resolve(page, base: str, path: str) -> str:
    """Paths only a logged-in member can find (their conversation, their ad's matches)."""
    if path == "CONVERSATION":
        page.goto(base + "/inkorg")
        link = page.locator("main a[href*='/inkorg/']").first
        return link.get_attribute("href") or "/inkorg"
    if path == "MATCHES":
        page.goto(base + "/mina-sidor")
        link = page.locator("main a[href*='/matchningar']").first
        if link.count():
            return link.get_attribute("href")
        return "/organisationer/mina"
    return path


def shrink(path: Path) -> None:
    """256 colours are plenty for a page of text (a third of the size in the repository)."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot(base: str, only: str | None) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    overflowing = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        for width, height in SIZES:
            for logged_in in (False, True):
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="sv-SE",
                    reduced_motion="reduce",
                )
                page = context.new_page()
                listing = pages(page, base)
                if logged_in:
                    log_in(page, base)
                for name, path, needs_login in listing:
                    if needs_login != logged_in or (only and not re.search(only, name)):
                        continue
                    if path == "NEW_AD_ERRORS":
                        page.goto(base + "/annonser/ny")
                        page.locator("main form[method='post'] [type='submit']").last.click()
                        page.wait_for_load_state("networkidle")
                    else:
                        page.goto(base + resolve(page, base, path))
                        page.wait_for_load_state("networkidle")
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > width:
                        overflowing += 1
                        print(f"{name} at {width}px scrolls sideways ({wide}px)", file=sys.stderr)
                    target = OUT / f"{name}-{width}x{height}.png"
                    page.screenshot(path=str(target), full_page=True)
                    shrink(target)
                    print(target.relative_to(ROOT))
                context.close()
        browser.close()
    return overflowing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--only", help="a regular expression over the page names")
    args = parser.parse_args()
    shoot(args.base_url.rstrip("/"), args.only)


if __name__ == "__main__":
    main()
