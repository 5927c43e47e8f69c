"""Background tasks of the evaluation app (django-q2 schedules)."""

from .services import logs_purge, metric_snapshot_compute


def metrics_snapshot() -> str:
    snapshot = metric_snapshot_compute(hours=1)
    return f"snapshot {snapshot.pk}: {snapshot.metrics['volume']} searches"


def logs_purge_task() -> str:
    return str(logs_purge())
