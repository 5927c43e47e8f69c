import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.crawl.crawl import urls_ingest
from search.crawl.report import bar_progress
from search.ingest import paths_ingest
from search.tasks import index_rebuild_request

MAX_REASONS_SHOWN = 50
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _is_url(argument: str) -> bool:
    """Anything with a scheme that is not an existing path; non-http(s) schemes are refused later, with a reason."""
    return bool(_SCHEME.match(argument)) and not Path(argument).exists()


class Command(BaseCommand):
    help = (
        "Ingest .txt, .md, .html, .pdf, .jsonl or .jsonl.gz files (or folders of them), and http(s) URLs of "
        "pages, RSS/Atom feeds or sitemaps (fetched once, politely). Re-ingesting updates in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, directories or http(s) URLs")
        parser.add_argument(
            "--source", default=None, help="source name (default: local-files for files, web for URLs)"
        )

    def handle(self, *args, paths, source, **options):
        urls = [argument for argument in paths if _is_url(argument)]
        files = [argument for argument in paths if argument not in urls]
        reports = []
        if files:
            reports.append(("Ingested", paths_ingest(files, source=source or "local-files")))
        if urls:
            with tqdm(desc="Fetching", unit="page", disable=options["verbosity"] == 0) as bar:
                reports.append(("Fetched", urls_ingest(urls=urls, source=source or "web", progress=bar_progress(bar))))
        for label, report in reports:
            for where, why in report.skipped[:MAX_REASONS_SHOWN]:
                self.stderr.write(f"skipped {where}: {why}")
            if len(report.skipped) > MAX_REASONS_SHOWN:
                self.stderr.write(f"... and {len(report.skipped) - MAX_REASONS_SHOWN} more skipped")
            for document_id, what in report.conflicts[:MAX_REASONS_SHOWN]:
                self.stderr.write(f"id conflict {document_id}: {what}")
            if len(report.conflicts) > MAX_REASONS_SHOWN:
                self.stderr.write(f"... and {len(report.conflicts) - MAX_REASONS_SHOWN} more id conflicts")
            self.stdout.write(f"{label}: {report.summary()}.")
        if any(report.changed for _, report in reports):
            summary = "; ".join(report.summary() for _, report in reports)
            index_rebuild_request(reason=f"ingest: {summary}")
            self.stdout.write("A rebuild is queued for the background cluster (or run `manage.py reindex` now).")
        stored = sum(report.created + report.updated + report.unchanged for _, report in reports)
        if not stored and any(report.skipped for _, report in reports):
            raise CommandError("nothing could be ingested")
