import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from django.utils import timezone

from evaluation.models import MetricSnapshot
from evaluation.offline import QrelsError, evaluate, load_qrels
from search.active_index import get_index
from search.index.engine import RankParams
from search.query import DEFAULT_PARAMS, DEFAULT_RANKER_ID


class Command(BaseCommand):
    help = "Run the current ranker over judged queries (TSV query<TAB>doc_id) and print nDCG@10, MRR@10, recall@10, hit@10."

    def add_arguments(self, parser):
        parser.add_argument("--qrels", required=True, type=Path)
        parser.add_argument("--out", type=Path, help="per-query results (TSV); default: evaluation-<ranker>.tsv in DATA_DIR")
        parser.add_argument("--k1", type=float)
        parser.add_argument("--b", type=float)
        parser.add_argument("--title-weight", type=float)

    def handle(self, *args, qrels, out, k1, b, title_weight, **options):
        index = get_index()
        if index is None:
            raise CommandError("no active index; run `manage.py reindex` first")
        try:
            judged = load_qrels(qrels)
        except QrelsError as exc:
            raise CommandError(str(exc)) from exc
        params = RankParams(
            k1=DEFAULT_PARAMS.k1 if k1 is None else k1,
            b=DEFAULT_PARAMS.b if b is None else b,
            title_weight=DEFAULT_PARAMS.title_weight if title_weight is None else title_weight,
        )
        ranker = DEFAULT_RANKER_ID if params == DEFAULT_PARAMS else f"k1={params.k1},b={params.b},title={params.title_weight}"
        result = evaluate(index, judged, params)
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
            f"ranker {ranker} on index {index.version}, {m['queries']} queries: "
            f"nDCG@10 {m['ndcg10']:.4f}  MRR@10 {m['mrr10']:.4f}  recall@10 {m['recall10']:.4f}  hit@10 {m['hit10']:.4f}"
        )
        self.stdout.write(f"per-query results: {out}")
