from django.urls import path

from portfolio import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolios/new/", views.portfolio_create, name="portfolio_create"),
    path("p/<slug:slug>/settings/", views.portfolio_settings, name="portfolio_settings"),
    path(
        "p/<slug:slug>/settings/products/<int:product_id>/",
        views.settings_product,
        name="settings_product",
    ),
    path("p/<slug:slug>/settings/people/", views.settings_people, name="settings_people"),
    path(
        "p/<slug:slug>/settings/people/<int:user_id>/",
        views.settings_member,
        name="settings_member",
    ),
    path("p/<slug:slug>/settings/teams/", views.settings_teams, name="settings_teams"),
    path(
        "p/<slug:slug>/settings/teams/<int:team_id>/",
        views.settings_team,
        name="settings_team",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
]
