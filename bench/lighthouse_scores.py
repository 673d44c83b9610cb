"""Lighthouse scores for one page: the npm `lighthouse` (node_modules) driving Debian's Chromium.

Shared by `make bench` (bench/run.py) and the browser suite (tests/browser/test_lighthouse.py):

    from lighthouse_scores import audit      # with bench/ on sys.path
    report = audit("http://127.0.0.1:8000/annonser", Path("bench/tmp/lighthouse-search.json"))
    report.scores       # {"performance": 99, "accessibility": 100, ...}
    report.below_full   # the weighted audits short of full marks, per category

Lighthouse's default settings: a mid-range phone (mobile emulation, simulated slow 4G and a
4x slower CPU); `preset="desktop"` for a desktop. Only the standard library: bench/run.py and
the tests import it without the app.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class LighthouseError(RuntimeError):
    """Lighthouse gave no scores (not installed, crashed, or no usable trace three times)."""


@dataclass
class Report:
    scores: dict[str, int]
    below_full: dict[str, list[str]] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(
            f"{key} {score}"
            + (f" ({', '.join(self.below_full[key])})" if key in self.below_full else "")
            for key, score in self.scores.items()
        )


def available() -> bool:
    return LIGHTHOUSE.exists() and Path(os.environ.get("CHROME_PATH", CHROMIUM)).exists()


def audit(
    url: str,
    output: Path,
    categories: tuple[str, ...] = CATEGORIES,
    preset: str | None = None,
    timeout: int = 300,
) -> Report:
    """Scores 0-100 per category for `url`; the whole JSON report is left in `output`."""
    if not LIGHTHOUSE.exists():
        raise LighthouseError("node_modules/.bin/lighthouse missing: run `make browser-tools`")
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={output}",
        f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(categories),
    ]  # fmt: skip
    if preset:
        command.append(f"--preset={preset}")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)}
    output.parent.mkdir(parents=True, exist_ok=True)
    # Now and then the trace of a load comes back broken (NO_NAVSTART), and Lighthouse reports
    # the performance category as 0 with a runtimeError: that is no score, so load it again.
    for _attempt in range(3):
        output.unlink(missing_ok=True)
        run = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        if not output.exists():
            lines = (run.stderr or run.stdout).strip().splitlines()
            raise LighthouseError(lines[-1] if lines else "Lighthouse failed")
        report = json.loads(output.read_text())
        if not report.get("runtimeError"):
            break
    else:
        raise LighthouseError(f"Lighthouse failed three times: {report['runtimeError']['code']}")
    scores = {
        key: round((report["categories"][key]["score"] or 0) * 100)
        for key in categories
        if key in report["categories"]
    }
    below = {
        key: [
            audit["id"]
            for ref in report["categories"][key]["auditRefs"]
            if ref["weight"]
            and (audit := report["audits"][ref["id"]])["score"] is not None
            and audit["score"] < 1
        ]
        for key in scores
        if scores[key] < 100
    }
    return Report(scores, below)
