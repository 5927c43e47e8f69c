"""The cluster's recurring tasks, created idempotently at every start (never by hand)."""

from __future__ import annotations

from django.utils import timezone

SCHEDULES = [
    # name, function, schedule type, minutes between runs
    ("cluster-heartbeat", "search.health.cluster_heartbeat", "I", 1),
    ("interrupted-builds", "search.tasks.interrupted_builds_rebuild", "I", 1),
    ("metrics-snapshot", "evaluation.tasks.metrics_snapshot", "I", 60),
    ("logs-purge", "evaluation.tasks.logs_purge_task", "D", None),
    ("crawl-due-sources", "search.tasks.crawl_due_sources", "I", 15),
    ("ranker-tune", "evaluation.tasks.ranker_tune_task", "H", None),
]


def schedules_ensure() -> list[str]:
    from django_q.models import Schedule

    names = []
    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1},
            create_defaults={
                "func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1, "next_run": timezone.now(),
            },
        )
        names.append(name)
    return names
