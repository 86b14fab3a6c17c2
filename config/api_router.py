"""/api/: the REST API v1, its schema and docs."""

urlpatterns = []
