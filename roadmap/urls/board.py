"""URLs of the PM's workspace: my work, key result pages, board and timeline
(see roadmap/urls/__init__.py)."""

from django.urls import path

from roadmap.views import board, key_results, my_work, timeline

urlpatterns = [
    path("me/", my_work.my_work, name="my_work"),
    path("me/key-results/<int:pk>/check-in/", my_work.my_work_check_in, name="my_work_check_in"),
    path("me/items/<int:pk>/", my_work.my_work_item_update, name="my_work_item_update"),
    path(
        "p/<slug:slug>/key-results/<int:pk>/",
        key_results.key_result_detail,
        name="key_result_detail",
    ),
    path("p/<slug:slug>/roadmap/", board.roadmap_board, name="roadmap_board"),
    path("p/<slug:slug>/roadmap/timeline/", timeline.roadmap_timeline, name="roadmap_timeline"),
    path(
        "p/<slug:slug>/roadmap/timeline/<slug:product_slug>/",
        timeline.roadmap_timeline_lane,
        name="roadmap_timeline_lane",
    ),
    path(
        "p/<slug:slug>/products/<slug:product_slug>/",
        board.product_roadmap,
        name="product_roadmap",
    ),
    path(
        "p/<slug:slug>/roadmap/items/new/",
        board.roadmap_item_create_view,
        name="roadmap_item_create",
    ),
    path(
        "p/<slug:slug>/roadmap/items/<int:pk>/", board.roadmap_item_edit, name="roadmap_item_edit"
    ),
    path(
        "p/<slug:slug>/roadmap/items/<int:pk>/move/",
        board.roadmap_item_move_view,
        name="roadmap_item_move",
    ),
    path(
        "p/<slug:slug>/roadmap/items/<int:pk>/archive/",
        board.roadmap_item_archive_view,
        name="roadmap_item_archive",
    ),
    path(
        "p/<slug:slug>/roadmap/items/<int:pk>/dependencies/",
        board.roadmap_item_dependency_add,
        name="roadmap_item_dependency_add",
    ),
    path(
        "p/<slug:slug>/roadmap/dependencies/<int:pk>/delete/",
        board.roadmap_dependency_delete,
        name="roadmap_dependency_delete",
    ),
]
