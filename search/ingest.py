"""Storing parsed documents as Document rows: de-duplication by external id and upsert.

A document is identified by its external id (the corpus id, or source + the file's path inside the
ingested folder: `notes:a/notes.txt`), so
ingesting the same document again updates it in place and an identical one is left untouched.
Bad files and bad lines are reported and skipped; nothing already stored is touched by them.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Document, Source
from .signals import document_renamed
from django.conf import settings

from .document_files import JsonlLimits, iter_path
from .parsing import MAX_DOCUMENT_CHARS, MIN_DOCUMENT_CHARS, BadInput, IngestReport, ParsedDocument, clean_text


def _validated(doc: ParsedDocument) -> ParsedDocument:
    doc.title = clean_text(doc.title).replace("\n", " ")
    doc.text = clean_text(doc.text)
    if len(doc.text) < MIN_DOCUMENT_CHARS:
        raise BadInput(f"{doc.external_id}: too little text ({len(doc.text)} characters)")
    if len(doc.text) > MAX_DOCUMENT_CHARS:
        raise BadInput(f"{doc.external_id}: text longer than {MAX_DOCUMENT_CHARS:,} characters")
    if not doc.title:
        doc.title = doc.external_id
    return doc


def documents_store(docs, *, report: IngestReport | None = None, batch_size: int = 500) -> IngestReport:
    """Upsert parsed documents by external id, in batches; returns what happened.

    Two different documents with one id in one run (two corpus lines, two files given by name) are a
    conflict: the later one is kept, and the report says which ones collided."""
    report = report or IngestReport()
    batch: list[ParsedDocument] = []
    seen: dict[str, tuple[str, str]] = {}  # id -> (where, content digest) in this run
    for doc in docs:
        try:
            batch.append(_validated(doc))
        except BadInput as exc:
            report.skipped.append((doc.where or doc.external_id, str(exc)))
            continue
        earlier = seen.get(doc.external_id)
        if earlier is not None and earlier[1] != doc.content_hash[:16]:
            report.conflicts.append((doc.external_id, f"{earlier[0] or 'an earlier document'} and "
                                     f"{doc.where or 'a later one'} have this id; the later one was kept"))
        seen[doc.external_id] = (doc.where, doc.content_hash[:16])
        if len(batch) >= batch_size:
            _store_batch(batch, report)
            batch = []
    if batch:
        _store_batch(batch, report)
    return report


def _store_batch(batch: list[ParsedDocument], report: IngestReport) -> None:
    unique = {doc.external_id: doc for doc in batch}  # the last copy of an id in a batch wins
    with transaction.atomic():
        sources = {}
        for name in {doc.source for doc in unique.values()}:
            sources[name], _ = Source.objects.get_or_create(name=name, defaults={"label": name, "kind": Source.Kind.JSONL})
        existing = {d.external_id: d for d in Document.objects.filter(external_id__in=list(unique))}
        existing.update(_adopt_previous_ids([doc for doc in unique.values() if doc.external_id not in existing]))
        to_create, to_update = [], []
        now = timezone.now()
        for external_id, doc in unique.items():
            fields = dict(
                source=sources[doc.source], title=doc.title, url=doc.url, published=doc.published,
                authors=doc.authors, status=doc.status, license=doc.license, meta=doc.meta, text=doc.text,
                content_hash=doc.content_hash,
            )
            current = existing.get(external_id)
            if current is None:
                to_create.append(Document(external_id=external_id, **fields))
            elif _same(current, fields):
                report.unchanged += 1
            else:
                for name, value in fields.items():
                    setattr(current, name, value)
                # bulk_update skips auto_now: without this an update never looks newer than the index.
                current.updated_at = now
                to_update.append(current)
        Document.objects.bulk_create(to_create)
        if to_update:
            Document.objects.bulk_update(
                to_update,
                ["source", "title", "url", "published", "authors", "status", "license", "meta", "text", "content_hash",
                 "updated_at"],
            )
        report.created += len(to_create)
        report.updated += len(to_update)


def _adopt_previous_ids(new_docs: list[ParsedDocument]) -> dict[str, Document]:
    """Stored documents whose id is what an earlier version called one of these new ones (files were
    `source:stem`) take the new id, so re-ingesting a folder updates them instead of adding copies."""
    wanted = {doc.previous_id: doc.external_id for doc in new_docs if doc.previous_id}
    adopted = {}
    for document in Document.objects.filter(external_id__in=list(wanted)):
        old_id, new_id = document.external_id, wanted[document.external_id]
        document.external_id = new_id
        document.save(update_fields=["external_id"])
        document_renamed.send(sender=Document, old_id=old_id, new_id=new_id)
        adopted[new_id] = document
    return adopted


def _same(current: Document, fields: dict) -> bool:
    """Nothing to update: same text and the same metadata (a specification's status can change alone)."""
    return all(getattr(current, name) == value for name, value in fields.items() if name not in ("source", "text"))


def document_duplicate_of(*, content_hash: str, external_id: str) -> str | None:
    """The external id of another document with exactly this title and text (a copy under another id), if any."""
    return (
        Document.objects.filter(content_hash=content_hash).exclude(external_id=external_id)
        .values_list("external_id", flat=True).first()
    )


def paths_ingest(paths, *, source: str = "local-files") -> IngestReport:
    """Ingest files and directories (see module docstring); the entry point of `manage.py ingest`."""
    report = IngestReport()
    source = slugify(source) or "local-files"

    limits = JsonlLimits(settings.INGEST_MAX_LINE_BYTES, settings.INGEST_MAX_DECOMPRESSED_BYTES)

    def documents():
        for raw in paths:
            yield from iter_path(Path(raw), source, report, limits)

    return documents_store(documents(), report=report)
