"""JSON from outside (API bodies, JSONL lines, imported files), limited in size and nesting depth.

`json.loads` recurses once per nesting level: `[` x 1000 raised RecursionError, which is not a
ValueError, so it escaped every handler (a 500 from the API, an ingest that crashed and lost the
lines before it). Here the nesting is measured before parsing, on the text with its strings
removed (a regular expression, at C speed), and anything too big or too deep is a ValueError
with a message that says which limit it broke.
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32  # a corpus record is 2 levels deep, an API body 1


class JSONRejected(ValueError):
    """Not parsed: too large or too deeply nested. The message says which limit and is safe to show."""


_STRINGS = {str: re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S), bytes: re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)}
_BRACKETS = {str: re.compile(r"[\[\]{}]"), bytes: re.compile(rb"[\[\]{}]")}
_OPENERS = {"[", "{", b"[", b"{"}


def nesting_depth(text: str | bytes, *, stop_above: int | None = None) -> int:
    """Deepest nesting of arrays and objects (brackets inside strings do not count); counting stops
    once it passes `stop_above`, so a hostile `[[[[...` costs no more than the limit."""
    kind = bytes if isinstance(text, (bytes, bytearray)) else str
    structure = _STRINGS[kind].sub(b"" if kind is bytes else "", text)
    depth = deepest = 0
    for bracket in _BRACKETS[kind].findall(structure):
        if bracket in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def loads(text: str | bytes, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH):
    """json.loads with limits. Raises JSONRejected (too large, too deep) or json.JSONDecodeError;
    both are ValueErrors."""
    if max_bytes is not None and len(text) > max_bytes:
        raise JSONRejected(f"larger than {max_bytes:,} bytes")
    if nesting_depth(text, stop_above=max_depth) > max_depth:
        raise JSONRejected(f"nested more than {max_depth} levels deep")
    return json.loads(text)
