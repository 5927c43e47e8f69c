from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.indexing import BuildInProgress, reindex
from search.models import Document


class Command(BaseCommand):
    help = "Build a new index version from all documents and make it the active one."

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="build, but keep serving the current version")
        parser.add_argument("--workers", type=int, default=None, help="analysis processes (default: one per core)")

    def handle(self, *args, no_activate, workers, **options):
        total = Document.objects.count()
        with tqdm(total=total, unit="doc", desc="Indexing", disable=options["verbosity"] == 0) as bar:
            try:
                build = reindex(activate=not no_activate, workers=workers, progress=bar.update)
            except BuildInProgress as exc:
                raise CommandError(str(exc), returncode=BuildInProgress.exit_code) from exc
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Built {build.version}: {build.documents:,} documents, {build.sentences:,} sentences, "
            f"{build.terms:,} terms, {build.artifact_bytes / 1e6:.1f} MB on disk, "
            f"{build.timings.get('total', 0):.1f} s, peak memory {build.peak_rss_bytes / 1e6:.0f} MB"
            + ("" if no_activate else " (active)")
        )
