"""One number format for the public figures: shares and scores in [0, 1] as percentages with one
decimal ("32.8%"), times in milliseconds with one decimal, counts with thousands separators; a
missing value is a dash. The dashboard's tables, its charts and the evaluation page all use these."""

from __future__ import annotations

MISSING = "—"


def percent(value) -> str:
    return MISSING if value is None else f"{float(value) * 100:.1f}%"


def milliseconds(value) -> str:
    return MISSING if value is None else f"{float(value):,.1f} ms"


def count(value) -> str:
    return MISSING if value is None else f"{int(value):,}"
