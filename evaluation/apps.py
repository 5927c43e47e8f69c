from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"
    verbose_name = "Evaluation"

    def ready(self):
        from search.signals import document_renamed

        document_renamed.connect(_judgments_follow_renamed_document, dispatch_uid="judgments-follow-renames")


def _judgments_follow_renamed_document(sender, old_id: str, new_id: str, **kwargs) -> None:
    from .models import Judgment

    Judgment.objects.filter(document_slug=old_id).exclude(
        query__in=Judgment.objects.filter(document_slug=new_id).values("query")
    ).update(document_slug=new_id)
