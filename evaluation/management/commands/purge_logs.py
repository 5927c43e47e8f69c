from django.core.management.base import BaseCommand

from evaluation.services import logs_purge


class Command(BaseCommand):
    help = "Delete raw query logs older than LOG_RETENTION_DAYS, after storing a daily metrics snapshot for each day."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        result = logs_purge(days=days)
        self.stdout.write(f"Deleted {result['deleted_rows']} rows older than {result['cutoff']}; "
                          f"{result['daily_snapshots']} daily snapshots stored.")
