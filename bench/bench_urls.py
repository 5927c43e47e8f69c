"""The project's URLs plus /bench/trivial (see bench_settings)."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from cryptosights_project.urls import urlpatterns as project_urlpatterns


@require_GET
def trivial(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/trivial", trivial), *project_urlpatterns]
