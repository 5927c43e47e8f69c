from django.contrib import admin
from django.urls import include, path

from search.health import health

handler400 = "cryptosights_project.errors.bad_request"

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("search.urls")),
    path("", include("evaluation.urls")),
]
