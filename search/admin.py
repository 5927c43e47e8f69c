from django.contrib import admin, messages

from .indexing import index_activate
from .models import Document, IndexBuild, Ranker, Source
from .rankers import ranker_promote, ranker_set_challenger


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Staff configure what is crawled here; the outcome of the last crawl is shown read-only."""

    list_display = (
        "name", "label", "kind", "enabled", "crawl_interval_minutes", "last_crawled_at", "last_crawl_status", "last_counts",
    )
    list_filter = ("kind", "enabled", "last_crawl_status")
    search_fields = ("name", "label", "location")
    readonly_fields = (
        "last_crawled_at", "last_crawl_status", "last_crawl_counts", "last_crawl_error", "skipped_reasons", "created_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "label", "kind", "location", "globs", "coins")}),
        ("Schedule", {"fields": ("enabled", "crawl_interval_minutes")}),
        ("Last crawl", {"fields": readonly_fields}),
    )
    actions = ["crawl_now", "recrawl_in_full"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "coins":  # pick from the coin dictionary instead of typing JSON
            from django import forms
            from django.contrib.admin.widgets import FilteredSelectMultiple

            from .nlp.coins import COINS

            return forms.MultipleChoiceField(
                choices=[(coin.slug, f"{coin.name} ({coin.ticker})") for coin in COINS], required=False,
                widget=FilteredSelectMultiple("coins", is_stacked=False), help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="last counts")
    def last_counts(self, source):
        counts = source.last_crawl_counts or {}
        return ", ".join(f"{value} {name}" for name, value in counts.items()) or "-"

    @admin.display(description="skipped (address: reason)")
    def skipped_reasons(self, source):
        from django.utils.html import format_html_join

        return format_html_join("", "<div>{}: {}</div>", source.last_crawl_skipped or []) or "-"

    @admin.action(description="Crawl the selected sources now (in the background cluster)")
    def crawl_now(self, request, queryset):
        from django_q.tasks import async_task

        ids = list(queryset.exclude(location="").values_list("id", flat=True))
        if not ids:
            self.message_user(request, "None of the selected sources has a location to crawl.", messages.WARNING)
            return
        async_task("search.tasks.crawl_due_sources", source_ids=ids, group="crawl")
        self.message_user(
            request, f"A crawl of {len(ids)} source(s) was queued; refresh to see its outcome.", messages.SUCCESS
        )

    @admin.action(description="Re-read the selected sources in full (forget ETag/Last-Modified), then crawl")
    def recrawl_in_full(self, request, queryset):
        from .crawl.crawl import validators_forget

        validators_forget(list(queryset.values_list("id", flat=True)))
        self.crawl_now(request, queryset)


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


@admin.register(Ranker)
class RankerAdmin(admin.ModelAdmin):
    list_display = ("name", "is_incumbent", "is_challenger", "origin", "created_at", "promoted_at")
    list_filter = ("is_incumbent", "is_challenger")
    readonly_fields = ("name", "params", "origin", "created_at", "promoted_at", "is_incumbent", "is_challenger")
    actions = ["promote", "make_challenger"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Serve the selected ranker to everyone (promote or roll back)")
    def promote(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one ranker.", messages.ERROR)
            return
        ranker_promote(queryset.get().name)
        self.message_user(request, "Promoted; every worker serves it within seconds.", messages.SUCCESS)

    @admin.action(description="Compare the selected ranker with the incumbent (interleaving)")
    def make_challenger(self, request, queryset):
        if queryset.count() != 1 or queryset.get().is_incumbent:
            self.message_user(request, "Select exactly one ranker that is not the incumbent.", messages.ERROR)
            return
        ranker_set_challenger(queryset.get().name)
        self.message_user(request, "It is now the challenger on a share of first result pages.", messages.SUCCESS)
