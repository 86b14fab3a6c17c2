"""URLs of the alignment pages (see roadmap/urls/__init__.py)."""

from django.urls import path

from roadmap.views import alignment as views

urlpatterns = [
    path("p/<slug:slug>/alignment/", views.alignment_matrix, name="alignment_matrix"),
    path("p/<slug:slug>/alignment/cell/", views.alignment_cell, name="alignment_cell"),
    path(
        "p/<slug:slug>/alignment/items/<int:item_id>/align/",
        views.item_align,
        name="item_align",
    ),
    path(
        "p/<slug:slug>/alignment/alignments/<int:pk>/remove/",
        views.alignment_remove,
        name="alignment_remove",
    ),
    path(
        "p/<slug:slug>/alignment/explain/score/",
        views.explain_alignment_score,
        name="explain_alignment_score",
    ),
    path(
        "p/<slug:slug>/alignment/explain/coverage/<int:objective_id>/",
        views.explain_coverage,
        name="explain_coverage",
    ),
]
