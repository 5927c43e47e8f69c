from django.contrib import admin, messages

from .indexing import index_activate
from .models import Document, IndexBuild, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "kind", "enabled", "created_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "label", "location")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("external_id", "title", "source", "published", "updated_at")
    list_filter = ("source",)
    search_fields = ("external_id", "title", "url")
    date_hierarchy = "published"
    readonly_fields = ("content_hash", "ingested_at", "updated_at")


@admin.register(IndexBuild)
class IndexBuildAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "is_active", "documents", "sentences", "artifact_bytes", "started_at", "finished_at")
    list_filter = ("status", "is_active")
    readonly_fields = [f.name for f in IndexBuild._meta.fields]
    actions = ["activate", "rebuild"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Activate the selected version (roll back or forward)")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        try:
            index_activate(queryset.get().version)
        except Exception as exc:  # noqa: BLE001 — shown to staff, nothing changes
            self.message_user(request, f"Not activated: {exc}", messages.ERROR)
            return
        self.message_user(request, "Activated; web workers switch within seconds.", messages.SUCCESS)

    @admin.action(description="Rebuild the index now (in the background cluster)")
    def rebuild(self, request, queryset):
        from .tasks import index_rebuild_request

        index_rebuild_request(reason=f"admin {request.user}", force=True)
        self.message_user(request, "A rebuild was queued; it appears here when it starts.", messages.SUCCESS)
