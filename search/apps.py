from django.apps import AppConfig


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "search"
    verbose_name = "Search"

    def ready(self):
        from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

        from . import cluster_status

        # Only django-q2's worker processes send these: they report their tasks for /health.
        post_spawn.connect(cluster_status.worker_started, dispatch_uid="cluster-status-spawn")
        pre_execute.connect(cluster_status.task_started, dispatch_uid="cluster-status-start")
        post_execute_in_worker.connect(cluster_status.task_finished, dispatch_uid="cluster-status-finish")
