from django.contrib import admin
from django.urls import include, path

from search.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("search.urls")),
    path("", include("evaluation.urls")),
]
