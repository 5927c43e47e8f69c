from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("doc/<int:doc_id>/", views.document_page, name="document"),
    path("about/", views.page, {"name": "about"}, name="about"),
    path("faq/", views.page, {"name": "faq"}, name="faq"),
    path("privacy/", views.page, {"name": "privacy"}, name="privacy"),
    path("terms/", views.page, {"name": "terms"}, name="terms"),
    path("api/search", api.search, name="api-search"),
    path("api/suggest", api.suggest, name="api-suggest"),
    path("api/stats", api.stats, name="api-stats"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
]
