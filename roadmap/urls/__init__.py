"""The roadmap app's pages, one URL module per feature."""

from roadmap.urls import alignment, board, dashboard, sharing

urlpatterns = [
    *dashboard.urlpatterns,
    *alignment.urlpatterns,
    *board.urlpatterns,
    *sharing.urlpatterns,
]
