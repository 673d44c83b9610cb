"""Demo data for `make run`: a living site a newcomer can explore."""

from __future__ import annotations


def load_demo_data(only_if_empty: bool = True) -> str:
    return "no demo data yet"
