from django.core.management.base import BaseCommand, CommandError

from evaluation.improvement import interleaving_evaluate, ranker_tune
from search.services import serving_index


class Command(BaseCommand):
    help = "Turn behaviour into judgments, tune the ranker on all judged queries, and promote a winner that holds up."

    def handle(self, *args, **options):
        index = serving_index()
        if index is None:
            raise CommandError("no active index; run `manage.py reindex` first")
        run = ranker_tune(index=index)
        self.stdout.write(f"Tuning run {run.pk}: {run.get_decision_display()}"
                          f"{' ' + run.promoted if run.promoted else ''} ({run.judged_queries} judged queries).")
        self.stdout.write(run.reason)
        online = interleaving_evaluate()
        if online is not None:
            self.stdout.write(f"Interleaving: {online.reason}")
