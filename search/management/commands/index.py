from django.core.management.base import BaseCommand, CommandError

from search.indexing import index_activate
from search.models import IndexBuild


class Command(BaseCommand):
    help = "List index versions, or activate one (roll back / forward): `index list`, `index activate VERSION`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        activate = sub.add_parser("activate")
        activate.add_argument("version")

    def handle(self, *args, action, **options):
        if action == "activate":
            try:
                index_activate(options["version"])
            except Exception as exc:
                raise CommandError(f"not activated: {exc}") from exc
            self.stdout.write(f"{options['version']} is now active; web workers switch within seconds.")
            return
        for build in IndexBuild.objects.order_by("-started_at"):
            marker = "*" if build.is_active else " "
            self.stdout.write(
                f"{marker} {build.version}  {build.status:9}  {build.documents:>7,} docs  {build.sentences:>9,} sentences"
            )
