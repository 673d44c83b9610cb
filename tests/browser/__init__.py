"""End-to-end tests in headless Chromium against a live server (see conftest.py and site.py)."""
