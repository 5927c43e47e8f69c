import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from django.utils import timezone

from evaluation.models import MetricSnapshot
from evaluation.offline import QrelsError, evaluate, load_qrels
from search.active_index import get_index
from search.rankers import BASELINE, holder


class Command(BaseCommand):
    help = "Run the current ranker over judged queries (TSV query<TAB>doc_id) and print nDCG@10, MRR@10, recall@10, hit@10."

    def add_arguments(self, parser):
        parser.add_argument("--qrels", required=True, type=Path)
        parser.add_argument("--out", type=Path, help="per-query results (TSV); default: evaluation-<ranker>.tsv in DATA_DIR")
        parser.add_argument("--baseline", action="store_true", help="start from plain BM25 (the rank-bm25 reference)")
        parser.add_argument("--k1", type=float)
        parser.add_argument("--b", type=float)
        parser.add_argument("--title-weight", type=float)

    def handle(self, *args, qrels, out, baseline, k1, b, title_weight, **options):
        index = get_index()
        if index is None:
            raise CommandError("no active index; run `manage.py reindex` first")
        try:
            judged = load_qrels(qrels)
        except QrelsError as exc:
            raise CommandError(str(exc)) from exc
        config = BASELINE if baseline else holder.current()[0]
        changes = {k: v for k, v in (("k1", k1), ("b", b), ("title_weight", title_weight)) if v is not None}
        if changes:
            config = config.with_changes(name=f"{config.name}+custom", **changes)
        ranker = config.name
        result = evaluate(index, judged, config)
        from django.conf import settings

        out = out or Path(settings.DATA_DIR) / f"evaluation-{ranker.replace('/', '_')}.tsv"
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(["query", "relevant", "first_relevant_rank", "ndcg10", "mrr10", "recall10", "hit10", "top10"])
            for row in result.per_query:
                writer.writerow([
                    row["query"], ",".join(judged[row["query"]]), row["first_relevant_rank"] or "",
                    f"{row['ndcg10']:.4f}", f"{row['mrr10']:.4f}", f"{row['recall10']:.4f}", f"{row['hit10']:.0f}",
                    ",".join(row["ranked"]),
                ])
        m = result.metrics
        MetricSnapshot.objects.create(
            window_start=timezone.now(), window_end=timezone.now(), kind="offline",
            index_version=index.version, ranker=ranker, metrics={**m, "qrels": qrels.name},
        )
        self.stdout.write(
            f"ranker {ranker} ({config.describe()}) on index {index.version}, {m['queries']} queries: "
            f"nDCG@10 {m['ndcg10']:.4f}  MRR@10 {m['mrr10']:.4f}  recall@10 {m['recall10']:.4f}  hit@10 {m['hit10']:.4f}"
        )
        self.stdout.write(f"per-query results: {out}")
