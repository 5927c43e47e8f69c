import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluation.models import MetricSnapshot
from evaluation.offline import evaluate
from evaluation.qrels import QUESTION_SET, SPLITS, QrelsError, load_judged_sets
from search.services import BASELINE, serving_index, serving_rankers


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


class Command(BaseCommand):
    help = (
        "Run the current ranker over judged queries and print document-level nDCG@10, MRR@10, recall@10 and "
        "hit@10 (first document of grade >= 1, and of grade 2), per split of a question set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--qrels", type=Path, default=QUESTION_SET,
                            help="question set (id, split, question, judgments; default: the repository's) "
                                 "or known-item TSV (query<TAB>doc_id[<TAB>grade])")
        parser.add_argument("--split", choices=SPLITS, action="append",
                            help="only this split of a question set (repeatable; default: each split)")
        parser.add_argument("--out", type=Path, help="per-query results (TSV); default: evaluation-<ranker>.tsv in DATA_DIR")
        parser.add_argument("--baseline", action="store_true", help="start from plain BM25 (the rank-bm25 reference)")
        parser.add_argument("--k1", type=float)
        parser.add_argument("--b", type=float)
        parser.add_argument("--title-weight", type=float)

    def handle(self, *args, qrels, split, out, baseline, k1, b, title_weight, **options):
        index = serving_index()
        if index is None:
            raise CommandError("no active index; run `manage.py reindex` first")
        try:
            judged_sets = load_judged_sets(qrels, split)
        except QrelsError as exc:
            raise CommandError(str(exc)) from exc
        config = BASELINE if baseline else serving_rankers()[0]
        changes = {k: v for k, v in (("k1", k1), ("b", b), ("title_weight", title_weight)) if v is not None}
        if changes:
            config = config.with_changes(name=f"{config.name}+custom", **changes)
        ranker = config.name
        self.stdout.write(f"ranker {ranker} ({config.describe()}) on index {index.version}, {qrels.name}:")
        out = out or Path(settings.DATA_DIR) / f"evaluation-{ranker.replace('/', '_')}.tsv"
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(["query", "relevant", "first_relevant_rank", "ndcg10", "mrr10", "recall10", "hit10",
                             "first_grade2_rank", "top10", "split"])
            for name, judged in judged_sets.items():
                m = self._evaluate_set(index, config, judged, name, qrels.name, writer)
                self.stdout.write(
                    f"  {name}: {m['queries']} queries: nDCG@10 {m['ndcg10']:.4f}  MRR@10 {m['mrr10']:.4f}  "
                    f"recall@10 {m['recall10']:.4f}  hit@10 {m['hit10']:.4f}"
                    + (f"  | grade 2 ({m['queries_grade2']} queries): MRR@10 {_figure(m['mrr10_grade2'])}  "
                       f"hit@10 {_figure(m['hit10_grade2'])}" if m["queries_grade2"] else "")
                )
        missing = {doc for judged in judged_sets.values() for docs in judged.values() for doc in docs
                   if index.doc_of_slug(doc) is None}
        if missing:  # they count as misses: say so, since a partial index lowers every figure
            self.stdout.write(f"note: {len(missing)} judged documents are not in this index, e.g. {min(missing)}")
        self.stdout.write(f"per-query results: {out}")

    @staticmethod
    def _evaluate_set(index, config, judged, name, qrels_name, writer) -> dict:
        if not judged:
            raise CommandError(f"{qrels_name}: no judged queries in {name}")
        result = evaluate(index, judged, config)
        for row in result.per_query:
            writer.writerow([
                row["query"], " ".join(f"{doc}:{grade}" for doc, grade in judged[row["query"]].items()),
                row["first_relevant_rank"] or "", f"{row['ndcg10']:.4f}", f"{row['mrr10']:.4f}",
                f"{row['recall10']:.4f}", f"{row['hit10']:.0f}", row["first_grade2_rank"] or "",
                ",".join(row["ranked"]), name,
            ])
        now = timezone.now()
        MetricSnapshot.objects.create(
            window_start=now, window_end=now, kind="offline", index_version=index.version, ranker=config.name,
            metrics={**result.metrics, "qrels": qrels_name, "split": name},
        )
        return result.metrics
