"""Import of the previous version's query_logs.json (a JSON list of {timestamp, coin, query,
sentiment, answers[{excerpt, confidence, source_context}]}) into QueryLog rows.

Each entry gets a stable key (SHA-256 of timestamp, coin and query), so importing the same file
again adds nothing. Its answers and sentiment label are kept in `extra` for the record; they are
not results of this index, so `results` stays empty and the rows are excluded from live metrics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.db import transaction

from search import safe_json
from search.services import MAX_QUERY_CHARS, normalize_query
from .models import QueryLog

LEGACY_COIN_SLUGS = {"hamstercoin": "hamster-kombat", "general crypto": ""}


@dataclass
class LegacyReport:
    imported: int = 0
    already: int = 0
    skipped: list[str] = field(default_factory=list)


def _key(entry: dict) -> str:
    raw = "\x1f".join(str(entry.get(k, "")) for k in ("timestamp", "coin", "query"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _timestamp(value) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)


def legacy_logs_import(path: Path, *, batch_size: int = 500) -> LegacyReport:
    try:
        entries = safe_json.loads(Path(path).read_text(encoding="utf-8"))  # depth-limited: a file from elsewhere
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable JSON file: {exc}") from exc
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of log entries")
    report = LegacyReport()
    rows: dict[str, QueryLog] = {}
    for number, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict) or not str(entry.get("query", "")).strip():
                raise ValueError("no query")
            answers = entry.get("answers") if isinstance(entry.get("answers"), list) else []
            coin = str(entry.get("coin") or "").strip().lower()
            coin_slug = LEGACY_COIN_SLUGS.get(coin, coin)
            rows[_key(entry)] = QueryLog(
                created_at=_timestamp(entry["timestamp"]),
                query=str(entry["query"])[:MAX_QUERY_CHARS],
                normalized=normalize_query(str(entry["query"])),
                result_count=len(answers),
                zero_results=not answers,
                filters={"coin": [coin_slug]} if coin_slug else {},
                interface=QueryLog.Interface.LEGACY,
                ranker="legacy",
                legacy_key=_key(entry),
                extra={"coin": coin, "sentiment": entry.get("sentiment"), "answers": answers[:10]},
            )
        except (KeyError, TypeError, ValueError) as exc:
            report.skipped.append(f"entry {number}: {exc}")
    existing = set()
    keys = list(rows)
    for start in range(0, len(keys), batch_size):
        existing |= set(
            QueryLog.objects.filter(legacy_key__in=keys[start:start + batch_size]).values_list("legacy_key", flat=True)
        )
    new = [row for key, row in rows.items() if key not in existing]
    with transaction.atomic():
        QueryLog.objects.bulk_create(new, batch_size=batch_size, ignore_conflicts=True)
    report.imported, report.already = len(new), len(existing)
    return report
