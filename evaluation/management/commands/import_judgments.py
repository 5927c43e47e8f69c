from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evaluation.models import Judgment
from search.services import normalize_query


class Command(BaseCommand):
    help = ("Load judged queries for tuning from a known-item TSV (query<TAB>doc_id[<TAB>grade]) or from the dev half "
            "of a question set (its test half is for reporting only and is never loaded).")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--origin", choices=[Judgment.Origin.KNOWN_ITEM, Judgment.Origin.STAFF],
                            default=Judgment.Origin.KNOWN_ITEM)

    def handle(self, *args, file, origin, **options):
        from evaluation.qrels import QrelsError, load_qrels

        try:
            qrels = load_qrels(file, splits=("dev",))
        except QrelsError as exc:
            raise CommandError(str(exc)) from exc
        count = 0
        with transaction.atomic():
            for query, judged in qrels.items():
                for doc, grade in judged.items():
                    Judgment.objects.update_or_create(
                        query=normalize_query(query), document_slug=doc, origin=origin, defaults={"grade": grade}
                    )
                    count += 1
        self.stdout.write(f"Stored {count} {origin} judgments for {len(qrels)} queries.")
