"""URLs of the dashboard pages (see roadmap/urls/__init__.py)."""

from django.urls import path

from roadmap.views import dashboard

urlpatterns = [
    path("p/<slug:slug>/", dashboard.dashboard, name="dashboard"),
]
