from django.core.management.base import BaseCommand, CommandError

from search.ingest import paths_ingest
from search.tasks import index_rebuild_request


class Command(BaseCommand):
    help = "Ingest .txt, .md, .html, .jsonl or .jsonl.gz files (or folders of them). Re-ingesting updates in place."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or directories")
        parser.add_argument("--source", default="local-files", help="source name for .txt/.md/.html files")

    def handle(self, *args, paths, source, **options):
        report = paths_ingest(paths, source=source)
        for where, why in report.skipped[:50]:
            self.stderr.write(f"skipped {where}: {why}")
        if len(report.skipped) > 50:
            self.stderr.write(f"... and {len(report.skipped) - 50} more skipped")
        self.stdout.write(f"Ingested: {report.summary()}.")
        if report.changed:
            index_rebuild_request(reason=f"ingest: {report.summary()}")
            self.stdout.write("A rebuild is queued for the background cluster (or run `manage.py reindex` now).")
        if not (report.created or report.updated or report.unchanged) and report.skipped:
            raise CommandError("nothing could be ingested")
