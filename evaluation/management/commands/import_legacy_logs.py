from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.legacy import legacy_logs_import


class Command(BaseCommand):
    help = "Import the previous version's query_logs.json into the query log (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            report = legacy_logs_import(file)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for reason in report.skipped[:20]:
            self.stderr.write(f"skipped {reason}")
        self.stdout.write(
            f"Imported {report.imported} legacy searches ({report.already} were already there, "
            f"{len(report.skipped)} skipped)."
        )
