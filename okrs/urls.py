"""OKR pages (see DESIGN.md §8)."""

from django.urls import path

from okrs import views

urlpatterns = [
    path("p/<slug:slug>/okrs/", views.okr_tree, name="okr_tree"),
    path(
        "p/<slug:slug>/okrs/objectives/<int:pk>/children/",
        views.okr_tree_children,
        name="okr_tree_children",
    ),
    path("p/<slug:slug>/okrs/cycles/new/", views.cycle_create, name="cycle_create"),
    path("p/<slug:slug>/okrs/cycles/<int:pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path("p/<slug:slug>/okrs/cycles/<int:pk>/close/", views.cycle_close, name="cycle_close"),
    path("p/<slug:slug>/okrs/objectives/new/", views.objective_create, name="objective_create"),
    path(
        "p/<slug:slug>/okrs/objectives/<int:pk>/edit/",
        views.objective_edit,
        name="objective_edit",
    ),
    path(
        "p/<slug:slug>/okrs/objectives/<int:objective_pk>/key-results/new/",
        views.key_result_create,
        name="key_result_create",
    ),
    path(
        "p/<slug:slug>/okrs/key-results/<int:pk>/edit/",
        views.key_result_edit,
        name="key_result_edit",
    ),
    path(
        "p/<slug:slug>/okrs/explain/",
        views.explain_portfolio,
        name="explain_portfolio",
    ),
    path(
        "p/<slug:slug>/okrs/objectives/<int:pk>/explain/",
        views.explain_objective,
        name="explain_objective",
    ),
    path(
        "p/<slug:slug>/okrs/products/<slug:product_slug>/explain/",
        views.explain_product,
        name="explain_product",
    ),
]
