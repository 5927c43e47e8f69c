"""The default source set (default_sources.json, kept in the repository as data) and its creation.

`bootstrap` calls `default_sources_ensure` at every start: a missing default source is created,
enabled only where DEFAULT_SOURCES=1 (the Docker image) so local runs and tests never reach the
internet unless someone enables a source. A source staff already have is left alone (they may
have disabled or edited it), except a location-less one of the same name made by ingesting the
shared corpus (e.g. `ethereum-eips`): it takes the default configuration, so the crawl keeps the
corpus's documents current under the same ids. DEFAULT_SOURCES_BASE rewrites every URL to
BASE/host/path so tests and benchmarks can serve local copies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .nlp.coins import COIN_BY_SLUG

DEFAULT_SOURCES_FILE = Path(__file__).resolve().with_name("default_sources.json")
KINDS = ("archive", "feed", "sitemap", "pages")


class DefaultSourcesError(ValueError):
    pass


@dataclass(frozen=True)
class DefaultSource:
    name: str
    label: str
    kind: str
    location: str
    globs: tuple[str, ...]
    coins: tuple[str, ...]
    interval_minutes: int


def rebased(url: str, base: str) -> str:
    """https://host/path?q -> BASE/host/path?q (unchanged without a base)."""
    if not base:
        return url
    parts = urlsplit(url)
    return f"{base.rstrip('/')}/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def default_sources(*, base: str = "", path: Path = DEFAULT_SOURCES_FILE) -> list[DefaultSource]:
    """The default set, checked (kinds, coins, intervals, unique names), with URLs rebased."""
    entries = json.loads(path.read_text(encoding="utf-8"))["sources"]
    sources, names = [], set()
    for entry in entries:
        name = entry["name"]
        if name in names:
            raise DefaultSourcesError(f"{path.name}: {name} is listed twice")
        names.add(name)
        if entry["kind"] not in KINDS:
            raise DefaultSourcesError(f"{path.name}: {name} has an unknown kind {entry['kind']!r}")
        unknown = sorted(set(entry.get("coins", [])) - set(COIN_BY_SLUG))
        if unknown:
            raise DefaultSourcesError(f"{path.name}: {name} names unknown coins {unknown}")
        if int(entry["interval_minutes"]) < 5:
            raise DefaultSourcesError(f"{path.name}: {name} is crawled more often than every 5 minutes")
        sources.append(DefaultSource(
            name=name, label=entry.get("label", name), kind=entry["kind"], location=rebased(entry["location"], base),
            globs=tuple(entry.get("globs", [])), coins=tuple(entry.get("coins", [])),
            interval_minutes=int(entry["interval_minutes"]),
        ))
    return sources


def default_sources_ensure(*, enabled: bool, base: str = "") -> list[str]:
    """Create the default sources that are missing; returns what was done, one line per source touched."""
    from .models import Source

    done = []
    for spec in default_sources(base=base):
        fields = dict(
            label=spec.label, kind=spec.kind, location=spec.location, globs="\n".join(spec.globs),
            coins=list(spec.coins), crawl_interval_minutes=spec.interval_minutes, enabled=enabled,
        )
        source = Source.objects.filter(name=spec.name).first()
        if source is None:
            Source.objects.create(name=spec.name, **fields)
            done.append(f"{spec.name} created ({'enabled' if enabled else 'disabled'})")
        elif not source.location.strip():
            Source.objects.filter(pk=source.pk).update(**fields)
            done.append(f"{spec.name} configured from the default set ({'enabled' if enabled else 'disabled'})")
    return done
