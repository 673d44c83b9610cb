"""Every page is valid HTML as the Nu Html Checker (vnu) sees it: no errors, warnings allowed."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.browser.conftest import new_page
from tests.browser.site import LANGUAGES, PAGES, log_in_as, visit

pytestmark = pytest.mark.browser


def _file_name(number: int, name: str) -> str:
    return f"{number:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"


def fetch_every_page(browser, live_server, site_data, folder) -> tuple[dict, list[str]]:
    """Save the HTML the server sent for every page, language and visitor: {file: label}."""
    saved: dict[str, str] = {}
    skipped: list[str] = []
    visitors = sorted({visitor for site_page in PAGES for visitor in site_page.visitors})
    for visitor in visitors:
        # No JavaScript: every response, form posts included, is a whole page, never a fragment.
        context, page = new_page(browser, live_server, java_script_enabled=False)
        log_in_as(context, live_server, site_data, visitor)
        try:
            for site_page in PAGES:
                if visitor not in site_page.visitors:
                    continue
                for language in LANGUAGES:
                    label = f"{site_page.name} ({language}, {visitor})"
                    try:
                        response = visit(page, live_server, site_data, site_page, language)
                    except pytest.skip.Exception as skip:  # not built yet
                        skipped.append(f"{label}: {skip.msg}")
                        continue
                    path = folder / _file_name(len(saved) + 1, label)
                    path.write_text(response.text(), encoding="utf-8")
                    saved[path.name] = f"{label} {response.url}"
        finally:
            context.close()
    return saved, skipped


def test_every_page_is_valid_html(browser, live_server, site_data, vnu_jar, tmp_path):
    saved, skipped = fetch_every_page(browser, live_server, site_data, tmp_path)
    assert saved, f"no page could be fetched: {skipped}"
    # One Java start for all pages: the checker takes a list of files.
    result = subprocess.run(
        ["java", "-jar", str(vnu_jar), "--format", "json", "--stdout", *sorted(saved)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu gave no JSON (exit {result.returncode}):\n{result.stderr}{result.stdout}")
    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    report = [
        f"{saved.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}, "
        f"line {m.get('lastLine')}: {m['message']}\n    {m.get('extract', '').strip()}"
        for m in errors
    ]
    assert not report, f"{len(report)} HTML error(s) in {len(saved)} pages:\n" + "\n".join(report)
    print(f"vnu checked {len(saved)} pages; not yet built: {skipped}")
