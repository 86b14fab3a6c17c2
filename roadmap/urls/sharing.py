"""URLs of the sharing pages (see roadmap/urls/__init__.py)."""

urlpatterns = []
