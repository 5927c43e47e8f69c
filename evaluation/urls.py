from django.urls import path

from . import views

urlpatterns = [
    path("api/feedback", views.feedback, name="api-feedback"),
    path("evaluation/", views.landing, name="evaluation"),
    path("evaluation/dashboard/", views.dashboard, name="evaluation-dashboard"),
]
