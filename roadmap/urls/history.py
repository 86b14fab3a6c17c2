"""URLs of the audit trail's history pages (see roadmap/urls/__init__.py)."""

from django.urls import path

from roadmap.views import history

urlpatterns = [
    path(
        "p/<slug:slug>/history/<str:kind>/<int:pk>/",
        history.object_history,
        name="object_history",
    ),
]
