"""Every page is valid HTML as the Nu Html Checker (vnu) sees it: no errors, warnings allowed."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _file_name(number: int, name: str) -> str:
    return f"{number:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"


def test_every_page_is_valid_html(browser, live_server, site_data, page_sources, vnu_jar, tmp_path):
    skipped, broken = page_sources.fetch_missing(browser, live_server, site_data)
    saved: dict[str, str] = {}
    for (name, language, visitor), (url, html) in sorted(page_sources.pages.items()):
        path = tmp_path / _file_name(len(saved) + 1, f"{name} {language} {visitor}")
        path.write_text(html, encoding="utf-8")
        saved[path.name] = f"{name} ({language}, {visitor}) {url}"
    assert saved, f"no page could be fetched: {skipped + broken}"
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
    report = [f"could not fetch {page}" for page in broken] + [
        f"{saved.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}, "
        f"line {m.get('lastLine')}: {m['message']}\n    {m.get('extract', '').strip()}"
        for m in errors
    ]
    assert not report, f"{len(report)} problem(s) in {len(saved)} pages:\n" + "\n".join(report)
    print(f"vnu checked {len(saved)} pages; not yet built: {skipped}")
