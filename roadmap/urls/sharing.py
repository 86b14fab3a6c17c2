"""URLs of the sharing pages (see roadmap/urls/__init__.py)."""

from django.urls import path

from roadmap.views import review, sharing

urlpatterns = [
    path("p/<slug:slug>/share-links/", sharing.share_links, name="share_links"),
    path(
        "p/<slug:slug>/share-links/<int:pk>/revoke/",
        sharing.share_link_revoke,
        name="share_link_revoke",
    ),
    path(
        "p/<slug:slug>/share-links/<int:pk>/recreate/",
        sharing.share_link_recreate,
        name="share_link_recreate",
    ),
    path("p/<slug:slug>/review/", review.review, name="review"),
    path("share/<str:token>/", sharing.share_page, name="share_page"),
    path("share/<str:token>/board/", sharing.share_board_cards, name="share_board_cards"),
]
