"""The specification documents in a repository archive: archives.py reads the members that match
the source's globs, search.specs parses each one; what cannot be read is skipped with a reason."""

from __future__ import annotations

from collections.abc import Iterator

from ..parsing import ParsedDocument
from ..specs import SpecError, parse_spec
from .archives import ArchiveLimits, archive_members

# Every file a specification parser knows, wherever it is in the archive (used when a source names no globs).
DEFAULT_SPEC_GLOBS = ("**/eip-*.md", "**/erc-*.md", "**/bip-*.mediawiki", "**/bip-*.md", "[0-9][0-9]-*.md")


def spec_documents(
    body: bytes, *, globs: list[str], limits: ArchiveLimits, source: str, skipped: list[tuple[str, str]]
) -> Iterator[ParsedDocument]:
    """ParsedDocuments of the archive's specification files; raises ArchiveRefused for the archive as a whole."""
    for member in archive_members(body, globs=list(globs) or list(DEFAULT_SPEC_GLOBS), limits=limits, skipped=skipped):
        try:
            spec = parse_spec(member.path, member.data)
        except SpecError as exc:
            skipped.append((member.path, str(exc)))
            continue
        yield ParsedDocument(
            external_id=spec.external_id, title=spec.title[:1000], text=spec.text, source=source, url=spec.url,
            published=spec.published, authors=spec.authors, status=spec.status[:100], license=spec.license[:200],
            meta={**spec.meta, "path": member.path},
        )
