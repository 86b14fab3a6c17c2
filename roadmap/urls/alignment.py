"""URLs of the alignment pages (see roadmap/urls/__init__.py)."""

urlpatterns = []
