from django.core.management.base import BaseCommand, CommandError

from search.ingest import paths_ingest


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
            self.stdout.write("Run `python manage.py reindex` (or let the cluster do it) to search the new text.")
        if not (report.created or report.updated or report.unchanged) and report.skipped:
            raise CommandError("nothing could be ingested")
