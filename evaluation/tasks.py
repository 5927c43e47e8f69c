"""Background tasks of the evaluation app (django-q2 schedules)."""

from .services import logs_purge, metric_snapshot_compute


def metrics_snapshot() -> str:
    snapshot = metric_snapshot_compute(hours=1)
    return f"snapshot {snapshot.pk}: {snapshot.metrics['volume']} searches"


def logs_purge_task() -> str:
    return str(logs_purge())


def ranker_tune_task() -> str:
    from search.services import serving_index

    from .improvement import interleaving_evaluate, ranker_tune

    index = serving_index()
    if index is None:
        return "no active index"
    run = ranker_tune(index=index)
    online = interleaving_evaluate()
    return f"{run.decision}: {run.reason}" + (f" | interleaving: {online.reason}" if online else "")
