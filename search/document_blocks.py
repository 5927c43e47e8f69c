"""The reading structure of a document page, rebuilt from the sentence roles the index stores
(search/nlp/roles.py): headings with anchors, lists, simple tables, code blocks and prose runs.

The index keeps sentences, not lines, so the source's layout is recovered from roles: consecutive
sentences of one role form a block; a list sentence that starts with a list marker opens a new
item. Every sentence keeps its own element id (s<id>), which search hits link to.
"""

from __future__ import annotations

import re

from django.utils.text import slugify

from .nlp.roles import LIST_MARKER

TOC_MIN_HEADINGS = 4  # a table of contents from this many headings on

_BULLET_RE = re.compile(r"^[-*+•]\s+")
_MARKDOWN_HEADING_RE = re.compile(r"^(#{1,6})\s*")
_NUMBERED_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s")  # "2.1 Fees": a subsection
_TABLE_RULE_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")


def _heading(sentence: dict, used: set[str]) -> dict:
    text = sentence["text"]
    marks = _MARKDOWN_HEADING_RE.match(text)
    if marks:
        level, text = min(4, max(2, len(marks.group(1)))), text[marks.end():]
    else:
        level = 3 if _NUMBERED_RE.match(text) else 2
    slug = base = "sec-" + (slugify(text)[:60].strip("-") or str(sentence["id"]))
    n = 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return {"kind": "heading", "level": level, "anchor": slug, "text": text, "sentence": sentence}


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.strip().strip("|").split("|")]


def _table(rows: list[dict]) -> dict:
    """A table when every row splits into the same number (2 or more) of cells, else code-like lines."""
    body = [row for row in rows if not _TABLE_RULE_RE.match(row["text"].strip())]
    widths = {len(_cells(row["text"])) for row in body}
    if len(widths) != 1 or widths == {1} or not body:
        return {"kind": "code", "sentences": rows}
    ruled = len(rows) > 1 and _TABLE_RULE_RE.match(rows[1]["text"].strip()) is not None
    table_rows = [{"sentence": row, "cells": _cells(row["text"])} for row in body]
    return {"kind": "table", "head": table_rows[0] if ruled else None, "rows": table_rows[1:] if ruled else table_rows}


def _list_item_text(sentence: dict) -> dict:
    bullet = _BULLET_RE.match(sentence["text"])
    return {**sentence, "text": sentence["text"][bullet.end():]} if bullet else sentence


def build_blocks(sentences: list[dict]) -> list[dict]:
    """Blocks in reading order from sentences carrying a "role" (heading, list, reference, table,
    code, prose)."""
    blocks: list[dict] = []
    used: set[str] = set()
    pending_rows: list[dict] = []

    def flush_table():
        if pending_rows:
            blocks.append(_table(list(pending_rows)))
            pending_rows.clear()

    for s in sentences:
        role = s["role"]
        if role != "table":
            flush_table()
        last = blocks[-1] if blocks else None
        if role == "heading":
            blocks.append(_heading(s, used))
        elif role == "table":
            pending_rows.append(s)
        elif role in ("list", "reference"):
            starts_item = bool(LIST_MARKER.match(s["text"]))
            if last and last["kind"] == "list" and (starts_item or not last["items"]):
                last["items"].append([_list_item_text(s)])
            elif last and last["kind"] == "list":
                last["items"][-1].append(s)  # a further sentence of the same item
            else:
                blocks.append({"kind": "list", "items": [[_list_item_text(s)]]})
        elif role == "code":
            if last and last["kind"] == "code":
                last["sentences"].append(s)
            else:
                blocks.append({"kind": "code", "sentences": [s]})
        elif last and last["kind"] == "prose":
            last["sentences"].append(s)
        else:
            blocks.append({"kind": "prose", "sentences": [s]})
    flush_table()
    return blocks


def table_of_contents(blocks: list[dict]) -> list[dict]:
    """The headings, when there are enough of them to need a table of contents."""
    headings = [b for b in blocks if b["kind"] == "heading"]
    return headings if len(headings) >= TOC_MIN_HEADINGS else []
