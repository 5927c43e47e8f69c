import csv

from django.contrib import admin, messages
from django.http import StreamingHttpResponse

from .models import Click, Feedback, Judgment, MetricSnapshot, QueryLog, TuningRun


class _Echo:
    def write(self, value):
        return value


class ClickInline(admin.TabularInline):
    model = Click
    extra = 0
    can_delete = False
    readonly_fields = ("sentence_id", "document_id", "rank", "created_at")
    exclude = ("session_hash", "client_hash")


class FeedbackInline(admin.TabularInline):
    model = Feedback
    extra = 0
    can_delete = False
    readonly_fields = ("sentence_id", "document_id", "rank", "vote", "comment", "created_at")
    exclude = ("session_hash", "client_hash")


@admin.register(QueryLog)
class QueryLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "query", "result_count", "latency_ms", "interface", "ranker", "index_version")
    list_filter = ("zero_results", "interface", "index_version", "ranker")
    search_fields = ("query", "normalized")
    date_hierarchy = "created_at"
    inlines = [ClickInline, FeedbackInline]
    readonly_fields = [f.name for f in QueryLog._meta.fields]
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Export the selected searches as CSV")
    def export_csv(self, request, queryset):
        columns = ["created_at", "query", "normalized", "result_count", "latency_ms", "interface", "ranker",
                   "index_version", "page", "session_hash"]
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(columns)
            for log in queryset.iterator():
                yield writer.writerow([getattr(log, c) for c in columns])

        response = StreamingHttpResponse(lines(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="query-logs.csv"'
        return response


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "log", "rank", "vote", "comment")
    list_filter = ("vote",)
    search_fields = ("log__query", "comment")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Feedback._meta.fields]


@admin.register(Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = ("query", "document_slug", "grade", "origin", "sessions", "updated_at")
    list_filter = ("origin", "grade")
    list_editable = ("grade",)
    search_fields = ("query", "document_slug")


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(admin.ModelAdmin):
    list_display = ("window_end", "kind", "ranker", "index_version")
    list_filter = ("kind", "ranker")

    def changelist_view(self, request, extra_context=None):
        # Staff instructions live here, not on the public dashboard.
        if not MetricSnapshot.objects.filter(kind="offline").exists():
            messages.info(request, "No offline evaluation yet: run `manage.py evaluate --qrels FILE` (for example "
                                   "../shared/eval/known-item-dev.tsv) to add one to the public dashboard.")
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TuningRun)
class TuningRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "decision", "incumbent", "promoted", "gain", "p_value", "judged_queries")
    list_filter = ("kind", "decision")
    readonly_fields = [f.name for f in TuningRun._meta.fields]

    def has_add_permission(self, request):
        return False
