"""The roadmap app's pages, one URL module per feature."""

from roadmap.urls import alignment, board, dashboard, history, sharing

urlpatterns = [
    *dashboard.urlpatterns,
    *alignment.urlpatterns,
    *board.urlpatterns,
    *sharing.urlpatterns,
    *history.urlpatterns,
]
