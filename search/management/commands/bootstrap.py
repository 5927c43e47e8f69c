from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django_q.tasks import async_task

from cryptosights_project.schedules import schedules_ensure
from search.serving_state import local_version_dir
from search.index.artifact import ArtifactError
from search.index.engine import Index
from search.crawl.crawl import sources_due
from search.default_sources import default_sources_ensure
from search.indexing import BuildInProgress, build_lock, recover_interrupted_builds, reindex
from search.ingest import paths_ingest
from search.models import Document, IndexBuild
from search.rankers import ensure_default_incumbent

STARTER_CORPUS = Path(__file__).resolve().parents[2] / "starter_corpus"


class Command(BaseCommand):
    help = (
        "First-start set-up, run by run.py: starter corpus into an empty database, an index if none is active, "
        "the default sources (enabled where DEFAULT_SOURCES=1), the cluster's schedules, and a staff user from "
        "DJANGO_SUPERUSER_USERNAME / _PASSWORD / _EMAIL if given."
    )

    def handle(self, *args, **options):
        try:
            with build_lock():  # only when no build is running: clean up after killed ones
                recover_interrupted_builds()
        except BuildInProgress:
            pass
        web_node = not settings.RUN_CLUSTER and settings.INDEX_SHARED_DIR is not None
        if web_node:
            # A web node of several: the cluster node ingests and builds; this one only copies the
            # active version from the shared folder (or waits for the first, serving 503 until then).
            active = IndexBuild.objects.active().first()
            reason = self._unloadable(active.version) if active else "no index is active yet"
            self.stdout.write(f"Web node: {reason or f'serving index {active.version}'}.")
            self._superuser_from_environment()
            return
        if not Document.objects.exists():
            report = paths_ingest([STARTER_CORPUS], source="cryptosights-guides")
            self.stdout.write(f"Starter corpus: {report.summary()}.")
        active = IndexBuild.objects.active().first()
        reason = "no index is active" if active is None else self._unloadable(active.version)
        if reason:
            self.stdout.write(f"Building an index: {reason}.")
            build = reindex()
            self.stdout.write(f"Built and activated index {build.version} ({build.sentences:,} sentences).")
        ensure_default_incumbent()
        for line in default_sources_ensure(enabled=settings.DEFAULT_SOURCES, base=settings.DEFAULT_SOURCES_BASE):
            self.stdout.write(f"Default source {line}.")
        self.stdout.write(f"Schedules: {', '.join(schedules_ensure())}.")
        if settings.RUN_CLUSTER:
            # The scheduler first looks at its schedules 30 s after the cluster starts; a queued
            # heartbeat is taken at once, so /health shows the cluster alive within seconds.
            async_task("search.health.cluster_heartbeat", group="cluster-heartbeat")
            if sources_due():  # e.g. the default sources of a new deployment: fetched now, not in 15 minutes
                async_task("search.tasks.crawl_due_sources", group="crawl")
                self.stdout.write("Queued a crawl of the sources that are due.")
        self._superuser_from_environment()

    @staticmethod
    def _unloadable(version: str) -> str:
        """Why the active version cannot serve (e.g. built by an older analyzer or format), or ''."""
        try:
            Index(local_version_dir(version), verify_checksums=False)
        except (ArtifactError, OSError) as exc:
            return f"the active version {version} cannot be loaded ({exc})"
        return ""

    def _superuser_from_environment(self):
        username, password = settings.DJANGO_SUPERUSER_USERNAME, settings.DJANGO_SUPERUSER_PASSWORD
        if not (username and password):
            return
        users = get_user_model().objects
        if users.filter(username=username).exists():
            return
        users.create_superuser(username=username, password=password, email=settings.DJANGO_SUPERUSER_EMAIL)
        self.stdout.write(f"Created staff user {username}.")
