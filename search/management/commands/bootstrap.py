from pathlib import Path

from django.core.management.base import BaseCommand

from search.indexing import active_build, index_build
from search.ingest import paths_ingest
from search.models import Document

STARTER_CORPUS = Path(__file__).resolve().parents[2] / "starter_corpus"


class Command(BaseCommand):
    help = "First-start set-up: load the starter corpus into an empty database and build an index if none is active."

    def handle(self, *args, **options):
        if not Document.objects.exists():
            report = paths_ingest([STARTER_CORPUS], source="cryptosights-guides")
            self.stdout.write(f"Starter corpus: {report.summary()}.")
        if active_build() is None:
            build = index_build()
            self.stdout.write(f"Built and activated index {build.version} ({build.sentences:,} sentences).")
        else:
            self.stdout.write("An index is already active.")
