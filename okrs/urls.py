"""OKR pages (see DESIGN.md §8)."""

urlpatterns = []
