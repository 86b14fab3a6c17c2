"""URLs of the board pages (see roadmap/urls/__init__.py)."""

urlpatterns = []
