from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from search.backup import site_backup


class Command(BaseCommand):
    help = "Back up the SQLite database (online) and the active index version into a new directory."

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, default=None, help="parent directory (default: DATA_DIR/backups)")

    def handle(self, *args, to, **options):
        target = site_backup(to or Path(settings.DATA_DIR) / "backups")
        self.stdout.write(f"Backup written to {target}")
