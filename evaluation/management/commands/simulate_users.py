from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluation.qrels import QrelsError, read_known_items
from evaluation.simulation import run_simulation
from search.services import BASELINE, serving_index

DEFAULT_QRELS = Path(settings.BASE_DIR).parent / "shared" / "eval" / "known-item-dev.tsv"


class Command(BaseCommand):
    help = (
        "Simulate visitors on half of a known-item set, tune on their behaviour, and measure the promoted ranker "
        "on the other half (plus typo recovery, a random-click control and a poisoning attack). Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--qrels", type=Path, default=DEFAULT_QRELS, help="TSV query<TAB>doc_id")
        parser.add_argument("--visitors", type=int, default=8, help="simulated visitors per training intent")
        parser.add_argument("--typo-share", type=float, default=0.2)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--limit", type=int, default=0, help="use only the first N intents (0 = all)")

    def handle(self, *args, qrels, visitors, typo_share, seed, limit, **options):
        index = serving_index()
        if index is None:
            raise CommandError("no active index; run `manage.py reindex` first")
        try:
            rows = [(query, doc) for query, doc, _ in read_known_items(qrels)]
        except QrelsError as exc:
            raise CommandError(str(exc)) from exc
        rows = [(q, d) for q, d in rows if index.doc_of_slug(d) is not None]
        if limit:
            rows = rows[:limit]
        if len(rows) < 20:
            raise CommandError("need at least 20 known-item rows whose documents are in the index")
        report = run_simulation(index, rows, start=BASELINE, visitors=visitors, typo_share=typo_share, seed=seed)
        self.stdout.write(f"Intents: {len(rows)} ({len(rows) // 2} simulated, the rest held out); "
                          f"{report.judged_queries} queries got judgments from behaviour.")
        if report.decision:
            self.stdout.write(f"Tuning: {report.decision.reason}")
        self.stdout.write(
            "Random-click control: "
            + (f"PROMOTED {report.control_promoted.name}" if report.control_promoted else "nothing promoted")
            + (f" ({report.control_decision.reason})" if report.control_decision else " (no judgments)")
        )
        for attack in report.poisoning:
            self.stdout.write(
                f"Poisoning with {attack.attackers} session(s) of one client: junk hit rank "
                f"{attack.junk_rank_before} -> {attack.junk_rank_after}, in top 3: {attack.junk_in_top3}, "
                f"other queries unchanged: {attack.others_unchanged}"
            )
        self.stdout.write(report.line())
