"""The signed-in person's own pages."""

urlpatterns = []
