"""URLs of the dashboard pages (see roadmap/urls/__init__.py)."""

urlpatterns = []
