from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("doc/<int:doc_id>/", views.document_page, name="document"),
    path("api/search", views.api_search, name="api-search"),
    path("health", views.health, name="health"),
]
