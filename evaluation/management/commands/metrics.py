import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from evaluation.services import metric_snapshot_compute, metrics_compute


class Command(BaseCommand):
    help = "Print online metrics (volume, latency, zero results, CTR, click MRR, satisfaction, abandonment, top queries)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24 * 7, help="window ending now (default: one week)")
        parser.add_argument("--save", action="store_true", help="also store a MetricSnapshot")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, hours, save, **options):
        end = timezone.now()
        metrics = metrics_compute(end - timedelta(hours=hours), end)
        if save:
            metric_snapshot_compute(hours=hours, end=end)
        if options["json"]:
            self.stdout.write(json.dumps(metrics, indent=2, default=str))
            return
        fmt = lambda v, pct=False: "—" if v is None else (f"{v:.1%}" if pct else f"{v:.2f}")  # noqa: E731
        self.stdout.write(f"Last {hours} h: {metrics['volume']} searches")
        self.stdout.write(
            f"latency p50/p95/p99 ms: {fmt(metrics['latency_p50_ms'])} / {fmt(metrics['latency_p95_ms'])} / "
            f"{fmt(metrics['latency_p99_ms'])}"
        )
        for name in ("zero_result_rate", "ctr", "abandonment", "satisfaction"):
            self.stdout.write(f"{name}: {fmt(metrics[name], pct=True)}")
        self.stdout.write(f"click_mrr: {fmt(metrics['click_mrr'])}")
        for title, key in (("Top queries", "top_queries"), ("Top zero-result queries", "zero_result_queries")):
            self.stdout.write(title + ":")
            for row in metrics[key]:
                self.stdout.write(f"  {row['count']:>5}  {row['query']}")
