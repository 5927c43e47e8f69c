from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from search.backup import BackupError, site_restore


class Command(BaseCommand):
    help = "Restore a backup directory into this DATA_DIR (stop the site first)."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--force", action="store_true", help="replace an existing database")

    def handle(self, *args, backup, force, **options):
        try:
            manifest = site_restore(backup, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the backup of {manifest['created']} (index {manifest['index_version']}).")
