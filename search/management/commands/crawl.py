from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.crawl.crawl import source_crawl, sources_due, validators_forget
from search.crawl.report import CrawlReport, bar_progress
from search.models import Source
from search.tasks import index_rebuild_request

MAX_REASONS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Crawl sources now and print what happened: every enabled source with a location, the named "
        "ones (enabled or not), or with --due only those whose crawl interval has passed."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (see /admin/ Sources)")
        parser.add_argument("--due", action="store_true", help="only sources that are due, as the schedule does")
        parser.add_argument(
            "--full", action="store_true",
            help="forget ETag/Last-Modified first, so unchanged archives and pages are read and parsed again",
        )

    def handle(self, *args, sources, due, full, **options):
        selected = self._selected(sources, due)
        if not selected:
            self.stdout.write("Nothing to crawl: no enabled source with a location" + (" is due." if due else "."))
            return
        if full:
            validators_forget([source.id for source in selected])
        total = CrawlReport()
        for source in selected:
            with tqdm(desc=source.name, unit="page", disable=options["verbosity"] == 0) as bar:
                report = source_crawl(source_id=source.id, progress=bar_progress(bar))
            self.stdout.write(f"{source.name} ({source.get_kind_display()}): {report.summary()}")
            for where, why in report.skipped[:MAX_REASONS_SHOWN]:
                self.stdout.write(f"  skipped {where}: {why}")
            if len(report.skipped) > MAX_REASONS_SHOWN:
                self.stdout.write(f"  ... and {len(report.skipped) - MAX_REASONS_SHOWN} more skipped")
            total.add(report)
        if len(selected) > 1:
            self.stdout.write(f"Total: {total.summary()}")
        if total.changed:
            index_rebuild_request(reason=f"crawl: {total.summary()}")
            self.stdout.write("A rebuild is queued for the background cluster (or run `manage.py reindex` now).")

    def _selected(self, names: list[str], due: bool) -> list[Source]:
        if names:
            found = {source.name: source for source in Source.objects.filter(name__in=names)}
            missing = [name for name in names if name not in found]
            if missing:
                raise CommandError(f"no such source: {', '.join(missing)} (sources are listed in /admin/)")
            return [found[name] for name in names]
        if due:
            return sources_due()
        return list(Source.objects.filter(enabled=True).exclude(location=""))
